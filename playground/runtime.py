"""The playground process: Baton built by create_app and served for real, the workspace it talks to, the clock.

What a person does on the page arrives here (`send`, `click`, `react`, `submit`, ...) and leaves as the
signed request Slack would send to Baton's /slack/events; what Baton does comes back through the Web
API of the Slack stand-in (`workspace.py`, playground.slack). The clock only moves when asked, and each
step of a fast-forward runs a pass.
"""

from __future__ import annotations

import copy
import logging
import re
import secrets
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr

from bot.app import Baton, create_app
from bot.config import Settings
from bot.domain.errors import UserError
from bot.server import make_wsgi_app
from handlers.manifest import build_manifest
from playground import demo
from playground.clock import PlaygroundClock
from playground.courier import BatonReply, Courier
from playground.demo import Person
from playground.httpd import RunningServer, WsgiApp, start_server
from playground.slack import payloads
from playground.slack.records import ResponseTarget
from playground.workspace import TEAM, Workspace

log = logging.getLogger(__name__)

STEP = timedelta(minutes=15)  # a fast-forward runs a pass at every quarter hour it crosses, and at the target
HELD_BACK_SECONDS = 10  # seconds of held-back messages sent right after each pass
MAX_FORWARD = timedelta(days=14)
MAX_NAME = 40
MAX_STATUS_TEXT = 100  # Slack's limit for a status text
DEMO_START_HOUR = 9  # the demo starts at 09:00 on a weekday in the manager's zone
HOLIDAY_HOUR = 10  # "Next holiday" jumps to this hour of the holiday, when a check-in would go out
WELCOME = "Morning team! Baton now follows up on our tasks here: try `/task @Alice Call the customer back by tomorrow`."
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


class PlaygroundError(Exception):
    """Something the page asked for that cannot be done; the message says why, in one line."""


class NotRunning(RuntimeError):
    """No demo is running: before `start()` has built one, or after `stop()`."""


@dataclass(frozen=True)
class Forwarded:
    """What a fast-forward did: from and to (UTC), passes run and messages sent."""

    start: datetime
    end: datetime
    passes: int
    sent: int


@dataclass(frozen=True)
class Holiday:
    """The next public holiday in someone's calendar, as Baton reads it, and the moment the clock jumps to."""

    day: date
    name: str
    calendar: str
    at: datetime  # HOLIDAY_HOUR that day in the person's zone, UTC


@dataclass
class _Session:
    """One demo run between two resets: its clock, workspace, database and Baton."""

    clock: PlaygroundClock
    workspace: Workspace
    baton: Baton
    baton_server: RunningServer
    courier: Courier
    database: Path


