"""The outbox's claim/send/settle loop: claim due rows with a lease, render, send through the gateway, mark."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, overload

from bot.clock import Clock
from bot.domain import worktime
from bot.domain.model import Message, OutboxKind, OutboxState, Outgoing, SentItem, SentMessage
from bot.domain.payloads import RefreshPayload, payload_as
from bot.domain.still_true import still_true
from bot.scheduler.delivery.bundles import messages_of
from bot.scheduler.delivery.lost_messages import LostMessageSearch
from bot.scheduler.delivery.row_context import read_contexts
from bot.scheduler.delivery.rows import ClaimedRow, backoff, claimed_row, is_person
from bot.scheduler.delivery.summary import DeliverySummary
from bot.scheduler.pacing import Pacer
from bot.services.installs import UNINSTALLED
from bot.services.messages import sent_message
from bot.services.ports import Failed, MessageSender, RetryLater, SendOutcome, Sent
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# 429s and 5xx are retried until then: Slack's outages last minutes to hours, and a message a day
# late is worse than a failure an operator can see in `baton outbox --state failed`.
MAX_RETRY_AGE = timedelta(hours=24)
LEASE = timedelta(minutes=2)
PACE = timedelta(seconds=1)  # per conversation: https://api.slack.com/apis/rate-limits#special
BATCH = 100  # conversations a claim takes
PER_CONVERSATION = 500  # rows of one conversation a claim takes; a bundle lists what fits, "and N more"


class MessageRenderer(Protocol):
    def __call__(self, message: SentMessage, *, now: datetime) -> Message: ...


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
        # With a pacer, conversations are paced across every delivery of this process, or of every worker of
        # one `baton serve` with a shared one (real time); without one, only within a batch. `on_paced(seconds)`
        # asks for a delivery when they are due.
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
        self._lost_messages = LostMessageSearch(uow=uow, sender=sender)

    def stop(self, *, timeout: float) -> bool:
        """Shutdown: claim nothing more, put claimed rows not yet sent back to pending, and wait up to
        `timeout` seconds for sends in flight; True when no delivery is still running."""
        with self._idle:
            self._stopping = True
            return self._idle.wait_for(lambda: self._running == 0, timeout=timeout)

    def deliver(
        self, *, ids: Sequence[int] | None = None, limit: int = BATCH, posts: Mapping[int, str] | None = None
    ) -> DeliverySummary:
        """Claim up to `limit` conversations' due rows (or just `ids`) and send each once. `posts`: those of `ids`
        known to be posts, with their workspace (what the commit that queued them said).

        Slack allows about one message a second per conversation, so a message for a conversation that
        had one too recently (in this claim; with a pacer, anywhere in this process or its server) goes back to wait
        its turn, without counting an attempt, while the other conversations go on.
        """
        summary = DeliverySummary()
        with self._idle:
            if self._stopping:
                return summary
            self._running += 1
        try:
            if ids is not None:
                ids = self._without_paused_posts(ids, summary, posts or {})
            messages, renewed = self._claim(ids=ids, limit=limit, summary=summary) if ids is None or ids else ([], None)
            # `renewed`: this message's rows, renewed with the claim (the first) or with the last one's mark
            held: set[int] = set()  # messages put back to wait for their workspace's budget
            for index, rows in enumerate(messages):
                if index in held:
                    continue
                first = rows[0]
                if renewed is None and self._stopping:
                    left = [later for i, later in enumerate(messages) if i >= index and i not in held]
                    self._release([row for later in left for row in later])
                    break
                if self._hold_for_budget(messages, index, held, renewed=renewed, summary=summary):
                    renewed = None
                    continue
                if renewed is None:
                    # With a pacer the claim put busy conversations' messages back in turn already; this
                    # catches a post made meanwhile by another thread or worker, and takes the turn.
                    wait = self._take_turn(first)
                    if wait > 0:
                        wait = self._book(first, [row.id for row in rows], wait)
                        self._put_back(rows, delay_seconds=wait)
                        summary.held_back(wait, [row.id for row in rows])
                        continue
                following = next((i for i in range(index + 1, len(messages)) if i not in held), None)
                next_up = _NextUp(messages[following]) if following is not None else None
                if first.kind is OutboxKind.REFRESH:
                    self._deliver_refresh(first, summary, renewed=renewed, next_up=next_up)
                elif self._deliver_message(rows, summary, renewed=renewed, next_up=next_up) and self._pacer is not None:
                    self._pacer.posted(first.workspace_id, first.recipient_id)
                renewed = next_up.renewed if next_up is not None else None
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

    def next_due_in(self, *, not_yet_due: bool = False) -> float | None:
        """Seconds until the next row still to send falls due (negative: overdue), None when none is; with
        `not_yet_due`, the next of those not due yet (rows put back for their turn, posts given a place in the budget,
        leases running)."""
        now = self._clock.now()
        with self._uow(read_only=True) as uow:
            due = uow.outbox.next_due(after=now if not_yet_due else None)
        return None if due is None else (due - now).total_seconds()

    def post_budget_wait(self) -> float:
        """Seconds until a post may go again where Slack's chat.postMessage budget is spent (the soonest of those
        workspaces); 0 when none is."""
        return min(self._sender.paused_posts().values(), default=0.0)

    # claiming ------------------------------------------------------------------------------------
    def _claim(
        self, *, ids: Sequence[int] | None, limit: int, summary: DeliverySummary
    ) -> tuple[list[list[ClaimedRow]], list[ClaimedRow] | None]:
        """Claim, then split each conversation's rows into messages: everything bundled into one, the
        others one each, a refresh each. Posts beyond the first per conversation go back to wait their
        turn inside the claim's own transaction, and the first message, when it may go at once, is renewed in
        it (its try counted, as a mark renews the message after it): the messages, and the first one renewed."""
        now = self._clock.now()
        if ids is None:
            with self._uow(read_only=True) as uow:
                if not uow.probe.outbox_due(now):
                    return [], None  # nothing to send: no write transaction
        with self._uow() as uow:
            # Posts to a workspace whose chat.postMessage budget cannot take all a claim could bring wait for their
            # places in it where they are (those with a place free now stay due), rather than being claimed, found
            # unsendable and put back (a burst of commands past the budget). A commit's rows are deferred so only
            # where Slack itself said to wait (a 429), so that every replica sees it; the others were left as they
            # are (`_without_paused_posts`).
            tight = self._tight_budgets(limit) if ids is None else set(self._spent_budgets()[1])
            for workspace_id in sorted(tight):
                later = uow.outbox.defer_posts(workspace_id, now=now, moments=self._post_moments(workspace_id, now))
                if later:
                    summary.held_back((min(later.values()) - now).total_seconds(), list(later))
            if ids is not None:
                rows = uow.outbox.claim(now=now, limit=limit, lease=self._lease, ids=ids)
            else:
                rows = uow.outbox.claim_conversations(
                    now=now, limit=limit, lease=self._lease, per_conversation=PER_CONVERSATION
                )
            summary.conversations = len({(r.workspace_id, r.recipient_id) for r in rows})
            uninstalled = uow.workspaces.uninstalled() if rows else set()
            gone = [r for r in rows if r.workspace_id in uninstalled]  # app_uninstalled came after they were planned
            _settle_held(uow, gone, state=OutboxState.SKIPPED, error=UNINSTALLED)
            rows = [r for r in rows if r.workspace_id not in uninstalled]
            messages = self._pace_at_claim(messages_of(rows), now=now, summary=summary)
            uow.outbox.put_back_claimed(
                [(r.id, not_before) for message, not_before in messages.put_back for r in message]
            )
            claimed = [[claimed_row(r, now=now) for r in message] for message in messages.keep]
            first = None
            if claimed and self._goes_at_once(claimed[0][0]):
                first = self._renew_in(uow, claimed[0])
            uow.commit()
        return claimed, first

    def _goes_at_once(self, first: ClaimedRow) -> bool:
        """Whether a message may go as soon as it is drawn: not stopping, for a post a place in its workspace's
        budget (a refresh is a chat.update), and its conversation's turn come, which it then takes."""
        if self._stopping:
            return False
        if first.kind is not OutboxKind.REFRESH and self._sender.post_wait(first.workspace_id) > 0:
            return False
        return self._take_turn(first) <= 0

    def _post_moments(self, workspace_id: str, now: datetime) -> Callable[[int], Sequence[datetime]]:
        def moments(count: int) -> Sequence[datetime]:
            return _Moments(now, self._sender.post_moments(workspace_id, count))

        return moments

    def posts_paused(self) -> dict[str, float]:
        """The workspaces whose chat.postMessage budget is spent by Baton's own count, with the seconds until it frees
        (where Slack itself said to wait, a claim writes it down for every replica: not these)."""
        return self._spent_budgets()[0]

    def budget_tight(self) -> bool:
        """Whether a workspace's chat.postMessage budget has fewer places free now than a claim could send."""
        return bool(self._tight_budgets(BATCH))

    def _tight_budgets(self, limit: int) -> set[str]:
        """The workspaces whose chat.postMessage budget has fewer places free now than the posts a claim of
        `limit` conversations could send (one each): spent ones, and those close to it."""
        return {workspace_id for workspace_id, free in self._sender.post_room().items() if free < limit}

    def _spent_budgets(self) -> tuple[dict[str, float], dict[str, float]]:
        """The workspaces whose chat.postMessage budget is spent, with the seconds to wait: those where only Baton's
        own count says so, and those where Slack itself said to wait (a 429)."""
        paused = self._sender.paused_posts()
        held = self._sender.posts_held() if paused else set()
        own = {workspace_id: s for workspace_id, s in paused.items() if workspace_id not in held}
        return own, {workspace_id: s for workspace_id, s in paused.items() if workspace_id in held}

    def _without_paused_posts(
        self, ids: Sequence[int], summary: DeliverySummary, posts: Mapping[int, str]
    ) -> list[int]:
        """A commit's rows, less the posts to a workspace whose chat.postMessage budget is spent: those are left
        as they are, pending and due, for the delivery that wakes when the budget frees (or the next pass) to
        spread over the budget with whatever else waits. The posts the commit named (`posts`) are known; the
        others are found with a read. So a burst of commands past Slack's budget costs no write beyond the
        commands' own, and a burst of /task not even a read."""
        paused = self._spent_budgets()[0]  # Slack's own 429s are written down for every replica, in `_claim`
        if not paused:
            return list(ids)
        # (workspace, kind) of each row; None for a post the commit named (any kind but a refresh).
        found: dict[int, tuple[str, str | None]] = {row_id: (posts[row_id], None) for row_id in ids if row_id in posts}
        unknown = [row_id for row_id in ids if row_id not in posts]
        if unknown:
            with self._uow(read_only=True) as uow:
                found.update((row_id, (ws, kind)) for row_id, ws, kind in uow.outbox.workspaces_and_kinds(unknown))
        left: list[int] = []
        for row_id in ids:
            if row_id not in found:
                continue  # no longer in the outbox
            workspace_id, kind = found[row_id]
            if workspace_id in paused and kind != OutboxKind.REFRESH.value:
                summary.held_back(paused[workspace_id], [row_id])
            else:
                left.append(row_id)
        return left

    def _hold_for_budget(
        self,
        messages: list[list[ClaimedRow]],
        index: int,
        held: set[int],
        *,
        renewed: list[ClaimedRow] | None,
        summary: DeliverySummary,
    ) -> bool:
        """When the workspace has no chat.postMessage left in Slack's budget, put this message and every later
        post to the same workspace in the claim back until there is, in one transaction and before anything is
        read or drawn for them; True when they were. A refresh (chat.update) is not a post and always goes."""
        first = messages[index][0]
        if first.kind is OutboxKind.REFRESH:
            return False
        seconds = self._sender.post_wait(first.workspace_id)
        if seconds <= 0:
            return False
        later = [
            i
            for i in range(index, len(messages))
            if i not in held
            and messages[i][0].workspace_id == first.workspace_id
            and messages[i][0].kind is not OutboxKind.REFRESH
        ]
        held.update(later)
        # This message's rows may have been renewed (their try counted) with the last mark: that try is taken back.
        counted = renewed or []
        claimed = [row for i in later for row in messages[i] if i != index or renewed is None]
        not_before = self._clock.now() + timedelta(seconds=seconds)
        with self._uow() as uow:
            for rows, uncount in ((counted, True), (claimed, False)):
                _settle_held(uow, rows, state=OutboxState.PENDING, not_before=not_before, uncount=uncount)
            uow.commit()
        summary.held_back(seconds, [row.id for row in (*counted, *claimed)])
        return True

    def _pace_at_claim(self, messages: list[list[Any]], *, now: datetime, summary: DeliverySummary) -> _Paced:
        """Keep one post per free conversation to send now; put the others back, each behind the one before
        it (`gap` apart). Refreshes (chat.update) are not posts and always go."""
        gap = self._pacer.gap_seconds if self._pacer is not None else PACE.total_seconds()
        behind: dict[tuple[str, str], int] = {}
        paced = _Paced()
        for message in messages:
            first = message[0]
            if first.kind == OutboxKind.REFRESH.value:
                paced.keep.append(message)
                continue
            key = (first.workspace_id, first.recipient_id)
            queued = behind.get(key, 0)
            behind[key] = queued + 1
            wait = self._pacer.wait_seconds(*key) if self._pacer is not None else 0.0
            if wait <= 0 and queued == 0:
                paced.keep.append(message)
                continue
            if self._pacer is not None:
                delay = self._pacer.book(*key, row_id=max(row.id for row in message), earliest=wait + queued * gap)
            else:
                delay = max(queued, 1) * gap
            paced.put_back.append((message, now + timedelta(seconds=delay)))
            summary.held_back(delay, [row.id for row in message])
        return paced

    # sending -------------------------------------------------------------------------------------
    def _book(self, first: ClaimedRow, ids: Sequence[int], wait: float) -> float:
        """When a message put back for its conversation's turn is due: behind those booked before it (`Pacer.book`)."""
        if self._pacer is None:
            return wait
        return self._pacer.book(first.workspace_id, first.recipient_id, row_id=max(ids), earliest=wait)

    def _take_turn(self, first: ClaimedRow) -> float:
        """How long a message must wait for its conversation's turn (refreshes are not posts: never); when it need
        not, the turn is taken, so no other thread or worker posts there before it goes."""
        if first.kind is OutboxKind.REFRESH or self._pacer is None:
            return 0.0
        return self._pacer.take(first.workspace_id, first.recipient_id)

    def _deliver_message(
        self,
        rows: list[ClaimedRow],
        summary: DeliverySummary,
        *,
        renewed: list[ClaimedRow] | None = None,
        next_up: _NextUp | None = None,
    ) -> bool:
        """Send one message carrying `rows` (one conversation) and mark them; True when Slack was asked to post.
        `renewed`: the rows already renewed (with the previous message's mark); `next_up`: the message after
        this one, renewed in this one's last mark when it may go at once."""
        rows = renewed if renewed is not None else self._renew(rows)
        if not rows:
            return False
        now = self._clock.now()
        contexts = read_contexts(self._uow, rows, now=now)
        live: list[tuple[ClaimedRow, Outgoing]] = []
        for row in rows:
            context = contexts[row.id]
            out = Outgoing(
                kind=row.kind,
                dedupe_key=row.dedupe_key,
                recipient_id=row.recipient_id,
                task=context.task,
                payload=row.payload,
            )
            if not still_true(out, context.facts, now=now):
                self._mark([row], state=OutboxState.SKIPPED, error="no longer applies")
                summary.skipped += 1
                continue
            if context.reader is not None and not worktime.is_working(now, context.reader):
                # Outside the person's working time now (their hours, a holiday, a status that says away):
                # held to the start of their next working period, not counted as an attempt.
                until = worktime.next_working_start(now, context.reader)
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
            looked = self._lost_messages.look_for(
                first, suspects, [row.dedupe_key for row in rows_live], channel=channel
            )
            if isinstance(looked, RetryLater | Failed):
                self._settle(rows_live, looked, channel=None, now=now, summary=summary, next_up=next_up)
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
        self._settle(rows_live, outcome, channel=channel, now=now, summary=summary, next_up=next_up)
        return True

    def _known_dm(self, row: ClaimedRow) -> str | None:
        if not is_person(row.recipient_id):
            return None
        with self._uow(read_only=True) as uow:
            return uow.people.dm_channel(row.workspace_id, row.recipient_id)

    def _settle(
        self,
        rows: list[ClaimedRow],
        outcome: SendOutcome | Failed | RetryLater,
        *,
        channel: str | None,
        now: datetime,
        summary: DeliverySummary,
        next_up: _NextUp | None = None,
    ) -> None:
        """Record what Slack said of a message for every row it carried (and renew `next_up` with it)."""
        workspace = rows[0].workspace_id
        if isinstance(outcome, Sent):
            marked = self._mark(
                rows, state=OutboxState.SENT, channel=outcome.channel, ts=outcome.ts, now=now, next_up=next_up
            )
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
            self._mark(
                rows,
                state=OutboxState.PENDING,
                not_before=now + timedelta(seconds=wait),
                uncount=True,
                next_up=next_up,
            )
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
                rows,
                state=OutboxState.PENDING,
                channel=channel,
                error=outcome.reason,
                not_before=now + wait_for,
                next_up=next_up,
            )
            summary.retried += len(rows)
            log.info("outbox.retry", extra={"outbox_ids": [r.id for r in rows][:20], "reason": outcome.reason})
            return
        reason = outcome.reason
        if isinstance(outcome, RetryLater):
            reason = f"gave up after {max(row.attempts for row in rows)} attempts over 24 h: {reason}"
        self._mark(rows, state=OutboxState.FAILED, channel=channel, error=reason, next_up=next_up)
        summary.failed += len(rows)
        log.warning("outbox.failed", extra={"outbox_ids": [r.id for r in rows][:20], "reason": reason})

    def _deliver_refresh(
        self,
        row: ClaimedRow,
        summary: DeliverySummary,
        *,
        renewed: list[ClaimedRow] | None = None,
        next_up: _NextUp | None = None,
    ) -> None:
        """Draw a message Baton sent again as its tasks now stand (a task done, cancelled, reassigned)."""
        if renewed is None:
            renewed = self._renew([row])
        if not renewed:
            return
        row = renewed[0]
        now = self._clock.now()
        refresh = payload_as(row.payload, RefreshPayload)
        channel, ts = refresh.channel, refresh.ts
        shown = self.sent_message(row.workspace_id, channel_id=channel, ts=ts)
        if shown is None:
            self._mark([row], state=OutboxState.SKIPPED, error="message not found", next_up=next_up)
            summary.skipped += 1
            return
        outcome = self._sender.edit_message(row.workspace_id, channel, ts, self._render(shown, now=now))
        if isinstance(outcome, Sent):
            self._mark([row], state=OutboxState.SENT, channel=channel, ts=ts, now=now, next_up=next_up)
            summary.sent += 1
            return
        self._settle([row], outcome, channel=channel, now=now, summary=summary, next_up=next_up)

    def sent_message(self, workspace_id: str, *, channel_id: str, ts: str) -> SentMessage | None:
        """A message Baton sent, with every row it carries, their tasks as they stand now and their answers."""
        with self._uow(read_only=True) as uow:
            return sent_message(uow, workspace_id, channel_id=channel_id, ts=ts)

    # marks -------------------------------------------------------------------------------------
    def _renew(self, rows: Sequence[ClaimedRow]) -> list[ClaimedRow]:
        """The rows with a fresh lease, dropping those no longer ours: checked just before each send, so a
        batch that outlives its lease (a slow Slack) never posts what another replica took over."""
        with self._uow() as uow:
            kept = self._renew_in(uow, rows)
            uow.commit()
        return kept

    def _renew_in(self, uow: UnitOfWork, rows: Sequence[ClaimedRow]) -> list[ClaimedRow]:
        now = self._clock.now()
        until = now + self._lease
        kept: list[ClaimedRow] = []
        for held_until, batch in _by_lease(rows).items():
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
        order = {row.id: index for index, row in enumerate(rows)}
        kept.sort(key=lambda row: order[row.id])
        return kept

    def _put_back(self, rows: Sequence[ClaimedRow], *, delay_seconds: float) -> None:
        self._mark(
            list(rows),
            state=OutboxState.PENDING,
            not_before=self._clock.now() + timedelta(seconds=delay_seconds),
        )

    def _release(self, rows: Sequence[ClaimedRow]) -> None:
        """Hand rows claimed but not sent back to pending (attempt not counted), for the next pass anywhere."""
        now = self._clock.now()  # due at once, for any deliverer
        with self._uow() as uow:  # rows another deliverer holds now stay its
            ours = _settle_held(uow, rows, state=OutboxState.PENDING, not_before=now)
            uow.commit()
        released = [row.id for row in rows if row.id in ours]
        log.info("outbox.released", extra={"count": len(released), "outbox_ids": released[:20]})

    def _mark(
        self,
        rows: Sequence[ClaimedRow],
        *,
        state: OutboxState,
        channel: str | None = None,
        ts: str | None = None,
        error: str | None = None,
        now: datetime | None = None,
        not_before: datetime | None = None,
        uncount: bool = False,
        next_up: _NextUp | None = None,
    ) -> int:
        """Record the rows' outcome in one transaction; returns how many were still ours (another deliverer
        that took a row after our lease ran out has its word, not us). The message after this one
        (`next_up`) is renewed in the same transaction, just before its send, when it may go at once."""
        with self._uow() as uow:
            ours = _settle_held(
                uow,
                rows,
                state=state,
                channel=channel,
                ts=ts,
                sent_at=now,
                error=error,
                not_before=not_before,
                uncount=uncount,
            )
            for row in rows:
                if row.id not in ours:
                    log.warning("outbox.lease_lost", extra={"outbox_id": row.id})
            if state is OutboxState.SENT:
                # A task remembers its assignment DM, so the DM can be drawn again as the task changes.
                assigned = [
                    row.task_id
                    for row in rows
                    if row.id in ours and row.kind is OutboxKind.ASSIGNMENT and row.task_id is not None
                ]
                if assigned:
                    uow.outbox.remember_assignment_dm(rows[0].workspace_id, assigned, channel=channel, ts=ts)
            if (
                state is OutboxState.SENT
                and channel
                and channel[:1] == "D"
                and rows
                and is_person(rows[0].recipient_id)
            ):
                uow.people.remember_dm(rows[0].workspace_id, rows[0].recipient_id, channel)
            if next_up is not None and self._goes_at_once(next_up.rows[0]):
                next_up.renewed = self._renew_in(uow, next_up.rows)
            uow.commit()
        return len(ours)


