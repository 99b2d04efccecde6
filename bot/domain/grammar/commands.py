"""The values the grammars read commands into: one frozen dataclass per `/task`, `/kudos` and `/team` form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from bot.domain.hours import WorkingHours
from bot.domain.model import CheckinSchedule, ListScope, Priority
from bot.domain.recurrence import Rule

# --- /task ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OpenTaskModal:
    pass


@dataclass(frozen=True, kw_only=True)
class TaskHelp:
    pass


@dataclass(frozen=True, kw_only=True)
class ListTasks:
    scope: ListScope = ListScope.MINE
    user_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ShowTask:
    number: int


@dataclass(frozen=True, kw_only=True)
class CompleteTask:
    number: int
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class ReassignTask:
    number: int
    assignee_id: str


@dataclass(frozen=True, kw_only=True)
class ChangeDue:
    number: int
    when_text: str


@dataclass(frozen=True, kw_only=True)
class CancelTask:
    number: int
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class DelegateTask:
    assignee_id: str
    title: str
    when_text: str | None = None
    priority: Priority = Priority.NORMAL
    rule: Rule | None = None  # `every …`: a recurring task, due at each occurrence


@dataclass(frozen=True, kw_only=True)
class StopSeries:
    """`/task stop`: no more occurrences of the series task `number` belongs to."""

    number: int


@dataclass(frozen=True, kw_only=True)
class SuggestAssignee:
    """`/task suggest`: who should do the work `text` describes; `skills` were asked for with `#skill`."""

    text: str
    skills: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SetAway:
    """`/task away <from> <to>` (`user_id` None: the caller) or `/team away @user …`; `off` ends it early."""

    user_id: str | None = None
    when_text: str = ""
    off: bool = False


@dataclass(frozen=True, kw_only=True)
class ListAway:
    """`/team away`: who is away now or later."""


@dataclass(frozen=True, kw_only=True)
class ShowHours:
    """`/task hours`: the caller's working hours, holiday calendar and time off."""


@dataclass(frozen=True, kw_only=True)
class SetHours:
    """`/task hours 09:00-17:30 [days]` (or `default`)."""

    hours: WorkingHours


@dataclass(frozen=True, kw_only=True)
class SetCalendar:
    """`/task holidays JP` / `off` (the caller's own) or `/team holidays DE-BY` / `off` (the channel's team);
    `code` None: none of its own."""

    code: str | None


@dataclass(frozen=True, kw_only=True)
class ShowCalendar:
    """`/task holidays` or `/team holidays` alone: the calendar and the holidays of the next 60 days."""


@dataclass(frozen=True, kw_only=True)
class SetEscalation:
    """`/team escalation 3` / `off` (0)."""

    after: int


@dataclass(frozen=True, kw_only=True)
class ShowEscalation:
    """`/team escalation` alone."""


TaskCommand: TypeAlias = (
    OpenTaskModal
    | TaskHelp
    | ListTasks
    | ShowTask
    | CompleteTask
    | ReassignTask
    | ChangeDue
    | CancelTask
    | DelegateTask
    | SuggestAssignee
    | SetAway
    | StopSeries
    | ShowHours
    | SetHours
    | SetCalendar
    | ShowCalendar
)

# --- /kudos --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class GiveKudos:
    recipient_ids: tuple[str, ...]
    message: str


# --- /team ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SetupTeam:
    pass


@dataclass(frozen=True, kw_only=True)
class TeamHelp:
    pass


@dataclass(frozen=True, kw_only=True)
class SetCheckins:
    schedule: CheckinSchedule


@dataclass(frozen=True, kw_only=True)
class TeamReportCommand:
    days: int = 7


@dataclass(frozen=True, kw_only=True)
class SetSkills:
    """Replace a person's skills in the channel's team; no skills clears them."""

    user_id: str
    skills: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ListSkills:
    pass


@dataclass(frozen=True, kw_only=True)
class TeamPreviewCommand:
    """`/team preview [days]`: what Baton will send for the team in the next days (1-30)."""

    days: int = 7


TeamCommand: TypeAlias = (
    SetupTeam
    | TeamHelp
    | SetCheckins
    | TeamReportCommand
    | SetSkills
    | ListSkills
    | SetAway
    | ListAway
    | TeamPreviewCommand
    | SetCalendar
    | ShowCalendar
    | SetEscalation
    | ShowEscalation
)