def slack_escape(text: str, *, people: Mapping[str, Person]) -> str:
    """Text as Slack hands it to an app (should_escape): &, < and > escaped, @Name and #support as links
    (not inside `code`, where Slack leaves them as typed)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    by_name = sorted(people.values(), key=lambda p: len(p.name), reverse=True)
    parts = escaped.split("`")
    for index in range(0, len(parts), 2):  # the even parts are outside backticks
        part = parts[index]
        for person in by_name:
            pattern = re.compile(r"(?<![\w<])@" + re.escape(person.name) + r"\b", re.IGNORECASE)
            part = pattern.sub(f"<@{person.id}|{person.name.lower()}>", part)
        channel = re.compile(r"(?<![\w<])#" + demo.CHANNEL_NAME + r"\b")
        parts[index] = channel.sub(f"<#{demo.CHANNEL_ID}|{demo.CHANNEL_NAME}>", part)
    return "`".join(parts)


def parse_status(row: Mapping[str, Any], *, tz: str, now: datetime) -> tuple[str, str, int]:
    """A people row's Slack status: (emoji as `:code:`, text, expiration in Unix seconds or 0).

    `status_emoji` is an emoji code with or without colons; `status_until` an optional local date and time
    (`2026-03-06T17:00`) in the person's own zone, after `now`. No emoji and no text clear the status.
    """
    code = str(row.get("status_emoji") or "").strip().strip(":")
    if code and not re.fullmatch(r"[a-z0-9_+\-']{1,64}", code):
        raise PlaygroundError(f"{code!r} is not an emoji code such as palm_tree")
    text = " ".join(str(row.get("status_text") or "").split())
    if len(text) > MAX_STATUS_TEXT:
        raise PlaygroundError(f"a status text has at most {MAX_STATUS_TEXT} characters")
    if not code and not text:
        return "", "", 0
    until = str(row.get("status_until") or "").strip()
    if not until:
        return (f":{code}:" if code else ""), text, 0
    try:
        local = datetime.fromisoformat(until)
    except ValueError:
        raise PlaygroundError(f"{until!r} is not a date and time such as 2026-03-06T17:00") from None
    moment = (local if local.tzinfo else local.replace(tzinfo=ZoneInfo(tz))).astimezone(UTC)
    if moment <= now:
        raise PlaygroundError(f"a status that clears at {until} would be gone already; pick a later time")
    return (f":{code}:" if code else ""), text, int(moment.timestamp())


def parse_people(rows: Iterable[Mapping[str, Any]], *, current: Sequence[Person], now: datetime) -> list[Person]:
    """The people panel's rows (id, name, tz, and optionally status_emoji, status_text, status_until) checked:
    known ids, a name, a real IANA zone, a status Slack would take. A row without status fields keeps the
    person's status; the people keep their order (the first is the manager). `now` is the demo's time."""
    known = {p.id: p for p in current}
    found: dict[str, Person] = {}
    for row in rows:
        person = known.get(str(row.get("id") or ""))
        if person is None:
            raise PlaygroundError(f"unknown person {row.get('id')!r}")
        name = " ".join(str(row.get("name") or "").split())
        if not name or len(name) > MAX_NAME or not re.fullmatch(r"[\w .'-]+", name):
            raise PlaygroundError(f"a name needs 1-{MAX_NAME} letters, digits, spaces, . ' or -; got {name!r}")
        tz = str(row.get("tz") or "").strip()
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise PlaygroundError(f"{tz!r} is not a time zone; use an IANA name such as Europe/Berlin") from None
        person = replace(person, name=name, tz=tz)
        if any(key in row for key in ("status_emoji", "status_text", "status_until")):
            emoji, text, expiration = parse_status(row, tz=tz, now=now)
            person = replace(person, status_emoji=emoji, status_text=text, status_expiration=expiration)
        found[person.id] = person
    if set(found) != set(known):
        raise PlaygroundError("every person needs a row")
    people = [found[p.id] for p in current]
    if len({p.name.lower() for p in people}) != len(people):
        raise PlaygroundError("two people cannot have the same name")
    return people


def demo_start(now: datetime, tz: str) -> datetime:
    """Where a demo's clock starts: 09:00 in `tz` today if `now` (the real time) falls on a weekday there,
    else on the next Monday, so the story of a morning plays out on working days, whatever day it is."""
    zone = ZoneInfo(tz)
    day = now.astimezone(zone).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(DEMO_START_HOUR), tzinfo=zone).astimezone(UTC)


def _option_text(option: Mapping[str, Any]) -> str:
    text = option.get("text")
    return str(text.get("text", "")) if isinstance(text, Mapping) else ""


def _options_of(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = [dict(o) for o in element.get("options") or []]
    for group in element.get("option_groups") or []:
        found.extend(dict(o) for o in group.get("options") or [])
    return found


def element_state(element: Mapping[str, Any], raw: Any) -> dict[str, Any]:
    """One input's entry in view.state.values, from what the page's form control held."""
    kind = str(element.get("type") or "")
    values = [str(v) for v in raw] if isinstance(raw, list) else ([] if raw in (None, "") else [str(raw)])
    first = values[0] if values else None
    options = {str(o.get("value")): o for o in _options_of(element)}
    if kind in ("static_select", "radio_buttons"):
        return {"type": kind, "selected_option": copy.deepcopy(options.get(first or ""))}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": [copy.deepcopy(options[v]) for v in values if v in options]}
    if kind == "multi_static_select":
        return {"type": kind, "selected_options": [copy.deepcopy(options[v]) for v in values if v in options]}
    if kind == "users_select":
        return {"type": kind, "selected_user": first}
    if kind == "multi_users_select":
        return {"type": kind, "selected_users": values}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": first}
    if kind == "channels_select":
        return {"type": kind, "selected_channel": first}
    if kind == "datepicker":
        return {"type": kind, "selected_date": first}
    if kind == "timepicker":
        return {"type": kind, "selected_time": first}
    return {"type": kind or "plain_text_input", "value": first}


def _is_empty(state: Mapping[str, Any]) -> bool:
    return all(v in (None, "", []) for k, v in state.items() if k != "type")


def view_state(view: Mapping[str, Any], submitted: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """view.state.values for a submission, and the errors Slack itself shows for empty required inputs."""
    values: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for block in view.get("blocks") or []:
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, Mapping):
            continue
        block_id, action_id = str(block["block_id"]), str(element["action_id"])
        state = element_state(element, submitted.get(f"{block_id}/{action_id}"))
        values[block_id] = {action_id: state}
        if not block.get("optional") and _is_empty(state):
            missing[block_id] = "Please complete this required field."
    return values, missing


def _find_element(blocks: Any, *, action_id: str, block_id: str | None) -> dict[str, Any] | None:
    """The interactive element a click names, if the blocks really hold it."""
    for index, block in enumerate(blocks or []):
        if not isinstance(block, dict):
            continue
        found_block_id = str(block.get("block_id") or f"b{index}")  # the renderer's ids for blocks without one
        if block_id and found_block_id != block_id:
            continue
        candidates = list(block.get("elements") or [])
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                candidates.append(block[key])
        for position, element in enumerate(candidates):
            if isinstance(element, dict) and str(element.get("action_id") or f"a{position}") == action_id:
                return {**element, "action_id": action_id, "block_id": found_block_id}
    return None


def next_weekday_at(now: datetime, tz: str, *, hour: int, weekday: int | None = None) -> datetime:
    """The next moment after `now` that is `hour`:00 in `tz` on a weekday (Mon-Fri), or on `weekday` (0=Mon)."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    day = local.date()
    for _ in range(15):
        candidate = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
        fits = candidate.weekday() < 5 if weekday is None else candidate.weekday() == weekday
        if fits and candidate > local:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise PlaygroundError("no such moment in the next two weeks")  # unreachable for real zones


