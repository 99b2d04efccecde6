"""Outbox payloads: each kind's dataclass, stored as the same JSON dict rows have always held, read back the same;
rows that lack a key (written before it existed) or hold a stray one still read."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.domain.model import OutboxKind, Outgoing, TaskStatus
from bot.domain.payloads import (
    PAYLOAD_TYPES,
    AcceptedPayload,
    AssignmentPayload,
    AwayFlagPayload,
    BlockedPayload,
    CancelledPayload,
    CelebrationPayload,
    CheckinPayload,
    DeclinedPayload,
    DigestLoadLine,
    DigestPayload,
    DigestPersonLine,
    DigestTaskLine,
    DueChangedPayload,
    EscalationPayload,
    FinishedLine,
    KudosLine,
    KudosPayload,
    OverduePayload,
    Payload,
    RecognitionPayload,
    RefreshPayload,
    ReminderPayload,
    StreakLine,
    UnansweredPayload,
    UnassignedPayload,
    WarningPayload,
    from_json,
    payload_as,
    to_json,
)
from bot.domain.still_true import TaskFacts, still_true
from handlers.blocks.outbox import render_outbox
from tests.unit.blocks.support import NOW, assert_valid_message, make_task

DUE = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
BERLIN = timezone(timedelta(hours=1))

# What the services wrote into outbox rows before payloads were typed, key for key.
STORED: dict[OutboxKind, dict[str, Any]] = {
    OutboxKind.ASSIGNMENT: {"seq": 2},
    OutboxKind.ACCEPTED: {"actor_id": "U2"},
    OutboxKind.DECLINED: {"actor_id": "U2", "reason": "No time & <!here>"},
    OutboxKind.UNASSIGNED: {"actor_id": "U3", "new_assignee_id": "U4"},
    OutboxKind.DUE_CHANGED: {"actor_id": "U3", "old_due": None, "new_due": "2026-12-04T17:00:00+00:00"},
    OutboxKind.CANCELLED: {"actor_id": "U3", "reason": ""},
    OutboxKind.CELEBRATION: {"actor_id": "U2", "note": "Shipped"},
    OutboxKind.KUDOS: {"giver_id": "U3", "recipient_ids": ["U2", "U4"], "message": "Thanks!"},
    OutboxKind.CHECKIN: {"scheduled": "2026-12-01T09:00:00+00:00", "day": "2026-12-01", "tz": "Europe/Berlin"},
    OutboxKind.WARNING: {"hours_before": 24, "due": "2026-12-04T17:00:00+00:00", "tz": "Europe/Berlin"},
    OutboxKind.OVERDUE: {
        "audience": "delegator",
        "due": "2026-12-04T17:00:00+00:00",
        "moment": "2026-12-05T08:00:00+00:00",
        "tz": "Asia/Tokyo",
    },
    OutboxKind.BLOCKED: {"reason": "Waiting on legal", "actor_id": "U2"},
    OutboxKind.AWAY_FLAG: {"user_id": "U2", "ends_at": "2026-12-05T00:00:00+00:00"},
    OutboxKind.ESCALATION: {"silent_since": "2026-11-27T09:00:00+00:00", "unanswered": 2},
    OutboxKind.REMINDER: {"tz": "America/New_York"},
    OutboxKind.UNANSWERED: {"since": "2026-11-30T09:00:00+00:00"},
    OutboxKind.REFRESH: {"channel": "D1", "ts": "1700000000.000100"},
    OutboxKind.RECOGNITION: {
        "team_channel_id": "C9",
        "since": "2026-11-27T16:00:00+00:00",
        "finished": [{"user_id": "U10", "count": 3, "on_time": 2, "titles": ["Ship it", "Docs", "Fix CI"]}],
        "streaks": [{"user_id": "U10", "streak": 5}],
        "kudos": [{"user_id": "U11", "count": 4}],
    },
    OutboxKind.DIGEST: {
        "since": "2026-11-23T09:00:00+00:00",
        "tz": "Europe/Berlin",
        "overdue": [
            {"ref": "T-1", "title": "Ship", "assignee_id": "U2", "due": "2026-11-27T16:00:00+00:00", "reason": ""}
        ],
        "overdue_total": 6,
        "at_risk": [{"ref": "T-2", "title": "Docs", "assignee_id": "U3", "due": None, "reason": "blocked"}],
        "at_risk_total": 1,
        "imbalance": [{"user_id": "U4", "team_channel_id": "C9", "load": 8, "median": 2.5, "reason": "heavy"}],
        "imbalance_total": 1,
        "support": [{"user_id": "U5", "reason": "2 overdue tasks"}],
        "support_total": 1,
        "recognise": [],
        "recognise_total": 0,
    },
}

# A payload of each kind with every field set, as the services build them.
BUILT: dict[OutboxKind, Payload] = {
    OutboxKind.ASSIGNMENT: AssignmentPayload(seq=3),
    OutboxKind.ACCEPTED: AcceptedPayload(actor_id="U2"),
    OutboxKind.DECLINED: DeclinedPayload(actor_id="U2", reason="No"),
    OutboxKind.UNASSIGNED: UnassignedPayload(actor_id="U3", new_assignee_id="U4"),
    OutboxKind.DUE_CHANGED: DueChangedPayload(actor_id="U3", old_due=DUE - timedelta(days=1), new_due=DUE),
    OutboxKind.CANCELLED: CancelledPayload(actor_id="U3", reason="Dropped"),
    OutboxKind.CELEBRATION: CelebrationPayload(actor_id="U2", note="Done"),
    OutboxKind.KUDOS: KudosPayload(giver_id="U3", recipient_ids=("U2",), message="Thanks"),
    OutboxKind.CHECKIN: CheckinPayload(scheduled=NOW, day=date(2026, 12, 1), tz="Europe/Berlin"),
    OutboxKind.WARNING: WarningPayload(hours_before=1, due=DUE.astimezone(BERLIN), tz="Europe/Berlin"),
    OutboxKind.OVERDUE: OverduePayload(audience="assignee", due=DUE, moment=DUE + timedelta(days=1), tz="UTC"),
    OutboxKind.BLOCKED: BlockedPayload(reason="Legal", actor_id="U2"),
    OutboxKind.AWAY_FLAG: AwayFlagPayload(user_id="U2", ends_at=DUE + timedelta(days=3)),
    OutboxKind.ESCALATION: EscalationPayload(silent_since=NOW - timedelta(days=4), unanswered=3),
    OutboxKind.REMINDER: ReminderPayload(tz="Asia/Tokyo"),
    OutboxKind.UNANSWERED: UnansweredPayload(since=NOW - timedelta(days=1)),
    OutboxKind.REFRESH: RefreshPayload(channel="C9", ts="1700000000.000200"),
    OutboxKind.RECOGNITION: RecognitionPayload(
        team_channel_id="C9",
        since=NOW - timedelta(days=7),
        finished=(FinishedLine(user_id="U10", count=2, on_time=1, titles=("A", "B")),),
        streaks=(StreakLine(user_id="U10", streak=3),),
        kudos=(KudosLine(user_id="U11", count=1),),
    ),
    OutboxKind.DIGEST: DigestPayload(
        since=NOW - timedelta(days=7),
        tz="UTC",
        overdue=(DigestTaskLine(ref="T-1", title="Ship", assignee_id="U2", due=DUE, reason=""),),
        overdue_total=1,
        at_risk=(DigestTaskLine(ref="T-2", title="Docs", assignee_id="U3", due=None, reason="blocked"),),
        at_risk_total=4,
        imbalance=(DigestLoadLine(user_id="U4", team_channel_id="C9", load=6, median=2.0, reason="heavy"),),
        imbalance_total=1,
        support=(DigestPersonLine(user_id="U5", reason="blocked twice"),),
        support_total=1,
        recognise=(DigestPersonLine(user_id="U6", reason="5 on time"),),
        recognise_total=1,
    ),
}


def test_every_kind_has_a_payload_type() -> None:
    assert set(PAYLOAD_TYPES) == set(OutboxKind)
    assert set(STORED) == set(OutboxKind) == set(BUILT)


@pytest.mark.parametrize("kind", list(OutboxKind))
def test_a_built_payload_survives_the_stored_json(kind: OutboxKind) -> None:
    stored = json.loads(json.dumps(to_json(BUILT[kind])))  # as the JSON column gives it back
    assert from_json(kind, stored) == BUILT[kind]


@pytest.mark.parametrize("kind", list(OutboxKind))
def test_a_row_stored_before_payloads_were_typed_reads_and_writes_back_key_for_key(kind: OutboxKind) -> None:
    payload = from_json(kind, STORED[kind])
    assert isinstance(payload, PAYLOAD_TYPES[kind])
    assert to_json(payload) == STORED[kind]


def test_moments_are_stored_as_iso_text_in_their_own_offset() -> None:
    stored = to_json(BUILT[OutboxKind.WARNING])
    assert stored == {"hours_before": 1, "due": "2026-12-04T18:00:00+01:00", "tz": "Europe/Berlin"}
    assert to_json(BUILT[OutboxKind.CHECKIN])["day"] == "2026-12-01"
    assert to_json(BUILT[OutboxKind.KUDOS])["recipient_ids"] == ["U2"]


@pytest.mark.parametrize("kind", list(OutboxKind))
def test_a_row_without_keys_or_with_strange_ones_reads_as_empty(kind: OutboxKind) -> None:
    empty = PAYLOAD_TYPES[kind]()
    assert from_json(kind, {}) == empty
    assert from_json(kind, None) == empty
    assert from_json(kind, {"unknown": 1, "another": [1, 2]}) == empty


def test_mistyped_values_read_as_the_old_readers_read_them() -> None:
    escalation = from_json(OutboxKind.ESCALATION, {"silent_since": "", "unanswered": "two"})
    assert escalation == EscalationPayload(silent_since=None, unanswered=0)
    assert from_json(OutboxKind.ESCALATION, {"unanswered": "3"}) == EscalationPayload(unanswered=3)
    naive = from_json(OutboxKind.UNANSWERED, {"since": "2026-11-30T09:00:00"})
    assert naive == UnansweredPayload(since=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    assert from_json(OutboxKind.UNANSWERED, {"since": "not a moment"}) == UnansweredPayload(since=None)
    kudos = from_json(OutboxKind.KUDOS, {"giver_id": None, "recipient_ids": "U2", "message": 5})
    assert kudos == KudosPayload(giver_id="", recipient_ids=(), message="5")
    recognition = from_json(OutboxKind.RECOGNITION, {"finished": ["junk", {"user_id": "U1", "count": 2}]})
    assert recognition == RecognitionPayload(finished=(FinishedLine(user_id="U1", count=2),))
    assert from_json(OutboxKind.DIGEST, {"imbalance": [{"median": "2"}]}).imbalance == (DigestLoadLine(median=0.0),)
    # compared as written: a sequence number or an hour count that is not a number matches nothing
    assert from_json(OutboxKind.ASSIGNMENT, {"seq": "1"}) == AssignmentPayload(seq=None)
    assert payload_as(from_json(OutboxKind.WARNING, {"hours_before": "24"}), WarningPayload).hours_before is None


def test_a_row_without_a_zone_is_checked_in_utc_and_one_without_an_audience_goes_to_the_delegator() -> None:
    task = make_task(status=TaskStatus.ACCEPTED)
    today = NOW.date().isoformat()

    def checkin(stored: dict[str, Any], now: datetime) -> bool:
        out = Outgoing(
            kind=OutboxKind.CHECKIN,
            dedupe_key="checkin:7",
            recipient_id=task.assignee_id,
            task=task,
            payload=from_json(OutboxKind.CHECKIN, stored),
        )
        return still_true(out, TaskFacts(assignment_seq=1), now=now)

    assert checkin({"day": today}, NOW)
    assert not checkin({"day": today}, NOW.replace(hour=23, minute=30) + timedelta(hours=1))
    assert not checkin({}, NOW)
    overdue = Outgoing(
        kind=OutboxKind.OVERDUE,
        dedupe_key="overdue:7",
        recipient_id=task.assignee_id,
        task=make_task(due_at=NOW - timedelta(hours=1)),
        payload=from_json(OutboxKind.OVERDUE, {"due": (NOW - timedelta(hours=1)).isoformat()}),
    )
    assert not still_true(overdue, TaskFacts(assignment_seq=1), now=NOW)  # read as the delegator's copy


@pytest.mark.parametrize("kind", [kind for kind in OutboxKind if kind is not OutboxKind.REFRESH])
def test_every_kind_renders_from_an_empty_row(kind: OutboxKind) -> None:
    task = None if kind in (OutboxKind.KUDOS, OutboxKind.RECOGNITION, OutboxKind.DIGEST) else make_task()
    row = Outgoing(kind=kind, dedupe_key="x", recipient_id="U2", task=task, payload=from_json(kind, {}))
    assert_valid_message(render_outbox(row, now=NOW))
    assert render_outbox(row, now=NOW) == render_outbox(
        Outgoing(kind=kind, dedupe_key="x", recipient_id="U2", task=task), now=NOW
    )


def test_a_payload_of_another_kind_is_refused() -> None:
    assert payload_as(None, AcceptedPayload) == AcceptedPayload()
    with pytest.raises(TypeError):
        payload_as(DeclinedPayload(actor_id="U2"), AcceptedPayload)