@dataclass
class _NextUp:
    """The message after the one being marked: renewed in that mark's transaction when it may go at once."""

    rows: list[ClaimedRow]
    renewed: list[ClaimedRow] | None = None


@dataclass
class _Paced:
    """A claim's messages after pacing: those to send now, and those put back with when they are due."""

    keep: list[list[Any]] = field(default_factory=list)
    put_back: list[tuple[list[Any], datetime]] = field(default_factory=list)


class _Moments(Sequence[datetime]):
    """Moments `seconds` from `now`, each made when read: the budget's places are asked for by the thousand in a
    backlog, and placing posts reads a few of them (bisect, and the places given)."""

    def __init__(self, now: datetime, seconds: Sequence[float]) -> None:
        self._now = now
        self._seconds = seconds

    def __len__(self) -> int:
        return len(self._seconds)

    @overload
    def __getitem__(self, index: int) -> datetime: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[datetime]: ...
    def __getitem__(self, index: int | slice) -> datetime | Sequence[datetime]:
        if isinstance(index, slice):
            return [self._now + timedelta(seconds=s) for s in self._seconds[index]]
        return self._now + timedelta(seconds=self._seconds[index])


def _settle_held(uow: UnitOfWork, rows: Sequence[Any], **outcome: Any) -> set[int]:
    """`settle` for rows claimed or renewed at different times (one statement per lease they are held under):
    the ids still ours."""
    ours: set[int] = set()
    for held_until, batch in _by_lease(rows).items():
        ours |= uow.outbox.settle([row.id for row in batch], held_until=held_until, **outcome)
    return ours


def _by_lease(rows: Sequence[Any]) -> dict[datetime, list[Any]]:
    """Rows grouped by the lease they are held under (rows claimed or renewed together share one)."""
    groups: dict[datetime, list[Any]] = {}
    for row in rows:
        groups.setdefault(row.lease_until, []).append(row)
    return groups
