"""Delivery of outbox rows: claim with a lease, render, send through the gateway, mark the result."""

from __future__ import annotations

import heapq
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from time import monotonic
from typing import Any, Protocol

from bot.clock import Clock
from bot.domain import worktime
from bot.domain.model import (
    Message,
    OutboxKind,
    OutboxState,
    Outgoing,
    SentItem,
    SentMessage,
    TaskStatus,
    TaskView,
)
from bot.domain.worktime import Availability
from bot.scheduler.pacing import Pacer
from bot.services.availability import AvailabilityReader
from bot.services.home import HomePublisher
from bot.services.installs import UNINSTALLED
from bot.services.messages import sent_message
from bot.services.ports import Failed, Looked, MessageSender, RetryLater, SendOutcome, Sent
from bot.services.read_models import task_view
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# 429s and 5xx are retried until then: Slack's outages last minutes to hours, and a message a day
# late is worse than a failure an operator can see in `baton outbox --state failed`.
MAX_RETRY_AGE = timedelta(hours=24)
LEASE = timedelta(minutes=2)
HOUR = timedelta(hours=1)
PACE = timedelta(seconds=1)  # per conversation: https://api.slack.com/apis/rate-limits#special
BATCH = 100  # conversations a claim takes
MAX_LOOKS_KEPT = 1000  # looks cut short whose progress is remembered (in this process)
PER_CONVERSATION = 500  # rows of one conversation a claim takes; a bundle lists what fits, "and N more"
LOOK_AHEAD_SECONDS = 30.0  # a wake-up delivers rows due this soon; later ones are the scheduler's
MIN_WAKE_SECONDS = 0.1  # never a busy loop when a due row is held by another deliverer
HOME_RETRY_SECONDS = 5.0  # a Home tab refresh Slack could not take is tried again this much later at the least


class MessageRenderer(Protocol):
    def __call__(self, message: SentMessage, *, now: datetime) -> Message: ...


@dataclass
class DeliverySummary:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    paced: int = 0
    held: int = 0  # rows held to their reader's next working period
    conversations: int = 0  # conversations claimed
    wake_in_seconds: float | None = None  # when the first paced row may go (with a pacer)
    paced_ids: list[int] = field(default_factory=list)  # the rows put back to wait their conversation's turn

    def held_back(self, delay_seconds: float, ids: Sequence[int]) -> None:
        """Rows put back to wait their conversation's turn, `delay_seconds` from now."""
        self.paced += len(ids)
        self.paced_ids.extend(ids)
        first = self.wake_in_seconds
        self.wake_in_seconds = delay_seconds if first is None else min(first, delay_seconds)

    def add(self, other: DeliverySummary) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.paced += other.paced
        self.held += other.held
        self.conversations += other.conversations
        self.paced_ids.extend(other.paced_ids)
        if other.wake_in_seconds is not None:
            first = self.wake_in_seconds
            self.wake_in_seconds = other.wake_in_seconds if first is None else min(first, other.wake_in_seconds)


@dataclass(frozen=True)
class _Claimed:
    id: int
    workspace_id: str
    dedupe_key: str
    kind: OutboxKind
    recipient_id: str
    task_id: int | None
    payload: dict[str, Any]
    attempts: int
    channel_id: str | None
    ts: str | None
    last_error: str | None
    created_at: datetime
    lease_until: datetime
    first_tried_at: datetime | None = None


@dataclass(frozen=True)
class _Facts:
    task: TaskView | None
    assignment_seq: int | None = None
    assignee_away: bool = False
    overdue_sent_today: bool = False  # to this recipient, about this task, on their local today
    overdue_overtaken: bool = False  # a later overdue moment than this notice's has come
    silent: bool = False  # the task's check-ins are still unanswered since its escalation was planned
    reader: Availability | None = None  # the recipient's, for a DM the scheduler sends


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at 30 min: 5xx and timeouts are usually short."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))


_NOT_WHILE_AWAY = (OutboxKind.CHECKIN, OutboxKind.WARNING, OutboxKind.OVERDUE, OutboxKind.REMINDER)


def _is_person(recipient_id: str) -> bool:
    return recipient_id[:1] in ("U", "W")


