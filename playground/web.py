"""The playground's HTTP side: the page and its JSON endpoints, plus Slack's Web API and response_urls for Baton.

One port serves everything: `/` and `/static/…` (the page), `/state` (long-polled snapshot for one
viewer, rendered with playground.blockkit), `/ui/…` (what a person does), `/api/<method>` (the Web
API Baton calls) and `/response/<token>` (response_url posts).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from bot.domain.status import SlackStatus
from playground import demo
from playground.actions import CHECKIN_REACTIONS
from playground.blockkit import EMOJI, RenderContext, render_message, render_view
from playground.demo import Person
from playground.demo_time import target_for
from playground.errors import NotRunning, PlaygroundError
from playground.runtime import Playground
from playground.slack.wire import decode_params, ts_key

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
LONG_POLL_SECONDS = 20.0
MAX_BODY = 256 * 1024
_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*\.(html|css|js|svg|png)$")

StartResponse = Callable[..., Any]


def _reply(start_response: StartResponse, status: str, body: bytes, content_type: str) -> Iterable[bytes]:
    start_response(
        status,
        [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")],
    )
    return [body]


def _json(start_response: StartResponse, body: dict[str, Any], status: str = "200 OK") -> Iterable[bytes]:
    return _reply(start_response, status, json.dumps(body).encode(), "application/json; charset=utf-8")


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def time_label(moment: datetime) -> str:
    """9:05 AM, as Slack shows a message's time."""
    return moment.strftime("%I:%M %p").lstrip("0")


def day_label(moment: datetime) -> str:
    """Monday, March 2, as Slack's day dividers read."""
    return f"{moment:%A, %B} {moment.day}"


def clock_label(moment: datetime) -> str:
    """The clock bar: Mon 2 Mar 2026, 9:00 AM."""
    return f"{moment:%a} {moment.day} {moment:%b %Y}, {time_label(moment)}"


def _status_json(person: Person, now: datetime) -> dict[str, Any] | None:
    """A person's Slack status as the page shows it (None when they have none, or it has cleared)."""
    code, text, expiration = person.status_at(now)
    if not code and not text:
        return None
    name = code.strip(":")
    until = _local(datetime.fromtimestamp(expiration, UTC), person.tz) if expiration else None
    return {
        "emoji": name,
        "char": EMOJI.get(name, f":{name}:") if name else "",
        "text": text,
        "until_local": until.strftime("%Y-%m-%dT%H:%M") if until else "",
        "until_label": clock_label(until) if until else "",
        "away": SlackStatus(emoji=code, text=text, expiration=expiration).is_away(now),
    }


def snapshot(playground: Playground, viewer: str, *, page: str | None = None) -> dict[str, Any]:
    """Everything the page shows to `viewer`, with messages, modal and Home tab rendered as HTML. With `page`
    (the browser page asking), a modal shows only on the page it was opened on."""
    session = playground.session
    workspace = session.workspace
    person = playground.person(viewer)
    now = session.clock.now()
    local_now = _local(now, person.tz)
    with workspace.lock:
        version = workspace.version
        names = workspace.names()
        channels = workspace.channels()
        ctx = RenderContext(viewer_tz=person.tz, users=names, channels=channels, now=now, viewer_id=viewer)
        conversations = [demo.CHANNEL_ID, demo.dm_channel_id(viewer)]
        shown: dict[str, list[dict[str, Any]]] = {c: [] for c in conversations}
        for message in workspace.messages():
            if message["channel"] in shown:
                shown[message["channel"]].append(_message_json(message, viewer=viewer, ctx=ctx, names=names))
        for ephemeral in workspace.shown_to(viewer):
            if ephemeral.channel in shown:
                shown[ephemeral.channel].append(
                    _entry(
                        kind="ephemeral",
                        ts=ephemeral.ts,
                        user=ephemeral.sender,
                        names=names,
                        tz=person.tz,
                        html=render_message(ephemeral.text, ephemeral.blocks, ctx=ctx),
                        extra={"id": ephemeral.id},
                    )
                )
        for entries in shown.values():
            entries.sort(key=lambda e: ts_key(e["ts"]))
        modal = workspace.top_modal(viewer, page=page)
        home_id = workspace.home_views.get(viewer)
        home = {"view_id": home_id, "html": render_view(workspace.views[home_id], ctx=ctx)} if home_id else None
    return {
        "version": version,
        "now": now.isoformat(),
        "now_label": clock_label(local_now),
        "now_local": local_now.strftime("%Y-%m-%dT%H:%M"),
        "tz": person.tz,
        "forwarding": playground.forwarding,
        "viewer": viewer,
        "people": [
            {
                "id": p.id,
                "name": p.name,
                "tz": p.tz,
                "title": p.title,
                "local": time_label(_local(now, p.tz)),
                "status": _status_json(p, now),
            }
            for p in playground.people
        ],
        "conversations": [
            {"id": demo.CHANNEL_ID, "name": demo.CHANNEL_NAME, "kind": "channel"},
            {"id": demo.dm_channel_id(viewer), "name": demo.BOT_NAME, "kind": "app"},
        ],
        "messages": shown,
        "modal": (
            {"view_id": modal[0]["id"], "html": render_view(modal[0], ctx=ctx), "errors": modal[1]}
            if modal is not None
            else None
        ),
        "home": home,
        "reactions": [{"name": name, "char": EMOJI.get(name, f":{name}:")} for name in CHECKIN_REACTIONS],
        "status_emoji": [{"name": name, "char": EMOJI.get(name, f":{name}:")} for name in demo.STATUS_EMOJI],
        "commands": [{"command": c, "usage": u} for c, u in playground.commands.items()],
        "shortcuts": [{"callback_id": c, "name": n} for c, n in playground.shortcuts.items()],
    }


