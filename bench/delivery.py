"""Benchmarks Baton's outbox delivery against a fake Slack that enforces about one message a second per channel.

Run from the repository root:

    .venv/bin/python bench/delivery.py           # 300 DMs; 60 to one channel beside 30 quiet ones (~3 minutes)
    .venv/bin/python bench/delivery.py --quick   # 100 DMs; 15 to one channel beside 10 quiet ones (CI smoke)

The fake is the tests' FakeSlack (tests/fakes/slack_api.py) with chat.postMessage overridden in a subclass:
a second message to a channel within 1 s of the last one it accepted gets HTTP 429 with `Retry-After: 1`.
Baton is built with `create_app` (a real SystemClock, SLACK_API_URL at the fake, a temporary SQLite file
migrated with storage.migrate.upgrade), outbox rows are inserted with OutboxRepository.add (kind `kudos`, which
renders without a task), and `baton.run_pass()` is called every 200 ms the way the scheduler would, until every
row is final or a deadline passes. Everything listens on 127.0.0.1 and stops by itself.

(a) many channels: N DMs to N people, against the same gateway calls (render, post to the id) in a bare
    loop with no outbox: what the database round trips cost.
(b) one busy channel: a burst of B messages to one channel while Q quiet channels each get one message, every
    2 s during the burst. Sent/s to the busy channel against Slack's ceiling of 1/s, the share of 429s, rows
    not sent, and the quiet channels' delay (insert to Slack accepting it) against the same quiet messages
    delivered with no busy channel.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from tables import Row, print_table, ratio  # noqa: E402

from bot.app import Baton, create_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain.model import OutboxKind, OutboxState, Outgoing  # noqa: E402
from bot.domain.payloads import KudosPayload  # noqa: E402
from bot.scheduler.delivery.sending import Delivery  # noqa: E402
from bot.scheduler.delivery.summary import DeliverySummary  # noqa: E402
from bot.scheduler.pacing import Pacer  # noqa: E402
from bot.services.ports import Sent  # noqa: E402
from bot.slack.limits import PER_MINUTE, RateLimits  # noqa: E402
from handlers.blocks.outbox import render_outbox  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

WORKSPACE = "T0BENCH"
GIVER = "U0GIVER"
BUSY = "C0BUSY"
TICK_SECONDS = 0.2
QUIET_EVERY_SECONDS = 2.0
WINDOW_SECONDS = 1.0  # Slack: about one message a second per channel


def log(message: str) -> None:
    print(f"[delivery] {message}", file=sys.stderr, flush=True)


class PacedSlack(FakeSlack):
    """FakeSlack that refuses a second chat.postMessage to a channel within 1 s, as Slack does (429)."""

    def __init__(self) -> None:
        super().__init__(default_users=False)
        self.last_accepted: dict[str, float] = {}
        self.accepted: list[tuple[str, float]] = []  # (channel, time.monotonic()) of each message taken
        self.post_calls = 0
        self.rate_limited = 0

    def _chat_post_message(self, params: dict[str, Any]) -> Any:
        # Called by FakeSlack._answer under its lock, so the bookkeeping needs no lock of its own.
        self.post_calls += 1
        channel = self._channel_for(str(params.get("channel") or ""))
        now = time.monotonic()
        last = self.last_accepted.get(channel or "")
        if channel and last is not None and now - last < WINDOW_SECONDS:
            self.rate_limited += 1
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
        answer = super()._chat_post_message(params)
        if answer[0] == 200 and answer[1].get("ok") and channel:
            self.last_accepted[channel] = now
            self.accepted.append((channel, now))
        return answer

    def accepted_at(self, channel: str) -> list[float]:
        with self._lock:
            return [at for ch, at in self.accepted if ch == channel]


def payload(recipient: str, i: int) -> KudosPayload:
    return KudosPayload(giver_id=GIVER, recipient_ids=(recipient,), message=f"Thanks for the release notes, #{i}!")


@contextmanager
def baton_at(slack: PacedSlack) -> Iterator[Baton]:
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as folder:
        url = f"sqlite:///{folder}/baton.db"
        upgrade(url)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token="xoxb-bench-token",
            slack_signing_secret="bench-signing-secret",
            slack_api_url=slack.base_url,
            database_url=url,
        )
        # SystemClock, make_engine(url), the real gateway and renderer, and the Pacer that `baton serve` and
        # `baton run` give their scheduler (one message a second per conversation, remembered across passes).
        # Slack's per-workspace budgets are bench/burst.py's subject; here they are lifted so the figures say what
        # the outbox costs (the fake still takes one message a second per channel, and the Pacer keeps to it).
        unlimited = RateLimits(per_minute={method: 1e9 for method in PER_MINUTE})
        baton = create_app(settings, pacer=Pacer(), limits=unlimited)
        try:
            with baton.uow() as uow:
                uow.workspaces.ensure(WORKSPACE, now=baton.clock.now())
                uow.commit()
            yield baton
        finally:
            baton.close()


class CountingDelivery:
    """Wraps Baton's Delivery to add up every batch's summary, `paced` included (PassSummary drops it)."""

    def __init__(self, inner: Delivery) -> None:
        self.inner = inner
        self.total = DeliverySummary()

    def deliver(self, **kwargs: Any) -> DeliverySummary:
        summary = self.inner.deliver(**kwargs)
        self.total.add(summary)
        return summary


@dataclass
class Run:
    inserted_at: dict[str, float] = field(default_factory=dict)  # recipient -> time.monotonic() of the insert
    started: float = 0.0
    finished: float = 0.0
    pass_seconds: list[float] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    paced: int = 0
    timed_out: bool = False


def insert(baton: Baton, recipients: list[tuple[str, str]], run: Run) -> None:
    """Queue one kudos row per (dedupe key, recipient) in one transaction, as a service would."""
    with baton.uow() as uow:
        now = baton.clock.now()
        for key, recipient in recipients:
            uow.outbox.add(
                WORKSPACE,
                dedupe_key=key,
                kind=OutboxKind.KUDOS.value,
                recipient_id=recipient,
                now=now,
                payload=payload(recipient, len(run.inserted_at)),
            )
        uow.commit()
    at = time.monotonic()
    for _, recipient in recipients:
        run.inserted_at.setdefault(recipient, at)


def unfinished(baton: Baton) -> int:
    open_states = (OutboxState.PENDING.value, OutboxState.SENDING.value)
    with baton.uow() as uow:
        stmt = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state.in_(open_states))
        return int(uow.session.execute(stmt).scalar_one())


class Inserter(threading.Thread):
    """Inserts the scheduled rows at their own moments, as services commit them, whatever the passes do."""

    def __init__(self, baton: Baton, schedule: list[tuple[float, str, str]], run: Run) -> None:
        super().__init__(name="bench-inserter", daemon=True)
        self.baton, self.schedule, self.run_record = baton, sorted(schedule), run
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for offset, key, recipient in self.schedule:
                if self.stop.wait(max(0.0, self.run_record.started + offset - time.monotonic())):
                    return
                insert(self.baton, [(key, recipient)], self.run_record)
        except BaseException as error:  # reported by drive(), never lost with the thread
            self.error = error


def drive(
    baton: Baton,
    *,
    upfront: list[tuple[str, str]],
    later: list[tuple[float, str, str]],
    deadline_seconds: float,
) -> Run:
    """Insert `upfront`, then call run_pass() every TICK_SECONDS while a thread inserts `later` rows at their
    offsets, until every row is sent, failed or skipped and nothing is left to insert, or the deadline passes."""
    counting = CountingDelivery(baton.delivery)
    baton.delivery = counting  # type: ignore[assignment]
    run = Run()
    if upfront:
        insert(baton, upfront, run)
    run.started = time.monotonic()
    inserter = Inserter(baton, later, run)
    inserter.start()
    deadline = run.started + deadline_seconds
    max_passes = int(deadline_seconds / TICK_SECONDS) + 10
    try:
        for _ in range(max_passes):
            if time.monotonic() > deadline:
                run.timed_out = True
                break
            begun = time.monotonic()
            baton.run_pass()
            run.pass_seconds.append(time.monotonic() - begun)
            if not inserter.is_alive() and unfinished(baton) == 0:
                break
            time.sleep(max(0.0, begun + TICK_SECONDS - time.monotonic()))
        else:
            run.timed_out = True
    finally:
        inserter.stop.set()
        inserter.join(timeout=10)
        baton.delivery = counting.inner
    if inserter.error is not None:
        raise RuntimeError("inserting rows failed") from inserter.error
    run.finished = time.monotonic()
    run.paced = counting.total.paced
    with baton.uow() as uow:
        stmt = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        run.states = {state: int(count) for state, count in uow.session.execute(stmt)}
    return run


def bare_gateway_loop(baton: Baton, users: list[str]) -> float:
    """The same calls Delivery makes for a DM (render, post to the person's id), in a loop with no outbox; seconds."""
    started = time.monotonic()
    for i, user in enumerate(users):
        channel = user  # a DM is posted to the person's id, as Delivery does
        out = Outgoing(
            kind=OutboxKind.KUDOS, dedupe_key=f"bare:{i}", recipient_id=user, task=None, payload=payload(user, i)
        )
        outcome = baton.gateway.post_message(
            WORKSPACE, channel, render_outbox(out, now=baton.clock.now()), dedupe_keys=[out.dedupe_key]
        )
        assert isinstance(outcome, Sent), outcome
    return time.monotonic() - started


def not_sent(run: Run) -> int:
    return sum(count for state, count in run.states.items() if state != OutboxState.SENT.value)


@dataclass
class ManyChannels:
    rate: float
    seconds: float
    sent: int
    passes: int
    calls: int
    opens: int
    rate_limited: int
    post_calls: int
    not_sent: int
    timed_out: bool


def bare_round(users: list[str]) -> float:
    """Messages/s of the bare gateway loop on a fresh fake."""
    with PacedSlack() as slack:
        for user in users:
            slack.add_user(user, name=user.lower(), tz="UTC")
        with baton_at(slack) as baton:
            return len(users) / bare_gateway_loop(baton, users)


def baton_round(users: list[str]) -> ManyChannels:
    """Messages/s of Baton's passes delivering one outbox row per person, on a fresh fake and database."""
    with PacedSlack() as slack:
        for user in users:
            slack.add_user(user, name=user.lower(), tz="UTC")
        with baton_at(slack) as baton:
            run = drive(
                baton, upfront=[(f"dm:{u}", u) for u in users], later=[], deadline_seconds=60 + len(users) * 0.2
            )
        last = max(at for _, at in slack.accepted) if slack.accepted else run.finished
        sent = run.states.get(OutboxState.SENT.value, 0)
        seconds = last - run.started
        return ManyChannels(
            rate=sent / seconds,
            seconds=seconds,
            sent=sent,
            passes=len(run.pass_seconds),
            calls=len(slack.calls),
            opens=len(slack.calls_to("conversations.open")),
            rate_limited=slack.rate_limited,
            post_calls=slack.post_calls,
            not_sent=not_sent(run),
            timed_out=run.timed_out,
        )


def many_channels(n: int, rounds: int, rows: list[Row], headline: dict[str, Any] | None = None) -> None:
    users = [f"U0BENCH{i:04d}" for i in range(n)]
    log(f"(a) warm-up, then {rounds} rounds of: bare gateway loop, Baton (alternating), {n} DMs each")
    bare_round(users[:20])
    baton_round(users[:20])
    bare: list[float] = []
    runs: list[ManyChannels] = []
    for _ in range(rounds):
        bare.append(bare_round(users))
        runs.append(baton_round(users))
    rates = [r.rate for r in runs]
    median_run = sorted(runs, key=lambda r: r.rate)[len(runs) // 2]
    rows.append(
        Row(
            f"(a) {n} DMs to {n} people: messages/s, median of {rounds}",
            f"{statistics.median(rates):.0f}/s (runs {', '.join(f'{r:.0f}' for r in rates)}; "
            f"{median_run.sent} in {median_run.seconds:.2f} s, {median_run.passes} pass)",
            f"{statistics.median(bare):.0f}/s bare gateway loop, no outbox "
            f"(runs {', '.join(f'{b:.0f}' for b in bare)})",
            ratio(statistics.median(rates), statistics.median(bare)),
        )
    )
    per_message = median_run.calls / max(median_run.sent, 1)
    rows.append(
        Row(
            f"(a) {n} DMs: Web API calls per message",
            f"{per_message:.2f} ({median_run.opens} conversations.open)",
            "1.00 (chat.postMessage alone)",
            ratio(per_message, 1.0),
        )
    )
    limited = sum(r.rate_limited for r in runs)
    posts = sum(r.post_calls for r in runs)
    rows.append(
        Row(
            f"(a) {n} DMs: 429s among chat.postMessage calls, all rounds",
            f"{limited / max(posts, 1):.1%} ({limited} of {posts})",
            "0 % (distinct channels)",
            "n/a",
        )
    )
    dropped = sum(r.not_sent for r in runs)
    late = " (deadline hit)" if any(r.timed_out for r in runs) else ""
    rows.append(Row(f"(a) {n} DMs: rows not sent, all rounds", f"{dropped}{late}", "0", "n/a"))
    if headline is not None:
        headline["many"] = {"dms": n, "rounds": rounds, "rate": statistics.median(rates),
                            "bare_rate": statistics.median(bare), "calls_per_message": per_message,
                            "rate_limited": limited, "post_calls": posts, "not_sent": dropped,
                            "timed_out": any(r.timed_out for r in runs)}  # fmt: skip


def quiet_schedule(q: int) -> list[tuple[float, str, str]]:
    """One quiet message every QUIET_EVERY_SECONDS, each at a different phase of the 200 ms tick (golden-ratio
    steps), so the delays include the wait for the next pass as a row committed at a random moment sees it."""
    return [
        (1.0 + i * QUIET_EVERY_SECONDS + (i * 0.618034 % 1.0) * TICK_SECONDS, f"quiet:{i}", f"C0QUIET{i:03d}")
        for i in range(q)
    ]


def quiet_delays(slack: PacedSlack, run: Run, q: int) -> list[float]:
    delays = []
    for _, _, channel in quiet_schedule(q):
        accepted = slack.accepted_at(channel)
        if accepted and channel in run.inserted_at:
            delays.append(accepted[0] - run.inserted_at[channel])
    return delays


def one_busy_channel(busy: int, quiet: int, rows: list[Row], headline: dict[str, Any] | None = None) -> None:
    deadline = busy * 2.5 + quiet * QUIET_EVERY_SECONDS + 30
    log(f"(b) baseline: {quiet} quiet channels alone, one message every {QUIET_EVERY_SECONDS:.0f} s")
    with PacedSlack() as slack, baton_at(slack) as baton:
        alone = drive(baton, upfront=[], later=quiet_schedule(quiet), deadline_seconds=deadline)
        alone_delays = quiet_delays(slack, alone, quiet)
    log(f"(b) {busy} messages to {BUSY} at once, {quiet} quiet channels beside them")
    with PacedSlack() as slack, baton_at(slack) as baton:
        run = drive(
            baton,
            upfront=[(f"busy:{i}", BUSY) for i in range(busy)],
            later=quiet_schedule(quiet),
            deadline_seconds=deadline,
        )
        delays = quiet_delays(slack, run, quiet)
        busy_times = slack.accepted_at(BUSY)
        rate_limited, post_calls = slack.rate_limited, slack.post_calls
        gaps = [b - a for a, b in zip(busy_times, busy_times[1:], strict=False)]
    span = busy_times[-1] - busy_times[0] if len(busy_times) > 1 else 0.0
    busy_rate = (len(busy_times) - 1) / span if span else 0.0
    rows.append(
        Row(
            f"(b) busy channel ({busy} queued at once): sent/s",
            f"{busy_rate:.2f}/s ({len(busy_times)} sent over {span:.1f} s)",
            "1.00/s (Slack's ceiling)",
            ratio(busy_rate, 1.0),
        )
    )
    if gaps:
        rows.append(
            Row(
                "(b) busy channel: gap between messages, median / max",
                f"{statistics.median(gaps):.2f} s / {max(gaps):.2f} s",
                "1.00 s",
                ratio(statistics.median(gaps), 1.0),
            )
        )
    rows.append(
        Row(
            "(b) 429s among chat.postMessage calls",
            f"{rate_limited / max(post_calls, 1):.1%} ({rate_limited} of {post_calls})",
            "0 % (a client that paces perfectly)",
            "n/a",
        )
    )
    rows.append(
        Row(
            "(b) rows not sent",
            f"{not_sent(run)} of {busy + quiet}{' (deadline hit)' if run.timed_out else ''} "
            f"{dict(sorted(run.states.items()))}",
            "0",
            "n/a",
        )
    )
    if delays and alone_delays:
        med, base = statistics.median(delays), statistics.median(alone_delays)
        rows.append(
            Row(
                f"(b) quiet channels ({len(delays)}): median delay, insert to Slack",
                f"{med * 1000:.0f} ms",
                f"{base * 1000:.0f} ms same messages, no busy channel",
                ratio(med, base),
            )
        )
        rows.append(
            Row(
                "(b) quiet channels: worst delay",
                f"{max(delays) * 1000:.0f} ms",
                f"{max(alone_delays) * 1000:.0f} ms no busy channel",
                ratio(max(delays), max(alone_delays)),
            )
        )
    rows.append(
        Row(
            "(b) busy rows claimed then put back (paced) during the burst",
            f"{run.paced}",
            f"{busy - 1} (each waiting row once)",
            ratio(run.paced, busy - 1),
        )
    )
    if headline is not None:
        headline["busy"] = {"busy": busy, "quiet": quiet, "busy_sent": len(busy_times), "busy_span_s": span,
                            "busy_rate": busy_rate, "ceiling_rate": 1.0 / WINDOW_SECONDS,
                            "rate_limited": rate_limited, "post_calls": post_calls, "not_sent": not_sent(run),
                            "states": run.states, "timed_out": run.timed_out,
                            "quiet_median_delay_s": statistics.median(delays) if delays else None,
                            "quiet_max_delay_s": max(delays) if delays else None,
                            "quiet_alone_median_delay_s": statistics.median(alone_delays) if alone_delays else None,
                            "quiet_delivered": len(delays), "paced": run.paced}  # fmt: skip
    p95 = statistics.quantiles(run.pass_seconds, n=20)[-1] if len(run.pass_seconds) > 1 else run.pass_seconds[0]
    p95_alone = (
        statistics.quantiles(alone.pass_seconds, n=20)[-1] if len(alone.pass_seconds) > 1 else alone.pass_seconds[0]
    )
    rows.append(
        Row(
            "(b) pass duration p95 during the burst",
            f"{p95 * 1000:.0f} ms ({len(run.pass_seconds)} passes)",
            f"{p95_alone * 1000:.0f} ms no busy channel",
            ratio(p95, p95_alone),
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (CI smoke)")
    parser.add_argument("--json", metavar="PATH", help="also write the headline numbers here as JSON")
    args = parser.parse_args()
    headline: dict[str, Any] = {"bench": "delivery", "quick": args.quick, "tick_seconds": TICK_SECONDS}
    dms, rounds, busy, quiet = (100, 3, 15, 10) if args.quick else (300, 3, 60, 30)
    started = time.monotonic()
    rows: list[Row] = []
    many_channels(dms, rounds, rows, headline)
    one_busy_channel(busy, quiet, rows, headline)
    import sqlite3

    print_table(
        f"Delivery benchmark (Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}; "
        f"a pass every {TICK_SECONDS * 1000:.0f} ms; {time.monotonic() - started:.0f} s)",
        rows,
    )
    if args.json:
        Path(args.json).write_text(json.dumps(headline, indent=2) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
