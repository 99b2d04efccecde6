"""A claim leaves a person's scheduled messages while a task of theirs still waits for its plan (they go out
together once it is committed); what is not bundled, an assignment DM, goes at once. Looked up for the claim's
candidates only: every role a person can have on the task counts, and other people's tasks do not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from storage.db import make_session_factory
from storage.models import OutboxMessage, Team, TeamManager
from storage.uow import UnitOfWorkFactory
from tests.helpers import START, ensure_workspaces, task_row

WS = "T0PLAN"


def _row(recipient: str, kind: str, key: str) -> OutboxMessage:
    return OutboxMessage(
        workspace_id=WS,
        dedupe_key=key,
        kind=kind,
        recipient_id=recipient,
        payload={},
        state="pending",
        attempts=0,
        not_before=START - timedelta(minutes=1),
        created_at=START - timedelta(minutes=1),
    )


def test_scheduled_messages_wait_for_the_plan_of_any_task_the_person_is_on(sqlite_engine: Engine) -> None:
    factory = UnitOfWorkFactory(
        make_session_factory(sqlite_engine), make_session_factory(sqlite_engine, read_only=True)
    )
    ensure_workspaces(factory, WS)
    with factory() as uow:
        team = Team(workspace_id=WS, channel_id="C0TEAM", tz="UTC", created_by="U0LEAD", created_at=START)
        uow.session.add(team)
        uow.session.flush()
        uow.session.add(TeamManager(team_id=team.id, user_id="U0LEAD"))
        # Still to plan: its follow-up moment has come. Its assignee, delegator and team manager wait.
        uow.session.add(
            task_row(WS, 1, assignee_id="U0ASSIGNEE", delegator_id="U0BOSS", team_id=team.id, next_check_at=START)
        )
        # Planned already (its next moment is later): its people are free.
        uow.session.add(
            task_row(WS, 2, assignee_id="U0FREE", delegator_id="U0BOSS2", next_check_at=START + timedelta(hours=1))
        )
        for recipient in ("U0ASSIGNEE", "U0BOSS", "U0LEAD", "U0FREE", "U0BOSS2"):
            uow.session.add(_row(recipient, "checkin", f"checkin:{recipient}"))
        uow.session.add(_row("U0ASSIGNEE", "assignment", "assign:1:1"))
        uow.commit()

    with factory() as uow:
        claimed = uow.outbox.claim_conversations(now=START, limit=10, lease=timedelta(minutes=2), per_conversation=50)
        uow.commit()

    taken = sorted((row.recipient_id, row.kind) for row in claimed)
    assert taken == [("U0ASSIGNEE", "assignment"), ("U0BOSS2", "checkin"), ("U0FREE", "checkin")]
