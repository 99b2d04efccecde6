"""Reading the page's inputs: typed text as Slack escapes it, people rows and statuses, and the view state
and clicked element a form or a button names."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from playground import demo
from playground.demo import Person
from playground.errors import PlaygroundError

MAX_NAME = 40
MAX_STATUS_TEXT = 100  # Slack's limit for a status text


def slack_escape(text: str, *, people: Mapping[str, Person]) -> str:
    """Text as Slack hands it to an app (should_escape): &, < and > escaped, @Name and #support as links
    (not inside `code`, where Slack leaves them as typed)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    by_name = sorted(people.values(), key=lambda p: len(p.name), reverse=True)
    parts = escaped.split("`")
    for index in range(0, len(parts), 2):  # the even parts are outside backticks
        part = parts[index]
        for person in by_name:
            pattern = re.compile(r"(?<![\w<])@" + re.escape(person.name) + r"\b", re.IGNORECASE)
            part = pattern.sub(f"<@{person.id}|{person.name.lower()}>", part)
        channel = re.compile(r"(?<![\w<])#" + demo.CHANNEL_NAME + r"\b")
        parts[index] = channel.sub(f"<#{demo.CHANNEL_ID}|{demo.CHANNEL_NAME}>", part)
    return "`".join(parts)


def parse_status(row: Mapping[str, Any], *, tz: str, now: datetime) -> tuple[str, str, int]:
    """A people row's Slack status: (emoji as `:code:`, text, expiration in Unix seconds or 0).

    `status_emoji` is an emoji code with or without colons; `status_until` an optional local date and time
    (`2026-03-06T17:00`) in the person's own zone, after `now`. No emoji and no text clear the status.
    """
    code = str(row.get("status_emoji") or "").strip().strip(":")
    if code and not re.fullmatch(r"[a-z0-9_+\-']{1,64}", code):
        raise PlaygroundError(f"{code!r} is not an emoji code such as palm_tree")
    text = " ".join(str(row.get("status_text") or "").split())
    if len(text) > MAX_STATUS_TEXT:
        raise PlaygroundError(f"a status text has at most {MAX_STATUS_TEXT} characters")
    if not code and not text:
        return "", "", 0
    until = str(row.get("status_until") or "").strip()
    if not until:
        return (f":{code}:" if code else ""), text, 0
    try:
        local = datetime.fromisoformat(until)
    except ValueError:
        raise PlaygroundError(f"{until!r} is not a date and time such as 2026-03-06T17:00") from None
    moment = (local if local.tzinfo else local.replace(tzinfo=ZoneInfo(tz))).astimezone(UTC)
    if moment <= now:
        raise PlaygroundError(f"a status that clears at {until} would be gone already; pick a later time")
    return (f":{code}:" if code else ""), text, int(moment.timestamp())


def parse_people(rows: Iterable[Mapping[str, Any]], *, current: Sequence[Person], now: datetime) -> list[Person]:
    """The people panel's rows (id, name, tz, and optionally status_emoji, status_text, status_until) checked:
    known ids, a name, a real IANA zone, a status Slack would take. A row without status fields keeps the
    person's status; the people keep their order (the first is the manager). `now` is the demo's time."""
    known = {p.id: p for p in current}
    found: dict[str, Person] = {}
    for row in rows:
        person = known.get(str(row.get("id") or ""))
        if person is None:
            raise PlaygroundError(f"unknown person {row.get('id')!r}")
        name = " ".join(str(row.get("name") or "").split())
        if not name or len(name) > MAX_NAME or not re.fullmatch(r"[\w .'-]+", name):
            raise PlaygroundError(f"a name needs 1-{MAX_NAME} letters, digits, spaces, . ' or -; got {name!r}")
        tz = str(row.get("tz") or "").strip()
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise PlaygroundError(f"{tz!r} is not a time zone; use an IANA name such as Europe/Berlin") from None
        person = replace(person, name=name, tz=tz)
        if any(key in row for key in ("status_emoji", "status_text", "status_until")):
            emoji, text, expiration = parse_status(row, tz=tz, now=now)
            person = replace(person, status_emoji=emoji, status_text=text, status_expiration=expiration)
        found[person.id] = person
    if set(found) != set(known):
        raise PlaygroundError("every person needs a row")
    people = [found[p.id] for p in current]
    if len({p.name.lower() for p in people}) != len(people):
        raise PlaygroundError("two people cannot have the same name")
    return people


def options_of(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A menu's options, those in option groups included."""
    found = [dict(o) for o in element.get("options") or []]
    for group in element.get("option_groups") or []:
        found.extend(dict(o) for o in group.get("options") or [])
    return found


def element_state(element: Mapping[str, Any], raw: Any) -> dict[str, Any]:
    """One input's entry in view.state.values, from what the page's form control held."""
    kind = str(element.get("type") or "")
    values = [str(v) for v in raw] if isinstance(raw, list) else ([] if raw in (None, "") else [str(raw)])
    first = values[0] if values else None
    options = {str(o.get("value")): o for o in options_of(element)}
    if kind in ("static_select", "radio_buttons"):
        return {"type": kind, "selected_option": copy.deepcopy(options.get(first or ""))}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": [copy.deepcopy(options[v]) for v in values if v in options]}
    if kind == "multi_static_select":
        return {"type": kind, "selected_options": [copy.deepcopy(options[v]) for v in values if v in options]}
    if kind == "users_select":
        return {"type": kind, "selected_user": first}
    if kind == "multi_users_select":
        return {"type": kind, "selected_users": values}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": first}
    if kind == "channels_select":
        return {"type": kind, "selected_channel": first}
    if kind == "datepicker":
        return {"type": kind, "selected_date": first}
    if kind == "timepicker":
        return {"type": kind, "selected_time": first}
    return {"type": kind or "plain_text_input", "value": first}


def _is_empty(state: Mapping[str, Any]) -> bool:
    return all(v in (None, "", []) for k, v in state.items() if k != "type")


def view_state(view: Mapping[str, Any], submitted: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """view.state.values for a submission, and the errors Slack itself shows for empty required inputs."""
    values: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for block in view.get("blocks") or []:
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, Mapping):
            continue
        block_id, action_id = str(block["block_id"]), str(element["action_id"])
        state = element_state(element, submitted.get(f"{block_id}/{action_id}"))
        values[block_id] = {action_id: state}
        if not block.get("optional") and _is_empty(state):
            missing[block_id] = "Please complete this required field."
    return values, missing


def find_element(blocks: Any, *, action_id: str, block_id: str | None) -> dict[str, Any] | None:
    """The interactive element a click names, if the blocks really hold it."""
    for index, block in enumerate(blocks or []):
        if not isinstance(block, dict):
            continue
        found_block_id = str(block.get("block_id") or f"b{index}")  # the renderer's ids for blocks without one
        if block_id and found_block_id != block_id:
            continue
        candidates = list(block.get("elements") or [])
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                candidates.append(block[key])
        for position, element in enumerate(candidates):
            if isinstance(element, dict) and str(element.get("action_id") or f"a{position}") == action_id:
                return {**element, "action_id": action_id, "block_id": found_block_id}
    return None
