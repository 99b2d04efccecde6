"""The facts each kind of outbox row carries: one frozen dataclass per `OutboxKind`, and the one place
they are turned into the JSON dict an outbox row stores and read back from it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeAlias, TypeVar

from bot.domain.model import OutboxKind

# Reading a stored dict: a missing key or a value of the wrong type reads as empty (no text, 0, no moment),
# so rows written before a key existed are still sent.


def _text(stored: Mapping[str, Any], key: str) -> str:
    value = stored.get(key)
    return "" if value is None else str(value)


def _count(stored: Mapping[str, Any], key: str) -> int:
    value = stored.get(key)
    try:
        return int(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0


def _exact_int(stored: Mapping[str, Any], key: str) -> int | None:
    """A number compared as written (a sequence number, 24 or 1 hours): anything else is none."""
    value = stored.get(key)
    return value if isinstance(value, int) else None


def _amount(stored: Mapping[str, Any], key: str) -> float:
    value = stored.get(key)
    return float(value) if isinstance(value, int | float) else 0.0


def _moment(stored: Mapping[str, Any], key: str) -> datetime | None:
    """An ISO-8601 moment; one stored without a zone is UTC."""
    value = stored.get(key)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _day(stored: Mapping[str, Any], key: str) -> date | None:
    value = stored.get(key)
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _entries(stored: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = stored.get(key)
    return [entry for entry in value if isinstance(entry, Mapping)] if isinstance(value, list | tuple) else []


def _texts(stored: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = stored.get(key)
    return tuple(str(item) for item in value) if isinstance(value, list | tuple) else ()


# --------------------------------------------------------------------------- about one task


@dataclass(frozen=True)
class AssignmentPayload:
    """The assignee's DM with Accept / Decline; `seq` is the task's assignment it was queued for."""

    seq: int | None = None

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> AssignmentPayload:
        return cls(seq=_exact_int(stored, "seq"))


@dataclass(frozen=True)
class AcceptedPayload:
    actor_id: str = ""

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> AcceptedPayload:
        return cls(actor_id=_text(stored, "actor_id"))


@dataclass(frozen=True)
class DeclinedPayload:
    actor_id: str = ""
    reason: str = ""

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> DeclinedPayload:
        return cls(actor_id=_text(stored, "actor_id"), reason=_text(stored, "reason"))


@dataclass(frozen=True)
class UnassignedPayload:
    """To the former assignee (and the delegator): who has the task now."""

    actor_id: str = ""
    new_assignee_id: str = ""

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> UnassignedPayload:
        return cls(actor_id=_text(stored, "actor_id"), new_assignee_id=_text(stored, "new_assignee_id"))


@dataclass(frozen=True)
class DueChangedPayload:
    """The deadline before and after; the notice still applies while the task is due `new_due`."""

    actor_id: str = ""
    old_due: datetime | None = None
    new_due: datetime | None = None

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> DueChangedPayload:
        return cls(
            actor_id=_text(stored, "actor_id"), old_due=_moment(stored, "old_due"), new_due=_moment(stored, "new_due")
        )


@dataclass(frozen=True)
class CancelledPayload:
    actor_id: str = ""
    reason: str = ""

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> CancelledPayload:
        return cls(actor_id=_text(stored, "actor_id"), reason=_text(stored, "reason"))


@dataclass(frozen=True)
class CelebrationPayload:
    actor_id: str = ""
    note: str = ""

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> CelebrationPayload:
        return cls(actor_id=_text(stored, "actor_id"), note=_text(stored, "note"))


@dataclass(frozen=True)
class BlockedPayload:
    reason: str = ""
    actor_id: str = ""

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> BlockedPayload:
        return cls(reason=_text(stored, "reason"), actor_id=_text(stored, "actor_id"))


@dataclass(frozen=True)
class AwayFlagPayload:
    """To the delegator: the assignee (`user_id`) is away until `ends_at` (exclusive) while the task falls due."""

    user_id: str = ""
    ends_at: datetime | None = None

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> AwayFlagPayload:
        return cls(user_id=_text(stored, "user_id"), ends_at=_moment(stored, "ends_at"))


@dataclass(frozen=True)
class CheckinPayload:
    """A check-in planned for `scheduled`, for the assignee's local `day` in their zone `tz`."""

    scheduled: datetime | None = None
    day: date | None = None
    tz: str = "UTC"

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> CheckinPayload:
        return cls(scheduled=_moment(stored, "scheduled"), day=_day(stored, "day"), tz=_text(stored, "tz") or "UTC")


@dataclass(frozen=True)
class WarningPayload:
    """A deadline warning `hours_before` (24 or 1) the deadline `due` it was planned for."""

    hours_before: int | None = None
    due: datetime | None = None
    tz: str = "UTC"

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> WarningPayload:
        return cls(
            hours_before=_exact_int(stored, "hours_before"), due=_moment(stored, "due"), tz=_text(stored, "tz") or "UTC"
        )