def still_applies(
    out: Outgoing,
    *,
    assignment_seq: int | None,
    now: datetime,
    assignee_away: bool = False,
    overdue_sent_today: bool = False,
    overdue_overtaken: bool = False,
    silent: bool = False,
) -> bool:
    """Whether a queued message still says something true when its turn comes: a check-in for a
    finished task, or a warning for a deadline that moved or passed, is skipped, never sent."""
    task = out.task
    if task is None:
        return out.kind in (OutboxKind.KUDOS, OutboxKind.RECOGNITION, OutboxKind.DIGEST)
    if out.kind is OutboxKind.REFRESH:
        return True
    if assignee_away and out.recipient_id == task.assignee_id and out.kind in _NOT_WHILE_AWAY:
        return False  # queued before their time off was recorded
    due = task.due_at.isoformat() if task.due_at else None
    tz = str(out.payload.get("tz") or "UTC")
    if (
        out.kind in (OutboxKind.CHECKIN, OutboxKind.WARNING, OutboxKind.REMINDER)
        and out.recipient_id != task.assignee_id
    ):
        return False  # reassigned since: the new assignee gets their own
    if out.kind is OutboxKind.OVERDUE:
        audience = out.payload.get("audience")
        if out.recipient_id != (task.assignee_id if audience == "assignee" else task.delegator_id):
            return False
    if out.kind is OutboxKind.CHECKIN:
        # A check-in held up past the local day it was for is not sent beside the next day's; one for a task
        # not accepted (reassigned since) would ask how work nobody took on is going.
        return (
            task.status is TaskStatus.ACCEPTED and out.payload.get("day") == worktime.local_date(now, tz=tz).isoformat()
        )
    if out.kind in (OutboxKind.REMINDER, OutboxKind.UNANSWERED):
        return task.status is TaskStatus.OPEN and out.dedupe_key.split(":")[2] == str(assignment_seq)
    if out.kind is OutboxKind.ESCALATION:
        return task.status is TaskStatus.ACCEPTED and silent
    if out.kind is OutboxKind.WARNING:
        if not (task.status.is_active and out.payload.get("due") == due and task.due_at is not None):
            return False
        if out.payload.get("hours_before") == 24 and task.due_at - HOUR <= now:
            return False  # the 1-hour warning's turn has come: the 24-hour one is old news
        return now < task.due_at
    if out.kind is OutboxKind.OVERDUE:
        if not (task.status.is_active and out.payload.get("due") == due and task.due_at is not None):
            return False
        # A notice held up (to working hours, paced, retried, caught up) counts for the day it goes out on,
        # like a check-in: that day's own one is then not sent as well; and one a later overdue moment has
        # overtaken is old news (that moment has its own notice).
        return not overdue_sent_today and not overdue_overtaken
    if out.kind is OutboxKind.ASSIGNMENT:
        return (
            task.status is TaskStatus.OPEN
            and task.assignee_id == out.recipient_id
            and out.payload.get("seq") == assignment_seq
        )
    if out.kind is OutboxKind.DUE_CHANGED:
        return not task.status.is_final and (
            out.payload.get("new_due") == (task.due_at.isoformat() if task.due_at else None)
        )
    if out.kind is OutboxKind.CELEBRATION:
        return task.status is TaskStatus.DONE
    return True


