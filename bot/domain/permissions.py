"""Who may do what to a task (CONTRACT: assignee, delegator, team manager or workspace admin)."""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.errors import NotAllowed
from bot.domain.text import task_ref


def may_change(
    actor_id: str,
    *,
    assignee_id: str,
    delegator_id: str,
    team_manager_ids: Collection[str],
    actor_is_admin: bool,
) -> bool:
    return actor_id in (assignee_id, delegator_id) or actor_id in team_manager_ids or actor_is_admin


def require_change(
    actor_id: str,
    *,
    number: int,
    assignee_id: str,
    delegator_id: str,
    team_manager_ids: Collection[str],
    actor_is_admin: bool,
) -> None:
    """Raise a clear refusal unless the actor may change the task."""
    if not may_change(
        actor_id,
        assignee_id=assignee_id,
        delegator_id=delegator_id,
        team_manager_ids=team_manager_ids,
        actor_is_admin=actor_is_admin,
    ):
        raise NotAllowed(
            f"Only {task_ref(number)}'s assignee (<@{assignee_id}>), the person who delegated it "
            f"(<@{delegator_id}>), a manager of its team or a workspace admin can change it."
        )


def require_assignee(actor_id: str, *, number: int, assignee_id: str) -> None:
    """Accept, decline and check-in answers belong to the assignee alone."""
    if actor_id != assignee_id:
        raise NotAllowed(f"Only <@{assignee_id}>, who {task_ref(number)} is assigned to, can answer this.")
