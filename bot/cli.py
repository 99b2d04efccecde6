"""The `baton` console script: run, serve, tick, preview, export, purge, db upgrade, manifest, playground;
reads settings once."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from bot.config import Settings, SettingsError, load_settings
from bot.domain.errors import StorageUnavailable

EXPORT_HELP = """\
Write one team's data as a single JSON document (UTF-8), for an access request or a move.

--team is the team's channel id (C…, from the channel's About tab in Slack) or its number. When the
same channel is a team in two workspaces of this database, --workspace says which one.

The document: schema_version (1; bumped only when a field is renamed or removed), kind,
exported_at, workspace_id, team (channel, time zone, managers, check-in days and time, created),
tasks (number as T-<n>, title, details, assignee, delegator, status, priority, due/created/
accepted/done/cancelled times and the whole history in the order it was recorded), kudos counted
for the team, skills, recurring series, and the cached name and time zone of everyone named.
Text is exactly as stored (data, not Slack mrkdwn); people are Slack user ids; every time is UTC
ISO-8601. The check-in time is wall time in each assignee's own zone. Other teams' and other
workspaces' data is never included.

Output goes to stdout unless --output names a file, which is written with mode 0600 (owner only)
and replaced whole, never left half-written. Exit status: 0 written; 2 bad input, no such team,
or a channel that needs --workspace.
"""
PURGE_HELP = """\
Delete every row Baton holds for one Slack workspace: tasks and their history, teams and managers,
kudos, skills, series, time off, people, queued messages, processed events, the workspace itself,
and Slack installation tables (slack_*, by team_id) when present. Other workspaces are untouched.

Without --yes nothing is deleted: it prints how many rows each table holds for the workspace and
exits 1. With --yes it deletes them all in one transaction (all or nothing) and prints the counts.
A workspace with no rows here is reported and exits 0.

