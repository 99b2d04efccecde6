"""Several replicas on one PostgreSQL database (issue 6): a `baton tick` killed in the middle of its
delivery pass leaves nothing unsent and nothing sent twice, and three `baton serve` processes with two
workers each number a workspace's tasks 1..n with no gap and no repeat, and send each assignment DM once
(CONTRACT "Each message is sent once": "… or several replicas on one PostgreSQL database send nothing twice")."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import make_engine, make_session_factory
from storage.models import Task
from storage.uow import UnitOfWork
from tests.fakes.requests import command_body, signed_headers
from tests.fakes.slack_api import TEAM_ID, U_MANAGER, FakeSlack, dm_channel_id
from tests.postgres.conftest import PgSchema
from tests.postgres.processes import (
    TIMEOUT,
    TOKEN,
    HttpAnswer,
    baton_command,
    cli_env,
    dedupe_key_of,
    delegate_to_each,
    finish,
    http,
    keys_posted,
    migrate,
    outbox_rows,
    pass_line,
    spawn_ticks,
    start_ticks_together,
    wait_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

REPLICAS = 3
# Everyone is in Berlin: Wednesday 2 December 2026, 10:00 there is 09:00 UTC, the default check-in time.
CREATED_AT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
CHECKIN_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
PAST_THE_LEASE = CHECKIN_AT + timedelta(minutes=3)  # bot/scheduler/delivery/sending.py LEASE is 2 minutes


# -- a replica killed in the middle of its delivery pass ---------------------------------------------------

CHECKINS = 60
CHECKIN_PEOPLE = [f"U0K{n:02d}" for n in range(CHECKINS)]
POSTS_BEFORE_THE_KILL = 12
POST_LATENCY_SECONDS = 0.03  # FakeSlack's, so the pass lasts long enough to be interrupted


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        for n, user in enumerate(CHECKIN_PEOPLE):
            fake.add_user(user, name=f"person{n}", tz="Europe/Berlin")
        yield fake


def test_a_tick_killed_mid_pass_with_a_post_in_flight_leaves_every_checkin_sent_exactly_once(
    pg_schema: PgSchema, slack: FakeSlack, tmp_path: Path
) -> None:
    url = pg_schema.url
    migrate(url)
    delegate_to_each(url, slack, CHECKIN_PEOPLE, at=CREATED_AT)
    slack.clear()
    # Each replica its own token, so a post at FakeSlack says which process made it.
    tokens = [f"{TOKEN}-replica{n}" for n in range(REPLICAS)]
    slack.slow("chat.postMessage", POST_LATENCY_SECONDS)
    # Post number POSTS_BEFORE_THE_KILL + 1 (and any after it) is stored at Slack, then its answer waits.
    gate = slack.hold("chat.postMessage", let_through=POSTS_BEFORE_THE_KILL)

    procs = start_ticks_together([cli_env(url, slack, token=t) for t in tokens], at=CHECKIN_AT, cwd=tmp_path)
    try:
        in_flight = gate.wait_held(1, timeout=TIMEOUT)[0]
        victim = tokens.index(in_flight.headers["authorization"].removeprefix("Bearer "))
        procs[victim].send_signal(signal.SIGKILL)
        procs[victim].wait(timeout=TIMEOUT)
    finally:
        gate.release()
    slack.slow("chat.postMessage", 0)
    outputs = finish(procs)

    assert outputs[victim][0] == -signal.SIGKILL, outputs[victim]
    survivors = [pass_line(*output) for n, output in enumerate(outputs) if n != victim]
    lost_key = dedupe_key_of(in_flight.params)
    rows = outbox_rows(url, kind="checkin")
    stranded = {r.dedupe_key for r in rows if r.state == "sending"}
    posted_before = keys_posted(slack, prefix="checkin:")
    counts = (
        f"replica {victim} killed; survivors {survivors}; {len(stranded)} rows left sending; "
        f"{sum(posted_before.values())} posts before recovery"
    )
    assert len(rows) == CHECKINS, counts
    assert Counter(r.state for r in rows) == {"sent": CHECKINS - len(stranded), "sending": len(stranded)}, counts
    assert lost_key in stranded, f"the post in flight was not left unrecorded: {counts}"
    assert set(posted_before) == {r.dedupe_key for r in rows if r.state == "sent"} | {lost_key}, counts
    assert max(posted_before.values()) == 1, counts

    recovery = subprocess.run(
        [*baton_command(), "tick", "--at", PAST_THE_LEASE.isoformat()],
        cwd=tmp_path,
        env=cli_env(url, slack),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )

    summary = pass_line(recovery.returncode, recovery.stdout, recovery.stderr)
    assert (summary.planned, summary.sent, summary.retried, summary.failed) == (0, len(stranded), 0, 0), counts
    posted = keys_posted(slack, prefix="checkin:")
    assert len(posted) == CHECKINS, f"{len(posted)} of {CHECKINS} check-ins posted; {counts}"
    twice = {key: n for key, n in posted.items() if n != 1}
    assert twice == {}, f"posted more than once: {twice}; {counts}"
    rows = outbox_rows(url, kind="checkin")
    assert [r.dedupe_key for r in rows if r.state != "sent"] == [], counts
    # Only the post in flight had been tried; the rest of the killed replica's claim is posted without a look.
    assert {r.dedupe_key: r.attempts for r in rows if r.attempts != 1} == {lost_key: 2}, counts
    [lost_row] = [r for r in rows if r.dedupe_key == lost_key]
    [lost_message] = [m for m in slack.messages() if dedupe_key_of(m) == lost_key]
    assert (lost_row.channel_id, lost_row.ts) == (lost_message["channel"], lost_message["ts"]), (
        "the recovered row must point at the message the killed replica posted"
    )
    looked = [c.params.get("channel") for c in slack.calls_to("conversations.history")]
    assert looked == [lost_message["channel"]], "the recovery must look where the post in flight went, and only there"


def test_a_batch_that_outlives_its_lease_is_not_sent_again_by_the_replica_that_claimed_it(
    pg_schema: PgSchema, slack: FakeSlack, tmp_path: Path
) -> None:
    url = pg_schema.url
    migrate(url)
    delegate_to_each(url, slack, CHECKIN_PEOPLE[:20], at=CREATED_AT)
    slack.clear()
    slow_token, late_token = f"{TOKEN}-slow", f"{TOKEN}-late"
    gate = slack.hold("chat.postMessage", let_through=3)
    # The first replica claims every row and is stuck in Slack on its fourth post…
    [slow] = start_ticks_together([cli_env(url, slack, token=slow_token)], at=CHECKIN_AT, cwd=tmp_path)
    try:
        gate.wait_held(1, timeout=TIMEOUT)
        # …for longer than the lease: a replica whose clock is past it takes the rows over and posts the next one.
        [late] = start_ticks_together([cli_env(url, slack, token=late_token)], at=PAST_THE_LEASE, cwd=tmp_path)
        held = gate.wait_held(2, timeout=TIMEOUT)
    finally:
        gate.release()
    outputs = finish([slow, late])

    assert [call.headers["authorization"] for call in held] == [f"Bearer {slow_token}", f"Bearer {late_token}"]
    summaries = [pass_line(*output) for output in outputs]
    posted = keys_posted(slack, prefix="checkin:")
    twice = {key: n for key, n in posted.items() if n != 1}
    assert twice == {}, f"posted more than once: {sorted(twice)}; passes {summaries}"
    assert len(posted) == 20


# -- task numbers across `baton serve` replicas --------------------------------------------------------------

TEAM_B = "T0SECOND"
TASKS_A = 60
TASKS_B = 6
CONCURRENT_REQUESTS = 12
POST_LATENCY_SECONDS = 0.05
ASSIGNEES = [f"U0R{n:02d}" for n in range(12)]
READY_SECONDS = 30.0
DELIVERY_SECONDS = 20.0
T_NUMBER = re.compile(r"\bT-(\d+)\b")


@dataclass
class Replica:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(url: str, slack: FakeSlack, *, home: Path, name: str) -> Iterator[Replica]:
    """`baton serve --workers 2 --no-scheduler` on a free port, answering /healthz; stopped with SIGTERM."""
    port = free_port()
    log_path = home / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
            + ["--workers", "2", "--no-scheduler"],
            env=cli_env(url, slack),
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    replica = Replica(f"http://127.0.0.1:{port}", process, log_path)
    try:
        yield replica
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def stop(replicas: list[Replica]) -> None:
    """SIGTERM to every replica at once: each drains its requests and deliveries (gunicorn's graceful stop)."""
    for replica in replicas:
        if replica.process.poll() is None:
            replica.process.terminate()


def healthy(replica: Replica) -> bool | None:
    if replica.process.poll() is not None:
        raise AssertionError(f"baton serve exited with {replica.process.returncode}:\n{replica.log()}")
    try:
        return http(f"{replica.base_url}/healthz").status == 200 or None
    except OSError:  # not listening yet
        return None


def task_numbers(url: str) -> dict[tuple[str, str], int]:
    """(workspace, title) -> number of every task in the schema."""
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            found = uow.session.execute(select(Task.workspace_id, Task.title, Task.number)).all()
            return {(workspace, title): number for workspace, title, number in found}
    finally:
        engine.dispose()


def test_three_serve_replicas_number_tasks_without_gap_or_repeat_and_dm_each_assignee_once(
    pg_schema: PgSchema, tmp_path: Path
) -> None:
    url = pg_schema.url
    migrate(url)
    jobs = [(TEAM_ID, n) for n in range(1, TASKS_A + 1)] + [(TEAM_B, n) for n in range(1, TASKS_B + 1)]
    jobs.sort(key=lambda job: job[1])  # the second workspace's requests come among the first's
    with FakeSlack() as slack, ExitStack() as stack:
        for n, user in enumerate(ASSIGNEES):
            slack.add_user(user, name=f"assignee{n}", tz="Europe/Berlin")
        replicas = [
            stack.enter_context(serving(url, slack, home=tmp_path, name=f"replica{n}")) for n in range(REPLICAS)
        ]
        stack.callback(stop, replicas)  # all at once, before each replica's own exit waits for it
        # A `baton tick` (the real clock) whose pass starts a third of the way into the requests.
        tick = spawn_ticks([cli_env(url, slack)], at=None, cwd=tmp_path)
        stack.callback(tick.kill_unfinished)
        for replica in replicas:
            wait_for(f"{replica.base_url}/healthz", partial(healthy, replica), seconds=READY_SECONDS)
        tick.wait_ready()

        def delegate(index: int) -> tuple[str, str, HttpAnswer]:
            team, n = jobs[index]
            title = f"Replica chore {n}"
            assignee = ASSIGNEES[index % len(ASSIGNEES)]
            body = command_body(
                "/task",
                f"<@{assignee}> {title} by tomorrow",
                user_id=U_MANAGER,
                team_id=team,
                response_url=slack.response_url(f"{team}-{n}"),
            )
            if index == len(jobs) // 3:
                tick.go()
            target = replicas[index % REPLICAS]
            answer = http(f"{target.base_url}/slack/events", data=body.encode(), headers=signed_headers(body))
            return team, title, answer

        # Slower posts keep the replicas' after-commit deliverers busy while the tick's pass delivers
        # whatever is due when it comes: both go for the same rows.
        slack.slow("chat.postMessage", POST_LATENCY_SECONDS)
        with ThreadPoolExecutor(max_workers=CONCURRENT_REQUESTS) as pool:
            answers = list(pool.map(delegate, range(len(jobs))))
        [tick_output] = finish(tick.procs)

        refused = [(team, title, a.status, a.body[:200]) for team, title, a in answers if a.status != 200]
        assert refused == [], f"{len(refused)} of {len(jobs)} requests refused: {refused[:5]}"
        answered: dict[tuple[str, str], int] = {}
        unnamed = []
        for team, title, answer in answers:
            named = set(T_NUMBER.findall(json.dumps(answer.json())))
            if len(named) == 1:
                answered[(team, title)] = int(named.pop())
            else:
                unnamed.append((team, title, answer.body[:160]))
        assert unnamed == [], f"{len(unnamed)} of {len(jobs)} answers name no single T-<n>: {unnamed[:5]}"
        stored = task_numbers(url)
        assert stored == answered, "the numbers in the answers are not the stored ones"
        for team, count in ((TEAM_ID, TASKS_A), (TEAM_B, TASKS_B)):
            numbers = sorted(number for (workspace, _), number in stored.items() if workspace == team)
            repeats = {n: c for n, c in Counter(numbers).items() if c > 1}
            assert numbers == list(range(1, count + 1)), f"{team}: repeats {repeats}, numbers {numbers}"

        by_tick = pass_line(*tick_output)

        def all_assignments_settled() -> bool | None:
            rows = outbox_rows(url, kind="assignment")
            return (len(rows) == len(jobs) and all(r.state in ("sent", "failed") for r in rows)) or None

        wait_for("every assignment DM to be sent", all_assignments_settled, seconds=DELIVERY_SECONDS)

    logs = [replica.log() for replica in replicas]  # after they stopped: a failure on the way out counts

    rows = outbox_rows(url, kind="assignment")
    assert Counter(r.state for r in rows) == {"sent": len(jobs)}, [(r.dedupe_key, r.last_error) for r in rows]
    posted = keys_posted(slack, prefix="assign:")
    twice = {key: n for key, n in posted.items() if n != 1}
    assert twice == {}, f"assignment DMs posted more than once: {twice} (the tick sent {by_tick.sent})"
    assert set(posted) == {r.dedupe_key for r in rows}, f"{len(posted)} posted, {len(rows)} rows"
    assert {(r.workspace_id, r.channel_id) for r in rows} == {
        (team, dm_channel_id(ASSIGNEES[index % len(ASSIGNEES)])) for index, (team, _) in enumerate(jobs)
    }
    for n, log in enumerate(logs):
        assert "Traceback" not in log, f"replica {n}:\n{log[-3000:]}"
