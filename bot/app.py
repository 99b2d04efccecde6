"""The composition root: builds the engine, gateway, services, Bolt app and delivery once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import CollectorRegistry
from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.logs import bind_request_fields
from bot.metrics import Metrics
from bot.scheduler.delivery.background import BackgroundDeliverer
from bot.scheduler.delivery.sending import Delivery
from bot.scheduler.pacing import Pacer
from bot.scheduler.runner import start_scheduler
from bot.scheduler.tick import PassSummary, run_pass
from bot.services import Services
from bot.services.availability import AvailabilityService
from bot.services.checkins import CheckinService
from bot.services.home import HomeData, HomePublisher, HomeService
from bot.services.installs import InstallService
from bot.services.kudos import KudosService
from bot.services.people import PeopleService
from bot.services.planning import Planner
from bot.services.preview import PreviewService
from bot.services.reports import ReportService
from bot.services.series import SeriesService
from bot.services.skills import SkillService
from bot.services.tasks import TaskService
from bot.services.teams import TeamService
from bot.services.timeoff import TimeOffService
from bot.slack.client import make_delivery_client, make_interactive_client
from bot.slack.gateway import SlackGateway
from bot.slack.limits import HistoryLimits, RateLimits, SharedCalls
from bot.slack.observer import ObservedWebClient
from bot.slack.tokens import StaticToken
from handlers import ids, register
from handlers.blocks.home import home_view
from handlers.blocks.outbox import render_message
from storage.db import make_engine, make_session_factory
from storage.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from bot.slack.oauth import OAuthMode

log = logging.getLogger(__name__)

# A running server publishes a person's Home tab at most this often (seconds); see BackgroundDeliverer.
HOME_REFRESH_SECONDS = 2.0

# Threads per process for work after the ack (DMs, Home tabs, wake-ups). Two, not more: each is one more thread
# for the GIL, and a writer waiting for the GIL keeps the database's write turn from everyone else.
DELIVERY_THREADS = 2

# Bolt needs some token to start; without one (manifest, tick with nothing to send) calls fail cleanly.
NO_TOKEN = "xoxb-not-configured"


def render_home(data: HomeData, *, now: Any) -> dict[str, Any]:
    return home_view(
        mine=data.mine,
        delegated=data.delegated,
        team_tasks=data.team_tasks,
        is_manager=data.is_manager,
        now=now,
        totals=data.totals,
        time=data.time,
        coming=data.coming,
    )


@dataclass
class Core:
    """What Baton runs on before any Slack: the engine, its units of work and the clock. The `baton`
    sub-commands that only read or change the database (outbox, preview, export, purge) run on this alone."""

    settings: Settings
    engine: Engine
    uow: UnitOfWorkFactory
    clock: Clock

    def close(self) -> None:
        self.engine.dispose()


def create_core(settings: Settings, *, engine: Engine | None = None, clock: Clock | None = None) -> Core:
    """The engine from the settings (or the one given), its units of work (reads apart) and the clock."""
    engine = engine or make_engine(settings.database_url)
    uow = UnitOfWorkFactory(make_session_factory(engine), make_session_factory(engine, read_only=True))
    return Core(settings=settings, engine=engine, uow=uow, clock=clock or SystemClock())


@dataclass
class Baton:
    """Everything one Baton process runs on, built by `create_app`."""

    settings: Settings
    engine: Engine
    bolt: App
    services: Services
    delivery: Delivery
    planner: Planner
    gateway: SlackGateway
    clock: Clock
    uow: UnitOfWorkFactory
    executor: Executor
    metrics: Metrics
    oauth: OAuthMode | None = None
    deliverer: BackgroundDeliverer | None = None

    def run_pass(self, *, deliver: bool = True, wait: Callable[[float], None] | None = None) -> PassSummary:
        """One scheduler pass as of the app's clock (`baton tick --at` gives one that starts then). With
        `wait`, the pass waits out each conversation's turn (Slack's one message a second) until all is sent."""

        def plan() -> int:
            # A missed user_change must not keep an old zone or status forever: a few stale people a pass.
            if deliver:
                self.services.people.refresh_stale()
            return self.planner.plan_due(self.clock.now())

        return run_pass(
            plan=plan,
            delivery=self.delivery if deliver else None,
            observer=self.metrics,
            wait=wait,
        )

    def resume_installed_workspace(self) -> None:
        """At start-up in single-workspace mode: the token in the settings works, so its workspace is
        installed, even if it uninstalled Baton before (a reinstall gives a new token and a restart)."""
        if self.settings.uses_oauth or self.settings.slack_bot_token is None:
            return
        workspace_id = self.gateway.token_workspace()
        if workspace_id is not None:
            self.services.installs.installed(workspace_id)

    def start_scheduler(self) -> BackgroundScheduler:
        return start_scheduler(self.run_pass, every_seconds=self.settings.baton_tick_seconds)

    def close(self) -> None:
        if self.deliverer is not None:
            self.deliverer.close()
        self.executor.shutdown(wait=True)
        self.engine.dispose()


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    web_client: WebClient | None = None,
    listener_executor: Executor | None = None,
    delivery_executor: Executor | None = None,
    metrics: Metrics | None = None,
    pacer: Pacer | None = None,
    home_refresh_seconds: float = 0.0,
    limits: RateLimits | None = None,
    shared_limits: SharedCalls | None = None,
) -> Baton:
    """Build Baton from settings; tests pass their own engine, clock, client and executors.

    A server passes a `Pacer` (one message a second per conversation across everything this process
    sends) and `home_refresh_seconds` (a Home tab published at most that often per person); tests leave
    both off, so each change is sent and published at once."""
    core = create_core(settings, engine=engine, clock=clock)
    engine, uow, clock = core.engine, core.uow, core.clock
    metrics = metrics or Metrics(CollectorRegistry())
    settings.check_oauth()
    token: str | None = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else NO_TOKEN
    if settings.uses_oauth:
        token = None  # each workspace's token comes from the installation store
    interactive = web_client or make_interactive_client(token=token, base_url=settings.slack_api_url, observer=metrics)
    delivery_client = (
        ObservedWebClient(
            token=interactive.token, base_url=interactive.base_url, timeout=interactive.timeout, observer=metrics
        )
        if web_client is not None
        else make_delivery_client(token=token, base_url=settings.slack_api_url, observer=metrics)
    )
    delivery_client.retry_handlers = []
    oauth = None
    if settings.uses_oauth:
        from bot.slack.oauth import oauth_mode  # slack_sdk's OAuth stores load only in OAuth mode

        oauth = oauth_mode(settings, engine=engine, client=interactive, scopes=ids.BOT_SCOPES)
    tokens = oauth.tokens if oauth is not None else StaticToken(token or NO_TOKEN)
    gateway = SlackGateway(
        interactive=interactive,
        delivery=delivery_client,
        metadata_event_type=ids.METADATA_EVENT_TYPE,
        tokens=tokens,
        observer=metrics,
        # Budgets counted on Baton's clock, like everything else that waits (`baton tick --at` steps it).
        limits=limits
        or RateLimits(
            history=HistoryLimits(settings.slack_history_limits),
            monotonic=lambda: clock.now().timestamp(),
            shared=shared_limits,  # the worker processes of one `baton serve` spend one budget
        ),
    )

    executor = delivery_executor or ThreadPoolExecutor(
        max_workers=DELIVERY_THREADS, thread_name_prefix="baton-delivery"
    )
    people = PeopleService(uow=uow, clock=clock, reader=gateway)
    home = HomeService(uow=uow, clock=clock)
    home_publisher = HomePublisher(home=home, render=render_home, sender=gateway, clock=clock)
    delivery = Delivery(uow=uow, clock=clock, sender=gateway, render=render_message, pacer=pacer)
    deliverer = BackgroundDeliverer(
        delivery=delivery, home=home_publisher, executor=executor, home_interval_seconds=home_refresh_seconds
    )
    tasks = TaskService(uow=uow, clock=clock, people=people, deliverer=deliverer)
    services = Services(
        people=people,
        tasks=tasks,
        checkins=CheckinService(uow=uow, clock=clock, tasks=tasks, deliverer=deliverer),
        teams=TeamService(uow=uow, clock=clock, people=people),
        reports=ReportService(uow=uow, clock=clock, people=people),
        kudos=KudosService(uow=uow, clock=clock, people=people, deliverer=deliverer),
        home=home,
        home_publisher=home_publisher,
        skills=SkillService(uow=uow, people=people, clock=clock),
        series=SeriesService(uow=uow, clock=clock, people=people, deliverer=deliverer),
        time_off=TimeOffService(uow=uow, clock=clock, people=people, deliverer=deliverer),
        preview=PreviewService(uow=uow, clock=clock, people=people),
        installs=InstallService(uow=uow, clock=clock, credentials=tokens),
        availability=AvailabilityService(uow=uow, clock=clock, people=people),
    )

    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app_kwargs: dict[str, Any] = {}
    if listener_executor is not None:
        app_kwargs["listener_executor"] = listener_executor
    if oauth is not None:
        app_kwargs.update(oauth.bolt_kwargs(on_installed=services.installs.installed))
    bolt = App(
        client=interactive,
        signing_secret=signing_secret or "",
        # Without a secret (Socket Mode) there is no HTTP request to verify.
        request_verification_enabled=signing_secret is not None,
        token_verification_enabled=False,  # single-workspace mode: the token is checked on first use
        # Answer Slack when the listener has finished: ack carries the reply, no ack-polling thread.
        process_before_response=True,
        ignoring_self_events_enabled=True,
        **app_kwargs,
    )
    bolt.use(bind_request_fields)  # log records of a verified request carry its workspace and user
    register(bolt, services=services, gateway=gateway, clock=clock)
    return Baton(
        settings=settings,
        engine=engine,
        bolt=bolt,
        services=services,
        delivery=delivery,
        planner=Planner(uow=uow),
        gateway=gateway,
        clock=clock,
        uow=uow,
        executor=executor,
        metrics=metrics,
        oauth=oauth,
        deliverer=deliverer,
    )
