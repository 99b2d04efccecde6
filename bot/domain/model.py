"""Values that flow between Baton's layers: enums and frozen read models, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.domain.payloads import Payload


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def weight(self) -> int:
        """Load weight: how much of a person's attention a task of this priority takes."""
        return {"low": 1, "normal": 2, "high": 3, "urgent": 4}[self.value]


class ListScope(StrEnum):
    """Which open tasks a listing shows: the caller's, those they delegated, a team's, the overdue, a person's."""

    MINE = "mine"
    DELEGATED = "delegated"
    TEAM = "team"
    OVERDUE = "overdue"
    USER = "user"


class TaskStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (TaskStatus.DONE, TaskStatus.CANCELLED)

    @property
    def is_active(self) -> bool:
        """Active tasks get check-ins and warnings: not answered yet or accepted."""
        return self in (TaskStatus.OPEN, TaskStatus.ACCEPTED)


class TaskAction(StrEnum):
    """What happened to a task, as kept in its history."""

    CREATED = "created"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DONE = "done"
    REASSIGNED = "reassigned"
    DUE_CHANGED = "due_changed"
    CANCELLED = "cancelled"
    CHECKIN_ON_TRACK = "checkin_on_track"
    CHECKIN_BLOCKED = "checkin_blocked"
    CHECKIN_SNOOZED = "checkin_snoozed"


class OutboxKind(StrEnum):
    """Every message Baton sends on its own is one outbox row of one of these kinds."""

    ASSIGNMENT = "assignment"  # DM to the assignee with Accept / Decline
    ACCEPTED = "accepted"  # to the delegator
    DECLINED = "declined"  # to the delegator, with the reason
    UNASSIGNED = "unassigned"  # to the previous assignee after a reassign
    DUE_CHANGED = "due_changed"  # to the assignee
    CANCELLED = "cancelled"  # to the assignee
    CELEBRATION = "celebration"  # to the team channel
    KUDOS = "kudos"  # to the team channel or where it was typed
    CHECKIN = "checkin"  # DM to the assignee
    WARNING = "warning"  # DM to the assignee, 24 h / 1 h before due
    DIGEST = "digest"  # DM to a manager, Monday 09:00 their time
    OVERDUE = "overdue"  # to the assignee and the delegator
    BLOCKED = "blocked"  # to the delegator
    RECOGNITION = "recognition"  # weekly, to the team channel
    AWAY_FLAG = "away_flag"  # to the delegator: a deadline falls inside the assignee's time off
    ESCALATION = "escalation"  # to the team's managers: a task's last check-ins went unanswered
    REMINDER = "reminder"  # to the assignee: a task still waits to be accepted or declined
    UNANSWERED = "unanswered"  # to the delegator: the assignee has not accepted or declined a working day later
    REFRESH = "refresh"  # not a message: draw a message Baton sent again (chat.update) as its tasks now stand

    @property
    def is_scheduled_dm(self) -> bool:
        """Sent by the scheduler to a person: held to their working time (CONTRACT, People's time)."""
        return self in _SCHEDULED_DMS

    @property
    def is_bundled(self) -> bool:
        """Goes out with everything else the scheduler has for the same person at one pass, in one DM."""
        return self in _BUNDLED


_BUNDLED = frozenset(
    {
        OutboxKind.CHECKIN,
        OutboxKind.WARNING,
        OutboxKind.OVERDUE,
        OutboxKind.ESCALATION,
        OutboxKind.REMINDER,
        OutboxKind.UNANSWERED,
    }
)
_SCHEDULED_DMS = _BUNDLED | {OutboxKind.DIGEST}


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """Python's weekday number (Monday is 0)."""
        return list(Weekday).index(self)


WORKING_DAYS: frozenset[int] = frozenset(range(5))


@dataclass(frozen=True)
class CheckinSchedule:
    """A team's check-in days (Python weekday numbers) and wall-clock time; no days means off."""

    days: frozenset[int] = WORKING_DAYS
    at: time = time(10, 0)

    @property
    def is_off(self) -> bool:
        return not self.days


@dataclass(frozen=True)
class PersonView:
    user_id: str
    display_name: str
    tz: str
    is_admin: bool = False
    is_bot: bool = False
    is_deleted: bool = False


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor_id: str
    action: TaskAction
    detail: str = ""


@dataclass(frozen=True)
class TaskView:
    """A task as the edges see it; times are aware UTC."""

    id: int
    workspace_id: str
    number: int
    title: str
    details: str
    assignee_id: str
    delegator_id: str
    priority: Priority
    status: TaskStatus
    created_at: datetime
    due_at: datetime | None = None
    done_at: datetime | None = None
    team_id: int | None = None
    team_channel_id: str | None = None
    source_link: str | None = None
    decline_reason: str | None = None
    history: tuple[HistoryEntry, ...] = field(default=())

    @property
    def ref(self) -> str:
        """The id people type: `T-12`."""
        return f"T-{self.number}"

    def is_overdue(self, now: datetime) -> bool:
        return self.due_at is not None and not self.status.is_final and self.due_at <= now


@dataclass(frozen=True)
class TeamView:
    id: int
    workspace_id: str
    channel_id: str
    tz: str
    schedule: CheckinSchedule
    manager_ids: tuple[str, ...]
    calendar: str | None = None
    escalation_after: int = 2


@dataclass(frozen=True)
class KudosView:
    id: int
    giver_id: str
    recipient_ids: tuple[str, ...]
    message: str
    channel_id: str
    created_at: datetime


@dataclass(frozen=True)
class TeamOption:
    """A team a person can file a task under, as the New task modal lists it."""

    id: int
    channel_id: str


@dataclass(frozen=True)
class Message:
    """A Slack message as Baton builds it: fallback `text` plus Block Kit `blocks`."""

    text: str
    blocks: tuple[dict[str, Any], ...] = ()

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": list(self.blocks)}


@dataclass(frozen=True)
class Outgoing:
    """One outbox row with the facts its message needs, handed to the renderer at delivery.

    `payload` holds the kind's own facts: one dataclass per kind in `bot.domain.payloads` (`PAYLOAD_TYPES`),
    read there from the row's stored JSON; None reads as that kind's payload with every field empty.
    """

    kind: OutboxKind
    dedupe_key: str
    recipient_id: str
    task: TaskView | None = None
    payload: Payload | None = None


@dataclass(frozen=True)
class SentItem:
    """One outbox row of a message Baton sent, with its task as it stands now and the answer given to it."""

    out: Outgoing
    answer: str | None = None


@dataclass(frozen=True)
class SentMessage:
    """A message Baton sent (or is about to send) and every row it carries: one, or several for a DM that
    bundles what the scheduler had for a person at one pass."""

    items: tuple[SentItem, ...]
    channel_id: str = ""
    ts: str = ""

    @property
    def is_bundle(self) -> bool:
        return len(self.items) > 1

    @property
    def dedupe_keys(self) -> tuple[str, ...]:
        return tuple(item.out.dedupe_key for item in self.items)


@dataclass(frozen=True)
class TeamContact:
    """What opening a task needs of its team: the team, its channel and its managers."""

    id: int
    channel_id: str
    manager_ids: tuple[str, ...] = ()
    calendar: str | None = None  # its public-holiday calendar, for members without their own
