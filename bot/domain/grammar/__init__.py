"""Turns `/task`, `/kudos` and `/team` text into command values, or a `BadInput` showing the right form.

Slack escapes `&`, `<` and `>` in command text and sends mentions as `<@U123>` or `<@U123|name>`
(https://api.slack.com/interactivity/slash-commands, `should_escape: true`). Mentions are taken from the
raw text first, then the rest is decoded once with `text.unescape`, so a typed "&lt;@U1&gt;" is text.
"""

from __future__ import annotations

from bot.domain.grammar.commands import (
    CancelTask,
    ChangeDue,
    CompleteTask,
    DelegateTask,
    GiveKudos,
    ListAway,
    ListSkills,
    ListTasks,
    OpenTaskModal,
    ReassignTask,
    SetAway,
    SetCalendar,
    SetCheckins,
    SetEscalation,
    SetHours,
    SetSkills,
    SetupTeam,
    ShowCalendar,
    ShowEscalation,
    ShowHours,
    ShowTask,
    StopSeries,
    SuggestAssignee,
    TaskCommand,
    TaskHelp,
    TeamCommand,
    TeamHelp,
    TeamPreviewCommand,
    TeamReportCommand,
)
from bot.domain.grammar.help import TASK_HELP, TEAM_HELP
from bot.domain.grammar.kudos import MAX_KUDOS_CHARS, parse_kudos
from bot.domain.grammar.task import parse_task
from bot.domain.grammar.team import MAX_ESCALATION, parse_team
from bot.domain.model import ListScope

__all__ = [
    "CancelTask",
    "ChangeDue",
    "CompleteTask",
    "DelegateTask",
    "GiveKudos",
    "ListAway",
    "ListScope",
    "ListSkills",
    "ListTasks",
    "MAX_ESCALATION",
    "MAX_KUDOS_CHARS",
    "OpenTaskModal",
    "ReassignTask",
    "SetAway",
    "SetCalendar",
    "SetCheckins",
    "SetEscalation",
    "SetHours",
    "SetSkills",
    "SetupTeam",
    "ShowCalendar",
    "ShowEscalation",
    "ShowHours",
    "ShowTask",
    "StopSeries",
    "SuggestAssignee",
    "TASK_HELP",
    "TEAM_HELP",
    "TaskCommand",
    "TaskHelp",
    "TeamCommand",
    "TeamHelp",
    "TeamPreviewCommand",
    "TeamReportCommand",
    "parse_kudos",
    "parse_task",
    "parse_team",
]