@dataclass(frozen=True)
class OverduePayload:
    """An overdue notice to the assignee or the delegator (`audience`), for the overdue `moment` of `due`."""

    audience: str = ""
    due: datetime | None = None
    moment: datetime | None = None
    tz: str = "UTC"

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> OverduePayload:
        return cls(
            audience=_text(stored, "audience"),
            due=_moment(stored, "due"),
            moment=_moment(stored, "moment"),
            tz=_text(stored, "tz") or "UTC",
        )


@dataclass(frozen=True)
class ReminderPayload:
    """To the assignee of a task not accepted yet, in their zone `tz`."""

    tz: str = "UTC"

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> ReminderPayload:
        return cls(tz=_text(stored, "tz") or "UTC")


@dataclass(frozen=True)
class UnansweredPayload:
    """To the delegator: the task waits for an answer `since` it was handed over."""

    since: datetime | None = None

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> UnansweredPayload:
        return cls(since=_moment(stored, "since"))


@dataclass(frozen=True)
class EscalationPayload:
    """To a manager: the last `unanswered` check-ins went unanswered, nothing heard `silent_since`."""

    silent_since: datetime | None = None
    unanswered: int = 0

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> EscalationPayload:
        return cls(silent_since=_moment(stored, "silent_since"), unanswered=_count(stored, "unanswered"))


@dataclass(frozen=True)
class RefreshPayload:
    """Not a message: the message (`channel`, `ts`) to draw again as its tasks now stand."""

    channel: str = ""
    ts: str = ""

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> RefreshPayload:
        return cls(channel=_text(stored, "channel"), ts=_text(stored, "ts"))


# --------------------------------------------------------------------------- about people and teams


@dataclass(frozen=True)
class KudosPayload:
    giver_id: str = ""
    recipient_ids: tuple[str, ...] = ()
    message: str = ""

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> KudosPayload:
        return cls(
            giver_id=_text(stored, "giver_id"),
            recipient_ids=_texts(stored, "recipient_ids"),
            message=_text(stored, "message"),
        )


@dataclass(frozen=True)
class FinishedLine:
    """Someone's finished tasks of the week: how many, how many on time, and the first titles."""

    user_id: str = ""
    count: int = 0
    on_time: int = 0
    titles: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> FinishedLine:
        return cls(
            user_id=_text(stored, "user_id"),
            count=_count(stored, "count"),
            on_time=_count(stored, "on_time"),
            titles=_texts(stored, "titles"),
        )


@dataclass(frozen=True)
class StreakLine:
    user_id: str = ""
    streak: int = 0

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> StreakLine:
        return cls(user_id=_text(stored, "user_id"), streak=_count(stored, "streak"))


@dataclass(frozen=True)
class KudosLine:
    user_id: str = ""
    count: int = 0

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> KudosLine:
        return cls(user_id=_text(stored, "user_id"), count=_count(stored, "count"))


@dataclass(frozen=True)
class RecognitionPayload:
    """A team's week: who finished what, on-time streaks and kudos received, since `since`."""

    team_channel_id: str = ""
    since: datetime | None = None
    finished: tuple[FinishedLine, ...] = ()
    streaks: tuple[StreakLine, ...] = ()
    kudos: tuple[KudosLine, ...] = ()

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> RecognitionPayload:
        return cls(
            team_channel_id=_text(stored, "team_channel_id"),
            since=_moment(stored, "since"),
            finished=tuple(FinishedLine.from_json(e) for e in _entries(stored, "finished")),
            streaks=tuple(StreakLine.from_json(e) for e in _entries(stored, "streaks")),
            kudos=tuple(KudosLine.from_json(e) for e in _entries(stored, "kudos")),
        )


@dataclass(frozen=True)
class DigestTaskLine:
    """A task in a manager's digest: overdue, or at risk for `reason`."""

    ref: str = ""
    title: str = ""
    assignee_id: str = ""
    due: datetime | None = None
    reason: str = ""

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> DigestTaskLine:
        return cls(
            ref=_text(stored, "ref"),
            title=_text(stored, "title"),
            assignee_id=_text(stored, "assignee_id"),
            due=_moment(stored, "due"),
            reason=_text(stored, "reason"),
        )


@dataclass(frozen=True)
class DigestPersonLine:
    """Someone in a manager's digest who may need support, or is to be recognised, for `reason`."""

    user_id: str = ""
    reason: str = ""

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> DigestPersonLine:
        return cls(user_id=_text(stored, "user_id"), reason=_text(stored, "reason"))


