"""Use cases, bound once to their collaborators by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.availability import AvailabilityService
from bot.services.checkins import CheckinService
from bot.services.home import HomePublisher, HomeService
from bot.services.installs import InstallService
from bot.services.kudos import KudosService
from bot.services.people import PeopleService
from bot.services.preview import PreviewService
from bot.services.reports import ReportService
from bot.services.series import SeriesService
from bot.services.skills import SkillService
from bot.services.tasks import TaskService
from bot.services.teams import TeamService
from bot.services.timeoff import TimeOffService


@dataclass(frozen=True)
class Services:
    people: PeopleService
    tasks: TaskService
    teams: TeamService
    reports: ReportService
    kudos: KudosService
    home: HomeService
    home_publisher: HomePublisher
    checkins: CheckinService
    skills: SkillService
    series: SeriesService
    time_off: TimeOffService
    preview: PreviewService
    installs: InstallService
    availability: AvailabilityService