class Delivery:
    """Sends what is due in the outbox; a pass and the post-commit path both use it.

    A claim takes whole conversations: everything the scheduler has for one person at a pass goes out as
    one message (CONTRACT: one DM per person per pass), each row keeping its own dedupe key, all of them
    in the message's metadata. Rows for a person outside their working time wait for it.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        sender: MessageSender,
        render: MessageRenderer,
        lease: timedelta = LEASE,
        max_retry_age: timedelta = MAX_RETRY_AGE,
        pacer: Pacer | None = None,
    ) -> None:
        self._uow = uow
        # With a pacer, conversations are paced across every delivery of this process (real time);
        # without one, only within a batch. `on_paced(seconds)` asks for a delivery when they are due.
        self._pacer = pacer
        self.on_paced: Callable[[float], None] | None = None
        self._clock = clock
        self._sender = sender
        self._render = render
        self._lease = lease
        self._max_retry_age = max_retry_age
        # Shutdown (SIGTERM): once stopping, nothing more is claimed; `_running` counts deliver() calls.
        self._stopping = False
        self._running = 0
        self._idle = threading.Condition()
        # Looks cut short by the history budget, by (workspace, conversation, window): how far down each read
        # and what it found, so the next look goes on from there instead of reading the newest page again.
        self._looks: OrderedDict[tuple[str, str, str | None, str | None], Looked] = OrderedDict()
        self._looks_lock = threading.Lock()

    def stop(self, *, timeout: float) -> bool:
        """Shutdown: claim nothing more, put claimed rows not yet sent back to pending, and wait up to
        `timeout` seconds for sends in flight; True when no delivery is still running."""
        with self._idle:
            self._stopping = True
            return self._idle.wait_for(lambda: self._running == 0, timeout=timeout)

    def deliver(self, *, ids: Sequence[int] | None = None, limit: int = BATCH) -> DeliverySummary:
        """Claim up to `limit` conversations' due rows (or just `ids`) and send each once.

        Slack allows about one message a second per conversation, so a message for a conversation that
        had one too recently (in this claim; with a pacer, anywhere in this process) goes back to wait
        its turn, without counting an attempt, while the other conversations go on.
        """
        summary = DeliverySummary()
        with self._idle:
            if self._stopping:
                return summary
            self._running += 1
        try:
            messages = self._claim(ids=ids, limit=limit, summary=summary)
            for index, rows in enumerate(messages):
                if self._stopping:
                    self._release([row for later in messages[index:] for row in later])
                    break
                # With a pacer the claim put busy conversations' messages back in turn already; this
                # catches a post made meanwhile by another thread.
                first = rows[0]
                wait = 0.0
                if first.kind is not OutboxKind.REFRESH and self._pacer is not None:
                    wait = self._pacer.wait_seconds(first.workspace_id, first.recipient_id)
                if wait > 0:
                    self._put_back(rows, delay_seconds=wait)
                    summary.held_back(wait, [row.id for row in rows])
                    continue
                if first.kind is OutboxKind.REFRESH:
                    self._deliver_refresh(first, summary)
                elif self._deliver_message(rows, summary) and self._pacer is not None:
                    self._pacer.posted(first.workspace_id, first.recipient_id)
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()
        if summary.wake_in_seconds is not None and self._pacer is not None and self.on_paced is not None:
            self.on_paced(summary.wake_in_seconds)
        return summary

    def waiting(self, ids: Sequence[int]) -> tuple[set[int], float | None]:
        """Of rows put back to wait their turn, those not sent yet, and the seconds until the first is due."""
        now = self._clock.now()
        with self._uow(read_only=True) as uow:
            rows = [r for r in uow.outbox.many(ids) if r.state in (OutboxState.PENDING, OutboxState.SENDING)]
            left = {r.id for r in rows}
            first = min((r.not_before for r in rows), default=None)
        return left, None if first is None else (first - now).total_seconds()

    def next_due_in(self) -> float | None:
        """Seconds until the next row still to send falls due (negative: overdue), None when none is."""
        with self._uow(read_only=True) as uow:
            due = uow.outbox.next_due()
        return None if due is None else (due - self._clock.now()).total_seconds()

    # claiming ------------------------------------------------------------------------------------
    def _claim(self, *, ids: Sequence[int] | None, limit: int, summary: DeliverySummary) -> list[list[_Claimed]]:
        """Claim, then split each conversation's rows into messages: everything bundled into one, the
        others one each, a refresh each. Posts beyond the first per conversation go back to wait their
        turn inside the claim's own transaction."""
        now = self._clock.now()
        if ids is None:
            with self._uow(read_only=True) as uow:
                if not uow.probe.outbox_due(now):
                    return []  # nothing to send: no write transaction
        with self._uow() as uow:
            if ids is not None:
                rows = uow.outbox.claim(now=now, limit=limit, lease=self._lease, ids=ids)
            else:
                rows = uow.outbox.claim_conversations(
                    now=now, limit=limit, lease=self._lease, per_conversation=PER_CONVERSATION
                )
            summary.conversations = len({(r.workspace_id, r.recipient_id) for r in rows})
            uninstalled = uow.workspaces.uninstalled() if rows else set()
            for r in rows:
                if r.workspace_id in uninstalled:  # app_uninstalled came after this row was planned
                    r.state, r.last_error, r.lease_until = OutboxState.SKIPPED.value, UNINSTALLED, None
            rows = [r for r in rows if r.workspace_id not in uninstalled]
            messages = self._pace_at_claim(_messages(rows), now=now, summary=summary)
            claimed = [[_claimed(r, now=now) for r in message] for message in messages]
            uow.commit()
        return claimed

    def _pace_at_claim(self, messages: list[list[Any]], *, now: datetime, summary: DeliverySummary) -> list[list[Any]]:
        """Keep one post per free conversation to send now; put the others back, each behind the one before
        it (`gap` apart). Refreshes (chat.update) are not posts and always go."""
        gap = self._pacer.gap_seconds if self._pacer is not None else PACE.total_seconds()
        behind: dict[tuple[str, str], int] = {}
        keep = []
        for message in messages:
            first = message[0]
            if first.kind == OutboxKind.REFRESH.value:
                keep.append(message)
                continue
            key = (first.workspace_id, first.recipient_id)
            queued = behind.get(key, 0)
            behind[key] = queued + 1
            wait = self._pacer.wait_seconds(*key) if self._pacer is not None else 0.0
            if wait <= 0 and queued == 0:
                keep.append(message)
                continue
            delay = wait + queued * gap if self._pacer is not None else max(queued, 1) * gap
            for row in message:
                row.state, row.lease_until = OutboxState.PENDING.value, None
                row.not_before = now + timedelta(seconds=delay)
            summary.held_back(delay, [row.id for row in message])
        return keep

    # sending -------------------------------------------------------------------------------------
    def _deliver_message(self, rows: list[_Claimed], summary: DeliverySummary) -> bool:
        """Send one message carrying `rows` (one conversation) and mark them; True when Slack was asked to post."""
        rows = self._renew(rows)
        if not rows:
            return False
        now = self._clock.now()
        facts = self._facts(rows, now=now)
        live: list[tuple[_Claimed, Outgoing]] = []
        for row in rows:
            fact = facts[row.id]
            out = Outgoing(
                kind=row.kind,
                dedupe_key=row.dedupe_key,
                recipient_id=row.recipient_id,
                task=fact.task,
                payload=row.payload,
            )
            if (row.task_id is not None and fact.task is None) or not still_applies(
                out,
                assignment_seq=fact.assignment_seq,
                now=now,
                assignee_away=fact.assignee_away,
                overdue_sent_today=fact.overdue_sent_today,
                overdue_overtaken=fact.overdue_overtaken,
                silent=fact.silent,
            ):
                self._mark([row], state=OutboxState.SKIPPED, error="no longer applies")
                summary.skipped += 1
                continue
            if fact.reader is not None and not worktime.is_working(now, fact.reader):
                # Outside the person's working time now (their hours, a holiday, a status that says away):
                # held to the start of their next working period, not counted as an attempt.
                until = worktime.next_working_start(now, fact.reader)
                self._mark([row], state=OutboxState.PENDING, not_before=until, uncount=True)
                summary.held += 1
                continue
            live.append((row, out))
        if not live:
            return False
        first = live[0][0]
        rows_live = [row for row, _ in live]
        # A DM is posted to the person's id (Slack answers with the DM's own id, kept for redraws): no
        # conversations.open before every DM.
        channel = next((row.channel_id for row in rows_live if row.channel_id), None)
        if channel is None:
            channel = self._known_dm(first) or first.recipient_id
        # A previous attempt may have reached Slack with its answer lost: look before posting again.
        suspects = [row for row in rows_live if row.attempts > 1 and row.last_error != "ratelimited"]
        if suspects:
            looked = self._look_for(first, suspects, [row.dedupe_key for row in rows_live], channel=channel)
            if isinstance(looked, RetryLater | Failed):
                self._settle(rows_live, looked, channel=None, now=now, summary=summary)
                return True
            look_in, found = looked
            for ts in dict.fromkeys(found.values()):
                posted = [row for row in rows_live if found.get(row.dedupe_key) == ts]
                self._settle(posted, Sent(channel=look_in, ts=ts), channel=look_in, now=now, summary=summary)
            live = [(row, out) for row, out in live if row.dedupe_key not in found]
            if not live:
                return True
            rows_live = [row for row, _ in live]
        message = SentMessage(items=tuple(SentItem(out=out) for _, out in live))
        outcome = self._sender.post_message(
            first.workspace_id, channel, self._render(message, now=now), dedupe_keys=message.dedupe_keys
        )
        self._settle(rows_live, outcome, channel=channel, now=now, summary=summary)
        return True

    def _known_dm(self, row: _Claimed) -> str | None:
        if not _is_person(row.recipient_id):
            return None
        with self._uow(read_only=True) as uow:
            return uow.people.dm_channel(row.workspace_id, row.recipient_id)

    def _look_for(
        self, first: _Claimed, suspects: Sequence[_Claimed], keys: Sequence[str], *, channel: str
    ) -> tuple[str, dict[str, str]] | RetryLater | Failed:
        """Whether a message carrying these keys is already in the conversation: (conversation, key -> ts), or
        why Baton could not tell yet (then nothing is posted: a look cut short is not "not there"). It reads
        only what came after the last message Baton knew there before its first try, a page at a time."""
        look_in = channel
        if _is_person(look_in):  # never posted to them yet: history needs the DM's own id
            opened = self._sender.open_dm(first.workspace_id, first.recipient_id)
            if not isinstance(opened, str):
                return opened
            look_in = opened
        tried = min((row.first_tried_at for row in suspects if row.first_tried_at is not None), default=None)
        oldest = latest = None
        if tried is not None:
            with self._uow(read_only=True) as uow:
                oldest = uow.outbox.last_ts_before(first.workspace_id, channel_id=look_in, before=tried)
                latest = uow.outbox.first_ts_after(first.workspace_id, channel_id=look_in, after=tried)
        window = (first.workspace_id, look_in, oldest, latest)
        with self._looks_lock:
            before = self._looks.pop(window, None)
        if before is not None and before.read_down_to is not None:
            latest = before.read_down_to  # what is newer was read already
        looked = self._sender.find_posted(first.workspace_id, look_in, dedupe_keys=keys, oldest=oldest, latest=latest)
        found = {**(before.found if before is not None else {}), **looked.found}
        if not looked.complete and not all(row.dedupe_key in found for row in suspects):
            with self._looks_lock:
                read_down_to = looked.read_down_to or (before.read_down_to if before is not None else None)
                self._looks[window] = Looked(found=found, complete=False, read_down_to=read_down_to)
                while len(self._looks) > MAX_LOOKS_KEPT:
                    self._looks.popitem(last=False)
            wait = looked.retry_after
            if wait is None:
                wait = backoff(max(r.attempts for r in suspects)).total_seconds()
            return RetryLater("history not read", after_seconds=wait, attempted=False)
        return look_in, found

    def _settle(
        self,
        rows: list[_Claimed],
        outcome: SendOutcome | Failed | RetryLater,
        *,
        channel: str | None,
        now: datetime,
        summary: DeliverySummary,
    ) -> None:
        """Record what Slack said of a message for every row it carried."""
        workspace = rows[0].workspace_id
        if isinstance(outcome, Sent):
            marked = self._mark(rows, state=OutboxState.SENT, channel=outcome.channel, ts=outcome.ts, now=now)
            summary.sent += marked
            log.info(
                "outbox.sent",
                extra={"outbox_ids": [r.id for r in rows][:20], "workspace": workspace, "kind": rows[0].kind.value},
            )
            return
        oldest = min(row.created_at for row in rows)
        if isinstance(outcome, RetryLater) and not outcome.attempted and now - oldest < self._max_retry_age:
            # Held back before Slack saw it (over the method's budget, or a look that must wait): it waits its
            # turn like a paced message, not counted as an attempt.
            wait = outcome.after_seconds if outcome.after_seconds is not None else PACE.total_seconds()
            self._mark(rows, state=OutboxState.PENDING, not_before=now + timedelta(seconds=wait), uncount=True)
            summary.held_back(wait, [row.id for row in rows])
            return
        if isinstance(outcome, RetryLater) and now - oldest < self._max_retry_age:
            if self._pacer is not None and outcome.after_seconds is not None and outcome.reason == "ratelimited":
                # Slack's Retry-After holds the whole conversation, not just this message.
                self._pacer.hold(workspace, rows[0].recipient_id, outcome.after_seconds)
            attempts = max(row.attempts for row in rows)
            wait_for = (
                timedelta(seconds=outcome.after_seconds) if outcome.after_seconds is not None else backoff(attempts)
            )
            self._mark(
                rows, state=OutboxState.PENDING, channel=channel, error=outcome.reason, not_before=now + wait_for
            )
            summary.retried += len(rows)
            log.info("outbox.retry", extra={"outbox_ids": [r.id for r in rows][:20], "reason": outcome.reason})
            return
        reason = outcome.reason
        if isinstance(outcome, RetryLater):
            reason = f"gave up after {max(row.attempts for row in rows)} attempts over 24 h: {reason}"
        self._mark(rows, state=OutboxState.FAILED, channel=channel, error=reason)
        summary.failed += len(rows)
        log.warning("outbox.failed", extra={"outbox_ids": [r.id for r in rows][:20], "reason": reason})

    def _deliver_refresh(self, row: _Claimed, summary: DeliverySummary) -> None:
        """Draw a message Baton sent again as its tasks now stand (a task done, cancelled, reassigned)."""
        renewed = self._renew([row])
        if not renewed:
            return
        row = renewed[0]
        now = self._clock.now()
        channel, ts = str(row.payload.get("channel") or ""), str(row.payload.get("ts") or "")
        shown = self.sent_message(row.workspace_id, channel_id=channel, ts=ts)
        if shown is None:
            self._mark([row], state=OutboxState.SKIPPED, error="message not found")
            summary.skipped += 1
            return
        outcome = self._sender.edit_message(row.workspace_id, channel, ts, self._render(shown, now=now))
        if isinstance(outcome, Sent):
            self._mark([row], state=OutboxState.SENT, channel=channel, ts=ts, now=now)
            summary.sent += 1
            return
        self._settle([row], outcome, channel=channel, now=now, summary=summary)

    def sent_message(self, workspace_id: str, *, channel_id: str, ts: str) -> SentMessage | None:
        """A message Baton sent, with every row it carries, their tasks as they stand now and their answers."""
        with self._uow(read_only=True) as uow:
            return sent_message(uow, workspace_id, channel_id=channel_id, ts=ts)

    # facts and marks -----------------------------------------------------------------------------
    def _facts(self, rows: Sequence[_Claimed], *, now: datetime) -> dict[int, _Facts]:
        """What each row's message needs to know, read in one unit of work for the whole message."""
        found: dict[int, _Facts] = {}
        with self._uow(read_only=True) as uow:
            people = AvailabilityReader(uow, now=now)
            workspace = rows[0].workspace_id
            tasks = uow.tasks.many(workspace, [r.task_id for r in rows if r.task_id is not None])
            teams: dict[int, Any] = {}
            for row in rows:
                found[row.id] = _facts_of(uow, row, now=now, people=people, tasks=tasks, teams=teams)
        return found

    def _renew(self, rows: Sequence[_Claimed]) -> list[_Claimed]:
        """The rows with a fresh lease, dropping those no longer ours: checked just before each send, so a
        batch that outlives its lease (a slow Slack) never posts what another replica took over."""
        now = self._clock.now()
        until = now + self._lease
        kept: list[_Claimed] = []
        with self._uow() as uow:
            for held_until in {row.lease_until for row in rows}:
                batch = [row for row in rows if row.lease_until == held_until]
                ours = uow.outbox.renew_leases([row.id for row in batch], held_until=held_until, now=now, until=until)
                for row in batch:
                    if row.id in ours:
                        kept.append(
                            replace(
                                row,
                                lease_until=until,
                                attempts=row.attempts + 1,
                                first_tried_at=row.first_tried_at or now,
                            )
                        )
                    else:
                        log.warning("outbox.lease_lost", extra={"outbox_id": row.id, "workspace": row.workspace_id})
            uow.commit()
        order = {row.id: index for index, row in enumerate(rows)}
        kept.sort(key=lambda row: order[row.id])
        return kept

    def _put_back(self, rows: Sequence[_Claimed], *, delay_seconds: float) -> None:
        self._mark(
            list(rows),
            state=OutboxState.PENDING,
            not_before=self._clock.now() + timedelta(seconds=delay_seconds),
        )

    def _release(self, rows: Sequence[_Claimed]) -> None:
        """Hand rows claimed but not sent back to pending (attempt not counted), for the next pass anywhere."""
        with self._uow() as uow:
            released = []
            for row in rows:
                stored = uow.outbox.get(row.id)
                if stored is None or stored.state != OutboxState.SENDING or stored.lease_until != row.lease_until:
                    continue  # another deliverer holds it now
                stored.state = OutboxState.PENDING.value
                stored.lease_until = None
                stored.not_before = self._clock.now()  # due at once, for any deliverer
                released.append(row.id)
            uow.commit()
        log.info("outbox.released", extra={"count": len(released), "outbox_ids": released[:20]})

    def _mark(
        self,
        rows: Sequence[_Claimed],
        *,
        state: OutboxState,
        channel: str | None = None,
        ts: str | None = None,
        error: str | None = None,
        now: datetime | None = None,
        not_before: datetime | None = None,
        uncount: bool = False,
    ) -> int:
        """Record the rows' outcome in one transaction; returns how many were still ours (another deliverer
        that took a row after our lease ran out has its word, not us)."""
        marked = 0
        with self._uow() as uow:
            loaded = uow.outbox.many_by_id([row.id for row in rows])
            for row in rows:
                stored = loaded.get(row.id)
                if stored is None or stored.state != OutboxState.SENDING or stored.lease_until != row.lease_until:
                    log.warning("outbox.lease_lost", extra={"outbox_id": row.id})
                    continue
                marked += 1
                stored.state = state.value
                stored.lease_until = None
                if uncount:
                    stored.attempts -= 1
                if channel is not None:
                    stored.channel_id = channel
                if ts is not None:
                    stored.ts = ts
                    stored.sent_at = now
                if error is not None:
                    stored.last_error = error[:200]
                if not_before is not None:
                    stored.not_before = not_before
                if state is OutboxState.SENT and row.task_id is not None and row.kind is not OutboxKind.REFRESH:
                    _after_sent(uow, row, channel=channel, ts=ts)
            if (
                state is OutboxState.SENT
                and channel
                and channel[:1] == "D"
                and rows
                and _is_person(rows[0].recipient_id)
            ):
                uow.people.remember_dm(rows[0].workspace_id, rows[0].recipient_id, channel)
            uow.commit()
        return marked


