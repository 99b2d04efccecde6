"""The playground process: Baton built by create_app and served for real, the workspace it talks to, the clock.

What a person does on the page (playground.actions) leaves as the signed request Slack would send to Baton's
/slack/events; what Baton does comes back through the Web API of the Slack stand-in (`workspace.py`,
playground.slack). The clock only moves when asked, and each step of a fast-forward runs a pass.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.app import create_app
from bot.config import Settings
from bot.server import make_wsgi_app
from handlers.manifest import build_manifest
from playground import demo
from playground.actions import PageActions
from playground.clock import PlaygroundClock
from playground.courier import Courier
from playground.demo import Person
from playground.demo_time import MAX_FORWARD, Holiday, demo_start, next_holiday
from playground.errors import NotRunning, PlaygroundError
from playground.httpd import RunningServer, WsgiApp, start_server
from playground.page_input import parse_people
from playground.session import Session
from playground.slack import payloads
from playground.workspace import TEAM, Workspace

log = logging.getLogger(__name__)

STEP = timedelta(minutes=15)  # a fast-forward runs a pass at every quarter hour it crosses, and at the target
HELD_BACK_SECONDS = 10  # seconds of held-back messages sent right after each pass
WELCOME = "Morning team! Baton now follows up on our tasks here: try `/task @Alice Call the customer back by tomorrow`."


@dataclass(frozen=True)
class Forwarded:
    """What a fast-forward did: from and to (UTC), passes run and messages sent."""

    start: datetime
    end: datetime
    passes: int
    sent: int


class Playground(PageActions):
    """Baton plus everything that plays Slack's part; `start()` serves the page, `stop()` ends it all."""

    def __init__(
        self,
        *,
        page_app: Callable[[Playground], WsgiApp],
        host: str = "127.0.0.1",
        port: int = 3000,
        start_at: datetime | None = None,
        people: Sequence[Person] = demo.DEMO_PEOPLE,
        wall_clock: Callable[[], datetime] | None = None,
    ) -> None:
        """`page_app` builds the page served for this playground (see playground.app); `start_at` fixes where
        every demo's clock starts (tests, screenshots); without it each start and reset begins at `demo_start`
        of the real time (`wall_clock`, the system's by default)."""
        if start_at is not None and start_at.tzinfo is None:
            raise ValueError("start_at must be aware")
        self._page_app = page_app
        self._host = host
        self._port = port
        self._start_at = start_at
        self._wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self.people: list[Person] = list(people)
        self._dir = Path(tempfile.mkdtemp(prefix="baton-playground-"))
        self._template: Path | None = None
        self._lock = threading.RLock()  # guards swapping sessions
        self._forward_lock = threading.Lock()  # one fast-forward at a time
        self._session: Session | None = None
        self._page: RunningServer | None = None
        self._resets = 0
        self.forwarding = False
        manifest = build_manifest(request_url="http://127.0.0.1/slack/events")
        features = manifest["features"]
        self.commands: dict[str, str] = {c["command"]: c.get("usage_hint", "") for c in features["slash_commands"]}
        self.shortcuts: dict[str, str] = {s["callback_id"]: s["name"] for s in features.get("shortcuts") or []}
        self.events = frozenset(manifest["settings"]["event_subscriptions"]["bot_events"])

    # -- lifecycle -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The page's address, e.g. http://127.0.0.1:3000/."""
        if self._page is None:
            raise RuntimeError("the playground is not started")
        return f"http://{self._host}:{self._page.port}/"

    def start(self) -> Playground:
        """Serve the page, then build a fresh demo (OSError when the port is taken)."""
        self._page = start_server(self._page_app(self), host=self._host, port=self._port, name="playground-page")
        try:
            self.reset()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the page and Baton, and delete the playground's databases."""
        with self._lock:
            session = self._session
        if session is not None:
            self._end(session)  # deliveries in flight still reach its workspace
            with self._lock:
                self._session = None
            self._wake(session)
        if self._page is not None:
            self._page.stop()
            self._page = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Playground:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def session(self) -> Session:
        with self._lock:
            if self._session is None:
                raise NotRunning("the playground is not running")
            return self._session

    @property
    def workspace(self) -> Workspace:
        return self.session.workspace

    @property
    def clock(self) -> PlaygroundClock:
        return self.session.clock

    def reset(self) -> None:
        """Start again: an empty database, no messages, the clock at the start time, #support set up by Maya."""
        with self._forward_lock:
            fresh = self._build()
            with self._lock:
                old = self._session
            if old is not None:
                self._end(old)  # its deliveries in flight still reach its own workspace
            with self._lock:
                self._session = fresh
            if old is not None:
                self._wake(old)
        self._seed()

    def set_people(self, rows: Iterable[Mapping[str, Any]]) -> bool:
        """The People dialog. New names or time zones restart the demo (Baton keeps those for a day), and
        True says so. Otherwise each changed Slack status is what users.info answers from now on, and Baton
        hears of it as from Slack: a signed `user_change` event carrying the person's users.info object."""
        session = self.session
        people = parse_people(rows, current=self.people, now=session.clock.now())
        before = {p.id: p for p in self.people}
        if any((p.name, p.tz) != (before[p.id].name, before[p.id].tz) for p in people):
            self.people = people
            self.reset()
            return True
        changed = [p.id for p in people if p != before[p.id]]
        self.people = people
        session.workspace.set_people(people)
        for user_id in changed:
            self._user_changed(session, user_id)
        return False

    def _user_changed(self, session: Session, user_id: str) -> None:
        if "user_change" not in self.events:
            return
        event = payloads.user_change(
            session.workspace.user_json(user_id), event_ts=f"{session.clock.now().timestamp():.6f}"
        )
        reply = session.courier.event(event)
        if reply.status != 200:
            log.warning("playground.event_refused", extra={"status": reply.status})

    def _build(self) -> Session:
        from storage.migrate import upgrade

        if self._template is None:
            self._template = self._dir / "template.db"
            upgrade(f"sqlite:///{self._template}")
        self._resets += 1
        database = self._dir / f"playground-{self._resets}.db"
        shutil.copyfile(self._template, database)
        start = self._start_at or demo_start(self._wall_clock(), self.people[0].tz)
        clock = PlaygroundClock(start)
        token = "xoxb-playground-" + secrets.token_hex(12)
        secret = secrets.token_hex(16)
        workspace = Workspace(token=token, clock=clock, people=self.people, page_url=self.url)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=SecretStr(token),
            slack_signing_secret=SecretStr(secret),
            slack_app_token=None,
            slack_client_id=None,
            slack_client_secret=None,
            baton_encryption_key=None,
            slack_api_url=self.url + "api/",
            database_url=f"sqlite:///{database}",
        )
        baton = create_app(settings, clock=clock)
        server = start_server(make_wsgi_app(baton), host="127.0.0.1", port=0, name="playground-baton")
        events_url = f"http://127.0.0.1:{server.port}/slack/events"
        return Session(
            clock, workspace, baton, server, Courier(events_url=events_url, signing_secret=secret, team=TEAM), database
        )

    @staticmethod
    def _wake(session: Session) -> None:
        session.workspace.changed()  # pages long-polling the old workspace come back and see the new one

    @staticmethod
    def _end(session: Session) -> None:
        session.baton_server.stop()
        session.baton.close()
        session.database.unlink(missing_ok=True)

    def _seed(self) -> None:
        """What Maya does first: `/team setup` in #support, a few skills for each agent (so `/task suggest`
        has something to go on), and a welcome; through the same commands anyone types."""
        manager = self.people[0]
        self.send(manager.id, demo.CHANNEL_ID, "/team setup")
        for user_id, skills in demo.DEMO_SKILLS:
            self.send(manager.id, demo.CHANNEL_ID, f"/team skills @{self.person(user_id).name} {skills}")
        self.send(manager.id, demo.CHANNEL_ID, WELCOME)

    # -- the clock -----------------------------------------------------------------------------------

    def next_holiday(self, user: str) -> Holiday:
        """The next public holiday of `user`'s calendar (see demo_time.next_holiday), from the demo's now."""
        person = self.person(user)
        session = self.session
        return next_holiday(session.baton.services, person, manager=self.people[0], now=session.clock.now())

    @staticmethod
    def _send_held_back(session: Any) -> int:
        """Baton sends one message a second per conversation and leaves the rest for a second later; with
        the clock standing still between steps they would wait for the next quarter hour. Let the seconds
        pass (a few at most) so a person's second message arrives with the first, as it would in Slack.
        The clock stays those seconds on: it never goes back."""
        sent = 0
        for _ in range(HELD_BACK_SECONDS):
            wait = session.baton.delivery.next_due_in()
            if wait is None or not 0 < wait <= HELD_BACK_SECONDS:
                break
            session.clock.set(session.clock.now() + timedelta(seconds=wait))
            sent += session.baton.delivery.deliver().sent
        return sent

    def fast_forward(self, target: datetime) -> Forwarded:
        """Move the clock to `target`, running a pass at each quarter hour on the way and at `target`."""
        if target.tzinfo is None:
            raise PlaygroundError("the target time needs a time zone")
        with self._forward_lock:
            session = self.session
            clock = session.clock
            start = clock.now()
            if target <= start:
                raise PlaygroundError("time only moves forward here; pick a later time (or Reset)")
            if target - start > MAX_FORWARD:
                raise PlaygroundError("fast-forward at most 14 days at once")
            self.forwarding = True
            passes = sent = 0
            try:
                step = datetime.fromtimestamp(
                    (int(start.timestamp()) // int(STEP.total_seconds()) + 1) * STEP.total_seconds(), UTC
                )
                while True:
                    moment = min(step, target)
                    clock.set(moment)
                    summary = session.baton.run_pass()
                    passes += 1
                    sent += summary.sent + self._send_held_back(session)
                    session.workspace.changed()
                    if moment >= target:
                        break
                    step += STEP
            finally:
                self.forwarding = False
                session.workspace.changed()
            return Forwarded(start=start, end=target, passes=passes, sent=sent)
