"""The `baton` console script: run, serve, tick, preview, db upgrade, manifest. Settings are read here once."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.config import Settings, SettingsError, load_settings

SETUP_HINT = (
    "{missing} not set: Baton needs them to talk to Slack; create the app from `baton manifest` and see "
    'README.md, "Connect Slack"'
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="baton", description="Delegate work in Slack and follow up.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="connect to Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP)")
    serve = sub.add_parser("serve", help="HTTP mode: POST /slack/events, GET /healthz")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--no-scheduler", action="store_true", help="do not run scheduler passes here")
    tick = sub.add_parser("tick", help="run one scheduler pass and print its summary")
    tick.add_argument("--at", default=None, help="ISO-8601 moment to run the pass as of (default: now)")
    outbox = sub.add_parser("outbox", help="the delivery log: messages with state, attempts, last error")
    outbox.add_argument("--state", choices=["pending", "sending", "sent", "failed", "skipped"], default=None)
    outbox.add_argument("--limit", type=int, default=50)
    preview = sub.add_parser("preview", help="what the scheduler will send, and when (nothing is changed)")
    preview.add_argument("--days", type=int, default=7, help="how far ahead, 1-30 (default 7)")
    preview.add_argument("--at", default=None, help="ISO-8601 moment to look from (default: now)")
    preview.add_argument("--limit", type=int, default=500)
    db = sub.add_parser("db", help="database tasks")
    db.add_argument("action", choices=["upgrade"])
    manifest = sub.add_parser("manifest", help="print the Slack app manifest (YAML)")
    manifest.add_argument("--url", default=None, help="public base URL, e.g. https://baton.example.com")
    manifest.add_argument("--socket-mode", action="store_true", help="a manifest for Socket Mode")
    return parser


def _forget_slack_environment() -> None:
    """Settings are read once, here. Bolt also reads SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and
    SLACK_CLIENT_ID from the environment behind our back (and warns or switches to OAuth when it
    finds them), so the process forgets them once Baton has its Settings."""
    for name in [n for n in os.environ if n.startswith("SLACK_")]:
        del os.environ[name]


def _fail(message: str, code: int = 2) -> int:
    print(f"baton: {message}", file=sys.stderr)
    return code


def _parse_at(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SettingsError(f"--at {text!r} is not ISO-8601, e.g. 2026-12-04T09:00:00+00:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "manifest":
        from handlers.manifest import manifest_yaml

        kwargs: dict[str, Any] = {"socket_mode": args.socket_mode}
        if args.url:
            kwargs["request_url"] = args.url.rstrip("/") + "/slack/events"
        print(manifest_yaml(**kwargs), end="")
        return 0
    try:
        settings = load_settings()
        _forget_slack_environment()
        from bot.logs import setup_logging

        setup_logging(settings.baton_log_level, settings.baton_log_format)
        if args.command == "db":
            from storage.migrate import upgrade

            upgrade(settings.database_url)
            print("database is up to date")
            return 0
        if args.command == "outbox":
            return _outbox(settings, state=args.state, limit=args.limit)
        if args.command == "tick":
            return _tick(settings, _parse_at(args.at) if args.at else None)
        if args.command == "preview":
            return _preview(settings, at=_parse_at(args.at) if args.at else None, days=args.days, limit=args.limit)
        missing = settings.missing_for_slack()
        if missing:
            return _fail(SETUP_HINT.format(missing=" and ".join(missing) + (" is" if len(missing) == 1 else " are")))
        if args.command == "run" and settings.uses_socket_mode:
            return _run_socket_mode(settings)
        port = args.port if args.command == "serve" and args.port else settings.port
        host = args.host if args.command == "serve" else "0.0.0.0"
        workers = args.workers if args.command == "serve" else 2
        scheduler = not (args.command == "serve" and args.no_scheduler)
        return _serve(settings, host=host, port=port, workers=workers, scheduler=scheduler)
    except SettingsError as error:
        return _fail(str(error))
    except (OperationalError, ProgrammingError) as error:
        first = str(getattr(error, "orig", error)).strip().splitlines()[0]
        return _fail(f"the database is unreachable or not migrated (run `baton db upgrade`): {first}")
    except SlackApiError as error:
        return _fail(f"Slack refused the connection: {error.response.get('error', 'error')} (check SLACK_APP_TOKEN)")


def _tick(settings: Settings, at: datetime | None) -> int:
    from bot.app import create_app
    from bot.clock import FixedClock, SystemClock
    from bot.executors import InlineExecutor

    clock = FixedClock(at) if at else SystemClock()
    baton = create_app(settings, clock=clock, delivery_executor=InlineExecutor())
    try:
        summary = baton.run_pass(deliver=settings.slack_bot_token is not None)
    finally:
        baton.close()
    print(summary.line())
    if settings.slack_bot_token is None:
        print("SLACK_BOT_TOKEN is not set: messages were planned but not sent", file=sys.stderr)
    return 0


def _outbox(settings: Settings, *, state: str | None, limit: int) -> int:
    from storage.db import make_engine, make_session_factory
    from storage.uow import UnitOfWork

    if limit < 1:
        return _fail("--limit must be 1 or more")
    engine = make_engine(settings.database_url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            rows = uow.outbox.listing(state=state, limit=limit)
            print(
                f"{'id':>6}  {'state':<8} {'tries':>5}  {'kind':<12} {'to':<12} {'not before (UTC)':<17}  "
                f"{'dedupe key':<40} last error"
            )
            for r in rows:
                print(
                    f"{r.id:>6}  {r.state:<8} {r.attempts:>5}  {r.kind:<12} {r.recipient_id:<12} "
                    f"{r.not_before:%Y-%m-%d %H:%M}  {r.dedupe_key:<40} {r.last_error or ''}"
                )
    finally:
        engine.dispose()
    return 0


def _preview(settings: Settings, *, at: datetime | None, days: int, limit: int) -> int:
    """Every workspace's coming messages, from the same Planner as a real pass, rolled back."""
    from bot.services.preview import MAX_DAYS, preview
    from handlers.blocks import local_wall, preview_kind
    from storage.db import make_engine

    if not 1 <= days <= MAX_DAYS:
        return _fail(f"--days must be from 1 to {MAX_DAYS}, e.g. --days 14")
    if limit < 1:
        return _fail("--limit must be 1 or more")
    engine = make_engine(settings.database_url)
    try:
        shown = preview(engine, now=at or datetime.now(UTC), days=days, limit=limit)
    finally:
        engine.dispose()
    print(f"{'when (UTC)':<16}  {'their time':<10}  {'workspace':<12} {'kind':<18} {'to':<12} task")
    for item in shown.items:
        task = f"T-{item.task_number} {item.task_title}" if item.task_number is not None else ""
        print(
            f"{item.at:%Y-%m-%d %H:%M}  {local_wall(item.at, item.recipient_tz):<10}  {item.workspace_id:<12} "
            f"{preview_kind(item.kind):<18} {item.recipient_id:<12} {task}"
        )
    more = " (stopped at the limit; more follow)" if shown.truncated else ""
    print(f"{len(shown.items)} messages in the next {days} days{more}")
    return 0


def _run_socket_mode(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app

    baton = create_app(settings)
    scheduler = baton.start_scheduler()
    assert settings.slack_app_token is not None
    handler = SocketModeHandler(baton.bolt, settings.slack_app_token.get_secret_value())
    try:
        handler.start()  # type: ignore[no-untyped-call]
    finally:
        scheduler.shutdown(wait=False)
        baton.close()
    return 0


def _serve(settings: Settings, *, host: str, port: int, workers: int, scheduler: bool) -> int:
    from bot.server import serve

    serve(settings, host=host, port=port, workers=workers, scheduler=scheduler)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