Uninstall Baton from the workspace first (or stop Baton): a request arriving afterwards would start
the workspace again, empty. Database backups keep their copies until they expire.
Exit status: 0 deleted or nothing to delete; 1 dry run (rows found, nothing deleted); 2 bad input.
"""
SETUP_HINT = (
    "{missing} not set: Baton needs them to talk to Slack; create the app from `baton manifest` and see "
    'README.md, "Connect Slack"'
)
NO_SLACK = (
    "No Slack settings: starting the playground at {url} "
    "(set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN, to connect Slack)"
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
    export = sub.add_parser(
        "export",
        help="write a team's tasks, history, kudos, skills and series as JSON",
        description=EXPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("--team", required=True, metavar="C…|N", help="the team's channel id, or its number")
    export.add_argument("--workspace", default=None, metavar="T…", help="the workspace, when the channel is in two")
    export.add_argument("--output", default=None, metavar="FILE", help="write here (mode 0600) instead of stdout")
    purge = sub.add_parser(
        "purge",
        help="delete every row of one workspace (a dry run without --yes)",
        description=PURGE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    purge.add_argument("--workspace", required=True, metavar="T…", help="the Slack workspace (team) id")
    purge.add_argument("--yes", action="store_true", help="really delete (default: only count)")
    db = sub.add_parser("db", help="database tasks")
    db.add_argument("action", choices=["upgrade"])
    playground = sub.add_parser(
        "playground", help="Baton with a local Slack-like page that plays Slack's part, and a clock to fast-forward"
    )
    playground.add_argument("--port", type=int, default=None, help="default: $PORT, else 3000")
    playground.add_argument("--no-open", action="store_true", help="do not open the browser")
    manifest = sub.add_parser("manifest", help="print the Slack app manifest (YAML)")
    manifest.add_argument("--url", default=None, help="public base URL, e.g. https://baton.example.com")
    manifest.add_argument("--socket-mode", action="store_true", help="a manifest for Socket Mode")
    manifest.add_argument(
        "--token-rotation", action="store_true", help="turn on token rotation (OAuth installs; cannot be undone)"
    )
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

        kwargs: dict[str, Any] = {"socket_mode": args.socket_mode, "token_rotation": args.token_rotation}
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
        if args.command == "export":
            return _export(settings, team=args.team, workspace_id=args.workspace, output=args.output)
        if args.command == "purge":
            return _purge(settings, workspace_id=args.workspace, delete=args.yes)
        if args.command == "preview":
            return _preview(settings, at=_parse_at(args.at) if args.at else None, days=args.days, limit=args.limit)
        if args.command == "playground":
            port = args.port if args.port is not None else settings.port
            return _playground(settings, port=port, open_browser=not args.no_open, banner=None)
        if args.command == "run" and not _has_slack_settings(settings):
            return _playground(settings, port=settings.port, open_browser=True, banner=NO_SLACK)
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
    except StorageUnavailable as error:  # the driver's error behind it says which
        return _database_failure(error.__cause__ or error)
    except OperationalError as error:
        return _database_failure(error)
    except ProgrammingError as error:
        first = str(getattr(error, "orig", error)).strip().splitlines()[0]
        return _fail(f"the database is not migrated (run `baton db upgrade`): {first}")
    except SlackApiError as error:
        return _fail(f"Slack refused the connection: {error.response.get('error', 'error')} (check SLACK_APP_TOKEN)")


def _database_failure(error: BaseException) -> int:
    first = str(getattr(error, "orig", error)).strip().splitlines()[0]
    if "no such table" in first:  # SQLite's answer before the migrations ran
        return _fail(f"the database is not migrated (run `baton db upgrade`): {first}")
    return _fail(f"the database is unreachable (check DATABASE_URL and that the server is up): {first}")


def _tick(settings: Settings, at: datetime | None) -> int:
    from bot.app import create_app
    from bot.clock import SteppedClock, SystemClock
    from bot.executors import InlineExecutor
    from bot.scheduler.pacing import Pacer

    # The pass finishes its deliveries: a second message to a conversation waits its turn (Slack's one a
    # second) in real time, on a clock that starts at --at (or now) and moves on by what it waits.
    clock = SteppedClock(at or SystemClock().now())
    pacer = Pacer(monotonic=lambda: clock.now().timestamp())
    baton = create_app(settings, clock=clock, delivery_executor=InlineExecutor(), pacer=pacer)
    baton.delivery.on_paced = None  # this pass waits out the turns itself, with no timers behind it
    try:
        summary = baton.run_pass(deliver=settings.slack_bot_token is not None, wait=clock.wait)
    finally:
        baton.close()
    print(summary.line())
    if summary.waiting:
        print(
            f"{summary.waiting} messages still wait their conversation's turn; the next pass sends them",
            file=sys.stderr,
        )
    if settings.slack_bot_token is None:
        print("SLACK_BOT_TOKEN is not set: messages were planned but not sent", file=sys.stderr)
    return 0


def _outbox(settings: Settings, *, state: str | None, limit: int) -> int:
    from bot.app import create_core

    if limit < 1:
        return _fail("--limit must be 1 or more")
    core = create_core(settings)
    try:
        with core.uow(read_only=True) as uow:
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
        core.close()
    return 0


def _preview(settings: Settings, *, at: datetime | None, days: int, limit: int) -> int:
    """Every workspace's coming messages, from the same Planner as a real pass, rolled back."""
    from bot.app import create_core
    from bot.services.preview import MAX_DAYS, preview
    from bot.services.preview_text import preview_table

    if not 1 <= days <= MAX_DAYS:
        return _fail(f"--days must be from 1 to {MAX_DAYS}, e.g. --days 14")
    if limit < 1:
        return _fail("--limit must be 1 or more")
    core = create_core(settings)
    try:
        shown = preview(core.uow, now=at or core.clock.now(), days=days, limit=limit)
    finally:
        core.close()
    print("\n".join(preview_table(shown, days=days)))
    return 0