def _after_sent(uow: UnitOfWork, row: _Claimed, *, channel: str | None, ts: str | None) -> None:
    """A task remembers its assignment DM, so the DM can be drawn again as the task changes."""
    if row.kind is not OutboxKind.ASSIGNMENT:
        return
    assert row.task_id is not None
    task = uow.tasks.get(row.workspace_id, row.task_id)
    if task is not None:
        task.assignment_channel_id = channel
        task.assignment_ts = ts


def _messages(rows: Sequence[Any]) -> list[list[Any]]:
    """One conversation's rows as the messages they go out in: every bundled row of a conversation in one
    message, every other row alone; in the order their first rows were claimed."""
    messages: list[list[Any]] = []
    bundles: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        if OutboxKind(row.kind).is_bundled and _is_person(row.recipient_id):
            key = (row.workspace_id, row.recipient_id)
            if key not in bundles:
                bundles[key] = []
                messages.append(bundles[key])
            bundles[key].append(row)
        else:
            messages.append([row])
    return messages


def _claimed(row: Any, *, now: datetime) -> _Claimed:
    return _Claimed(
        id=row.id,
        workspace_id=row.workspace_id,
        dedupe_key=row.dedupe_key,
        kind=OutboxKind(row.kind),
        recipient_id=row.recipient_id,
        task_id=row.task_id,
        payload=dict(row.payload or {}),
        attempts=row.attempts,
        channel_id=row.channel_id,
        ts=row.ts,
        last_error=row.last_error,
        created_at=row.created_at,
        lease_until=row.lease_until or now,
        first_tried_at=row.first_tried_at,
    )


