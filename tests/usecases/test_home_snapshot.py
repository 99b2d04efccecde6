"""What a Home tab is built from (`HomeService.snapshot`): the teams someone manages and their tasks, and the
check-ins coming up on their own tasks at their team's check-in time."""

from __future__ import annotations

from sqlalchemy import update

from bot.domain.model import OutboxKind
from bot.services.home import HomeService
from bot.services.tasks import NewTask
from storage.models import Team
from tests.usecases.conftest import ALICE, MANAGER, STRANGER, TEAM_CHANNEL, WORKSPACE, UseCases


def test_a_managers_home_has_their_teams_tasks_and_their_teams_check_in_time(app: UseCases) -> None:
    team_id = app.team(TEAM_CHANNEL, managers=[MANAGER])
    app.team("COTHER", managers=[STRANGER])
    with app.uow() as uow:
        uow.session.execute(update(Team).where(Team.id == team_id).values(checkin_time="10:30"))
        uow.commit()
    task = app.tasks.delegate(
        WORKSPACE, MANAGER, NewTask(assignee_id=ALICE, title="Fix the refund macro", channel_id=TEAM_CHANNEL)
    )
    app.tasks.accept(WORKSPACE, ALICE, task.id)
    home = HomeService(uow=app.uow, clock=app.clock)

    managers = home.snapshot(WORKSPACE, MANAGER)
    assert managers.is_manager and [t.id for t in managers.team_tasks] == [task.id]
    assert [t.id for t in managers.delegated] == [task.id] and managers.mine == ()

    alices = home.snapshot(WORKSPACE, ALICE)
    assert not alices.is_manager and alices.team_tasks == () and [t.id for t in alices.mine] == [task.id]
    checkins = [c.at for c in alices.coming if dict(c.kinds).get(OutboxKind.CHECKIN)]
    assert checkins, f"check-ins coming up on her task: {alices.coming}"
    # The team's 10:30 in her zone (Berlin: 09:30 UTC in December), not the default 10:00.
    assert {(at.hour, at.minute) for at in checkins} == {(9, 30)}