def _export(settings: Settings, *, team: str, workspace_id: str | None, output: str | None) -> int:
    """One team's data as JSON, on stdout or in a file only its owner can read."""
    import json

    from bot.app import create_core
    from bot.domain.errors import UserError
    from bot.services.workspace_data import export_team

    core = create_core(settings)
    try:
        exported = export_team(core.uow, team=team, workspace_id=workspace_id, now=core.clock.now())
    except UserError as error:
        return _fail(error.reply)
    finally:
        core.close()
    data = (json.dumps(exported.document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    try:
        _write_owner_only(output, data)
    except OSError as error:
        return _fail(f"cannot write {output}: {error.strerror or error}")
    print(
        f"exported team {exported.channel_id} of workspace {exported.workspace_id}: "
        f"{exported.task_count} tasks to {output}"
    )
    return 0


def _write_owner_only(path: str, data: bytes) -> None:
    """Write a temporary file (mode 0600) beside `path`, then rename it over `path`: never half a file."""
    import tempfile
    from pathlib import Path

    target = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _purge(settings: Settings, *, workspace_id: str, delete: bool) -> int:
    """Count, or with --yes delete, one workspace's rows in every table."""
    from bot.app import create_core
    from bot.domain.errors import UserError
    from bot.services.workspace_data import purge_workspace

    core = create_core(settings)
    try:
        report = purge_workspace(core.uow, workspace_id, delete=delete)
    except UserError as error:
        return _fail(error.reply)
    except IntegrityError as error:
        # A row written meanwhile (Baton still running there) still points at one being deleted.
        first = str(error.orig).strip().splitlines()[0]
        return _fail(f"nothing was deleted: {first}; stop Baton or uninstall it from the workspace, then run it again")
    finally:
        core.close()
    if report.total == 0:
        print(f"workspace {report.workspace_id} has no rows in this database; nothing to delete ({report.hint})")
        return 0
    heading = "deleted" if report.deleted else "would delete"
    print(f"{heading} from workspace {report.workspace_id}:")
    width = max(len(name) for name, _ in report.counts)
    for name, count in report.counts:
        print(f"  {name:<{width}}  {count:>8}")
    print(f"  {'total':<{width}}  {report.total:>8}")
    if report.left_alone:
        print(f"not per workspace, left as they are: {', '.join(report.left_alone)}")
    if not report.deleted:
        print("nothing was deleted; add --yes to delete")
        return 1
    print("other workspaces were not touched")
    return 0


def _has_slack_settings(settings: Settings) -> bool:
    """Any Slack setting at all: then `baton run` connects to Slack (or says what is missing)."""
    return any(
        value is not None
        for value in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.slack_client_id,
            settings.slack_client_secret,
        )
    )


def _playground(settings: Settings, *, port: int, open_browser: bool, banner: str | None) -> int:
    """Serve the playground until Ctrl-C (or SIGTERM); its databases live in a temporary folder."""
    import logging
    import signal
    import threading

    from playground.app import create_playground

    if not 0 <= port <= 65535:
        return _fail(f"--port must be from 1 to 65535, got {port}")
    if "baton_log_level" not in settings.model_fields_set:
        logging.getLogger().setLevel(logging.WARNING)  # every pass of a fast-forward would log a line at INFO
    playground = create_playground(port=port)
    # Before starting (seeding the demo takes a moment): a SIGTERM meanwhile stops it cleanly once it is up.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        playground.start()
    except OSError as error:
        return _fail(f"cannot listen on 127.0.0.1:{port}: {error.strerror or error} (pick another with --port)")
    try:
        print(banner.format(url=playground.url) if banner else f"Baton playground: {playground.url}", flush=True)
        print("Press Ctrl-C to stop; everything in it is forgotten then.", flush=True)
        if open_browser and _has_display():
            import webbrowser

            webbrowser.open(playground.url)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        playground.stop()
    return 0


def _has_display() -> bool:
    """A browser can open: macOS or Windows, or a Linux/BSD desktop session."""
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _run_socket_mode(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import HOME_REFRESH_SECONDS, create_app
    from bot.scheduler.pacing import Pacer

    baton = create_app(settings, pacer=Pacer(), home_refresh_seconds=HOME_REFRESH_SECONDS)
    baton.resume_installed_workspace()
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
