"""`export_team` and `purge_workspace` on SQLite: what a team's export holds (and what it must not), and a
workspace purged from every table while another workspace's rows stay exactly as they were."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Boolean, DateTime, Engine, Integer, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.errors import BadInput, NotFound
from bot.services.workspace_data import EXPORT_SCHEMA_VERSION, export_team, purge_workspace
from storage.models import (
    Base,
    Kudos,
    KudosRecipient,
    OutboxMessage,
    Person,
    ProcessedEvent,
    Skill,
    Task,
    TaskEvent,
    TaskSeries,
    Team,
    TeamManager,
    TimeOff,
    Workspace,
)
from storage.repositories.workspace_data import SLACK_TABLE_PREFIX
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
WS = "T0WSONE"
OTHER_WS = "T0WSTWO"
C_TEAM = "C0TEAM"
C_OTHER_TEAM = "C0OPS"
ALICE, BOB, MANAGER = "U0ALICE", "U0BOB", "U0MANAGER"
# Stored as typed: the export must give it back byte for byte, never escaped for mrkdwn.
RAW_TITLE = "Fix <!channel> & <b>refunds</b> \U0001f680"


@dataclass(frozen=True)
class Seeded:
    team_id: int
    other_team_id: int


def seed_workspace(session: Session, workspace_id: str, *, channel_id: str = C_TEAM, tag: str = "") -> Seeded:
    """One of everything Baton stores, for one workspace: two teams, tasks with history, kudos, skills,
    a series, time off, people, outbox rows, a processed event and Slack's installation rows."""
    session.add(Workspace(id=workspace_id, last_task_number=4, created_at=NOW))
    session.flush()
    for user_id, name in ((ALICE, "Alice"), (BOB, "Bob"), (MANAGER, "Maya")):
        session.add(
            Person(
                workspace_id=workspace_id, user_id=user_id, display_name=name + tag, tz="Europe/Berlin", fetched_at=NOW
            )
        )
    team = Team(
        workspace_id=workspace_id,
        channel_id=channel_id,
        tz="America/New_York",
        checkin_days="0,2,4",
        checkin_time="09:30",
        created_by=MANAGER,
        created_at=NOW - timedelta(days=30),
    )
    team.managers = [TeamManager(user_id=MANAGER), TeamManager(user_id=BOB)]
    other = Team(
        workspace_id=workspace_id, channel_id=C_OTHER_TEAM, tz="UTC", created_by=BOB, created_at=NOW - timedelta(days=9)
    )
    other.managers = [TeamManager(user_id=BOB)]
    session.add_all([team, other])
    session.flush()
    session.add_all(
        [
            Skill(workspace_id=workspace_id, team_id=team.id, user_id=ALICE, skill="refunds"),
            Skill(workspace_id=workspace_id, team_id=team.id, user_id=ALICE, skill="billing"),
            Skill(workspace_id=workspace_id, team_id=other.id, user_id=BOB, skill="on-call"),
        ]
    )
    series = TaskSeries(
        workspace_id=workspace_id,
        title="Weekly report" + tag,
        assignee_id=ALICE,
        delegator_id=MANAGER,
        team_id=team.id,
        priority="normal",
        rule="weekly:0",
        at="09:00",
        tz="Europe/Berlin",
        created_at=NOW - timedelta(days=7),
        last_due_at=NOW - timedelta(days=1),
        next_due_at=NOW + timedelta(days=6),
    )
    session.add(series)
    session.flush()
    done = _task(workspace_id, 1, RAW_TITLE + tag, team_id=team.id, status="done")
    done.details = "Line one\n*not bold*, `not code`"
    done.due_at = NOW - timedelta(days=1)
    done.accepted_at = NOW - timedelta(days=2, hours=20)
    done.done_at = NOW - timedelta(days=1, hours=2)
    done.history = [
        TaskEvent(at=NOW - timedelta(days=3), actor_id=MANAGER, action="created", detail=""),
        TaskEvent(at=NOW - timedelta(days=2, hours=20), actor_id=ALICE, action="accepted", detail=""),
        TaskEvent(at=NOW - timedelta(days=2), actor_id=ALICE, action="checkin_blocked", detail="waiting on <@U0BOB>"),
        TaskEvent(at=NOW - timedelta(days=1, hours=2), actor_id=ALICE, action="done", detail=""),
    ]
    occurrence = _task(workspace_id, 2, "Weekly report" + tag, team_id=team.id, status="open")
    occurrence.series_id = series.id
    occurrence.history = [TaskEvent(at=NOW - timedelta(days=1), actor_id=MANAGER, action="created")]
    other_team_task = _task(workspace_id, 3, "Rotate the pager" + tag, team_id=other.id, status="accepted")
    other_team_task.history = [TaskEvent(at=NOW, actor_id=BOB, action="created")]
    no_team_task = _task(workspace_id, 4, "Book the offsite" + tag, team_id=None, status="open")
    no_team_task.history = [TaskEvent(at=NOW, actor_id=BOB, action="created")]
    session.add_all([done, occurrence, other_team_task, no_team_task])
    session.flush()
    thanks = Kudos(
        workspace_id=workspace_id,
        giver_id=MANAGER,
        team_id=team.id,
        channel_id=channel_id,
        message="Thanks for the <fix> & more" + tag,
        created_at=NOW - timedelta(hours=5),
    )
    thanks.recipients = [KudosRecipient(user_id=BOB, position=0), KudosRecipient(user_id=ALICE, position=1)]
    other_thanks = Kudos(
        workspace_id=workspace_id,
        giver_id=BOB,
        team_id=other.id,
        channel_id=C_OTHER_TEAM,
        message="Pager hero" + tag,
        created_at=NOW,
    )
    other_thanks.recipients = [KudosRecipient(user_id=MANAGER, position=0)]
    session.add_all([thanks, other_thanks])
    session.add_all(
        [
            OutboxMessage(
                workspace_id=workspace_id,
                dedupe_key=f"assign:{occurrence.id}:{ALICE}",
                kind="assignment",
                task_id=occurrence.id,
                recipient_id=ALICE,
                payload={},
                state="sent",
                not_before=NOW,
                created_at=NOW,
            ),
            OutboxMessage(
                workspace_id=workspace_id,
                dedupe_key="recognition:1",
                kind="recognition",
                task_id=None,
                recipient_id=channel_id,
                payload={},
                state="pending",
                not_before=NOW,
                created_at=NOW,
            ),
            TimeOff(
                workspace_id=workspace_id,
                user_id=ALICE,
                starts_at=NOW,
                ends_at=NOW + timedelta(days=2),
                created_by=ALICE,
                created_at=NOW,
            ),
            ProcessedEvent(event_id=f"Ev{workspace_id}", workspace_id=workspace_id, received_at=NOW),
        ]
    )
    session.flush()
    for table in Base.metadata.sorted_tables:
        if table.name.startswith(SLACK_TABLE_PREFIX) and "team_id" in table.c:
            session.execute(insert(table).values(_filler(table, team_id=workspace_id)))
    return Seeded(team_id=team.id, other_team_id=other.id)


