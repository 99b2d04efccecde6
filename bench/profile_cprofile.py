"""Where one `/task` spends its CPU, with no other load: cProfile over Baton's WSGI app called in one thread.

Run from the repository root:

    .venv/bin/python bench/profile_cprofile.py              # 100 warm-up commands, then 400 profiled
    .venv/bin/python bench/profile_cprofile.py --count 200 --top 40

Baton is built as `baton serve` builds it (a SQLite file in WAL behind the write gate), except that the
delivery executor runs inline, so the assignment DM, its bookkeeping and the Home tab refreshes of both people
happen in the request's thread and are profiled with it (per command: one DM; two Home publishes, since
refreshes are not coalesced here, where `serve` publishes a person's Home at most every 2 s), and there is
no pacer. The fake Slack answers at once. Requests are bench/ack.py's: `/task <@U0BENCHnnnn> Fix item N by
fri 5pm`, signed, through the same WSGI app. The table gives cumulative milliseconds per command for the
functions that mark each part of the path, and their share of the whole.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import pstats
import secrets
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ack import ASSIGNEES, Requests, add_assignees  # noqa: E402
from tables import Row, print_table  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.executors import InlineExecutor  # noqa: E402
from bot.server import make_wsgi_app  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.models import Base  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402


def marks() -> list[tuple[str, Any]]:
    """(label, function): the functions whose cumulative time marks each part of the path."""
    import dateparser.date
    import slack_bolt
    import slack_sdk.signature
    import slack_sdk.web.base_client
    import sqlalchemy.orm
    import sqlalchemy.orm.loading

    from bot import app as app_module
    from bot.domain import grammar, when
    from bot.scheduler.delivery.background import BackgroundDeliverer
    from bot.scheduler.delivery.sending import Delivery
    from bot.services import availability
    from bot.services.home import HomePublisher, HomeService
    from bot.services.people import PeopleService
    from bot.services.tasks import TaskService
    from bot.slack.gateway import SlackGateway
    from handlers import listener_kit
    from handlers.blocks.outbox import render_message
    from handlers.commands import Commands
    from storage.db import WriteGate

    return [
        ("  Bolt App.dispatch (middleware, listener, ack)", slack_bolt.App.dispatch),
        ("    signature check (SignatureVerifier.is_valid)", slack_sdk.signature.SignatureVerifier.is_valid),
        ("    the /task listener (Commands.on_task)", Commands.on_task),
        ("      command grammar: parse_task", grammar.parse_task),
        ("        is_date_text (the `by` split; cached per text)", when.is_date_text),
        ("      TaskService.delegate_and_note (the use case, its commit included)", TaskService.delegate_and_note),
        ("        parse_due", when.parse_due),
        ("          dateparser DateDataParser.get_date_data", dateparser.date.DateDataParser.get_date_data),
        ("        PeopleService.get", PeopleService.get),
        ("        time off: TaskService._flag_if_away", TaskService._flag_if_away),
        ("        after the commit: BackgroundDeliverer.deliver (inline here)", BackgroundDeliverer.deliver),
        ("          Delivery.deliver (claim, renew, facts, post, mark)", Delivery.deliver),
        ("            claim (Delivery._claim)", Delivery._claim),
        ("            renew the lease (Delivery._renew)", Delivery._renew),
        ("            mark sent (Delivery._mark)", Delivery._mark),
        ("            render the DM (render_message)", render_message),
        ("            chat.postMessage (SlackGateway.post_message)", SlackGateway.post_message),
        ("      the answer's notes: with_assignee_notes (time off)", listener_kit.with_assignee_notes),
        ("        notes from what delegating read: notes_from", availability.notes_from),
        ("          Home refreshes: HomePublisher.publish", HomePublisher.publish),
        ("            HomeService.snapshot (reads)", HomeService.snapshot),
        ("            render_home (Block Kit)", app_module.render_home),
        ("SQLAlchemy: Session._execute_internal (every ORM statement)", sqlalchemy.orm.Session._execute_internal),
        ("SQLAlchemy: Session.flush (ORM unit of work)", sqlalchemy.orm.Session.flush),
        ("SQLAlchemy: Session.commit", sqlalchemy.orm.Session.commit),
        ("SQLAlchemy: ORM loading (rows to objects)", sqlalchemy.orm.loading.instances),
        ("write gate: WriteGate.acquire", WriteGate.acquire),
        ("Slack Web API: BaseClient.api_call (HTTP to the fake)", slack_sdk.web.base_client.BaseClient.api_call),
        ("logging: Logger._log", logging.Logger._log),
    ]


def cumulative(stats: pstats.Stats, function: Any) -> float:
    """Seconds spent in and under `function` (all its calls)."""
    code = getattr(function, "__wrapped__", function).__code__
    key = (code.co_filename, code.co_firstlineno, code.co_name)
    entry = stats.stats.get(key)  # type: ignore[attr-defined]
    return float(entry[3]) if entry else 0.0


def own_time(stats: pstats.Stats, needle: str) -> float:
    """Seconds spent in functions whose file or name holds `needle`, counting only their own time."""
    total = 0.0
    for (file, _line, func), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if needle in file or needle in func:
            total += float(tt)
    return total


def environ(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": headers.get("Content-Type", "application/x-www-form-urlencoded"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    for key, value in headers.items():
        if key.lower() not in ("content-type", "content-length"):
            env["HTTP_" + key.upper().replace("-", "_")] = value
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=400, help="profiled commands (default 400)")
    parser.add_argument("--top", type=int, default=30, help="also print this many functions by cumulative time")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # Home refreshes held back by Baton's views.publish budget say so at WARNING
    secret = secrets.token_hex(16)
    with FakeSlack() as slack, tempfile.TemporaryDirectory(prefix="baton-cprofile-") as tmp:
        add_assignees(slack)
        url = f"sqlite:///{Path(tmp) / 'b.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=SecretStr("xoxb-bench"),
            slack_signing_secret=SecretStr(secret),
            slack_api_url=slack.base_url,
            database_url=url,
        )
        baton = create_app(settings, engine=engine, delivery_executor=InlineExecutor())
        app = make_wsgi_app(baton)
        requests = Requests(secret, slack.response_url("bench"))
        statuses: list[str] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            statuses.append(status)

        def one() -> bytes:
            body, headers = requests.next()
            answer: Iterable[bytes] = app(environ(body, headers), start_response)
            return b"".join(answer)

        for _ in range(max(100, 2 * ASSIGNEES)):  # every assignee read from Slack once, caches warm
            answer = one()
            if b"Created T-" not in answer:
                raise RuntimeError(f"warm-up: a /task was not created: {statuses[-1:]} {answer[:300]!r}")
        began = time.perf_counter()
        for _ in range(args.count):
            one()
        plain = (time.perf_counter() - began) / args.count
        profiler = cProfile.Profile()
        created = 0
        profiler.enable()
        for _ in range(args.count):
            created += b"Created T-" in one()
        profiler.disable()
        baton.close()
    stats = pstats.Stats(profiler)
    app_code = app.__code__
    whole = float(stats.stats[(app_code.co_filename, app_code.co_firstlineno, app_code.co_name)][3])  # type: ignore[attr-defined]
    rows = [
        Row("commands profiled / answered `Created`", f"{args.count}", f"{created}", ""),
        Row(
            "whole request, without the profiler (the same number of commands just before)",
            f"{plain * 1000:.2f} ms",
            "",
            "",
        ),
        Row("whole request: Baton's WSGI app", f"{whole / args.count * 1000:.2f} ms", "100% of the request", ""),
    ]
    measured = [(label, cumulative(stats, function)) for label, function in marks()]
    measured += [
        ("SQLite: sqlite3 Cursor.execute, own time (in C)", own_time(stats, "execute' of 'sqlite3.Cursor")),
        ("metrics: prometheus_client, own time", own_time(stats, "prometheus_client/")),
    ]
    for label, seconds in measured:
        rows.append(Row(label, f"{seconds / args.count * 1000:.2f} ms", f"{seconds / whole:.1%} of the request", ""))
    print_table(
        f"One `/task` in one thread, cProfile (delivery inline, Slack answering at once; Python "
        f"{sys.version.split()[0]}): cumulative ms per command",
        rows,
    )
    print(f"\nTop {args.top} functions by cumulative time\n\n```")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:12000])
    print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