def _entry(
    *, kind: str, ts: str, user: str, names: dict[str, str], tz: str, html: str, extra: dict[str, Any]
) -> dict[str, Any]:
    moment = _local(datetime.fromtimestamp(float(Decimal(ts)), UTC), tz)
    return {
        "kind": kind,
        "ts": ts,
        "user": user,
        "user_name": names.get(user, user),
        "is_bot": user in (demo.BOT_USER_ID, demo.SLACKBOT_ID),
        "time": time_label(moment),
        "day": day_label(moment),
        "html": html,
        **extra,
    }


def _message_json(message: dict[str, Any], *, viewer: str, ctx: RenderContext, names: dict[str, str]) -> dict[str, Any]:
    reactions = [
        {
            "name": reaction["name"],
            "char": EMOJI.get(reaction["name"], f":{reaction['name']}:"),
            "count": len(reaction["users"]),
            "mine": viewer in reaction["users"],
            "who": ", ".join(names.get(u, u) for u in reaction["users"]),
        }
        for reaction in message.get("reactions") or []
    ]
    return _entry(
        kind="message",
        ts=message["ts"],
        user=str(message.get("user") or ""),
        names=names,
        tz=ctx.viewer_tz,
        html=render_message(str(message.get("text") or ""), message.get("blocks"), ctx=ctx),
        extra={"reactions": reactions, "edited": "edited" in message},
    )


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(min(length, MAX_BODY)) if length > 0 else b""


def _str_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise PlaygroundError(f"{name} is required")
    return value


def _optional(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) and value else None


def _ui(playground: Playground, action: str, body: dict[str, Any]) -> dict[str, Any]:
    """One thing a person did on the page; PlaygroundError becomes a one-line answer."""
    if action == "reset":
        playground.reset()
        return {}
    if action == "people":
        rows = body.get("people")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise PlaygroundError("people must be a list of {id, name, tz}")
        return {"restarted": playground.set_people(rows)}
    user = _str_field(body, "as")
    playground.person(user)
    page = _optional(body, "page")
    if action == "send":
        playground.send(user, _str_field(body, "channel"), str(body.get("text") or ""), page=page)
    elif action == "click":
        playground.click(
            user,
            action_id=_str_field(body, "action_id"),
            block_id=_optional(body, "block_id"),
            channel=_optional(body, "channel"),
            ts=_optional(body, "ts"),
            ephemeral_id=_optional(body, "ephemeral_id"),
            view_id=_optional(body, "view_id"),
            value=_optional(body, "value"),
            page=page,
        )
    elif action == "react":
        added = playground.react(
            user, channel=_str_field(body, "channel"), ts=_str_field(body, "ts"), name=_str_field(body, "name")
        )
        return {"added": added}
    elif action == "submit":
        values = body.get("values")
        if not isinstance(values, dict):
            raise PlaygroundError("values must be an object")
        problem = playground.submit(user, view_id=_str_field(body, "view_id"), values=values, page=page)
        return {"problem": problem} if problem else {}
    elif action == "close":
        playground.close(user, view_id=_str_field(body, "view_id"))
    elif action == "dismiss":
        playground.dismiss(user, ephemeral_id=_str_field(body, "ephemeral_id"))
    elif action == "home":
        playground.open_home(user)
    elif action == "shortcut":
        playground.shortcut(
            user,
            callback_id=_str_field(body, "callback_id"),
            channel=_str_field(body, "channel"),
            ts=_str_field(body, "ts"),
            page=page,
        )
    elif action == "clock":
        return _clock(playground, user, body)
    else:
        raise PlaygroundError(f"unknown action {action!r}")
    return {}