class Playground:
    """Baton plus everything that plays Slack's part; `start()` serves the page, `stop()` ends it all."""

    def __init__(
        self,
        *,
        page_app: Callable[[Playground], WsgiApp],
        host: str = "127.0.0.1",
        port: int = 3000,
        start_at: datetime | None = None,
        people: Sequence[Person] = demo.DEMO_PEOPLE,
        wall_clock: Callable[[], datetime] | None = None,
    ) -> None:
        """`page_app` builds the page served for this playground (see playground.app); `start_at` fixes where
        every demo's clock starts (tests, screenshots); without it each start and reset begins at `demo_start`
        of the real time (`wall_clock`, the system's by default)."""
        if start_at is not None and start_at.tzinfo is None:
            raise ValueError("start_at must be aware")
        self._page_app = page_app
        self._host = host
        self._port = port
        self._start_at = start_at
        self._wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self.people: list[Person] = list(people)
        self._dir = Path(tempfile.mkdtemp(prefix="baton-playground-"))
        self._template: Path | None = None
        self._lock = threading.RLock()  # guards swapping sessions
        self._forward_lock = threading.Lock()  # one fast-forward at a time
        self._session: _Session | None = None
        self._page: RunningServer | None = None
        self._resets = 0
        self.forwarding = False
        manifest = build_manifest(request_url="http://127.0.0.1/slack/events")
        features = manifest["features"]
        self.commands: dict[str, str] = {c["command"]: c.get("usage_hint", "") for c in features["slash_commands"]}
        self.shortcuts: dict[str, str] = {s["callback_id"]: s["name"] for s in features.get("shortcuts") or []}
        self.events = frozenset(manifest["settings"]["event_subscriptions"]["bot_events"])

    # -- lifecycle -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The page's address, e.g. http://127.0.0.1:3000/."""
        if self._page is None:
            raise RuntimeError("the playground is not started")
        return f"http://{self._host}:{self._page.port}/"

    def start(self) -> Playground:
        """Serve the page, then build a fresh demo (OSError when the port is taken)."""
        self._page = start_server(self._page_app(self), host=self._host, port=self._port, name="playground-page")
        try:
            self.reset()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the page and Baton, and delete the playground's databases."""
        with self._lock:
            session = self._session
        if session is not None:
            self._end(session)  # deliveries in flight still reach its workspace
            with self._lock:
                self._session = None
            self._wake(session)
        if self._page is not None:
            self._page.stop()
            self._page = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Playground:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def session(self) -> _Session:
        with self._lock:
            if self._session is None:
                raise NotRunning("the playground is not running")
            return self._session

    @property
    def workspace(self) -> Workspace:
        return self.session.workspace

    @property
    def clock(self) -> PlaygroundClock:
        return self.session.clock

    def reset(self) -> None:
        """Start again: an empty database, no messages, the clock at the start time, #support set up by Maya."""
        with self._forward_lock:
            fresh = self._build()
            with self._lock:
                old = self._session
            if old is not None:
                self._end(old)  # its deliveries in flight still reach its own workspace
            with self._lock:
                self._session = fresh
            if old is not None:
                self._wake(old)
        self._seed()

    def set_people(self, rows: Iterable[Mapping[str, Any]]) -> bool:
        """The People dialog. New names or time zones restart the demo (Baton keeps those for a day), and
        True says so. Otherwise each changed Slack status is what users.info answers from now on, and Baton
        hears of it as from Slack: a signed `user_change` event carrying the person's users.info object."""
        session = self.session
        people = parse_people(rows, current=self.people, now=session.clock.now())
        before = {p.id: p for p in self.people}
        if any((p.name, p.tz) != (before[p.id].name, before[p.id].tz) for p in people):
            self.people = people
            self.reset()
            return True
        changed = [p.id for p in people if p != before[p.id]]
        self.people = people
        session.workspace.set_people(people)
        for user_id in changed:
            self._user_changed(session, user_id)
        return False

    def _user_changed(self, session: _Session, user_id: str) -> None:
        if "user_change" not in self.events:
            return
        event = payloads.user_change(
            session.workspace.user_json(user_id), event_ts=f"{session.clock.now().timestamp():.6f}"
        )
        reply = session.courier.event(event)
        if reply.status != 200:
            log.warning("playground.event_refused", extra={"status": reply.status})

    def _build(self) -> _Session:
        from storage.migrate import upgrade

        if self._template is None:
            self._template = self._dir / "template.db"
            upgrade(f"sqlite:///{self._template}")
        self._resets += 1
        database = self._dir / f"playground-{self._resets}.db"
        shutil.copyfile(self._template, database)
        start = self._start_at or demo_start(self._wall_clock(), self.people[0].tz)
        clock = PlaygroundClock(start)
        token = "xoxb-playground-" + secrets.token_hex(12)
        secret = secrets.token_hex(16)
        workspace = Workspace(token=token, clock=clock, people=self.people, page_url=self.url)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=SecretStr(token),
            slack_signing_secret=SecretStr(secret),
            slack_app_token=None,
            slack_client_id=None,
            slack_client_secret=None,
            baton_encryption_key=None,
            slack_api_url=self.url + "api/",
            database_url=f"sqlite:///{database}",
        )
        baton = create_app(settings, clock=clock)
        server = start_server(make_wsgi_app(baton), host="127.0.0.1", port=0, name="playground-baton")
        events_url = f"http://127.0.0.1:{server.port}/slack/events"
        return _Session(
            clock, workspace, baton, server, Courier(events_url=events_url, signing_secret=secret, team=TEAM), database
        )

    @staticmethod
    def _wake(session: _Session) -> None:
        session.workspace.changed()  # pages long-polling the old workspace come back and see the new one

    @staticmethod
    def _end(session: _Session) -> None:
        session.baton_server.stop()
        session.baton.close()
        session.database.unlink(missing_ok=True)

    def _seed(self) -> None:
        """What Maya does first: `/team setup` in #support, a few skills for each agent (so `/task suggest`
        has something to go on), and a welcome; through the same commands anyone types."""
        manager = self.people[0]
        self.send(manager.id, demo.CHANNEL_ID, "/team setup")
        for user_id, skills in demo.DEMO_SKILLS:
            self.send(manager.id, demo.CHANNEL_ID, f"/team skills @{self.person(user_id).name} {skills}")
        self.send(manager.id, demo.CHANNEL_ID, WELCOME)

    # -- what people do on the page ------------------------------------------------------------------

    def person(self, user_id: str) -> Person:
        for person in self.people:
            if person.id == user_id:
                return person
        raise PlaygroundError(f"unknown person {user_id!r}")

    def _channel(self, user: str, channel: str) -> str:
        """The conversation's name, after checking that `user` may see it."""
        name = self.workspace.channels().get(channel)
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
            element = _find_element(blocks, action_id=action_id, block_id=block_id)
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
                chosen = next((o for o in _options_of(element) if str(o.get("value")) == value), None)
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
        workspace = self.workspace
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

    # -- the clock -----------------------------------------------------------------------------------

    def target_for(self, preset: str, *, tz: str) -> datetime:
        """The moment a clock-bar button means, in the viewer's zone."""
        now = self.clock.now()
        if preset == "hour":
            return now + timedelta(hours=1)
        if preset == "day":
            return now + timedelta(days=1)
        if preset == "weekday10":
            return next_weekday_at(now, tz, hour=10)
        if preset == "friday16":
            return next_weekday_at(now, tz, hour=16, weekday=4)
        raise PlaygroundError(f"unknown clock button {preset!r}")

    def next_holiday(self, user: str) -> Holiday:
        """The next public holiday of `user`'s calendar, read from Baton's own state: their `/task holidays`,
        else their team's, at HOLIDAY_HOUR in their zone, after now and within MAX_FORWARD. Otherwise a
        PlaygroundError that says why in one line."""
        person = self.person(user)
        session = self.session
        services = session.baton.services
        try:
            mine = services.availability.time_of(demo.TEAM_ID, user)
            code = mine.calendar or next(iter(mine.team_calendars), None)
            upcoming = mine.upcoming_holidays
            if code is None:  # no task of theirs in a team yet: the team they are in, #support
                team = services.teams.calendar(demo.TEAM_ID, demo.CHANNEL_ID)
                code, upcoming = team.code, team.upcoming
        except UserError as error:
            raise PlaygroundError(error.reply) from None
        if code is None:
            manager = self.people[0].name
            raise PlaygroundError(
                f"{person.name} has no public-holiday calendar: /task holidays US (as {person.name}) sets their "
                f"own, /team holidays US (as {manager}, in #{demo.CHANNEL_NAME}) the team's."
            )
        now = session.clock.now()
        zone = ZoneInfo(person.tz)
        for day, name in upcoming:
            moment = datetime.combine(day, time(HOLIDAY_HOUR), tzinfo=zone).astimezone(UTC)
            if moment <= now:
                continue
            if moment - now > MAX_FORWARD:
                raise PlaygroundError(
                    f"{person.name}'s next public holiday ({code}) is {name} on {day:%a} {day.day} {day:%b}, "
                    "more than 14 days away: move the clock closer first (at most 14 days at once)."
                )
            return Holiday(day=day, name=name, calendar=code, at=moment)
        raise PlaygroundError(f"No public holiday in {person.name}'s calendar ({code}) in the next 60 days.")

    @staticmethod
    def _send_held_back(session: Any) -> int:
        """Baton sends one message a second per conversation and leaves the rest for a second later; with
        the clock standing still between steps they would wait for the next quarter hour. Let the seconds
        pass (a few at most) so a person's second message arrives with the first, as it would in Slack.
        The clock stays those seconds on: it never goes back."""
        sent = 0
        for _ in range(HELD_BACK_SECONDS):
            wait = session.baton.delivery.next_due_in()
            if wait is None or not 0 < wait <= HELD_BACK_SECONDS:
                break
            session.clock.set(session.clock.now() + timedelta(seconds=wait))
            sent += session.baton.delivery.deliver().sent
        return sent

    def fast_forward(self, target: datetime) -> Forwarded:
        """Move the clock to `target`, running a pass at each quarter hour on the way and at `target`."""
        if target.tzinfo is None:
            raise PlaygroundError("the target time needs a time zone")
        with self._forward_lock:
            session = self.session
            clock = session.clock
            start = clock.now()
            if target <= start:
                raise PlaygroundError("time only moves forward here; pick a later time (or Reset)")
            if target - start > MAX_FORWARD:
                raise PlaygroundError("fast-forward at most 14 days at once")
            self.forwarding = True
            passes = sent = 0
            try:
                step = datetime.fromtimestamp(
                    (int(start.timestamp()) // int(STEP.total_seconds()) + 1) * STEP.total_seconds(), UTC
                )
                while True:
                    moment = min(step, target)
                    clock.set(moment)
                    summary = session.baton.run_pass()
                    passes += 1
                    sent += summary.sent + self._send_held_back(session)
                    session.workspace.changed()
                    if moment >= target:
                        break
                    step += STEP
            finally:
                self.forwarding = False
                session.workspace.changed()
            return Forwarded(start=start, end=target, passes=passes, sent=sent)
