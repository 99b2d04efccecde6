"""What a person does on the page (send, click, react, submit, close, open Home, shortcut), sent on to Baton
as the signed request Slack would send to its /slack/events."""

from __future__ import annotations

import copy
import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any

from playground import demo
from playground.courier import BatonReply
from playground.demo import Person
from playground.errors import PlaygroundError
from playground.page_input import find_element, options_of, slack_escape, view_state
from playground.session import Session
from playground.slack import payloads
from playground.slack.records import ResponseTarget
from playground.workspace import TEAM, Workspace

log = logging.getLogger(__name__)

CHECKIN_REACTIONS = (
    "white_check_mark",
    "heavy_check_mark",
    "+1",
    "construction",
    "octagonal_sign",
    "no_entry",
    "tada",
    "eyes",
)


class PageActions:
    """The page's actions, mixed into the playground: it supplies the people, what Baton's manifest offers
    (commands, shortcuts, events) and the running session."""

    people: list[Person]
    commands: dict[str, str]
    shortcuts: dict[str, str]
    events: frozenset[str]

    @property
    def session(self) -> Session:
        raise NotImplementedError

    def person(self, user_id: str) -> Person:
        for person in self.people:
            if person.id == user_id:
                return person
        raise PlaygroundError(f"unknown person {user_id!r}")

    def _channel(self, user: str, channel: str) -> str:
        """The conversation's name, after checking that `user` may see it."""
        name = self.session.workspace.channels().get(channel)
        dm_user = demo.user_of_dm(channel)
        if name is None or (dm_user is not None and dm_user != user):
            raise PlaygroundError(f"no conversation {channel!r} for this person")
        return "directmessage" if dm_user is not None else name

    def send(self, user: str, channel: str, text: str, *, page: str | None = None) -> None:
        """The message box: a slash command goes to Baton, anything else is posted as the person (in their DM
        with Baton, Baton gets the `message` event Slack sends for it). `page` is the browser page it was
        typed on, where a modal the command opens shows."""
        person = self.person(user)
        channel_name = self._channel(user, channel)
        text = text.strip()
        if not text:
            raise PlaygroundError("type a message or a command")
        session = self.session
        workspace = session.workspace
        people = {p.id: p for p in self.people}
        if not text.startswith("/"):
            typed = workspace.add_message(channel, user=user, text=slack_escape(text, people=people))
            if demo.user_of_dm(channel) == user and "message.im" in self.events:
                event = payloads.im_message(
                    user,
                    typed["text"],
                    channel=channel,
                    ts=typed["ts"],
                    team_id=TEAM.id,
                    client_msg_id=str(uuid.uuid4()),
                )
                reply = session.courier.event(event)
                if reply.status != 200:
                    log.warning("playground.event_refused", extra={"status": reply.status})
            return
        command, _, rest = text.partition(" ")
        command = command.lower()
        if command not in self.commands:
            workspace.add_ephemeral(
                channel,
                user,
                text=f'`{command}` is not a valid command. In Slack, all messages that start with the "/" '
                "character are interpreted as commands.",
                sender=demo.SLACKBOT_ID,
            )
            return
        response_url = workspace.new_response_url(ResponseTarget(user=user, channel=channel))
        reply = session.courier.command(
            command,
            slack_escape(rest.strip(), people=people),
            user_id=user,
            user_name=person.name,
            channel_id=channel,
            channel_name=channel_name,
            response_url=response_url,
            trigger_id=workspace.new_trigger(user, page=page),
        )
        if reply.status != 200:
            self._dispatch_failed(workspace, channel, user, command, reply)
            return
        answer = reply.json()
        if answer is None:
            return
        if answer.get("response_type") == "in_channel":
            workspace.add_message(channel, user=user, text=slack_escape(text, people=people))
            workspace.add_message(
                channel, user=demo.BOT_USER_ID, text=str(answer.get("text") or ""), blocks=answer.get("blocks")
            )
        elif answer.get("text") or answer.get("blocks"):
            workspace.add_ephemeral(channel, user, text=str(answer.get("text") or ""), blocks=answer.get("blocks"))

    @staticmethod
    def _dispatch_failed(workspace: Workspace, channel: str, user: str, what: str, reply: BatonReply) -> None:
        reason = "dispatch_failed" if reply.status == 0 else f"http_service_error (HTTP {reply.status})"
        workspace.add_ephemeral(channel, user, text=f'{what} failed with the error "{reason}"', sender=demo.SLACKBOT_ID)

    def click(
        self,
        user: str,
        *,
        action_id: str,
        block_id: str | None = None,
        channel: str | None = None,
        ts: str | None = None,
        ephemeral_id: str | None = None,
        view_id: str | None = None,
        value: str | None = None,
        page: str | None = None,
    ) -> None:
        """A button on a message, an ephemeral, a modal or the Home tab: Baton gets block_actions.

        `value` is the choice made in a menu (overflow, select); a button sends its own value. `page` is the
        browser page it was clicked on, where a modal it opens shows.
        """
        person = self.person(user)
        session = self.session
        workspace = session.workspace
        with workspace.lock:
            source = self._click_source(user, channel=channel, ts=ts, ephemeral_id=ephemeral_id, view_id=view_id)
            blocks, message, view, target, is_ephemeral = source
            element = find_element(blocks, action_id=action_id, block_id=block_id)
            if element is None:
                raise PlaygroundError("that button is not there any more")
            action: dict[str, Any] = {
                "type": element.get("type", "button"),
                "action_id": action_id,
                "block_id": element["block_id"],
            }
            for key in ("text", "value", "style", "url"):
                if key in element:
                    action[key] = copy.deepcopy(element[key])
            if action["type"] != "button":
                action.pop("value", None)
                chosen = next((o for o in options_of(element) if str(o.get("value")) == value), None)
                if chosen is None:
                    raise PlaygroundError("pick one of the menu's options")
                action["selected_option"] = copy.deepcopy(chosen)
            response_url = workspace.new_response_url(target) if target is not None else None
            payload = payloads.block_actions(
                action,
                team=TEAM,
                user_id=user,
                user_name=person.name,
                trigger_id=workspace.new_trigger(user, page=page),
                response_url=response_url,
                message=message,
                channel=(target.channel, self._channel(user, target.channel)) if target is not None else None,
                is_ephemeral=is_ephemeral,
                view=view,
            )
        reply = session.courier.interaction(payload)
        if reply.status != 200 and target is not None:
            self._dispatch_failed(workspace, target.channel, user, "That button", reply)

    def _click_source(
        self,
        user: str,
        *,
        channel: str | None,
        ts: str | None,
        ephemeral_id: str | None,
        view_id: str | None,
    ) -> tuple[list[Any], dict[str, Any] | None, dict[str, Any] | None, ResponseTarget | None, bool]:
        workspace = self.session.workspace
        if view_id:
            view = workspace.views.get(view_id)
            if view is None or workspace.view_owner.get(view_id) != user:
                raise PlaygroundError("that view is not open for this person")
            return list(view.get("blocks") or []), None, copy.deepcopy(view), None, False
        if ephemeral_id:
            shown = next((e for e in workspace.shown_to(user) if e.id == ephemeral_id), None)
            if shown is None:
                raise PlaygroundError("that message is gone")
            message: dict[str, Any] = {"type": "message", "ts": shown.ts, "user": shown.sender, "text": shown.text}
            if shown.blocks is not None:
                message["blocks"] = copy.deepcopy(shown.blocks)
            target = ResponseTarget(user=user, channel=shown.channel, ephemeral_id=shown.id)
            return list(shown.blocks or []), message, None, target, True
        if channel and ts:
            self._channel(user, channel)
            found = workspace.find_message(channel, ts)
            if found is None:
                raise PlaygroundError("that message is gone")
            message = {k: copy.deepcopy(v) for k, v in found.items() if k not in ("channel", "reactions")}
            target = ResponseTarget(user=user, channel=channel, message_ts=ts)
            return list(found.get("blocks") or []), message, None, target, False
        raise PlaygroundError("a click needs a message, an ephemeral or a view")

    def dismiss(self, user: str, *, ephemeral_id: str) -> None:
        """ "Dismiss message" under an ephemeral: it goes, for its reader only (Baton is not told, as in Slack)."""
        self.session.workspace.dismiss(user, ephemeral_id)

    def react(self, user: str, *, channel: str, ts: str, name: str) -> bool:
        """An emoji reaction: shown on the message, and Baton gets reaction_added (once per person and emoji)."""
        self._channel(user, channel)
        if not re.fullmatch(r"[a-z0-9_+\-]{1,64}", name):
            raise PlaygroundError(f"{name!r} is not an emoji name")
        session = self.session
        workspace = session.workspace
        message = workspace.find_message(channel, ts)
        if message is None:
            raise PlaygroundError("that message is gone")
        added = workspace.add_reaction(user, channel, ts, name)
        if not added:
            return False
        if "reaction_added" in self.events:
            event = payloads.reaction_added(
                name,
                user_id=user,
                channel=channel,
                ts=ts,
                item_user=str(message.get("user") or ""),
                event_ts=f"{session.clock.now().timestamp():.6f}",
            )
            reply = session.courier.event(event)
            if reply.status != 200:
                log.warning("playground.event_refused", extra={"status": reply.status})
        return True

    def submit(self, user: str, *, view_id: str, values: Mapping[str, Any], page: str | None = None) -> str | None:
        """The modal's submit button: Baton gets view_submission; returns an error to show above the form."""
        person = self.person(user)
        session = self.session
        workspace = session.workspace
        top = workspace.top_modal(user)
        if top is None or top[0]["id"] != view_id:
            raise PlaygroundError("that modal is not open for this person")
        view = top[0]
        state, missing = view_state(view, values)
        if missing:
            workspace.show_errors(user, missing)
            return None
        view["state"] = {"values": state}
        payload = payloads.view_submission(
            view, team=TEAM, user_id=user, user_name=person.name, trigger_id=workspace.new_trigger(user, page=page)
        )
        reply = session.courier.interaction(payload)
        if reply.status != 200:
            return "We had some trouble connecting. Try again?"
        answer = reply.json() or {}
        action = answer.get("response_action")
        if action == "errors" and isinstance(answer.get("errors"), dict):
            workspace.show_errors(user, answer["errors"])
        elif action == "update" and isinstance(answer.get("view"), dict):
            workspace.update_view(view_id, answer["view"])
        elif action == "push" and isinstance(answer.get("view"), dict):
            workspace.push_view(user, answer["view"])
        else:
            workspace.close_modal(user, everything=action == "clear")
        return None

    def close(self, user: str, *, view_id: str) -> None:
        """The modal's Cancel (or ×): closes the top view; Baton hears of it only with notify_on_close."""
        person = self.person(user)
        session = self.session
        top = session.workspace.top_modal(user)
        if top is None or top[0]["id"] != view_id:
            return
        session.workspace.close_modal(user, everything=False)
        if top[0].get("notify_on_close"):
            session.courier.interaction(payloads.view_closed(top[0], team=TEAM, user_id=user, user_name=person.name))

    def open_home(self, user: str) -> None:
        """The Home tab was opened: Baton gets app_home_opened (with the view Slack shows, once published)."""
        self.person(user)
        session = self.session
        workspace = session.workspace
        view_id = workspace.home_views.get(user)
        view = copy.deepcopy(workspace.views[view_id]) if view_id else None
        if "app_home_opened" in self.events:
            event = payloads.app_home_opened(user, view=view, event_ts=f"{session.clock.now().timestamp():.6f}")
            session.courier.event(event)

    def shortcut(self, user: str, *, callback_id: str, channel: str, ts: str, page: str | None = None) -> None:
        """A message shortcut ("Create task from message") on someone's message."""
        person = self.person(user)
        if callback_id not in self.shortcuts:
            raise PlaygroundError(f"no shortcut {callback_id!r}")
        channel_name = self._channel(user, channel)
        session = self.session
        workspace = session.workspace
        found = workspace.find_message(channel, ts)
        if found is None:
            raise PlaygroundError("that message is gone")
        message = {k: copy.deepcopy(v) for k, v in found.items() if k not in ("channel", "reactions")}
        payload = payloads.message_action(
            callback_id,
            team=TEAM,
            user_id=user,
            user_name=person.name,
            channel=(channel, channel_name),
            message=message,
            trigger_id=workspace.new_trigger(user, page=page),
            response_url=workspace.new_response_url(ResponseTarget(user=user, channel=channel)),
        )
        reply = session.courier.interaction(payload)
        if reply.status != 200:
            self._dispatch_failed(workspace, channel, user, "That shortcut", reply)
