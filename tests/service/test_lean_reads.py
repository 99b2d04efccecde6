"""Reads that take fewer statements give the answers of the reads they replace: planner scan, counts, time off."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import worktime
from bot.services.availability import TIME_OFF_LOOKBACK, AvailabilityReader
from bot.services.read_models import task_view
from storage.models import Team, TimeOff
from storage.uow import UnitOfWorkFactory
from tests.conftest import START
from tests.fakes.slack_api import U_ALICE, U_MANAGER
from tests.helpers import ensure_workspaces, task_row

NOW = START
WS = "T0LEAN"
OTHER = "T0OTHER"


def test_the_planner_scan_returns_due_ids_soonest_first_and_loads_them_in_that_order(
    uow_factory: UnitOfWorkFactory,
) -> None:
    ensure_workspaces(uow_factory, WS, OTHER)
    offsets = [5, -30, -10, -20, None, -40, 60]  # minutes from NOW; None: nothing to look at
    with uow_factory() as uow:
        ids = []
        for number, minutes in enumerate(offsets, start=1):
            task = task_row(
                WS if number % 2 else OTHER,
                number,
                next_check_at=None if minutes is None else NOW + timedelta(minutes=minutes),
                status="done" if number == 3 else "open",
            )
            uow.tasks.add(task)
            ids.append(task.id)
        uow.commit()
    due = [ids[5], ids[1], ids[3]]  # -40, -30, -20 (the -10 one is done)
    with uow_factory() as uow:
        assert uow.tasks.ids_due_for_planning(now=NOW, limit=10) == due
        assert uow.tasks.ids_due_for_planning(now=NOW, limit=2) == due[:2]
        assert [t.id for t in uow.tasks.for_planning(due)] == due
        assert [t.id for t in uow.tasks.for_planning([due[2], 999_999, due[0]])] == [due[2], due[0]]
        assert uow.tasks.for_planning([]) == []


def test_open_counts_in_one_query_count_each_section_and_numbers_map_ids(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS, OTHER)
    with uow_factory() as uow:
        teams = [Team(workspace_id=ws, channel_id=f"C0{i}", tz="UTC", created_by=U_MANAGER, created_at=NOW)
                 for i, ws in enumerate((WS, WS, OTHER))]  # fmt: skip
        for team in teams:
            uow.teams.add(team)
        one, two, elsewhere = (t.id for t in teams)
        rows = [
            task_row(WS, 1, team_id=one),
            task_row(WS, 2, assignee_id=U_MANAGER, delegator_id=U_ALICE),
            task_row(WS, 3, assignee_id="U0BOB", delegator_id="U0CAROL", team_id=one),
            task_row(WS, 4, assignee_id="U0BOB", delegator_id="U0CAROL", team_id=two),
            task_row(WS, 5, status="done", team_id=one),
            task_row(OTHER, 1, team_id=elsewhere),
        ]
        for task in rows:
            uow.tasks.add(task)
        uow.commit()
        ids = [t.id for t in rows]
    with uow_factory() as uow:
        assert uow.tasks.open_counts(WS, user_id=U_ALICE, team_ids=[one]) == (1, 1, 2)
        assert uow.tasks.open_counts(WS, user_id=U_ALICE, team_ids=[one, two]) == (1, 1, 3)
        assert uow.tasks.open_counts(WS, user_id=U_ALICE, team_ids=[]) == (1, 1, 0)
        assert uow.tasks.open_counts(WS, user_id="U0NOBODY", team_ids=[elsewhere]) == (0, 0, 0)
        assert uow.tasks.numbers(WS, [ids[0], ids[3], ids[5], 999_999]) == {ids[0]: 1, ids[3]: 4}
        assert uow.tasks.numbers(WS, []) == {}
        # A message's tasks at its turn: rows of the task's columns, as the ORM objects read them.
        rows_read = uow.tasks.many_rows(WS, [ids[0], ids[4], ids[5], 999_999])
        objects = uow.tasks.many(WS, [ids[0], ids[4], ids[5], 999_999])
        assert sorted(rows_read) == sorted(objects) == [ids[0], ids[4]]
        for task_id, row in rows_read.items():
            task = objects[task_id]
            assert (row.number, row.status, row.team_id, row.assignment_seq, row.due_at) == (
                task.number, task.status, task.team_id, task.assignment_seq, task.due_at,
            )  # fmt: skip
        assert uow.tasks.many_rows(WS, []) == {}


def _former_away_until(uow_factory: UnitOfWorkFactory) -> object:
    """The answer as it was read before: its own query of the periods ending after now."""
    with uow_factory() as uow:
        rows = uow.time_off.of_user(WS, U_ALICE, ending_after=NOW)
        found = worktime.covering([worktime.Period(starts_at=r.starts_at, ends_at=r.ends_at) for r in rows], NOW)
        return found.ends_at if found else None


@pytest.mark.parametrize("ended", [0, 3, 19, 25])
def test_away_until_from_the_shared_read_is_the_former_answer(uow_factory: UnitOfWorkFactory, ended: int) -> None:
    """However many periods ended within the look-back (a full page of them too), the current one is found."""
    ensure_workspaces(uow_factory, WS)
    with uow_factory() as uow:
        for i in range(ended):  # short periods that ended in the last two days, before the current one starts
            starts = NOW - TIME_OFF_LOOKBACK + timedelta(minutes=30 * i)
            uow.time_off.add(_period(starts, starts + timedelta(minutes=20)))
        uow.time_off.add(_period(NOW - timedelta(minutes=10), NOW + timedelta(days=3)))
        uow.commit()
    expected = _former_away_until(uow_factory)
    assert expected == NOW + timedelta(days=3)
    with uow_factory() as uow:
        assert AvailabilityReader(uow, now=NOW).away_until(WS, U_ALICE) == expected
        assert AvailabilityReader(uow, now=NOW).away_until(WS, "U0NOBODY") is None


def _period(starts: object, ends: object) -> TimeOff:
    return TimeOff(workspace_id=WS, user_id=U_ALICE, starts_at=starts, ends_at=ends, created_by=U_ALICE, created_at=NOW)


def test_the_home_sections_as_rows_make_the_views_the_objects_make(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS)
    with uow_factory() as uow:
        team = Team(workspace_id=WS, channel_id="C0ROWS", tz="UTC", created_by=U_MANAGER, created_at=NOW)
        uow.teams.add(team)
        for number, due in enumerate([None, NOW + timedelta(days=2), NOW - timedelta(hours=3), None], start=1):
            uow.tasks.add(task_row(WS, number, due_at=due, team_id=team.id if number % 2 else None, details="d"))
        uow.tasks.add(task_row(WS, 5, status="done", team_id=team.id))
        uow.commit()
    with uow_factory() as uow:
        tasks = uow.tasks
        pairs = [
            (tasks.assigned_to(WS, U_ALICE, limit=3), tasks.assigned_to_rows(WS, U_ALICE, limit=3)),
            (tasks.delegated_by(WS, U_MANAGER, limit=10), tasks.delegated_by_rows(WS, U_MANAGER, limit=10)),
            (tasks.of_teams(WS, [team.id], limit=10), tasks.of_teams_rows(WS, [team.id], limit=10)),
            (tasks.of_teams(WS, [], limit=10), tasks.of_teams_rows(WS, [], limit=10)),
        ]
        for objects, rows in pairs:
            assert [task_view(t, team_channel_id="C") for t in rows] == [
                task_view(t, team_channel_id="C") for t in objects
            ]
        assert len(pairs[0][1]) == 3 and len(pairs[2][1]) == 2