@dataclass(frozen=True)
class DigestLoadLine:
    """Someone whose open load is out of line with their team's median (`reason`: heavy or idle)."""

    user_id: str = ""
    team_channel_id: str = ""
    load: int = 0
    median: float = 0.0
    reason: str = ""

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> DigestLoadLine:
        return cls(
            user_id=_text(stored, "user_id"),
            team_channel_id=_text(stored, "team_channel_id"),
            load=_count(stored, "load"),
            median=_amount(stored, "median"),
            reason=_text(stored, "reason"),
        )


@dataclass(frozen=True)
class DigestPayload:
    """A manager's weekly digest: a few lines of each section, and each section's full count (`*_total`)."""

    since: datetime | None = None
    tz: str = ""
    overdue: tuple[DigestTaskLine, ...] = ()
    overdue_total: int = 0
    at_risk: tuple[DigestTaskLine, ...] = ()
    at_risk_total: int = 0
    imbalance: tuple[DigestLoadLine, ...] = ()
    imbalance_total: int = 0
    support: tuple[DigestPersonLine, ...] = ()
    support_total: int = 0
    recognise: tuple[DigestPersonLine, ...] = ()
    recognise_total: int = 0

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> DigestPayload:
        def tasks(key: str) -> tuple[DigestTaskLine, ...]:
            return tuple(DigestTaskLine.from_json(e) for e in _entries(stored, key))

        def people(key: str) -> tuple[DigestPersonLine, ...]:
            return tuple(DigestPersonLine.from_json(e) for e in _entries(stored, key))

        return cls(
            since=_moment(stored, "since"),
            tz=_text(stored, "tz"),
            overdue=tasks("overdue"),
            overdue_total=_count(stored, "overdue_total"),
            at_risk=tasks("at_risk"),
            at_risk_total=_count(stored, "at_risk_total"),
            imbalance=tuple(DigestLoadLine.from_json(e) for e in _entries(stored, "imbalance")),
            imbalance_total=_count(stored, "imbalance_total"),
            support=people("support"),
            support_total=_count(stored, "support_total"),
            recognise=people("recognise"),
            recognise_total=_count(stored, "recognise_total"),
        )


Payload: TypeAlias = (
    AssignmentPayload
    | AcceptedPayload
    | DeclinedPayload
    | UnassignedPayload
    | DueChangedPayload
    | CancelledPayload
    | CelebrationPayload
    | KudosPayload
    | CheckinPayload
    | WarningPayload
    | DigestPayload
    | OverduePayload
    | BlockedPayload
    | RecognitionPayload
    | AwayFlagPayload
    | EscalationPayload
    | ReminderPayload
    | UnansweredPayload
    | RefreshPayload
)

PAYLOAD_TYPES: dict[OutboxKind, type[Payload]] = {
    OutboxKind.ASSIGNMENT: AssignmentPayload,
    OutboxKind.ACCEPTED: AcceptedPayload,
    OutboxKind.DECLINED: DeclinedPayload,
    OutboxKind.UNASSIGNED: UnassignedPayload,
    OutboxKind.DUE_CHANGED: DueChangedPayload,
    OutboxKind.CANCELLED: CancelledPayload,
    OutboxKind.CELEBRATION: CelebrationPayload,
    OutboxKind.KUDOS: KudosPayload,
    OutboxKind.CHECKIN: CheckinPayload,
    OutboxKind.WARNING: WarningPayload,
    OutboxKind.DIGEST: DigestPayload,
    OutboxKind.OVERDUE: OverduePayload,
    OutboxKind.BLOCKED: BlockedPayload,
    OutboxKind.RECOGNITION: RecognitionPayload,
    OutboxKind.AWAY_FLAG: AwayFlagPayload,
    OutboxKind.ESCALATION: EscalationPayload,
    OutboxKind.REMINDER: ReminderPayload,
    OutboxKind.UNANSWERED: UnansweredPayload,
    OutboxKind.REFRESH: RefreshPayload,
}

P = TypeVar("P", bound=Payload)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def to_json(payload: Payload) -> dict[str, Any]:
    """The dict an outbox row stores: every field under its own name, moments and days as ISO-8601 text,
    lists as JSON arrays (none as null)."""
    stored = _json_value(payload)
    assert isinstance(stored, dict)
    return stored


def from_json(kind: OutboxKind, stored: Mapping[str, Any] | None) -> Payload:
    """A stored row's facts as its kind's payload; missing or mistyped keys read as empty."""
    return PAYLOAD_TYPES[kind].from_json(stored or {})


def payload_as(payload: Payload | None, expected: type[P]) -> P:
    """A row's payload as the type its kind carries; a row built without one reads as all empty."""
    if payload is None:
        return expected()
    if not isinstance(payload, expected):
        raise TypeError(f"expected {expected.__name__}, got {type(payload).__name__}")
    return payload
