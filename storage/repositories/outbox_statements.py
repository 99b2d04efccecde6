"""The outbox's delivery statements, built once: the claim, the lease renewal and the marks, as Core UPDATEs
on the table returning plain rows (no ORM objects)."""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import Boolean, DateTime, Integer, Row, Select, Table, Update, bindparam, column, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from bot.domain.model import OutboxKind, OutboxState
from storage.models import OutboxMessage, Task
from storage.repositories.shared import due_to_send, not_by_index, still_to_send

OUTBOX = cast(Table, OutboxMessage.__table__)
TASKS = cast(Table, Task.__table__)
# What a claim returns of each row: what a delivery holds while the lease lasts (plain rows, no ORM objects).
CLAIMED_COLUMNS = tuple(
    OUTBOX.c[name]
    for name in (
        "id",
        "workspace_id",
        "dedupe_key",
        "kind",
        "recipient_id",
        "task_id",
        "payload",
        "attempts",
        "channel_id",
        "ts",
        "last_error",
        "created_at",
        "lease_until",
        "first_tried_at",
    )
)


def by_id(result: Any) -> list[Row[Any]]:
    """A claim's rows in id order."""
    rows: list[Row[Any]] = list(result.all())  # one fetchall: the driver loads the rows in one call
    rows.sort(key=lambda row: row.id)  # RETURNING promises no order; ids follow creation
    return rows


def lease_statement(chosen: Select[Any]) -> Update:
    """Set the `chosen` rows to `sending` under a lease ending at `:until` (also when they fall due again)."""
    until = bindparam("until", type_=OUTBOX.c.lease_until.type)
    return (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(chosen.scalar_subquery()))
        .values(state=OutboxState.SENDING.value, lease_until=until, not_before=until, budget_place=False)
        .returning(*CLAIMED_COLUMNS)
    )


@cache
def claim_statement(*, postgres: bool, by_ids: bool) -> Update:
    """The claim as one prepared UPDATE … RETURNING (built once): due rows in the order they fell due."""
    now = bindparam("now", type_=OUTBOX.c.not_before.type)
    chosen = select(OUTBOX.c.id).where(due_to_send(now))
    if by_ids:
        chosen = chosen.where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    chosen = chosen.order_by(OUTBOX.c.not_before, OUTBOX.c.id).limit(bindparam("limit", type_=Integer))
    if postgres:
        chosen = chosen.with_for_update(skip_locked=True)
    return lease_statement(chosen)


RENEWED_UNTIL = bindparam("until", type_=OUTBOX.c.lease_until.type)
RENEW = (
    update(OUTBOX)
    .where(
        OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
        OUTBOX.c.state == OutboxState.SENDING.value,
        OUTBOX.c.lease_until == bindparam("held_until", type_=OUTBOX.c.lease_until.type),
    )
    .values(
        lease_until=RENEWED_UNTIL,
        not_before=RENEWED_UNTIL,
        attempts=OUTBOX.c.attempts + 1,
        first_tried_at=func.coalesce(OUTBOX.c.first_tried_at, bindparam("now", type_=OUTBOX.c.first_tried_at.type)),
    )
    .returning(OUTBOX.c.id)
)


@cache
def settle_statement(*, uncount: bool, channel: bool, ts: bool, error: bool, not_before: bool) -> Update:
    """`settle` for one set of the fields it writes, built once: rows held under one lease, still ours."""
    values: dict[str, Any] = {"state": bindparam("new_state", type_=OUTBOX.c.state.type), "lease_until": None}
    if uncount:
        values["attempts"] = OUTBOX.c.attempts - 1
    if channel:
        values["channel_id"] = bindparam("new_channel", type_=OUTBOX.c.channel_id.type)
    if ts:
        values["ts"] = bindparam("new_ts", type_=OUTBOX.c.ts.type)
        values["sent_at"] = bindparam("new_sent_at", type_=OUTBOX.c.sent_at.type)
    if error:
        values["last_error"] = bindparam("new_error", type_=OUTBOX.c.last_error.type)
    if not_before:
        values["not_before"] = bindparam("new_not_before", type_=OUTBOX.c.not_before.type)
    return (
        update(OUTBOX)
        .where(
            OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
            OUTBOX.c.state == OutboxState.SENDING.value,
            OUTBOX.c.lease_until == bindparam("held_until", type_=OUTBOX.c.lease_until.type),
        )
        .values(values)
        .returning(OUTBOX.c.id)
    )


REMEMBER_ASSIGNMENT_DM = (
    update(TASKS)
    .where(
        TASKS.c.workspace_id == bindparam("task_workspace_id", type_=TASKS.c.workspace_id.type),
        TASKS.c.id.in_(bindparam("task_ids", expanding=True)),
    )
    .values(
        assignment_channel_id=bindparam("channel", type_=TASKS.c.assignment_channel_id.type),
        assignment_ts=bindparam("ts", type_=TASKS.c.assignment_ts.type),
    )
)


# Rows a claim just took, handed back to wait their turn, each with its own due time: one executemany in the claim's
# own transaction (the rows are its own there, so no lease check and no RETURNING).
PUT_BACK_CLAIMED = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"))
    .values(
        state=OutboxState.PENDING.value,
        lease_until=None,
        not_before=bindparam("due", type_=OUTBOX.c.not_before.type),
    )
)

# Pending posts deferred while their workspace's post budget is short, each to its place in it (`placed`), or behind
# its person's posts waiting past every place counted (no place): one executemany in the deferring transaction,
# which read them just before.
SET_NOT_BEFORE = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"))
    .values(
        not_before=bindparam("at", type_=OUTBOX.c.not_before.type),
        budget_place=bindparam("placed", type_=OUTBOX.c.budget_place.type),
    )
)
# The same for many rows as one statement on PostgreSQL, their values in three arrays: a placing re-hands up to a few
# thousand rows, and an executemany sends (and the driver adapts) one UPDATE per row.
_LATER = (
    func.unnest(
        bindparam("row_ids", type_=ARRAY(Integer)),
        bindparam("ats", type_=ARRAY(DateTime(timezone=True))),
        bindparam("placed", type_=ARRAY(Boolean)),
    )
    .table_valued(column("row_id", Integer), column("at", DateTime(timezone=True)), column("placed", Boolean))
    .render_derived(name="later")
)
SET_NOT_BEFORE_MANY_PG = (
    update(OUTBOX).where(OUTBOX.c.id == _LATER.c.row_id).values(not_before=_LATER.c.at, budget_place=_LATER.c.placed)
)

# Which of a commit's rows are posts, and to which workspace (a delivery over a spent budget leaves those alone).
WORKSPACES_AND_KINDS = select(OUTBOX.c.id, OUTBOX.c.workspace_id, OUTBOX.c.kind).where(
    OUTBOX.c.id.in_(bindparam("ids", expanding=True))
)


# What is queued for someone and not sent yet, soonest first, for their Home tab: pending rows of any kind but a
# refresh (a chat.update of a message already sent), built once.
QUEUED_FOR = (
    select(OUTBOX.c.id, OUTBOX.c.task_id, OUTBOX.c.kind, OUTBOX.c.not_before)
    .where(
        not_by_index(OUTBOX.c.workspace_id) == bindparam("workspace_id"),
        OUTBOX.c.recipient_id == bindparam("recipient_id"),
        still_to_send(),
        OUTBOX.c.state == OutboxState.PENDING.value,
        OUTBOX.c.kind != OutboxKind.REFRESH.value,
    )
    .order_by(OUTBOX.c.not_before, OUTBOX.c.id)
    .limit(bindparam("limit"))
)