def _facts_of(
    uow: UnitOfWork,
    row: _Claimed,
    *,
    now: datetime,
    people: AvailabilityReader,
    tasks: dict[int, Any],
    teams: dict[int, Any],
) -> _Facts:
    if row.task_id is None:
        reader = None
        if row.kind.is_scheduled_dm and _is_person(row.recipient_id):
            reader = people.of(row.workspace_id, row.recipient_id)
        return _Facts(task=None, reader=reader)
    task = tasks.get(row.task_id)
    if task is None:
        return _Facts(task=None)
    if task.team_id is not None and task.team_id not in teams:
        teams[task.team_id] = uow.teams.get(row.workspace_id, task.team_id, with_managers=False)
    team = teams.get(task.team_id) if task.team_id is not None else None
    calendar = team.calendar if team else None
    away = False
    if row.kind in _NOT_WHILE_AWAY:
        away = any(p.starts_at <= now for p in people.away(row.workspace_id, task.assignee_id) if p.ends_at > now)
    sent_today = overtaken = False
    if row.kind is OutboxKind.OVERDUE and task.due_at is not None:
        assignee = people.of(row.workspace_id, task.assignee_id, team_calendar=calendar)
        latest = worktime.latest_overdue_moment(task.due_at, who=assignee, now=now)
        planned = str(row.payload.get("moment") or "")
        overtaken = latest is not None and bool(planned) and latest > datetime.fromisoformat(planned)
        tz = str(row.payload.get("tz") or "UTC")
        midnight = worktime.at_local(worktime.local_date(now, tz=tz), time(0, 0), tz=tz)
        sent_today = uow.outbox.was_sent(
            row.workspace_id,
            task_id=task.id,
            kind=OutboxKind.OVERDUE.value,
            recipient_id=row.recipient_id,
            since=midnight,
        )
    reader = None
    if row.kind.is_scheduled_dm and _is_person(row.recipient_id):
        reader = people.of(row.workspace_id, row.recipient_id, team_calendar=calendar)
    return _Facts(
        task=task_view(task, team_channel_id=team.channel_id if team else None),
        assignment_seq=task.assignment_seq,
        assignee_away=away,
        overdue_sent_today=sent_today,
        overdue_overtaken=overtaken,
        silent=task.escalated_at is not None,
        reader=reader,
    )