def _clock(playground: Playground, user: str, body: dict[str, Any]) -> dict[str, Any]:
    tz = playground.person(user).tz
    preset = _optional(body, "preset")
    holiday = None
    if preset == "holiday":
        holiday = playground.next_holiday(user)
        target = holiday.at
    elif preset is not None:
        target = target_for(preset, now=playground.clock.now(), tz=tz)
    else:
        text = _str_field(body, "at")
        try:
            local = datetime.fromisoformat(text)
        except ValueError:
            raise PlaygroundError(f"{text!r} is not a date and time such as 2026-03-06T16:00") from None
        target = (local if local.tzinfo else local.replace(tzinfo=ZoneInfo(tz))).astimezone(UTC)
    done = playground.fast_forward(target)
    answer: dict[str, Any] = {"passes": done.passes, "sent": done.sent, "now": done.end.isoformat()}
    if holiday is not None:
        answer["holiday"] = {"date": holiday.day.isoformat(), "name": holiday.name, "calendar": holiday.calendar}
    return answer


def make_page_app(playground: Playground) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app of the playground's port."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            return route(environ, start_response)
        except NotRunning:  # starting, or stopping with a long-poll in flight
            return _json(start_response, {"ok": False, "error": "not running"}, "503 Service Unavailable")

    def route(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "/")
        method = str(environ.get("REQUEST_METHOD") or "GET")
        query = str(environ.get("QUERY_STRING") or "")
        if path.startswith("/api/"):
            raw = _read_body(environ)
            params = decode_params(raw, str(environ.get("CONTENT_TYPE") or ""), query)
            headers = {"authorization": str(environ.get("HTTP_AUTHORIZATION") or "")}
            answered = playground.workspace.api(path.removeprefix("/api/"), params, headers)
            return _json(start_response, answered[1] if answered is not None else {"ok": False, "error": "dropped"})
        if path.startswith("/response/") and method == "POST":
            status, answer, _ = playground.workspace.respond(path.removeprefix("/response/"), _read_body(environ))
            return _json(start_response, answer, f"{status} {'OK' if status == 200 else 'Error'}")
        if path == "/state" and method == "GET":
            return _state(playground, parse_qs(query), start_response)
        if path.startswith("/ui/") and method == "POST":
            return _ui_request(playground, path.removeprefix("/ui/"), _read_body(environ), start_response)
        if path in ("/", "/index.html") and method in ("GET", "HEAD"):
            return _static(start_response, "index.html")
        if path.startswith("/static/") and method in ("GET", "HEAD"):
            return _static(start_response, path.removeprefix("/static/"))
        if path == "/healthz":
            return _json(start_response, {"ok": True})
        return _json(start_response, {"ok": False, "error": "not_found"}, "404 Not Found")

    return app


def _state(playground: Playground, query: dict[str, list[str]], start_response: StartResponse) -> Iterable[bytes]:
    viewer = (query.get("as") or [""])[0] or playground.people[0].id
    page = (query.get("page") or [""])[0] or None
    try:
        since = int((query.get("since") or ["-1"])[0])
    except ValueError:
        since = -1
    try:
        playground.person(viewer)
    except PlaygroundError as error:
        return _json(start_response, {"ok": False, "error": str(error)}, "400 Bad Request")
    workspace = playground.workspace
    if since >= 0 and since == workspace.version:
        workspace.wait_changed(since, timeout=LONG_POLL_SECONDS)
    return _json(start_response, {"ok": True, **snapshot(playground, viewer, page=page)})


def _ui_request(playground: Playground, action: str, raw: bytes, start_response: StartResponse) -> Iterable[bytes]:
    try:
        body = json.loads(raw.decode("utf-8")) if raw else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _json(start_response, {"ok": False, "error": "the body must be JSON"}, "400 Bad Request")
    if not isinstance(body, dict):
        return _json(start_response, {"ok": False, "error": "the body must be a JSON object"}, "400 Bad Request")
    try:
        answer = _ui(playground, action, body)
    except PlaygroundError as error:
        return _json(start_response, {"ok": False, "error": str(error)}, "400 Bad Request")
    return _json(start_response, {"ok": True, **answer})


def _static(start_response: StartResponse, name: str) -> Iterable[bytes]:
    path = STATIC / name
    if not _STATIC_NAME.match(name) or not path.is_file():
        return _json(start_response, {"ok": False, "error": "not_found"}, "404 Not Found")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type.endswith("javascript"):
        content_type += "; charset=utf-8"
    return _reply(start_response, "200 OK", path.read_bytes(), content_type)
