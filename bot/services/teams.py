"""Team use cases: make a channel a team, set its check-in schedule, holiday calendar and escalations, find a
channel's team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.clock import Clock
from bot.domain import calendars, worktime
from bot.domain.errors import BadInput, NotAllowed
from bot.domain.model import CheckinSchedule, PersonView, TeamOption, TeamView
from bot.services.people import PeopleService
from bot.services.read_models import team_view
from storage.models import Team
from storage.uow import UnitOfWork, UnitOfWorkFactory

TEAM_OPTIONS_LIMIT = 100  # a static_select holds at most 100 options
HOLIDAY_DAYS_SHOWN = 60


@dataclass(frozen=True)
class TeamCalendar:
    channel_id: str
    code: str | None
    upcoming: tuple[tuple[date, str], ...]


@dataclass(frozen=True)
class SetupOutcome:
    team: TeamView
    created: bool
    added_manager: bool


def _require_channel(channel_id: str) -> None:
    if not channel_id or channel_id[0] not in "CG":
        raise BadInput("Type `/team setup` in the channel that should become the team's channel.")


class TeamService:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, people: PeopleService) -> None:
        self._uow = uow
        self._clock = clock
        self._people = people

    def setup(self, workspace_id: str, actor_id: str, channel_id: str) -> SetupOutcome:
        """Make the channel a team with the caller as manager; its time zone is the caller's."""
        _require_channel(channel_id)
        now = self._clock.now()
        person = self._people.get(workspace_id, actor_id)
        with self._uow() as uow:
            uow.workspaces.ensure(workspace_id, now=now)
            team = uow.teams.by_channel(workspace_id, channel_id)
            if team is None:
                team = Team(
                    workspace_id=workspace_id,
                    channel_id=channel_id,
                    tz=person.tz,
                    checkin_days="0,1,2,3,4",
                    checkin_time="10:00",
                    created_by=actor_id,
                    created_at=now,
                    next_recognition_at=worktime.next_recognition(now, tz=person.tz),
                )
                uow.teams.add(team)
                uow.teams.add_manager(team, actor_id)
                view = team_view(team)
                uow.commit()
                return SetupOutcome(view, created=True, added_manager=True)
            managers = [m.user_id for m in team.managers]
            if actor_id in managers:
                return SetupOutcome(team_view(team), created=False, added_manager=False)
            if not person.is_admin:
                names = ", ".join(f"<@{m}>" for m in managers) or "its managers"
                raise NotAllowed(
                    f"<#{channel_id}> is already a team, managed by {names}. Ask one of them or a "
                    "workspace admin to run `/team setup` here to make you a manager."
                )
            uow.teams.add_manager(team, actor_id)
            view = team_view(team)
            uow.commit()
            return SetupOutcome(view, created=False, added_manager=True)

    def set_checkins(self, workspace_id: str, actor_id: str, channel_id: str, schedule: CheckinSchedule) -> TeamView:
        actor = self._people.get(workspace_id, actor_id)  # before the transaction: may call Slack
        with self._uow() as uow:
            team = self._managed_team(uow, workspace_id, actor, channel_id)
            team.checkin_days = ",".join(str(d) for d in sorted(schedule.days))
            team.checkin_time = schedule.at.strftime("%H:%M")
            uow.tasks.replan_team(workspace_id, team.id, now=self._clock.now())
            view = team_view(team)
            uow.commit()
            return view

    def set_calendar(self, workspace_id: str, actor_id: str, channel_id: str, code: str | None) -> TeamCalendar:
        """The team's public-holiday calendar (None: none); its people without one of their own follow it."""
        actor = self._people.get(workspace_id, actor_id)  # before the transaction: may call Slack
        now = self._clock.now()
        with self._uow() as uow:
            team = self._managed_team(uow, workspace_id, actor, channel_id, what="its holiday calendar")
            team.calendar = code
            uow.tasks.replan_team(workspace_id, team.id, now=now)
            people = [t.assignee_id for t in uow.tasks.active_in_team(workspace_id, team.id, limit=1000)]
            uow.outbox.recheck_held(workspace_id, sorted({*people, *(m.user_id for m in team.managers)}), now=now)
            uow.commit()
        return self.calendar(workspace_id, channel_id)

    def calendar(self, workspace_id: str, channel_id: str) -> TeamCalendar:
        """The team's calendar and its holidays in the next 60 days (in the team's zone)."""
        now = self._clock.now()
        with self._uow(read_only=True) as uow:
            team = uow.teams.by_channel(workspace_id, channel_id) if channel_id else None
            if team is None:
                raise BadInput("Type `/team holidays` in a team channel (`/team setup` makes one).")
            code, tz = team.calendar, team.tz
        today = worktime.local_date(now, tz=tz)
        upcoming = calendars.holidays_between(code, today, today + timedelta(days=HOLIDAY_DAYS_SHOWN))
        return TeamCalendar(channel_id=channel_id, code=code, upcoming=tuple(upcoming))

    def set_escalation(self, workspace_id: str, actor_id: str, channel_id: str, after: int) -> TeamView:
        """After how many unanswered check-ins in a row the team's managers hear of a task (0: never)."""
        actor = self._people.get(workspace_id, actor_id)  # before the transaction: may call Slack
        with self._uow() as uow:
            team = self._managed_team(uow, workspace_id, actor, channel_id, what="its escalations")
            team.escalation_after = after
            view = team_view(team)
            uow.commit()
            return view

    def by_channel(self, workspace_id: str, channel_id: str) -> TeamView | None:
        with self._uow(read_only=True) as uow:
            team = uow.teams.by_channel(workspace_id, channel_id)
            return team_view(team) if team else None

    def options(self, workspace_id: str) -> list[TeamOption]:
        with self._uow(read_only=True) as uow:
            return [
                TeamOption(id=t.id, channel_id=t.channel_id)
                for t in uow.teams.of_workspace(workspace_id, limit=TEAM_OPTIONS_LIMIT)
            ]

    def managed_by(self, workspace_id: str, user_id: str) -> list[TeamView]:
        with self._uow(read_only=True) as uow:
            return [team_view(t) for t in uow.teams.managed_by(workspace_id, user_id)]

    def _managed_team(
        self, uow: UnitOfWork, workspace_id: str, actor: PersonView, channel_id: str, *, what: str = "its check-ins"
    ) -> Team:
        team = uow.teams.by_channel(workspace_id, channel_id) if channel_id else None
        if team is None:
            raise BadInput("This channel isn't a team yet. Run `/team setup` here first.")
        if actor.user_id not in {m.user_id for m in team.managers} and not actor.is_admin:
            raise NotAllowed(f"Only this team's managers or a workspace admin can change {what}.")
        return team