def _filler(table: Any, *, team_id: str) -> dict[str, Any]:
    """Values for every required column of a Slack OAuth table, whatever its exact shape."""
    values: dict[str, Any] = {}
    for column in table.c:
        if column.primary_key or (column.nullable and column.name != "team_id"):
            continue
        if column.name == "team_id":
            values[column.name] = team_id
        elif isinstance(column.type, DateTime):
            values[column.name] = NOW.replace(tzinfo=None)
        elif isinstance(column.type, Boolean):
            values[column.name] = False
        elif isinstance(column.type, Integer):
            values[column.name] = 1
        else:
            values[column.name] = f"{column.name}-{team_id}"
    return values


def _task(workspace_id: str, number: int, title: str, *, team_id: int | None, status: str) -> Task:
    return Task(
        workspace_id=workspace_id,
        number=number,
        title=title,
        assignee_id=ALICE,
        delegator_id=MANAGER,
        team_id=team_id,
        priority="high",
        status=status,
        created_at=NOW - timedelta(days=3),
        updated_at=NOW - timedelta(days=1),
    )


def seed_oauth_state(session: Session) -> None:
    """A row of Slack's OAuth state table, which belongs to no workspace, if the schema has the table."""
    table = Base.metadata.tables.get(f"{SLACK_TABLE_PREFIX}oauth_states")
    if table is not None:
        session.execute(insert(table).values(state="s-1", expire_at=NOW.replace(tzinfo=None)))


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, as sorted text, to compare a database before and after."""
    with engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            for table in Base.metadata.sorted_tables
        }


def _seed(uow_factory: UnitOfWorkFactory, *workspaces: str, oauth_state: bool = True) -> dict[str, Seeded]:
    seeded = {}
    with uow_factory() as uow:
        for workspace_id in workspaces:
            seeded[workspace_id] = seed_workspace(uow.session, workspace_id, tag=f" [{workspace_id}]")
        if oauth_state:
            seed_oauth_state(uow.session)
        uow.commit()
    return seeded


def _export(uow_factory: UnitOfWorkFactory, team: str, workspace_id: str | None = None) -> dict[str, Any]:
    exported = export_team(uow_factory, team=team, workspace_id=workspace_id, now=NOW)
    # What the CLI writes: the document must survive JSON as is.
    document: dict[str, Any] = json.loads(json.dumps(exported.document, ensure_ascii=False))
    return document


# -- export ------------------------------------------------------------------------------------------


def test_export_holds_the_team_its_tasks_with_history_kudos_skills_and_series_in_utc(
    uow_factory: UnitOfWorkFactory,
) -> None:
    seeded = _seed(uow_factory, WS)

    doc = _export(uow_factory, C_TEAM)

    assert doc["schema_version"] == EXPORT_SCHEMA_VERSION
    assert doc["exported_at"] == "2026-12-01T14:00:00+00:00"
    assert doc["workspace_id"] == WS
    assert doc["team"] == {
        "id": seeded[WS].team_id,
        "channel_id": C_TEAM,
        "time_zone": "America/New_York",
        "managers": [BOB, MANAGER],
        "checkins": {"off": False, "days": ["mon", "wed", "fri"], "time": "09:30"},
        "created_by": MANAGER,
        "created_at": "2026-11-01T14:00:00+00:00",
        "last_recognition_at": None,
    }
    assert [t["number"] for t in doc["tasks"]] == ["T-1", "T-2"]
    first = doc["tasks"][0]
    assert first["title"] == RAW_TITLE + f" [{WS}]"
    assert first["details"] == "Line one\n*not bold*, `not code`"
    assert (first["assignee_id"], first["delegator_id"], first["status"], first["priority"]) == (
        ALICE,
        MANAGER,
        "done",
        "high",
    )
    assert (first["due_at"], first["created_at"], first["done_at"]) == (
        "2026-11-30T14:00:00+00:00",
        "2026-11-28T14:00:00+00:00",
        "2026-11-30T12:00:00+00:00",
    )
    assert first["history"] == [
        {"at": "2026-11-28T14:00:00+00:00", "actor_id": MANAGER, "action": "created", "detail": ""},
        {"at": "2026-11-28T18:00:00+00:00", "actor_id": ALICE, "action": "accepted", "detail": ""},
        {
            "at": "2026-11-29T14:00:00+00:00",
            "actor_id": ALICE,
            "action": "checkin_blocked",
            "detail": "waiting on <@U0BOB>",
        },
        {"at": "2026-11-30T12:00:00+00:00", "actor_id": ALICE, "action": "done", "detail": ""},
    ]
    assert doc["tasks"][1]["series_id"] == doc["series"][0]["id"]
    assert [(k["giver_id"], k["recipient_ids"], k["message"]) for k in doc["kudos"]] == [
        (MANAGER, [BOB, ALICE], f"Thanks for the <fix> & more [{WS}]")
    ]
    assert doc["skills"] == [{"user_id": ALICE, "skills": ["refunds", "billing"]}]
    assert [(s["title"], s["rule"], s["time"], s["next_due_at"]) for s in doc["series"]] == [
        (f"Weekly report [{WS}]", "weekly:0", "09:00", "2026-12-07T14:00:00+00:00")
    ]
    assert [p["user_id"] for p in doc["people"]] == [ALICE, BOB, MANAGER]


def test_export_leaves_out_other_teams_and_the_same_channel_in_another_workspace(
    uow_factory: UnitOfWorkFactory,
) -> None:
    _seed(uow_factory, WS, OTHER_WS)

    doc = _export(uow_factory, C_TEAM, WS)

    text = json.dumps(doc)
    assert OTHER_WS not in text  # no title, message or name of the other workspace's copy
    assert "Rotate the pager" not in text and "Book the offsite" not in text and "Pager hero" not in text
    assert "on-call" not in text
    assert {t["title"] for t in doc["tasks"]} == {RAW_TITLE + f" [{WS}]", f"Weekly report [{WS}]"}
    assert [p["display_name"] for p in doc["people"]] == [f"Alice [{WS}]", f"Bob [{WS}]", f"Maya [{WS}]"]


def test_export_by_team_number_finds_the_team_in_its_workspace(uow_factory: UnitOfWorkFactory) -> None:
    seeded = _seed(uow_factory, WS, OTHER_WS)

    doc = _export(uow_factory, str(seeded[OTHER_WS].other_team_id))

    assert (doc["workspace_id"], doc["team"]["channel_id"]) == (OTHER_WS, C_OTHER_TEAM)
    assert [t["title"] for t in doc["tasks"]] == [f"Rotate the pager [{OTHER_WS}]"]


def test_export_of_a_channel_that_is_a_team_in_two_workspaces_asks_for_the_workspace(
    uow_factory: UnitOfWorkFactory,
) -> None:
    _seed(uow_factory, WS, OTHER_WS)

    with pytest.raises(BadInput) as refused:
        export_team(uow_factory, team=C_TEAM, workspace_id=None, now=NOW)

    assert "pass --workspace" in refused.value.reply
    assert WS in refused.value.reply and OTHER_WS in refused.value.reply


@pytest.mark.parametrize(
    ("team", "workspace_id", "expected"),
    [
        ("C0NOPE", None, f"no team with channel C0NOPE in any workspace; teams here: {C_TEAM} (#1, {WS})"),
        ("999", WS, f"no team with number 999 in workspace {WS}; teams here: {C_TEAM} (#1), {C_OTHER_TEAM} (#2)"),
        (C_TEAM, "T0NOPE", f"no workspace T0NOPE in this database; workspaces here: {WS}"),
    ],
)
def test_export_of_an_unknown_team_names_what_was_not_found_and_what_there_is(
    uow_factory: UnitOfWorkFactory, team: str, workspace_id: str | None, expected: str
) -> None:
    _seed(uow_factory, WS)

    with pytest.raises(NotFound) as missing:
        export_team(uow_factory, team=team, workspace_id=workspace_id, now=NOW)

    assert missing.value.reply.startswith(expected), missing.value.reply
    assert "\n" not in missing.value.reply


@pytest.mark.parametrize("team", ["general", "U0ALICE", "", "C 0TEAM", "²", "12345678901234567890"])
def test_export_refuses_a_team_that_is_neither_a_channel_id_nor_a_number(
    uow_factory: UnitOfWorkFactory, team: str
) -> None:
    with pytest.raises(BadInput) as refused:
        export_team(uow_factory, team=team, workspace_id=None, now=NOW)

    assert refused.value.reply.startswith("--team takes a team's channel id (C…, e.g. C0123ABCD) or its number")


# -- purge -------------------------------------------------------------------------------------------


def test_purge_deletes_the_workspace_from_every_table_and_leaves_the_other_exactly_as_it_was(
    sqlite_engine: Engine, uow_factory: UnitOfWorkFactory
) -> None:
    _seed(uow_factory, OTHER_WS)
    only_other = snapshot(sqlite_engine)
    _seed(uow_factory, WS, oauth_state=False)
    both = snapshot(sqlite_engine)
    grown = {name for name in both if len(both[name]) > len(only_other[name])}

    report = purge_workspace(uow_factory, WS, delete=True)

    assert report.deleted
    # Every table the purge reaches was seeded, so a table added later fails here until it is seeded.
    assert {name for name, _ in report.counts} == grown
    assert dict(report.counts) == {name: len(both[name]) - len(only_other[name]) for name in grown}
    assert {"task_events", "kudos_recipients", "team_managers", "processed_events", "workspaces"} <= grown
    assert snapshot(sqlite_engine) == only_other


def test_purge_reaches_slack_installation_tables_and_leaves_oauth_states(uow_factory: UnitOfWorkFactory) -> None:
    if f"{SLACK_TABLE_PREFIX}installations" not in Base.metadata.tables:
        pytest.skip("the schema has no Slack installation tables yet")
    _seed(uow_factory, WS)

    report = purge_workspace(uow_factory, WS, delete=True)

    assert dict(report.counts)["slack_installations"] == 1
    assert dict(report.counts)["slack_bots"] == 1
    assert "slack_oauth_states" in report.left_alone


def test_purge_without_yes_counts_the_rows_and_changes_nothing(
    sqlite_engine: Engine, uow_factory: UnitOfWorkFactory
) -> None:
    _seed(uow_factory, WS, OTHER_WS)
    before = snapshot(sqlite_engine)

    report = purge_workspace(uow_factory, WS, delete=False)

    assert not report.deleted
    counts = dict(report.counts)
    assert (counts["tasks"], counts["task_events"], counts["kudos_recipients"], counts["workspaces"]) == (4, 7, 3, 1)
    assert snapshot(sqlite_engine) == before


def test_purge_is_all_or_nothing_when_a_delete_fails(sqlite_engine: Engine, uow_factory: UnitOfWorkFactory) -> None:
    seeded = _seed(uow_factory, WS, OTHER_WS)
    with uow_factory() as uow:  # another workspace's task pointing at this one's team: the teams delete fails
        stray = _task(OTHER_WS, 9, "Stray", team_id=seeded[WS].team_id, status="open")
        uow.session.add(stray)
        uow.commit()
    before = snapshot(sqlite_engine)

    with pytest.raises(IntegrityError):
        purge_workspace(uow_factory, WS, delete=True)

    assert snapshot(sqlite_engine) == before


def test_purge_deletes_children_before_their_parents(uow_factory: UnitOfWorkFactory) -> None:
    _seed(uow_factory, WS)

    order = [name for name, _ in purge_workspace(uow_factory, WS, delete=False).counts]

    for child, parent in [
        ("task_events", "tasks"),
        ("outbox", "tasks"),
        ("tasks", "teams"),
        ("tasks", "task_series"),
        ("kudos_recipients", "kudos"),
        ("team_managers", "teams"),
        ("teams", "workspaces"),
    ]:
        assert order.index(child) < order.index(parent), (child, parent)


def test_purge_of_a_workspace_with_no_rows_says_so_and_names_those_there_are(uow_factory: UnitOfWorkFactory) -> None:
    _seed(uow_factory, WS)

    report = purge_workspace(uow_factory, "T0NOBODY", delete=True)

    assert report.total == 0 and not report.deleted
    assert report.hint == f"workspaces here: {WS}"


def test_purge_refuses_a_workspace_id_that_cannot_be_one(uow_factory: UnitOfWorkFactory) -> None:
    with pytest.raises(BadInput) as refused:
        purge_workspace(uow_factory, "T0 WS; drop", delete=True)

    assert refused.value.reply.startswith("--workspace takes a Slack workspace id")
