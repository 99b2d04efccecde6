"""The queries behind skills and suggestions on SQLite: bounded, newest first, scoped by workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.models import Task, Team
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
WS_A = "T0AAAA"
WS_B = "T0BBBB"
ALICE = "U0ALICE"
BOB = "U0BOB"


def _setup(uow_factory: UnitOfWorkFactory) -> dict[str, int]:
    """A team in each workspace (on the same channel id); their ids by workspace."""
    ids = {}
    with uow_factory() as uow:
        for ws in (WS_A, WS_B):
            uow.workspaces.ensure(ws, now=NOW)
            team = Team(workspace_id=ws, channel_id="C0TEAM", tz="UTC", created_by="U0M", created_at=NOW)
            uow.teams.add(team)
            ids[ws] = team.id
        uow.commit()
    return ids


def _add_tasks(uow_factory: UnitOfWorkFactory, tasks: list[dict[str, object]]) -> None:
    with uow_factory() as uow:
        for values in tasks:
            ws = str(values.get("workspace_id", WS_A))
            fields: dict[str, object] = {
                "title": "t",
                "assignee_id": ALICE,
                "delegator_id": "U0M",
                "priority": "normal",
                "status": "open",
                "created_at": NOW,
                "updated_at": NOW,
                **values,
                "workspace_id": ws,
                "number": uow.workspaces.next_task_number(ws),
            }
            uow.tasks.add(Task(**fields))
        uow.commit()


def test_recent_deadline_finishes_keep_each_persons_newest_twenty_newest_first(uow_factory: UnitOfWorkFactory) -> None:
    _setup(uow_factory)
    due = NOW + timedelta(days=1)
    # Alice: 25 finished tasks with a deadline, the n-th finished n hours after NOW; Bob: 2.
    finished = [
        {"status": "done", "due_at": due, "done_at": NOW + timedelta(hours=n), "assignee_id": who}
        for who, count in ((ALICE, 25), (BOB, 2))
        for n in range(count)
    ]
    others = [
        {"status": "done", "due_at": None, "done_at": NOW + timedelta(hours=99)},  # no deadline
        {"status": "open", "due_at": due},  # not finished
        {"status": "done", "due_at": due, "done_at": NOW + timedelta(hours=99), "workspace_id": WS_B},
    ]
    _add_tasks(uow_factory, [*finished, *others])

    with uow_factory() as uow:
        rows = uow.tasks.recent_deadline_finishes(WS_A, [ALICE, BOB], per_person=20)

    alice = [done_at for who, done_at, _ in rows if who == ALICE]
    bob = [done_at for who, done_at, _ in rows if who == BOB]
    assert alice == [NOW + timedelta(hours=n) for n in range(24, 4, -1)]  # hours 24 … 5
    assert bob == [NOW + timedelta(hours=1), NOW]
    assert all(done.tzinfo is UTC and due_at == due for _, done, due_at in rows)


def test_active_priorities_count_open_and_accepted_tasks_only_in_the_workspace(uow_factory: UnitOfWorkFactory) -> None:
    _setup(uow_factory)
    _add_tasks(
        uow_factory,
        [
            {"priority": "urgent", "status": "open"},
            {"priority": "urgent", "status": "accepted"},
            {"priority": "low", "status": "open"},
            {"priority": "high", "status": "declined"},
            {"priority": "high", "status": "done"},
            {"priority": "high", "status": "open", "workspace_id": WS_B},
        ],
    )

    with uow_factory() as uow:
        counts = sorted(uow.tasks.active_priorities(WS_A, [ALICE, BOB]))

    assert counts == [(ALICE, "low", 1), (ALICE, "urgent", 2)]


def test_skills_are_replaced_whole_and_read_per_workspace_and_team(uow_factory: UnitOfWorkFactory) -> None:
    teams = _setup(uow_factory)
    with uow_factory() as uow:
        uow.skills.replace(WS_A, teams[WS_A], ALICE, ["billing", "refunds"])
        uow.skills.replace(WS_B, teams[WS_B], ALICE, ["other workspace"])
        uow.commit()
    with uow_factory() as uow:
        uow.skills.replace(WS_A, teams[WS_A], ALICE, ["spanish", "billing"])
        uow.commit()

    with uow_factory() as uow:
        found = [(s.user_id, s.skill) for s in uow.skills.of_teams(WS_A, [teams[WS_A], teams[WS_B]], limit=100)]
        limited = uow.skills.of_teams(WS_A, [teams[WS_A]], limit=1)

    assert found == [(ALICE, "spanish"), (ALICE, "billing")]  # the order typed; WS_B's team is not WS_A's
    assert len(limited) == 1


def test_recent_assignees_are_the_teams_only_latest_first(uow_factory: UnitOfWorkFactory) -> None:
    teams = _setup(uow_factory)
    _add_tasks(
        uow_factory,
        [
            {"assignee_id": BOB, "team_id": teams[WS_A], "created_at": NOW - timedelta(days=2)},
            {"assignee_id": ALICE, "team_id": teams[WS_A], "created_at": NOW - timedelta(days=1)},
            {"assignee_id": BOB, "team_id": teams[WS_A], "created_at": NOW - timedelta(days=3)},
            {"assignee_id": "U0CAROL", "team_id": None},
            {"assignee_id": "U0DAVE", "team_id": teams[WS_B], "workspace_id": WS_B},
        ],
    )

    with uow_factory() as uow:
        assert uow.tasks.recent_assignees(WS_A, [teams[WS_A]], limit=10) == [ALICE, BOB]
        assert uow.tasks.recent_assignees(WS_A, [teams[WS_A]], limit=1) == [ALICE]
