"""The outbox: messages to send, claimed per conversation under a lease, and what became of them."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, case, false, func, or_, select, text, true, tuple_, union, update
from sqlalchemy.orm import Session

from bot.domain.model import OutboxKind, OutboxState
from bot.domain.payloads import Payload, to_json
from bot.domain.transitions import Notice
from storage.models import SETTLED_ROWS, OutboxMessage, Task, TeamManager
from storage.repositories.outbox_statements import (
    PUT_BACK_CLAIMED,
    QUEUED_FOR,
    REMEMBER_ASSIGNMENT_DM,
    RENEW,
    SET_NOT_BEFORE,
    SET_NOT_BEFORE_MANY_PG,
    WORKSPACES_AND_KINDS,
    by_id,
    claim_statement,
    lease_statement,
    settle_statement,
)
from storage.repositories.shared import (
    ACTIVE,
    due_to_send,
    insert_ignoring_conflicts,
    insert_many_ignoring_conflicts,
    not_by_index,
    still_to_send,
)

# One claimer per conversation at a time on PostgreSQL (OutboxRepository.claim_conversations).
_TRY_CONVERSATION_LOCKS = text(
    "SELECT k FROM unnest(CAST(:keys AS text[])) AS k WHERE pg_try_advisory_xact_lock(hashtextextended(k, 0)) "
    "LIMIT :limit"
)
_BUNDLED_KINDS = tuple(kind.value for kind in OutboxKind if kind.is_bundled)
_UNSETTLED_BY_STATE = (
    select(OutboxMessage.state, func.count(), func.min(OutboxMessage.not_before))
    .where(still_to_send())
    .group_by(OutboxMessage.state)
)
# The predicate word for word as ix_outbox_settled's, so SQLite uses the index too.
_SETTLED_BY_STATE = select(OutboxMessage.state, func.count()).where(text(SETTLED_ROWS)).group_by(OutboxMessage.state)
CANDIDATES_PER_CONVERSATION = 4  # a claim of N conversations looks at up to 4N due ones


PLACES_ROUNDS = 12  # times the places asked for may double to reach every group's place


def budget_places(
    places: Sequence[datetime], *, free_now: int, held: int, after: Sequence[datetime | None]
) -> list[tuple[datetime, bool]]:
    """The places in a budget (`places`, in order: the `free_now` places free now first) that posts falling due get,
    one each, in order: the `held` places after those free now are held by posts deferred to them before; a due
    post takes the first place left at or after its `after` (the last moment of its person's earlier posts still
    waiting). Each with whether it is a place: a post whose `after` is past every place gets that moment, no place."""
    end = len(places)
    held_end = min(free_now + held, end)
    # following[i]: for a place taken here, a place at or after the next one that may be free (the held ones are
    # skipped without being listed: a backlog holds thousands, and only a few are looked at).
    following: dict[int, int] = {}

    def first_free(index: int) -> int:
        passed = []
        while True:
            if free_now <= index < held_end:
                index = held_end
            taken = following.get(index)
            if taken is None:
                break
            passed.append(index)
            index = taken
        for place in passed:  # each points straight at the free one found from it next time
            following[place] = index
        return index

    given: list[tuple[datetime, bool]] = []
    for last in after:
        index = first_free(0 if last is None else bisect_left(places, last))
        if index < end:
            following[index] = index + 1
            given.append((places[index] if last is None else max(places[index], last), True))
        else:
            given.append((max(places[-1], last or places[-1]), False))
    return given


def _in_queued_order(
    owners: Sequence[str],
    firsts: Sequence[int],
    at: list[tuple[datetime, bool]],
    waits: dict[str, list[tuple[int, datetime, bool]]],
    *,
    now: datetime,
) -> dict[int, tuple[datetime, bool]]:
    """A person's places go to their messages in the order their rows were queued. A due post that lost its place
    (put back to wait its conversation's turn when the place came) and finds none free now is placed after every
    place held, behind the places its person's later posts hold; each of those, falling due, would then wait behind
    it (a person's messages keep their order) and its place go unused. So the person's places, those just given to
    their due groups (`owners[n]`'s group, first queued as `firsts[n]`, given `at[n]`) and those their later posts
    hold, are handed out again, the earliest to the first queued. `at` is updated in place; the later posts whose
    moment changes are returned, with it."""
    moved: dict[int, tuple[datetime, bool]] = {}
    due_of: dict[str, list[int]] = {}
    for n, person in enumerate(owners):
        due_of.setdefault(person, []).append(n)
    for person, indexes in due_of.items():
        first = min(firsts[n] for n in indexes)
        held: dict[datetime, list[int]] = {}  # the places their posts queued after their first due one hold
        for row_id, moment, placed in waits.get(person, []):
            if placed and row_id > first:
                held.setdefault(moment, []).append(row_id)
        if not held or not all(at[n][1] for n in indexes):
            continue  # nothing queued after holds a place, or a due group waits past every place
        # (first queued, due group or None, rows held and the place they hold)
        items: list[tuple[int, int | None, list[int], datetime | None]] = [(firsts[n], n, [], None) for n in indexes]
        items += [(min(ids), None, ids, moment) for moment, ids in held.items()]
        items.sort(key=lambda item: item[0])
        slots = sorted([at[n][0] for n in indexes] + list(held))
        handed = {row_id for ids in held.values() for row_id in ids}
        others = [(row_id, moment) for row_id, moment, _ in waits.get(person, []) if row_id not in handed]
        if any(
            (group is None and slot <= now) or any(row_id < first_queued and slot < m for row_id, m in others)
            for (first_queued, group, _, _), slot in zip(items, slots, strict=True)
        ):
            continue  # a post would go before one of theirs queued earlier, or a later one take a place free now
        for (_, group, ids, holding), slot in zip(items, slots, strict=True):
            if group is not None:
                at[group] = (slot, True)
            elif slot != holding:
                moved.update((row_id, (slot, True)) for row_id in ids)
    return moved


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._lazy_commit = False  # this transaction claimed: it commits without waiting for the disk

    def add(
        self,
        workspace_id: str,
        *,
        dedupe_key: str,
        kind: str,
        recipient_id: str,
        now: datetime,
        not_before: datetime | None = None,
        task_id: int | None = None,
        payload: Payload | None = None,
    ) -> int | None:
        """Queue a message once: a second add with the same dedupe key writes nothing (None)."""
        values = self.queued(
            workspace_id,
            dedupe_key=dedupe_key,
            kind=kind,
            recipient_id=recipient_id,
            now=now,
            not_before=not_before,
            task_id=task_id,
            payload=payload,
        )
        new_id = insert_ignoring_conflicts(self._session, OutboxMessage, values)
        return int(new_id) if new_id is not None else None

    def add_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """`add` for many rows made by `queued`, in one statement (an executemany): how many were new; a row whose
        dedupe key is taken (already, or earlier in `rows`) writes nothing."""
        if not rows:
            return 0
        return len(insert_many_ignoring_conflicts(self._session, OutboxMessage, rows))

    @staticmethod
    def queued(
        workspace_id: str,
        *,
        dedupe_key: str,
        kind: str,
        recipient_id: str,
        now: datetime,
        not_before: datetime | None = None,
        task_id: int | None = None,
        payload: Payload | None = None,
    ) -> dict[str, Any]:
        """The row `add` writes for a message queued to send, for `add_many`."""
        return {
            "workspace_id": workspace_id,
            "dedupe_key": dedupe_key,
            "kind": kind,
            "task_id": task_id,
            "recipient_id": recipient_id,
            "payload": to_json(payload) if payload is not None else {},
            "state": OutboxState.PENDING.value,
            "attempts": 0,
            "not_before": not_before or now,
            "created_at": now,
        }

    @staticmethod
    def row(workspace_id: str, notice: Notice, *, task_id: int, now: datetime) -> dict[str, Any]:
        """The row `add` would write for a notice about a task, for a caller that writes it in its own statement
        (a new task's DM)."""
        return OutboxRepository.queued(
            workspace_id,
            dedupe_key=notice.dedupe_key,
            kind=notice.kind,
            recipient_id=notice.recipient_id,
            now=now,
            task_id=task_id,
            payload=notice.payload,
        )

    def claim(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        ids: Sequence[int] | None = None,
    ) -> list[Row[Any]]:
        """Take due rows for delivery with a lease; on PostgreSQL other claimers skip them.

        A row is due when it is pending and its `not_before` has come, or when it is `sending`
        with an expired lease (its deliverer died mid-send). A claimed row's `not_before` is its lease's
        end, so both read `not_before <= now`: one ordered range of the partial index ix_outbox_due
        instead of sorting every due row. SQLite has one writer at a time (the engine begins writers
        IMMEDIATE), so the same statement without SKIP LOCKED is safe there.
        """
        postgres = self._postgres()
        if postgres:
            self._claim_commits_lazily()
        stmt = claim_statement(postgres=postgres, by_ids=ids is not None)
        params: dict[str, Any] = {"now": now, "until": now + lease, "limit": limit}
        if ids is not None:
            params["ids"] = list(ids)
        return by_id(self._session.connection().execute(stmt, params))

    def _lease(self, chosen: Select[Any], *, now: datetime, lease: timedelta) -> list[Row[Any]]:
        """Set the chosen rows to `sending` with a lease and return them, in one statement (a select then an
        UPDATE per row took three times as long for 500 rows). The lease's end is also when the row is due
        again, so a row whose deliverer died is taken up by the same scan as pending ones. A claim is not an
        attempt: `renew_leases`, just before the row is sent, counts it."""
        stmt = lease_statement(chosen)
        return by_id(self._session.connection().execute(stmt, {"until": now + lease}))

    def _claim_commits_lazily(self) -> None:
        """The claim's transaction commits without waiting for its WAL to reach the disk (PostgreSQL's
        `synchronous_commit = off`, for this transaction only). Safe for exactly-once: a row is only sent after
        `renew_leases` committed, durably, that it is still held under this claim's lease, and a durable commit
        makes every earlier one durable too (a renewal in the claim's own transaction turns it back on). A claim
        lost to a database crash only makes its rows due again."""
        self._session.connection().exec_driver_sql("SET LOCAL synchronous_commit = off")
        self._lazy_commit = True

    def _postgres(self) -> bool:
        return self._session.get_bind().dialect.name == "postgresql"

    def claim_conversations(
        self, *, now: datetime, limit: int, lease: timedelta, per_conversation: int
    ) -> list[Row[Any]]:
        """Take whole conversations: every due row (up to `per_conversation`) of the `limit` conversations
        whose rows fell due first, with a lease, so one deliverer sees everything a person is owed at once
        and can send it as one message (CONTRACT: one DM per person per pass).

        On PostgreSQL a conversation is taken by one claimer at a time: a transaction-scoped advisory lock
        per (workspace, recipient) is tried, and conversations another claimer is taking are skipped, so
        two replicas never split one person's rows into two messages. SQLite has one writer at a time.
        """
        due = due_to_send(now)
        first_due = func.min(OutboxMessage.not_before)
        # More candidates than `limit`: those another claimer holds, or whose person is still being planned
        # for, are passed over for the next ones rather than ending the claim short.
        has_other = func.max(case((OutboxMessage.kind.in_(_BUNDLED_KINDS), 0), else_=1))
        chosen = (
            select(OutboxMessage.workspace_id, OutboxMessage.recipient_id, has_other)
            .where(due)
            .group_by(OutboxMessage.workspace_id, OutboxMessage.recipient_id)
            .order_by(first_due, OutboxMessage.workspace_id, OutboxMessage.recipient_id)
            .limit(limit * CANDIDATES_PER_CONVERSATION)
        )
        candidates = [(str(ws), str(to), bool(other)) for ws, to, other in self._session.execute(chosen)]
        unsettled = self._still_planned_for([(ws, to) for ws, to, _ in candidates], now=now)
        # A person still being planned for only has what is not bundled to take now (an assignment DM).
        conversations = [(ws, to) for ws, to, other in candidates if other or (ws, to) not in unsettled]
        if not self._postgres():
            first = conversations[:limit]
            return self._lease_conversations(first, unsettled, now=now, lease=lease, most=per_conversation)
        self._claim_commits_lazily()
        # hashtextextended: a 64-bit key per conversation; xact locks end with the claim's transaction. unnest yields
        # the keys in order and LIMIT stops the scan: locks are tried one at a time until `limit` conversations are
        # ours, those held elsewhere skipped. A conversation locked here may have been claimed by another claimer
        # that committed after the candidates were read (its lock free again, its rows no longer due): it brings no
        # rows, and the next candidates are locked in its stead, so a claim comes back short only when they ran out
        # (a pass takes a short claim to mean nothing more is due now).
        keys = {f"{ws}/{to}": (ws, to) for ws, to in conversations}
        left = list(keys)
        rows: list[Row[Any]] = []
        taken: set[tuple[str, str]] = set()
        while left and len(taken) < limit:
            params = {"keys": left, "limit": limit - len(taken)}
            ours = [str(k) for (k,) in self._session.execute(_TRY_CONVERSATION_LOCKS, params)]
            if not ours:
                break
            got = self._lease_conversations(
                [keys[k] for k in ours], unsettled, now=now, lease=lease, most=per_conversation
            )
            rows.extend(got)
            taken.update((str(r.workspace_id), str(r.recipient_id)) for r in got)
            left = left[left.index(ours[-1]) + 1 :]  # those skipped before the last locked are held elsewhere
        rows.sort(key=lambda row: row.id)
        return rows

    def _lease_conversations(
        self,
        conversations: Sequence[tuple[str, str]],
        unsettled: set[tuple[str, str]],
        *,
        now: datetime,
        lease: timedelta,
        most: int,
    ) -> list[Row[Any]]:
        """Lease the due rows of these conversations, up to `most` each, soonest first in each."""
        if not conversations:
            return []
        # A person still being planned for gets only what is not bundled (an assignment DM, a notice) now; the
        # scheduler's messages wait for the plan, to go out together.
        settled = [c for c in conversations if c not in unsettled]
        pending_plan = [c for c in conversations if c in unsettled]
        pair = tuple_(OutboxMessage.workspace_id, OutboxMessage.recipient_id)
        which = or_(
            pair.in_(settled) if settled else false(),
            and_(pair.in_(pending_plan), OutboxMessage.kind.not_in(_BUNDLED_KINDS)) if pending_plan else false(),
        )
        position = (
            func.row_number()
            .over(
                partition_by=(OutboxMessage.workspace_id, OutboxMessage.recipient_id),
                order_by=(OutboxMessage.not_before, OutboxMessage.id),
            )
            .label("position")
        )
        ranked = select(OutboxMessage.id, position).where(due_to_send(now), which).subquery()
        ids = select(ranked.c.id).where(ranked.c.position <= most)
        rows = select(OutboxMessage.id).where(OutboxMessage.id.in_(ids))
        if self._postgres():
            rows = rows.with_for_update(skip_locked=True)
        return self._lease(rows, now=now, lease=lease)

    def _still_planned_for(self, people: Sequence[tuple[str, str]], *, now: datetime) -> set[tuple[str, str]]:
        """Of these (workspace, recipient) pairs, those a planner may still be adding rows for at `now`: the
        assignee, delegator or team manager of an active task whose follow-up moment has come but which no
        committed plan has moved on yet (another replica is planning it, or the pass stopped at its batch
        limit). Their messages wait until that plan is committed, so a person never gets two messages for one
        moment. Looked up by person, through the tasks' assignee, delegator and team indexes, so the cost
        follows the candidates of the claim, not every task still to plan."""
        by_workspace: dict[str, list[str]] = {}
        for workspace_id, recipient_id in people:
            by_workspace.setdefault(workspace_id, []).append(recipient_id)
        found: set[tuple[str, str]] = set()
        for workspace_id, users in by_workspace.items():
            due = and_(
                Task.workspace_id == workspace_id,
                Task.status.in_(ACTIVE),
                Task.next_check_at.is_not(None),
                Task.next_check_at <= now,
            )
            stmt = union(
                select(Task.assignee_id).where(due, Task.assignee_id.in_(users)),
                select(Task.delegator_id).where(due, Task.delegator_id.in_(users)),
                select(TeamManager.user_id)
                .join(Task, and_(Task.team_id == TeamManager.team_id, due))
                .where(TeamManager.user_id.in_(users)),
            )
            found.update((workspace_id, str(user)) for user in self._session.execute(stmt).scalars())
        return found

    def get(self, outbox_id: int) -> OutboxMessage | None:
        return self._session.get(OutboxMessage, outbox_id)

    def queued_for(self, workspace_id: str, recipient_id: str, *, limit: int = 50) -> list[Row[Any]]:
        """Messages queued for someone and not sent yet (many wait for their working time), soonest first: rows of
        (id, task_id, kind, not_before), for the Home tab."""
        params = {"workspace_id": workspace_id, "recipient_id": recipient_id, "limit": limit}
        rows: Sequence[Any] = self._session.connection().execute(QUEUED_FOR, params).all()
        return list(rows)

    def recheck_held(self, workspace_id: str, recipient_ids: Sequence[str], *, now: datetime) -> int:
        """Someone's time changed (hours, calendar, status): their DMs held for later are due now, and
        delivery holds them again to their new working time. Rows waiting for a retry keep their wait."""
        if not recipient_ids:
            return 0
        result = self._session.execute(
            update(OutboxMessage)
            .where(
                not_by_index(OutboxMessage.workspace_id) == workspace_id,
                OutboxMessage.recipient_id.in_(recipient_ids),
                still_to_send(),
                OutboxMessage.state == OutboxState.PENDING.value,
                OutboxMessage.attempts == 0,
                OutboxMessage.not_before > now,
            )
            .values(not_before=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def many(self, outbox_ids: Sequence[int]) -> list[OutboxMessage]:
        if not outbox_ids:
            return []
        return list(self._session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids))))

    def manyby_id(self, outbox_ids: Sequence[int]) -> dict[int, OutboxMessage]:
        return {row.id: row for row in self.many(outbox_ids)}

    def at_message(self, workspace_id: str, *, channel_id: str, ts: str) -> list[OutboxMessage]:
        """Every row a message Baton sent carries (several for a message about several tasks), in order."""
        stmt = (
            select(OutboxMessage)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.channel_id == channel_id,
                OutboxMessage.ts == ts,
                OutboxMessage.state == OutboxState.SENT.value,
            )
            .order_by(OutboxMessage.id)
        )
        return list(self._session.scalars(stmt))

    def live_messages_of(
        self, workspace_id: str, task_id: int, *, since: datetime, limit: int
    ) -> list[tuple[str, str]]:
        """(channel, ts) of messages about a task that a change to it makes untrue: its assignment DMs, and
        the reminders and check-ins about it not yet answered (their buttons are live), newest first."""
        stmt = (
            select(OutboxMessage.channel_id, OutboxMessage.ts)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.task_id == task_id,
                OutboxMessage.state == OutboxState.SENT.value,
                or_(
                    OutboxMessage.kind == OutboxKind.ASSIGNMENT.value,
                    and_(
                        OutboxMessage.kind.in_((OutboxKind.REMINDER.value, OutboxKind.CHECKIN.value)),
                        OutboxMessage.answer.is_(None),
                    ),
                ),
                OutboxMessage.sent_at >= since,
                OutboxMessage.ts.is_not(None),
            )
            .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
        return list(dict.fromkeys((str(c), str(t)) for c, t in self._session.execute(stmt)))

    def defer_posts(
        self, workspace_id: str, *, now: datetime, moments: Callable[[int], Sequence[datetime]]
    ) -> dict[int, datetime]:
        """Slack's chat.postMessage budget in the workspace cannot take every due post now: its pending rows that are
        due and would be posts wait for it without being claimed (a refresh is a chat.update, not a post, and stays
        due), each person's until their place in the budget, which they hold (`budget_place`). One place per person (two
        where some of their due rows were queued after one of theirs still waiting): a person's due rows go out as
        one message where they bundle, and the rest are paced one a second behind it.
        `moments(count)` gives the moments of the budget's next `count` places, in order, those free now first.
        People take places in the order their rows were queued: the places free now, then those after the places
        the posts deferred before hold (a post put back to wait its conversation's turn holds none: it takes one
        when it falls due), none before their own earlier posts still waiting (a person's messages keep their order;
        other people's are not held behind them). Rows whose place is free now stay as they are, due; the others
        are written once each. Returns those, each with its moment."""
        posts = (
            not_by_index(OutboxMessage.workspace_id) == workspace_id,
            OutboxMessage.state == OutboxState.PENDING.value,
            OutboxMessage.kind != OutboxKind.REFRESH.value,
        )
        # Core rows, not the ORM's: a backlog is read at every tight claim.
        connection = self._session.connection()
        due = select(OutboxMessage.id, OutboxMessage.recipient_id).where(due_to_send(now), *posts)
        people: dict[str, list[int]] = {}  # each person's due rows, people in the order their first row was queued
        # Read in the index's order (ix_outbox_due), taken in the order they were queued.
        for row_id, recipient_id in sorted(connection.execute(due.order_by(OutboxMessage.not_before)).all()):
            people.setdefault(str(recipient_id), []).append(int(row_id))
        if not people:
            return {}
        waiting = (still_to_send(), OutboxMessage.not_before > now, *posts)
        # Places held: a person's rows deferred to one moment hold one (they go as one message, or paced behind it).
        held_places = (
            select(OutboxMessage.recipient_id)
            .where(*waiting, OutboxMessage.budget_place == true())
            .group_by(OutboxMessage.recipient_id, OutboxMessage.not_before)
            .subquery()
        )
        held = int(connection.execute(select(func.count()).select_from(held_places)).scalar_one())
        # A person's due rows go no earlier than the last of their rows still waiting that were queued before them
        # (their messages keep their order); rows waiting that were queued after them (put back behind them to
        # wait their turn, or held for later) do not hold them back. Due rows between two waiting ones share a place.
        waits = self._waiting_before(connection, waiting, people)
        groups: list[tuple[list[int], datetime | None]] = []  # rows sharing a place, in the order they were queued
        owner: dict[int, str] = {}  # whose each group is, by its first row
        for person, ids in people.items():
            earlier = sorted(waits.get(person, []))
            n, after = 0, None
            group: tuple[list[int], datetime | None] | None = None
            for row_id in ids:
                while n < len(earlier) and earlier[n][0] < row_id:  # a waiting row queued before this one
                    after, n, group = earlier[n][1] if after is None else max(after, earlier[n][1]), n + 1, None
                if group is None:
                    group = ([], after)
                    groups.append(group)
                    owner[row_id] = person
                group[0].append(row_id)
        groups.sort(key=lambda group: group[0][0])
        at = self._places(groups, held=held, now=now, moments=moments)
        firsts = [ids[0] for ids, _ in groups]
        moved = _in_queued_order([owner[first] for first in firsts], firsts, at, waits, now=now)
        later = {
            row_id: (moment, is_place)
            for (ids, _), (moment, is_place) in zip(groups, at, strict=True)
            if moment > now
            for row_id in ids
        }
        later.update(moved)
        if later and connection.dialect.name == "postgresql":
            ats = [at for at, _ in later.values()]
            places = [placed for _, placed in later.values()]
            connection.execute(SET_NOT_BEFORE_MANY_PG, {"row_ids": list(later), "ats": ats, "placed": places})
        elif later:
            connection.execute(
                SET_NOT_BEFORE, [{"row_id": i, "at": at, "placed": placed} for i, (at, placed) in later.items()]
            )
        return {row_id: moment for row_id, (moment, _) in later.items()}

    @staticmethod
    def _waiting_before(
        connection: Connection, waiting: tuple[Any, ...], people: dict[str, list[int]]
    ) -> dict[str, list[tuple[int, datetime, bool]]]:
        """Each person's rows still waiting (id, moment, whether it holds a place), as far as their due rows (`people`)
        need them: one row per person, their last id and latest moment, when every row of theirs waiting was queued
        before their due ones (a backlog: the usual case); every row of theirs only for the others (due rows queued
        between waiting ones, or before them)."""
        person = OutboxMessage.recipient_id
        mine = (*waiting, person.in_(list(people)))
        last = select(person, func.max(OutboxMessage.id), func.max(OutboxMessage.not_before)).where(*mine)
        waits: dict[str, list[tuple[int, datetime, bool]]] = {}
        between: list[str] = []
        for recipient_id, last_id, latest in connection.execute(last.group_by(person)).all():
            if int(last_id) < people[str(recipient_id)][0]:
                waits[str(recipient_id)] = [(int(last_id), latest, False)]
            else:
                between.append(str(recipient_id))
        if between:
            rows = select(person, OutboxMessage.id, OutboxMessage.not_before, OutboxMessage.budget_place).where(
                *waiting, person.in_(between)
            )
            for recipient_id, row_id, moment, placed in connection.execute(rows).all():
                waits.setdefault(str(recipient_id), []).append((int(row_id), moment, bool(placed)))
        return waits

    @staticmethod
    def _places(
        groups: Sequence[tuple[list[int], datetime | None]],
        *,
        held: int,
        now: datetime,
        moments: Callable[[int], Sequence[datetime]],
    ) -> list[tuple[datetime, bool]]:
        """`budget_places` for the groups, over enough places: past those free now and the held ones, and past
        every group's `after` that falls among them (a group waiting behind its person skips places)."""
        count = len(groups) + held
        afters = [after for _, after in groups]
        for _ in range(PLACES_ROUNDS):
            places = moments(count)
            free_now = bisect_right(places, now)
            at = budget_places(places, free_now=free_now, held=held, after=afters)
            enough = len(groups) + held + free_now
            if count >= enough and all(
                placed or after is None or after > places[-1] for after, (_, placed) in zip(afters, at, strict=True)
            ):
                break
            count = enough if count < enough else count * 2
        return at

    def workspaces_and_kinds(self, outbox_ids: Sequence[int]) -> list[tuple[int, str, str]]:
        """(id, workspace, kind) of each row: which of a commit's rows are posts, and where."""
        rows = self._session.connection().execute(WORKSPACES_AND_KINDS, {"ids": list(outbox_ids)}).all()
        return [(int(i), str(w), str(k)) for i, w, k in rows]

    def next_due(self, *, after: datetime | None = None) -> datetime | None:
        """When the next row still to send falls due (pending, or a lease that runs out), or the next one that falls
        due later than `after`: ix_outbox_due."""
        stmt = select(func.min(OutboxMessage.not_before)).where(still_to_send())
        if after is not None:
            stmt = stmt.where(OutboxMessage.not_before > after)
        return self._session.scalar(stmt)

    def renew_leases(
        self, outbox_ids: Sequence[int], *, held_until: datetime, now: datetime, until: datetime
    ) -> set[int]:
        """Just before rows claimed together (one lease) are sent: the ids still ours, now held until `until`
        and counted as tried (`attempts`, `first_tried_at`). Rows a dead deliverer claimed but never got to
        keep their count, so whoever takes them over knows no message of theirs can be in Slack already."""
        if not outbox_ids:
            return set()
        if self._lazy_commit:  # the renewal is the durable fence, in a claim's transaction too
            self._session.connection().exec_driver_sql("SET LOCAL synchronous_commit TO DEFAULT")
            self._lazy_commit = False
        params = {"ids": list(outbox_ids), "held_until": held_until, "now": now, "until": until}
        return {int(i) for i in self._session.connection().execute(RENEW, params).scalars().all()}

    def settle(
        self,
        outbox_ids: Sequence[int],
        *,
        held_until: datetime,
        state: OutboxState,
        channel: str | None = None,
        ts: str | None = None,
        sent_at: datetime | None = None,
        error: str | None = None,
        not_before: datetime | None = None,
        uncount: bool = False,
    ) -> set[int]:
        """Record what became of rows held under one lease, in one statement: the ids still ours (another
        deliverer that took a row after our lease ran out has its word, not us). The lease ends; `uncount`
        takes back the try counted for a send that did not happen."""
        if not outbox_ids:
            return set()
        stmt = settle_statement(
            uncount=uncount,
            channel=channel is not None,
            ts=ts is not None,
            error=error is not None,
            not_before=not_before is not None,
        )
        params = {
            "ids": list(outbox_ids),
            "held_until": held_until,
            "new_state": state.value,
            "new_channel": channel,
            "new_ts": ts,
            "new_sent_at": sent_at,
            "new_error": error[:200] if error is not None else None,
            "new_not_before": not_before,
        }
        return {int(i) for i in self._session.connection().execute(stmt, params).scalars().all()}

    def put_back_claimed(self, due: Sequence[tuple[int, datetime]]) -> None:
        """Inside the transaction that claimed them: (id, due) rows back to pending, each due at its own moment, in
        one executemany (a burst for one person puts back one row per message it could not send yet)."""
        if due:
            params = [{"row_id": row_id, "due": moment} for row_id, moment in due]
            self._session.connection().execute(PUT_BACK_CLAIMED, params)

    def remember_assignment_dm(
        self, workspace_id: str, task_ids: Sequence[int], *, channel: str | None, ts: str | None
    ) -> None:
        """Tasks remember the assignment DM that went out about them, so it can be drawn again as they change."""
        if task_ids:
            params = {"task_workspace_id": workspace_id, "task_ids": list(task_ids), "channel": channel, "ts": ts}
            self._session.connection().execute(REMEMBER_ASSIGNMENT_DM, params)

    def last_ts_before(self, workspace_id: str, *, channel_id: str, before: datetime) -> str | None:
        """The ts (Slack's clock) of the latest message Baton knew it had sent in a conversation before a
        moment (Baton's clock): where a look for a message whose answer was lost may start."""
        stmt = select(func.max(OutboxMessage.ts)).where(
            OutboxMessage.workspace_id == workspace_id,
            OutboxMessage.channel_id == channel_id,
            OutboxMessage.state == OutboxState.SENT.value,
            OutboxMessage.ts.is_not(None),
            OutboxMessage.ts != "",
            OutboxMessage.sent_at < before,
        )
        found = self._session.scalar(stmt)
        return str(found) if found else None

    def first_ts_after(self, workspace_id: str, *, channel_id: str, after: datetime) -> str | None:
        """The ts of the first message Baton knows it sent in a conversation after a moment: with
        `last_ts_before`, the window a message whose answer was lost must lie in."""
        stmt = select(func.min(OutboxMessage.ts)).where(
            OutboxMessage.workspace_id == workspace_id,
            OutboxMessage.channel_id == channel_id,
            OutboxMessage.state == OutboxState.SENT.value,
            OutboxMessage.ts.is_not(None),
            OutboxMessage.ts != "",
            OutboxMessage.sent_at > after,
        )
        found = self._session.scalar(stmt)
        return str(found) if found else None

    def was_sent(self, workspace_id: str, *, task_id: int, kind: str, recipient_id: str, since: datetime) -> bool:
        """Whether a message of this kind about the task reached this person at or after `since`."""
        stmt = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.task_id == task_id,
                OutboxMessage.kind == kind,
                OutboxMessage.recipient_id == recipient_id,
                OutboxMessage.state == OutboxState.SENT.value,
                OutboxMessage.sent_at >= since,
            )
            .limit(1)
        )
        return self._session.scalars(stmt).first() is not None

    def skip_unsent(self, workspace_id: str, *, reason: str) -> int:
        """Give up every message not yet sent to a workspace (it uninstalled Baton); returns how many."""
        result = self._session.execute(
            update(OutboxMessage)
            .where(
                not_by_index(OutboxMessage.workspace_id) == workspace_id,
                still_to_send(),
            )
            .values(state=OutboxState.SKIPPED.value, last_error=reason, lease_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def find_sent(
        self, workspace_id: str, *, channel_id: str, ts: str, kind: str | None = None
    ) -> OutboxMessage | None:
        """The message Baton sent at (channel, ts): how a reaction finds its check-in."""
        stmt = select(OutboxMessage).where(
            OutboxMessage.workspace_id == workspace_id,
            OutboxMessage.channel_id == channel_id,
            OutboxMessage.ts == ts,
        )
        if kind is not None:
            stmt = stmt.where(OutboxMessage.kind == kind)
        return self._session.scalars(stmt).first()

    def by_state(self) -> list[tuple[str, int, datetime | None]]:
        """Each state with its number of rows and its earliest `not_before`: rows still to send through
        ix_outbox_due, settled ones counted from ix_outbox_settled (their `not_before` is not read: None)."""
        unsettled = self._session.execute(_UNSETTLED_BY_STATE)
        settled = self._session.execute(_SETTLED_BY_STATE)
        return [(str(state), int(count), first) for state, count, first in unsettled] + [
            (str(state), int(count), None) for state, count in settled
        ]

    def latest_id(self) -> int:
        """The id of the newest row (0 when there is none): rows inserted later have a greater one."""
        return self._session.scalar(select(func.max(OutboxMessage.id))) or 0

    def added_after(self, outbox_id: int) -> list[OutboxMessage]:
        """Rows inserted after `outbox_id`, oldest first."""
        stmt = select(OutboxMessage).where(OutboxMessage.id > outbox_id).order_by(OutboxMessage.id)
        return list(self._session.scalars(stmt))

    def pending_to_send(self, *, limit: int) -> list[OutboxMessage]:
        """Rows queued and not yet sent (Home refreshes aside), soonest first."""
        stmt = (
            select(OutboxMessage)
            .where(
                still_to_send(),
                OutboxMessage.state == OutboxState.PENDING.value,
                OutboxMessage.kind != OutboxKind.REFRESH.value,
            )
            .order_by(OutboxMessage.not_before)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

    def listing(self, *, state: str | None, limit: int) -> list[OutboxMessage]:
        stmt = select(OutboxMessage)
        if state is not None:
            stmt = stmt.where(OutboxMessage.state == state)
        return list(self._session.scalars(stmt.order_by(OutboxMessage.id.desc()).limit(limit)))

    def checkins_sent(
        self, workspace_id: str, *, team_id: int, after: datetime, until: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Check-in DMs really sent in (after, until] about a team's tasks, newest first
        (uses ix_outbox_workspace_kind_sent)."""
        stmt = (
            select(OutboxMessage)
            .join(Task, Task.id == OutboxMessage.task_id)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.kind == OutboxKind.CHECKIN.value,
                OutboxMessage.sent_at > after,
                OutboxMessage.sent_at <= until,
                OutboxMessage.state == OutboxState.SENT.value,
                Task.workspace_id == workspace_id,
                Task.team_id == team_id,
            )
            .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))
