"""Reads that take fewer statements give the answers of the reads they replace: planner scan, counts, time off."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from bot.domain import worktime
from bot.services.availability import TIME_OFF_LOOKBACK, TIME_OFF_PAGE, AvailabilityReader
from bot.services.planning import Planner
from bot.services.read_models import task_view
from storage.models import Person, TaskEvent, Team, TimeOff
from storage.uow import UnitOfWorkFactory
from tests.conftest import START
from tests.fakes.slack_api import U_ALICE, U_MANAGER
from tests.helpers import ensure_workspaces, outbox_in, task_row

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


# -- a planner batch's people, read ahead ------------------------------------------------------------------------


def _person(workspace_id: str, user_id: str, **fields: object) -> Person:
    return Person(workspace_id=workspace_id, user_id=user_id, fetched_at=NOW, **fields)


def _away(workspace_id: str, user_id: str, starts: datetime, ends: datetime) -> TimeOff:
    return TimeOff(
        workspace_id=workspace_id, user_id=user_id, starts_at=starts, ends_at=ends, created_by=user_id, created_at=NOW
    )


def _people_and_time_off(uow_factory: UnitOfWorkFactory) -> list[tuple[str, str]]:
    """People of two workspaces with their zones, hours, calendars, statuses and time off (one with more periods
    than a page), and one person with no row; returns every (workspace, user) of them."""
    ensure_workspaces(uow_factory, WS, OTHER)
    away_status = int((NOW + timedelta(hours=5)).timestamp())
    with uow_factory() as uow:
        uow.session.add_all(
            [
                _person(WS, U_ALICE, tz="Europe/Berlin", work_start="08:00", work_end="16:00", work_days="0,1,2,3"),
                _person(
                    WS,
                    "U0BOB",
                    tz="Asia/Kolkata",
                    calendar="IN",
                    status_emoji=":palm_tree:",
                    status_text="Vacationing",
                    status_expiration=away_status,
                ),  # fmt: skip
                _person(WS, "U0CAROL", tz="America/New_York"),
                _person(OTHER, U_ALICE, tz="Asia/Tokyo"),
            ]
        )
        uow.session.add_all(
            [
                _away(WS, U_ALICE, NOW - timedelta(days=1), NOW + timedelta(days=2)),
                _away(WS, U_ALICE, NOW - timedelta(days=5), NOW - timedelta(days=4)),  # over before the look-back
                _away(OTHER, U_ALICE, NOW + timedelta(days=1), NOW + timedelta(days=3)),  # the other workspace's
                # Carol: more short periods than a page, then the one she is in now.
                *(
                    _away(
                        WS,
                        "U0CAROL",
                        NOW - TIME_OFF_LOOKBACK + timedelta(hours=i),
                        NOW - TIME_OFF_LOOKBACK + timedelta(hours=i, minutes=30),
                    )
                    for i in range(TIME_OFF_PAGE + 3)
                ),  # fmt: skip
                _away(WS, "U0CAROL", NOW - timedelta(minutes=5), NOW + timedelta(days=1)),
            ]
        )
        uow.commit()
    return [(WS, U_ALICE), (WS, "U0BOB"), (WS, "U0CAROL"), (WS, "U0NOROW"), (OTHER, U_ALICE), (OTHER, "U0BOB")]


def test_people_read_ahead_are_what_each_read_alone_gives_and_cost_no_statement_after(
    uow_factory: UnitOfWorkFactory, sqlite_engine: Engine
) -> None:
    people = _people_and_time_off(uow_factory)
    asked = {"team_calendar": "US", "fallback_tz": "Pacific/Auckland"}
    selects: list[str] = []

    @event.listens_for(sqlite_engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    with uow_factory() as uow:
        ahead = AvailabilityReader(uow, now=NOW)
        ahead.read_ahead([*people, *people])  # twice over: each person is read once
        read_ahead = len(selects)
        answers = {p: (ahead.of(*p, **asked), ahead.away_until(*p)) for p in people}
        after = selects[read_ahead:]
    with uow_factory() as uow:
        alone = AvailabilityReader(uow, now=NOW)
        assert {p: (alone.of(*p, **asked), alone.away_until(*p)) for p in people} == answers
    assert read_ahead == 2 * 2, "people and time off, a statement each per workspace"
    assert len(after) == 1, "nothing more to read but Carol's periods past a full page"
    assert answers[(WS, "U0NOROW")][0].tz == "Pacific/Auckland", "someone with no row gets the fallback zone"
    assert answers[(WS, "U0CAROL")][1] == NOW + timedelta(days=1), "past a full page, the current period is found"
    assert answers[(WS, U_ALICE)][1] == NOW + timedelta(days=2)
    assert answers[(OTHER, U_ALICE)][1] is None, "another workspace's time off is its own"
    assert answers[(WS, "U0BOB")][0].away, "an away status counts"


def test_a_planner_batch_reads_its_people_in_a_statement_per_workspace(
    uow_factory: UnitOfWorkFactory, sqlite_engine: Engine
) -> None:
    ensure_workspaces(uow_factory, WS)
    assignees = [f"U0P{i:03d}" for i in range(30)]
    with uow_factory() as uow:
        teams = [Team(workspace_id=WS, channel_id=f"C0B{i}", tz="UTC", created_by=U_MANAGER, created_at=NOW)
                 for i in range(5)]  # fmt: skip
        for team in teams:
            uow.teams.add(team)
        uow.session.add_all([_person(WS, user, tz="Europe/Berlin") for user in assignees])
        for number, user in enumerate(assignees, start=1):
            # Overdue since an hour ago, in five teams and none: each has its notices to plan.
            team_id = teams[number % 6].id if number % 6 < 5 else None
            overdue = {"due_at": NOW - timedelta(hours=1), "next_check_at": NOW - timedelta(minutes=1)}
            uow.tasks.add(task_row(WS, number, now=NOW - timedelta(days=2), assignee_id=user, status="accepted",
                                   team_id=team_id, **overdue))  # fmt: skip
        uow.commit()
    reads: list[str] = []

    @event.listens_for(sqlite_engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        recognitions = "next_recognition_at <=" in statement  # the pass asking whether a recognition is due
        if re.match(r"\s*SELECT\b", statement) and re.search(r"\bFROM\s+(people|time_off|teams)\b", statement):
            reads.extend([] if recognitions else [statement])

    inserts: list[str] = []

    @event.listens_for(sqlite_engine, "before_cursor_execute")
    def _inserts(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if re.match(r"\s*(INSERT INTO outbox|UPDATE tasks)\b", statement):
            inserts.append(statement.split("(")[0].split(" SET")[0].strip())

    planned = Planner(uow=uow_factory).plan_due(NOW)
    with uow_factory() as uow:
        moved = [t.next_check_at for t in uow.tasks.for_planning(list(range(1, 31)))]
    assert all(at is not None and at > NOW for at in moved), "every due task was planned and moved on"
    assert planned == len(outbox_in(uow_factory)) > 0, "what the pass counts is what it wrote"
    assert sorted(inserts) == ["INSERT INTO outbox", "UPDATE tasks"], "the batch's rows and changes, a statement each"
    assert Planner(uow=uow_factory).plan_due(NOW) == 0, "nothing is due twice"
    assert len(reads) == 3, f"5 teams, and people and time off of 30 assignees, in three reads, not {len(reads)}"


def test_add_many_writes_each_new_key_once_and_counts_what_it_wrote(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS)
    with uow_factory() as uow:
        assert uow.outbox.add(WS, dedupe_key="k:1", kind="checkin", recipient_id=U_ALICE, now=NOW) is not None
        uow.commit()

    def row(key: str, to: str = U_ALICE) -> dict[str, Any]:
        return uow.outbox.queued(WS, dedupe_key=key, kind="checkin", recipient_id=to, now=NOW, not_before=NOW)

    with uow_factory() as uow:
        # k:1 is stored already; k:2 comes twice (the second to someone else, and is dropped); k:3 is new.
        assert uow.outbox.add_many([row("k:1"), row("k:2"), row("k:2", "U0BOB"), row("k:3")]) == 2
        assert uow.outbox.add_many([]) == 0
        uow.commit()
    stored = sorted((r.dedupe_key, r.recipient_id) for r in outbox_in(uow_factory))
    assert stored == [("k:1", U_ALICE), ("k:2", U_ALICE), ("k:3", U_ALICE)]


def test_write_changes_writes_each_tasks_own_changes_in_one_statement(
    uow_factory: UnitOfWorkFactory, sqlite_engine: Engine
) -> None:
    ensure_workspaces(uow_factory, WS)
    with uow_factory() as uow:
        for number in (1, 2, 3):
            uow.tasks.add(task_row(WS, number, status="accepted", next_check_at=NOW))
        uow.commit()
    updates: list[str] = []

    @event.listens_for(sqlite_engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().startswith("UPDATE"):
            updates.append(statement)

    with uow_factory() as uow:
        one, two, three = uow.tasks.for_planning([1, 2, 3])
        with uow.session.no_autoflush:  # as the planner changes them
            one.next_check_at = NOW + timedelta(hours=1)
            two.checkins_unanswered += 2
            two.checkin_after = NOW
            uow.tasks.write_changes([one, two, three])
        uow.commit()
    with uow_factory() as uow:  # a task with a change that is not a column's is left to the ORM's flush
        (three,) = uow.tasks.for_planning([3])
        three.history.append(TaskEvent(at=NOW, actor_id=U_ALICE, action="noted", detail="d"))
        three.checkins_unanswered = 5
        uow.tasks.write_changes([three])
        uow.commit()
    with uow_factory() as uow:
        read = {
            t.id: (t.next_check_at, t.checkins_unanswered, t.checkin_after) for t in uow.tasks.for_planning([1, 2, 3])
        }
    assert read == {
        1: (NOW + timedelta(hours=1), 0, None),
        2: (NOW, 2, NOW),
        3: (NOW, 5, None),
    }
    assert len(updates) == 2, "the changes of tasks that changed different columns, in one statement; then the flush's"
