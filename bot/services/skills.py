"""Skills use cases: record what people of a team are good at, and suggest who should take a task.

A team's people are those with skills recorded in it and those its tasks went to (Baton does not
read channel membership), at most `MAX_TEAM_PEOPLE`, leaving out deactivated accounts and bots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.domain.errors import BadInput, NotAllowed
from bot.domain.model import PersonView, Priority
from bot.domain.skills import MAX_SKILLS_PER_PERSON, PersonSkills
from bot.domain.suggest import ON_TIME_WINDOW, Candidate, Suggestion, rank_candidates, unmatched_skills
from bot.services.people import PeopleService
from storage.models import Team
from storage.uow import UnitOfWork, UnitOfWorkFactory

MAX_TEAM_PEOPLE = 200
MAX_SKILL_ROWS = 2000
SUGGESTIONS = 3

_NOT_A_TEAM = "This channel isn't a team yet. Type `/team skills` in a team channel, or run `/team setup` here first."
_NO_TEAM_TO_SUGGEST_FROM = (
    "I suggest people from a team, and this channel isn't one (nor do you manage any). Type "
    "`/task suggest` in a team channel, or make a channel a team with `/team setup` there, then "
    "record skills with `/team skills @person billing, refunds`."
)


@dataclass(frozen=True)
class TeamSkills:
    """`/team skills` alone: the team's people, those with skills first."""

    channel_id: str
    people: tuple[PersonSkills, ...]


@dataclass(frozen=True)
class Suggestions:
    """`/task suggest`: the best people of the teams searched, and the skills asked for that nobody has."""

    channel_ids: tuple[str, ...]
    suggestions: tuple[Suggestion, ...]
    wanted: tuple[str, ...]
    unmatched: tuple[str, ...]


class SkillService:
    def __init__(self, *, uow: UnitOfWorkFactory, people: PeopleService, clock: Clock | None = None) -> None:
        self._uow = uow
        self._people = people
        self._clock = clock

    def set_skills(
        self, workspace_id: str, actor_id: str, channel_id: str, *, user_id: str, skills: Sequence[str]
    ) -> PersonSkills:
        """Replace a person's skills in the channel's team; managers of that team and admins only."""
        actor = self._people.get(workspace_id, actor_id)  # before any transaction: may call Slack
        with self._uow() as uow:
            self._managed_team(uow, workspace_id, actor, channel_id)
        if skills:
            self._people.assignable(workspace_id, user_id)  # a real, active person; may call Slack
        with self._uow() as uow:
            team = self._managed_team(uow, workspace_id, actor, channel_id)
            uow.skills.replace(workspace_id, team.id, user_id, list(skills))
            uow.commit()
        return PersonSkills(user_id=user_id, skills=tuple(skills))

    def list_skills(self, workspace_id: str, channel_id: str) -> TeamSkills:
        """The channel's team's people and their skills; anyone may look."""
        with self._uow() as uow:
            team = uow.teams.by_channel(workspace_id, channel_id) if channel_id else None
            if team is None:
                raise BadInput(_NOT_A_TEAM)
            people = self._team_people(uow, workspace_id, [team.id])
            return TeamSkills(channel_id=team.channel_id, people=tuple(people))

    def suggest(
        self, workspace_id: str, actor_id: str, channel_id: str, *, text: str, skills: Sequence[str]
    ) -> Suggestions:
        """The best people of the channel's team, else of the teams the caller manages."""
        with self._uow() as uow:
            team = uow.teams.by_channel(workspace_id, channel_id) if channel_id else None
            teams = [team] if team is not None else uow.teams.managed_by(workspace_id, actor_id)
            if not teams:
                raise BadInput(_NO_TEAM_TO_SUGGEST_FROM)
            candidates = self._candidates(uow, workspace_id, [t.id for t in teams])
            channel_ids = tuple(t.channel_id for t in teams)
        wanted = frozenset(skills)
        ranked = rank_candidates(candidates, wanted_skills=wanted, text=text, limit=SUGGESTIONS)
        return Suggestions(
            channel_ids=channel_ids,
            suggestions=tuple(ranked),
            wanted=tuple(skills),
            unmatched=unmatched_skills(candidates, wanted_skills=wanted),
        )

    def for_new_task(self, workspace_id: str, team_id: int) -> list[Suggestion]:
        """Who the New task modal suggests for a team: the best by load and on-time record."""
        with self._uow() as uow:
            candidates = self._candidates(uow, workspace_id, [team_id])
        return rank_candidates(candidates, wanted_skills=frozenset(), text="", limit=SUGGESTIONS)

    # shared steps ------------------------------------------------------------------------------
    def _managed_team(self, uow: UnitOfWork, workspace_id: str, actor: PersonView, channel_id: str) -> Team:
        team = uow.teams.by_channel(workspace_id, channel_id) if channel_id else None
        if team is None:
            raise BadInput(_NOT_A_TEAM)
        if actor.user_id not in {m.user_id for m in team.managers} and not actor.is_admin:
            raise NotAllowed(
                "Only this team's managers or a workspace admin can set skills. `/team skills` shows everyone's."
            )
        return team

    def _team_people(self, uow: UnitOfWork, workspace_id: str, team_ids: Sequence[int]) -> list[PersonSkills]:
        skills: dict[str, dict[str, None]] = {}
        for row in uow.skills.of_teams(workspace_id, team_ids, limit=MAX_SKILL_ROWS):
            held = skills.setdefault(row.user_id, {})
            if len(held) < MAX_SKILLS_PER_PERSON:  # one person in several teams
                held[row.skill] = None
        for user_id in uow.tasks.recent_assignees(workspace_id, team_ids, limit=MAX_TEAM_PEOPLE):
            skills.setdefault(user_id, {})
        gone = {p.user_id for p in uow.people.many(workspace_id, list(skills)) if p.is_deleted or p.is_bot}
        people = [PersonSkills(user_id=u, skills=tuple(s)) for u, s in skills.items() if u not in gone]
        people.sort(key=lambda person: (not person.skills, person.user_id))
        return people[:MAX_TEAM_PEOPLE]

    def _candidates(self, uow: UnitOfWork, workspace_id: str, team_ids: Sequence[int]) -> list[Candidate]:
        people = self._team_people(uow, workspace_id, team_ids)
        user_ids = [person.user_id for person in people]
        open_tasks: defaultdict[str, list[Priority]] = defaultdict(list)
        for user_id, priority, count in uow.tasks.active_priorities(workspace_id, user_ids):
            open_tasks[user_id].extend([Priority(priority)] * count)
        finishes: defaultdict[str, list[bool]] = defaultdict(list)
        for user_id, done_at, due_at in uow.tasks.recent_deadline_finishes(
            workspace_id, user_ids, per_person=ON_TIME_WINDOW
        ):
            finishes[user_id].append(done_at <= due_at)
        away: set[str] = set()
        if self._clock is not None:  # people away now rank last
            now = self._clock.now()
            away = {p.user_id for p in uow.time_off.current(workspace_id, now=now) if p.starts_at <= now}
        return [
            Candidate(
                user_id=person.user_id,
                skills=frozenset(person.skills),
                open_tasks=tuple(sorted(open_tasks[person.user_id], key=lambda p: p.weight)),
                recent_finishes=tuple(finishes[person.user_id]),
                away=person.user_id in away,
            )
            for person in people
        ]