class Cancellable(Protocol):
    def cancel(self) -> None: ...


def _thread_timer(seconds: float, run: Callable[[], None]) -> threading.Timer:
    timer = threading.Timer(seconds, run)
    timer.daemon = True  # a refresh still waiting never holds up the process's exit
    timer.start()
    return timer


@dataclass
class BackgroundDeliverer:
    """The services' Deliverer: after a commit, send and refresh Home tabs off the request path."""

    delivery: Delivery
    home: HomePublisher
    executor: Executor
    on_error: Callable[[BaseException], None] = field(default=lambda e: log.error("delivery.crashed", exc_info=e))
    # A person's Home tab is published at most once in this many seconds (0: after every change); the changes
    # in between are gathered into one refresh when the time is up. A burst of tasks then costs one
    # views.publish per person instead of one per task.
    home_interval_seconds: float = 0.0
    monotonic: Callable[[], float] = monotonic
    # Runs a callable after some seconds and returns something with .cancel(); tests fire them by hand.
    start_timer: Callable[[float, Callable[[], None]], Cancellable] = field(default=lambda s, f: _thread_timer(s, f))

    # Home tabs waiting to be re-published; a refresh already queued for a person serves every
    # change made before it runs, so a burst of changes publishes once, not once per change.
    _pending_homes: set[tuple[str, str]] = field(default_factory=set)
    _published_at: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _timers: set[Cancellable] = field(default_factory=set)
    _wakes: list[float] = field(default_factory=list)  # heap: when paced rows fall due (monotonic)
    _wake_timer_at: float | None = None  # when the one wake-up timer fires

    def __post_init__(self) -> None:
        if self.delivery is not None:
            # Rows paced behind another message to the same conversation are delivered when due.
            self.delivery.on_paced = self.wake_after

    def deliver(self, outbox_ids: Sequence[int], *, workspace_id: str, touched: Sequence[str] = ()) -> None:
        now = self.monotonic()
        homes: list[str] = []
        later: list[tuple[str, float]] = []
        with self._lock:
            for user_id in dict.fromkeys(touched):
                key = (workspace_id, user_id)
                if key in self._pending_homes:
                    continue
                self._pending_homes.add(key)
                last = self._published_at.get(key)
                wait = 0.0 if last is None else last + self.home_interval_seconds - now
                if wait > 0:
                    later.append((user_id, wait))
                else:
                    homes.append(user_id)
        for user_id, wait in later:
            self._later(wait, self._submit, [], workspace_id, [user_id])
        if outbox_ids or homes:
            self._submit(list(outbox_ids), workspace_id, homes)

    def deliver_home_later(self, workspace_id: str, user_id: str, seconds: float) -> None:
        """Publish someone's Home tab again after `seconds` (a refresh Slack could not take now). One refresh
        waits per person: the changes made meanwhile are shown by it, so refreshes do not multiply."""
        with self._lock:
            if (workspace_id, user_id) in self._pending_homes:
                return
            self._pending_homes.add((workspace_id, user_id))
        self._later(seconds, self._submit, [], workspace_id, [user_id])

    def wake_after(self, seconds: float) -> None:
        """Deliver again once paced rows are due. The moments wait in a heap behind one timer, set for
        the earliest; each wake-up runs one delivery and sets the timer for the next moment."""
        at = self.monotonic() + seconds
        with self._lock:
            heapq.heappush(self._wakes, at)
            if self._wake_timer_at is not None and self._wake_timer_at <= at:
                return
            self._wake_timer_at = at
        self._later(seconds, self._wake, at)

    def close(self) -> None:
        """Cancel the refreshes and wake-ups still waiting (shutdown); the outbox keeps their rows."""
        with self._lock:
            timers, self._timers = set(self._timers), set()
        for timer in timers:
            timer.cancel()

    def _wake(self, at: float) -> None:
        with self._lock:
            if self._wake_timer_at != at:
                return  # superseded by a timer for an earlier moment, which carries the chain on
            until = max(at, self.monotonic())
            while self._wakes and self._wakes[0] <= until:
                heapq.heappop(self._wakes)
            following = self._wakes[0] if self._wakes else None
            self._wake_timer_at = following
        self.executor.submit(self._drain)
        if following is not None:
            self._later(max(0.0, following - until), self._wake, following)

    def _drain(self) -> None:
        try:
            self.delivery.deliver()  # every due row; what is still paced asks for the next wake-up
            # Rows held back elsewhere (a `baton tick`, another replica that stopped) fall due too:
            # wake for the next one if it is near, else the scheduler's next pass takes it.
            seconds = self.delivery.next_due_in()
            if seconds is not None and seconds <= LOOK_AHEAD_SECONDS:
                self.wake_after(max(seconds, MIN_WAKE_SECONDS))
        except Exception as error:
            self.on_error(error)

    def _submit(self, outbox_ids: list[int], workspace_id: str, touched: list[str]) -> None:
        self.executor.submit(self._run, outbox_ids, workspace_id, touched)

    def _later(self, seconds: float, run: Callable[..., None], *args: Any) -> None:
        timer: Cancellable | None = None

        def fire() -> None:
            with self._lock:
                self._timers.discard(timer)
            try:
                run(*args)
            except RuntimeError:  # the executor was shut down meanwhile: the outbox keeps the rows
                log.info("delivery.timer_after_shutdown")

        with self._lock:
            timer = self.start_timer(seconds, fire)
            self._timers.add(timer)

    def _run(self, outbox_ids: list[int], workspace_id: str, touched: list[str]) -> None:
        retry: list[tuple[str, float]] = []
        try:
            if outbox_ids:
                self.delivery.deliver(ids=outbox_ids, limit=len(outbox_ids))
            for user_id in touched:
                with self._lock:  # from here on a new change queues a new refresh
                    self._pending_homes.discard((workspace_id, user_id))
                    self._published_at[(workspace_id, user_id)] = self.monotonic()
                outcome = self.home.publish(workspace_id, user_id)
                if isinstance(outcome, RetryLater):
                    # Over Slack's budget (or a 429): the refresh waits its turn rather than being dropped,
                    # so the Home tab does not show stale tasks until the next change.
                    retry.append((user_id, outcome.after_seconds or HOME_RETRY_SECONDS))
        except Exception as error:  # a bug here must not vanish silently with the thread
            self.on_error(error)
        finally:
            with self._lock:
                self._pending_homes.difference_update((workspace_id, u) for u in touched)
        for user_id, seconds in retry:
            self.deliver_home_later(workspace_id, user_id, seconds)
