"""The away flag on PostgreSQL, where writers run side by side: a task whose deadline falls in its assignee's time
off tells the delegator once, even when the time off and the task commit at the same moment (each would otherwise
miss the other: the time off's transaction finds no such task yet, the task's finds no such period)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select, text

from bot.app import Baton, create_app
from bot.config import Settings
from bot.domain.model import OutboxKind
from bot.executors import InlineExecutor
from bot.services.tasks import NewTask
from storage.models import OutboxMessage
from storage.uow import UnitOfWork, UnitOfWorkFactory
from tests.fakes.clock import FakeClock
from tests.fakes.http import wait_for
from tests.fakes.requests import SIGNING_SECRET
from tests.fakes.slack_api import TEAM_ID, U_ALICE, U_MANAGER, FakeSlack
from tests.postgres.conftest import PgSchema

pytestmark = pytest.mark.postgres

WAIT_SECONDS = 10.0


@pytest.fixture
def baton(
    pg_schema: PgSchema, pg_uow_factory: UnitOfWorkFactory, slack: FakeSlack, clock: FakeClock
) -> Iterator[Baton]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' own argument: no .env here
        database_url=pg_schema.url,
        slack_bot_token=SecretStr("xoxb-test"),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=slack.base_url,
    )
    app = create_app(settings, clock=clock, listener_executor=InlineExecutor(), delivery_executor=InlineExecutor())
    yield app
    app.close()


def _waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return int(found.scalar_one()) > 0


def test_time_off_and_a_task_due_in_it_committing_together_flag_the_task_once(
    baton: Baton, pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = baton.services
    services.people.get(TEAM_ID, U_ALICE)  # both people known before the race: users.info is not part of it
    services.people.get(TEAM_ID, U_MANAGER)
    at_commit, go = threading.Event(), threading.Event()
    recording = threading.local()
    commit = UnitOfWork.commit

    def held_commit(uow: UnitOfWork) -> None:
        if getattr(recording, "away", False):  # the time off's transaction: written, then held open
            at_commit.set()
            assert go.wait(WAIT_SECONDS)
        commit(uow)

    monkeypatch.setattr(UnitOfWork, "commit", held_commit)

    def record_away() -> Any:
        recording.away = True
        return services.time_off.set_away(TEAM_ID, U_ALICE, user_id=U_ALICE, text="2026-12-03 to 2026-12-04")

    def delegate() -> Any:
        new = NewTask(assignee_id=U_ALICE, title="Refund macro", due_date=date(2026, 12, 3))
        return services.tasks.delegate(TEAM_ID, U_MANAGER, new)

    with ThreadPoolExecutor(max_workers=2) as pool:
        away = pool.submit(record_away)
        assert at_commit.wait(WAIT_SECONDS), "the time off was not recorded"
        task = pool.submit(delegate)

        def waits_or_done() -> bool | None:
            return (task.done() or _waiting_on_a_lock(pg_engine)) or None

        # The task either waits for the time off's transaction (it reads the person's time off after it) or, as
        # it did before, finishes without seeing a period that is not committed yet.
        wait_for("the new task to wait for the time off, or to finish", waits_or_done, seconds=WAIT_SECONDS)
        go.set()
        recorded, view = away.result(timeout=WAIT_SECONDS), task.result(timeout=WAIT_SECONDS)

    with baton.uow() as uow:
        flags = uow.session.execute(
            select(OutboxMessage.task_id, OutboxMessage.recipient_id).where(
                OutboxMessage.kind == OutboxKind.AWAY_FLAG.value
            )
        ).all()
    assert [tuple(f) for f in flags] == [(view.id, U_MANAGER)], recorded
