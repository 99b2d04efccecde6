"""A new task's answer notes its assignee's time (away now, a deadline outside their working time) from what
delegating the task read of them. Whatever the person's hours, calendar, status and time off, those
notes are the ones a separate read finds; where the facts cannot decide (a full page of time off) the service
reads them as before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.services.availability import TIME_OFF_PAGE, notes_from
from bot.services.tasks import NewTask
from storage.models import Person, Team, TimeOff
from tests.conftest import Harness, build_harness
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import U_MANAGER, FakeSlack
from tests.helpers import ensure_workspaces

WS = "T0NOTES"
ALICE = "U0ALICE"
NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)  # a Wednesday
MANAGER_TZ = "America/New_York"  # the fake Slack's manager: `/task` deadlines are read in their zone


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with FakeSlack() as slack:
        h = build_harness(slack, FakeClock(NOW))
        ensure_workspaces(h.baton.uow, WS)
        with h.baton.uow() as uow:
            uow.session.add(
                Team(
                    workspace_id=WS,
                    channel_id="C0SUPPORT",
                    tz="Europe/Berlin",
                    created_by=ALICE,
                    created_at=NOW,
                    calendar="DE-BY",
                )
            )
            uow.commit()
        yield h
        h.baton.close()


hours = st.sampled_from([(None, None, None), ("09:00", "17:00", "0,1,2,3,4"), ("22:00", "06:00", "0,1,2,3,4,5,6")])
periods = st.lists(st.tuples(st.integers(-80, 80), st.integers(1, 96)), max_size=4)  # (start h from now, length h)
statuses = st.sampled_from([("", 0), (":palm_tree:", 0), (":palm_tree:", int((NOW + timedelta(hours=5)).timestamp()))])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tz=st.sampled_from(["UTC", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles"]),
    hours=hours,
    calendar=st.sampled_from([None, "JP"]),
    in_team=st.booleans(),
    status=statuses,
    away=periods,
    many=st.booleans(),
    due_hours=st.one_of(st.none(), st.integers(1, 24 * 30)),
)
@example(  # away by status, the deadline inside their hours
    tz="UTC",
    hours=(None, None, None),
    calendar=None,
    in_team=False,
    status=(":palm_tree:", 0),
    away=[],
    many=False,
    due_hours=2,
)
@example(  # away now by time off, no deadline
    tz="UTC",
    hours=(None, None, None),
    calendar=None,
    in_team=True,
    status=("", 0),
    away=[(-3, 10)],
    many=False,
    due_hours=None,
)
@example(  # a deadline on a team holiday (Epiphany, 6 Jan, DE-BY)
    tz="Europe/Berlin",
    hours=(None, None, None),
    calendar=None,
    in_team=True,
    status=("", 0),
    away=[],
    many=False,
    due_hours=35 * 24,
)
def test_notes_from_the_tasks_own_reads_are_the_notes_read_apart(
    harness: Harness,
    tz: str,
    hours: tuple[str | None, str | None, str | None],
    calendar: str | None,
    in_team: bool,
    status: tuple[str, int],
    away: list[tuple[int, int]],
    many: bool,
    due_hours: int | None,
) -> None:
    uow_factory = harness.baton.uow
    with uow_factory() as uow:
        uow.session.query(TimeOff).delete()
        uow.session.query(Person).delete()
        uow.session.add(
            Person(
                workspace_id=WS,
                user_id=ALICE,
                tz=tz,
                fetched_at=NOW,
                work_start=hours[0],
                work_end=hours[1],
                work_days=hours[2],
                calendar=calendar,
                status_emoji=status[0],
                status_expiration=status[1],
            )
        )
        spans = away + ([(24 * 40 + i, 1) for i in range(TIME_OFF_PAGE)] if many else [])
        for start, length in spans:
            starts = NOW + timedelta(hours=start)
            uow.session.add(
                TimeOff(
                    workspace_id=WS,
                    user_id=ALICE,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=length),
                    created_by=ALICE,
                    created_at=NOW,
                )
            )
        team = uow.session.query(Team).one()
        uow.commit()
    harness.clock.set(NOW)
    due = (NOW + timedelta(hours=due_hours)).astimezone(ZoneInfo(MANAGER_TZ)) if due_hours is not None else None
    task, facts = harness.baton.services.tasks.delegate_and_note(
        WS,
        U_MANAGER,
        NewTask(
            assignee_id=ALICE,
            title="Fix the refund macro",
            due_date=due.date() if due else None,
            due_time=due.time() if due else None,
            team_id=team.id if in_team else None,
        ),
    )

    read_apart = harness.baton.services.availability.assignee_notes(WS, ALICE, task.due_at, team_id=task.team_id)
    decided = notes_from(facts, task.due_at, workspace_id=WS, user_id=ALICE)

    assert task.due_at == (NOW + timedelta(hours=due_hours) if due_hours is not None else None)
    assert (decided is None) == many  # only a full page of time off is read again
    if decided is not None:
        assert decided == read_apart
