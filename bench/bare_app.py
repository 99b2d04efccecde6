"""The baseline for bench/ack.py: a bare Bolt app whose /task listener only calls ack(), as a WSGI module.

Served by gunicorn with the same worker class, workers and threads as `baton serve` (bench/ack.py starts it):

    gunicorn --chdir bench --worker-class gthread --workers 2 --threads 4 bare_app:app

It reads BENCH_SIGNING_SECRET and BENCH_SLACK_API_URL (the fake Slack: Bolt calls auth.test once per worker,
as Baton's app does with token verification off). Same routes as Baton's WSGI app: POST /slack/events, GET
/healthz (which answers without touching any database).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

_client = WebClient(token="xoxb-bench", base_url=os.environ.get("BENCH_SLACK_API_URL", "http://127.0.0.1:9/api/"))
bolt = App(
    client=_client,
    signing_secret=os.environ["BENCH_SIGNING_SECRET"],
    token_verification_enabled=False,
    process_before_response=True,
)


@bolt.command("/task")
def on_task(ack: Ack) -> None:
    ack()


_slack = SlackRequestHandler(bolt, path="/slack/events")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/healthz":
        data = json.dumps({"status": "ok"}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]
    return _slack(environ, start_response)
