"""Slash commands `/task`, `/kudos` and `/team`: parse, one service call, render, answer."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.clock import Clock
from bot.domain import grammar
from bot.domain.model import Message
from bot.services import Services
from bot.services.tasks import NewTask
from handlers import ids
from handlers.blocks.away import away_ended, away_list, away_recorded
from handlers.blocks.cards import (
    help_message,
    recurring_created,
    series_stopped,
    task_created,
    task_detail,
    task_list,
    task_updated,
)
from handlers.blocks.checkins import escalation_text, schedule_text
from handlers.blocks.hours import hours_view, own_calendar_saved, team_calendar
from handlers.blocks.modals import new_task_modal
from handlers.blocks.preview import PREVIEW_LIMIT, schedule_preview
from handlers.blocks.primitives import when
from handlers.blocks.report import team_report
from handlers.blocks.skills import skills_list, skills_saved, suggestions
from handlers.listener_kit import answer, suggested_assignees, with_assignee_notes, workspace_of
from handlers.slack_replies import SlackReplies

log = logging.getLogger(__name__)


class Commands:
    def __init__(self, *, services: Services, gateway: SlackReplies, clock: Clock) -> None:
        self._services = services
        self._gateway = gateway
        self._clock = clock

    def register(self, app: App) -> None:
        app.command(ids.COMMAND_TASK)(self.on_task)
        app.command(ids.COMMAND_KUDOS)(self.on_kudos)
        app.command(ids.COMMAND_TEAM)(self.on_team)

    # /task ------------------------------------------------------------------------------------
    def on_task(self, ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        def reply(message: Message | None) -> None:
            if message is None:
                ack()  # the modal is the answer
            else:
                ack(response_type="ephemeral", **message.as_kwargs())

        answer(lambda: self._task(command, context), reply, what="command.task")

    def _task(self, command: dict[str, Any], context: BoltContext) -> Message | None:
        workspace_id = workspace_of(context, command)
        user = command["user_id"]
        channel = command.get("channel_id") or ""
        now = self._clock.now()
        parsed = grammar.parse_task(command.get("text") or "")
        tasks = self._services.tasks
        if isinstance(parsed, grammar.OpenTaskModal):
            opened = self._open_new_task_modal(
                workspace_id, channel, command.get("trigger_id") or "", response_url=command.get("response_url")
            )
            return None if opened else Message(text="Slack didn't open the form; please try again.")
        if isinstance(parsed, grammar.TaskHelp):
            return help_message(grammar.TASK_HELP)
        if isinstance(parsed, grammar.DelegateTask) and parsed.rule is not None:
            started = self._services.series.delegate(
                workspace_id,
                user,
                assignee_id=parsed.assignee_id,
                title=parsed.title,
                rule=parsed.rule,
                priority=parsed.priority,
                channel_id=channel,
            )
            return recurring_created(started.task, rule=started.series.rule, tz=started.series.tz, now=now)
        if isinstance(parsed, grammar.StopSeries):
            stopped = self._services.series.stop(workspace_id, user, number=parsed.number)
            return series_stopped(stopped.task, rule=stopped.series.rule, changed=stopped.changed)
        if isinstance(parsed, grammar.DelegateTask):
            task, facts = tasks.delegate_and_note(
                workspace_id,
                user,
                NewTask(
                    assignee_id=parsed.assignee_id,
                    title=parsed.title,
                    when_text=parsed.when_text,
                    priority=parsed.priority,
                    channel_id=channel,
                ),
            )
            return with_assignee_notes(
                self._services, workspace_id, task, task_created(task, now=now), what=ids.COMMAND_TASK, facts=facts
            )
        if isinstance(parsed, grammar.SetAway):
            return self._away(workspace_id, user, channel, parsed)
        if isinstance(parsed, grammar.ListTasks):
            return self._list(workspace_id, user, channel, parsed)
        if isinstance(parsed, grammar.ShowTask):
            return task_detail(tasks.show(workspace_id, number=parsed.number), now=now)
        if isinstance(parsed, grammar.CompleteTask):
            done = tasks.complete(workspace_id, user, number=parsed.number, note=parsed.note)
            verb = "is done. 🎉" if done.changed else "was already done; nothing changed."
            return task_updated(done.task, verb=verb, now=now)
        if isinstance(parsed, grammar.ReassignTask):
            moved = tasks.reassign(workspace_id, user, number=parsed.number, assignee_id=parsed.assignee_id)
            updated = task_updated(moved.task, verb=f"is now assigned to <@{moved.task.assignee_id}>.", now=now)
            return with_assignee_notes(self._services, workspace_id, moved.task, updated, what=ids.COMMAND_TASK)
        if isinstance(parsed, grammar.ChangeDue):
            due = tasks.change_due(workspace_id, user, number=parsed.number, when_text=parsed.when_text)
            verb = "is now due " if due.changed else "was already due "
            updated = task_updated(due.task, verb=verb + when(due.task.due_at) + ".", now=now)
            return with_assignee_notes(self._services, workspace_id, due.task, updated, what=ids.COMMAND_TASK)
        if isinstance(parsed, grammar.SuggestAssignee):
            found = self._services.skills.suggest(workspace_id, user, channel, text=parsed.text, skills=parsed.skills)
            return suggestions(
                found.suggestions,
                text=parsed.text,
                wanted=found.wanted,
                unmatched=found.unmatched,
                channel_ids=found.channel_ids,
            )
        if isinstance(parsed, grammar.ShowHours):
            return hours_view(self._services.availability.time_of(workspace_id, user), now=now)
        if isinstance(parsed, grammar.SetHours):
            shown = self._services.availability.set_hours(workspace_id, user, parsed.hours)
            return hours_view(shown, now=now, saved=True)
        if isinstance(parsed, grammar.SetCalendar):
            shown = self._services.availability.set_calendar(workspace_id, user, parsed.code)
            return own_calendar_saved(shown, now=now)
        if isinstance(parsed, grammar.ShowCalendar):
            return hours_view(self._services.availability.time_of(workspace_id, user), now=now)
        if isinstance(parsed, grammar.CancelTask):
            gone = tasks.cancel(workspace_id, user, number=parsed.number, reason=parsed.reason)
            verb = "is cancelled." if gone.changed else "was already cancelled; nothing changed."
            return task_updated(gone.task, verb=verb, now=now)
        raise AssertionError(f"unhandled /task command {parsed!r}")

    def _away(self, workspace_id: str, user: str, channel: str, parsed: grammar.SetAway) -> Message:
        target = parsed.user_id or user
        own = target == user
        if parsed.off:
            changed = self._services.time_off.end_away(workspace_id, user, user_id=target, channel_id=channel)
            return away_ended(target, changed=changed, own=own)
        recorded = self._services.time_off.set_away(
            workspace_id, user, user_id=target, text=parsed.when_text, channel_id=channel
        )
        period = recorded.period
        return away_recorded(
            target, starts_at=period.starts_at, ends_at=period.ends_at, flagged=recorded.flagged, own=own
        )

    def _list(self, workspace_id: str, user: str, channel: str, parsed: grammar.ListTasks) -> Message:
        scope = parsed.scope
        found = self._services.tasks.list_tasks(
            workspace_id, user, scope=scope, channel_id=channel, user_id=parsed.user_id
        )
        headings = {
            grammar.ListScope.MINE: ("Your open tasks", "You have no open tasks. 🎉"),
            grammar.ListScope.DELEGATED: ("Tasks you delegated", "Nothing you delegated is open."),
            grammar.ListScope.TEAM: (f"Open tasks of <#{channel}>", "This team has no open tasks."),
            grammar.ListScope.OVERDUE: ("Overdue tasks", "Nothing is overdue. 👏"),
            grammar.ListScope.USER: (
                f"Open tasks of <@{parsed.user_id}>",
                f"<@{parsed.user_id}> has no open tasks.",
            ),
        }
        heading, empty = headings[scope]
        if not found and scope is grammar.ListScope.MINE:
            empty = self._elsewhere(workspace_id, user, empty)
        return task_list(found, heading=heading, now=self._clock.now(), empty=empty)

    def _elsewhere(self, workspace_id: str, user: str, empty: str) -> str:
        """Nothing assigned to you: say so, and point to the lists that do have tasks (a manager's usually)."""
        _, delegated, teams = self._services.tasks.open_counts(workspace_id, user)
        pointers = []
        if delegated:
            pointers.append(f"{delegated} you delegated: `/task list delegated`")
        if teams:
            pointers.append(f"{teams} in your teams: `/task list team` in a team channel")
        return "You have no open tasks." + (f" Open: {'; '.join(pointers)}." if pointers else " 🎉")

    def _open_new_task_modal(
        self, workspace_id: str, channel: str, trigger_id: str, *, response_url: str | None
    ) -> bool:
        team = self._services.teams.by_channel(workspace_id, channel) if channel else None
        view = new_task_modal(
            teams=self._services.teams.options(workspace_id),
            team_id=team.id if team else None,
            private_metadata=json.dumps({"channel_id": channel, "response_url": response_url}),
            suggested=suggested_assignees(self._services, workspace_id, team.id if team else None),
        )
        return self._gateway.open_view(workspace_id, trigger_id, view)

    # /kudos -----------------------------------------------------------------------------------
    def on_kudos(self, ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        def reply(message: Message | None) -> None:
            ack(response_type="ephemeral", **(message or Message(text="")).as_kwargs())

        answer(lambda: self._kudos(command, context), reply, what="command.kudos")

    def _kudos(self, command: dict[str, Any], context: BoltContext) -> Message:
        workspace_id = workspace_of(context, command)
        parsed = grammar.parse_kudos(command.get("text") or "")
        self._services.kudos.give(
            workspace_id,
            command["user_id"],
            channel_id=command.get("channel_id") or "",
            recipient_ids=parsed.recipient_ids,
            message=parsed.message,
        )
        names = ", ".join(f"<@{u}>" for u in parsed.recipient_ids)
        return Message(text=f"👏 Kudos to {names} sent. They count toward this week's recognition.")

    # /team ------------------------------------------------------------------------------------
    def on_team(self, ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        def reply(message: Message | None) -> None:
            ack(response_type="ephemeral", **(message or Message(text="")).as_kwargs())

        answer(lambda: self._team(command, context), reply, what="command.team")

    def _team(self, command: dict[str, Any], context: BoltContext) -> Message:
        workspace_id = workspace_of(context, command)
        user = command["user_id"]
        channel = command.get("channel_id") or ""
        parsed = grammar.parse_team(command.get("text") or "")
        if isinstance(parsed, grammar.TeamHelp):
            return help_message(grammar.TEAM_HELP)
        if isinstance(parsed, grammar.SetupTeam):
            outcome = self._services.teams.setup(workspace_id, user, channel)
            if outcome.created:
                return Message(
                    text=f"<#{channel}> is now a team channel and you are its manager. Tasks created here "
                    f"belong to this team; celebrations and the weekly recognition (Friday 16:00, "
                    f"{outcome.team.tz}) are posted here. "
                    f"Check-ins go out {schedule_text(outcome.team.schedule)}."
                )
            if outcome.added_manager:
                return Message(text=f"You are now a manager of <#{channel}>.")
            return Message(text=f"<#{channel}> is already a team channel, and you manage it.")
        if isinstance(parsed, grammar.SetSkills):
            saved = self._services.skills.set_skills(
                workspace_id, user, channel, user_id=parsed.user_id, skills=parsed.skills
            )
            return skills_saved(saved, channel_id=channel)
        if isinstance(parsed, grammar.ListSkills):
            listed = self._services.skills.list_skills(workspace_id, channel)
            return skills_list(listed.people, channel_id=listed.channel_id)
        if isinstance(parsed, grammar.SetCheckins):
            team = self._services.teams.set_checkins(workspace_id, user, channel, parsed.schedule)
            return Message(text=f"Check-ins for <#{channel}>: {schedule_text(team.schedule)}.")
        if isinstance(parsed, grammar.TeamReportCommand):
            report = self._services.reports.team_report(workspace_id, user, channel, days=parsed.days)
            return team_report(report, now=self._clock.now(), channel_id=channel)
        if isinstance(parsed, grammar.TeamPreviewCommand):
            shown = self._services.preview.team_preview(
                workspace_id, user, channel, days=parsed.days, limit=PREVIEW_LIMIT
            )
            return schedule_preview(shown, now=self._clock.now())
        if isinstance(parsed, grammar.SetAway):
            return self._away(workspace_id, user, channel, parsed)
        if isinstance(parsed, grammar.SetCalendar):
            return team_calendar(
                self._services.teams.set_calendar(workspace_id, user, channel, parsed.code), saved=True
            )
        if isinstance(parsed, grammar.ShowCalendar):
            return team_calendar(self._services.teams.calendar(workspace_id, channel))
        if isinstance(parsed, grammar.SetEscalation):
            changed = self._services.teams.set_escalation(workspace_id, user, channel, parsed.after)
            return Message(text=escalation_text(changed, saved=True))
        if isinstance(parsed, grammar.ShowEscalation):
            current = self._services.teams.by_channel(workspace_id, channel) if channel else None
            if current is None:
                return Message(text="Type `/team escalation` in a team channel (`/team setup` makes one).")
            return Message(text=escalation_text(current))
        if isinstance(parsed, grammar.ListAway):
            found = self._services.time_off.away(workspace_id)
            return away_list([(p.user_id, p.starts_at, p.ends_at) for p in found], now=self._clock.now())
        raise AssertionError(f"unhandled /team command {parsed!r}")
