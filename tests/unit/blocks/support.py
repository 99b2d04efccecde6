"""What the Block Kit tests share: a task, a row of each outbox kind, and checks that Slack would accept a
message or a view."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.domain.model import (
    HistoryEntry,
    Message,
    OutboxKind,
    Outgoing,
    Priority,
    TaskAction,
    TaskStatus,
    TaskView,
)
from bot.domain.payloads import from_json

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
HOSTILE = "<!channel> <!here> <!subteam^S1> & <@U1> *bold*"
HOSTILE_ESCAPED = "&lt;!channel&gt; &lt;!here&gt; &lt;!subteam^S1&gt; &amp; &lt;@U1&gt; *bold*"
LINK = "https://acme.slack.com/archives/C9/p1700000000000100?thread_ts=1700000000.000100&cid=C9"
# A `<!` that is not Baton's own date token would be a broadcast or a user group ping.
PING = re.compile(r"<!(?!date\^\d+\^)")


def make_task(**overrides: Any) -> TaskView:
    fields: dict[str, Any] = {
        "id": 7,
        "workspace_id": "T1",
        "number": 12,
        "title": "Fix login",
        "details": "The form rejects valid passwords.",
        "assignee_id": "U2",
        "delegator_id": "U3",
        "priority": Priority.HIGH,
        "status": TaskStatus.ACCEPTED,
        "created_at": NOW - timedelta(days=2),
        "due_at": DUE,
        "team_id": 1,
        "team_channel_id": "C9",
        "source_link": LINK,
        "history": (
            HistoryEntry(NOW - timedelta(days=2), "U3", TaskAction.CREATED),
            HistoryEntry(NOW - timedelta(days=1), "U2", TaskAction.ACCEPTED),
        ),
    }
    fields.update(overrides)
    return TaskView(**fields)


def recognition_payload(people: int = 2, title: str = "Ship it") -> dict[str, Any]:
    return {
        "team_channel_id": "C9",
        "since": "2026-11-27T16:00:00+00:00",
        "finished": [
            {"user_id": f"U{10 + n}", "count": 3, "on_time": 2, "titles": [title, "Second", "Third"]}
            for n in range(people)
        ],
        "streaks": [{"user_id": f"U{10 + n}", "streak": 5} for n in range(people)],
        "kudos": [{"user_id": f"U{10 + n}", "count": 4} for n in range(people)],
    }


def digest_payload(rows: int = 2, title: str = "Ship it") -> dict[str, Any]:
    tasks = [
        {"ref": f"T-{n}", "title": title, "assignee_id": f"U{10 + n}", "due": "2026-11-27T16:00:00+00:00", "reason": ""}
        for n in range(rows)
    ]
    people = [{"user_id": f"U{10 + n}", "reason": "2 overdue tasks"} for n in range(rows)]
    return {
        "since": "2026-11-23T09:00:00+00:00",
        "overdue": tasks,
        "overdue_total": rows + 5,
        "at_risk": [{**t, "reason": "blocked"} for t in tasks],
        "imbalance": [
            {"user_id": f"U{10 + n}", "team_channel_id": "C9", "load": 8, "median": 2.5, "reason": "heavy"}
            for n in range(rows)
        ],
        "support": people,
        "recognise": people,
    }


# Every kind of row that is a message (a refresh redraws a message Baton sent; it is not one).
MESSAGE_KINDS = [kind for kind in OutboxKind if kind is not OutboxKind.REFRESH]


def outgoing(kind: OutboxKind, task: TaskView, *, text: str = HOSTILE) -> Outgoing:
    """A row of each kind; `text` is what people typed (reason, note, kudos, titles)."""
    payloads: dict[OutboxKind, Mapping[str, Any]] = {
        OutboxKind.ASSIGNMENT: {},
        OutboxKind.ACCEPTED: {"actor_id": "U2"},
        OutboxKind.DECLINED: {"actor_id": "U2", "reason": text},
        OutboxKind.UNASSIGNED: {"actor_id": "U3", "new_assignee_id": "U4"},
        OutboxKind.DUE_CHANGED: {"actor_id": "U3", "old_due": "2026-12-03T17:00:00+00:00"},
        OutboxKind.CANCELLED: {"actor_id": "U3", "reason": text},
        OutboxKind.CELEBRATION: {"actor_id": "U2", "note": text},
        OutboxKind.KUDOS: {"giver_id": "U3", "recipient_ids": ["U2", "U4"], "message": text},
        OutboxKind.CHECKIN: {},
        OutboxKind.WARNING: {"hours_before": 24},
        OutboxKind.OVERDUE: {"audience": "assignee"},
        OutboxKind.BLOCKED: {"reason": text},
        OutboxKind.AWAY_FLAG: {"user_id": "U2", "ends_at": "2026-12-05T00:00:00+00:00"},
        OutboxKind.RECOGNITION: recognition_payload(title=text),
        OutboxKind.DIGEST: digest_payload(title=text),
        OutboxKind.REMINDER: {"tz": "Europe/Berlin"},
        OutboxKind.UNANSWERED: {"since": "2026-12-01T14:00:00+00:00"},
        OutboxKind.ESCALATION: {"silent_since": "2026-11-27T09:00:00+00:00", "unanswered": 2},
    }
    without_task = {OutboxKind.KUDOS, OutboxKind.RECOGNITION, OutboxKind.DIGEST}
    return Outgoing(
        kind=kind,
        dedupe_key=f"{kind.value}:{task.id}",
        recipient_id="U2",
        task=None if kind in without_task else task,
        payload=from_json(kind, payloads[kind]),
    )


# --------------------------------------------------------------------------- validation helpers


class _SdkLog(logging.Handler):
    """Collects slack_sdk's notes about keys it ignored or blocks it could not parse (typos)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _parsed_by_slack_sdk(parse: Callable[[], None]) -> None:
    logger = logging.getLogger("slack_sdk.models")
    handler = _SdkLog()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        parse()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert not [m for m in handler.messages if "ignored" in m or "Unknown" in m], handler.messages


def block_nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from block_nodes(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from block_nodes(value)


def _assert_within_limits(block_list: Any) -> None:
    """The limits slack_sdk's validators do not check themselves."""
    block_ids = [b["block_id"] for b in block_list if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)), "block ids must be unique"
    for node in block_nodes(block_list):
        kind = node.get("type")
        if kind in ("plain_text", "mrkdwn"):
            assert node["text"].strip(), node
            assert len(node["text"]) <= 3000
        if kind == "section":
            assert len(node.get("fields", [])) <= 10
            assert all(len(field["text"]) <= 2000 for field in node.get("fields", []))
        if kind == "context":
            assert 1 <= len(node["elements"]) <= 10
        if kind == "plain_text_input" and "initial_value" in node:
            assert len(node["initial_value"]) <= node["max_length"] <= 3000
        for option in node.get("options", []):
            assert len(option["text"]["text"]) <= 75
            assert len(option["value"]) <= 150


def assert_valid_message(message: Message) -> None:
    assert 1 <= len(message.blocks) <= 50
    assert 0 < len(message.text) <= 4000

    def parse() -> None:
        for raw in message.blocks:
            block = Block.parse(raw)
            assert block is not None, raw
            block.validate_json()
            block.to_dict()  # validates every nested element and text object too

    _parsed_by_slack_sdk(parse)
    _assert_within_limits(list(message.blocks))
    # chat.postMessage refuses blocks whose text adds up to about 12,000 characters
    # (msg_blocks_too_long; slackapi/bolt-js#2509, #2867), so Baton stays under 10,000.
    total = sum(len(node["text"]) for node in block_nodes(list(message.blocks)) if isinstance(node.get("text"), str))
    assert total <= 10_000, total


def assert_valid_view(view: dict[str, Any]) -> None:
    def parse() -> None:
        model = View(**view)
        assert all(block is not None for block in model.blocks)
        model.validate_json()
        model.to_dict()

    _parsed_by_slack_sdk(parse)
    assert 1 <= len(view["blocks"]) <= 100
    _assert_within_limits(view["blocks"])


def message_json(message: Message) -> str:
    return json.dumps(message.as_kwargs(), ensure_ascii=False)


def mrkdwn_texts(view: dict[str, Any]) -> str:
    return "\n".join(node["text"] for node in block_nodes(view) if node.get("type") == "mrkdwn")


def assert_no_pings(rendered: str) -> None:
    assert not PING.findall(rendered), rendered
    assert "&amp;amp;" not in rendered and "&amp;lt;" not in rendered, "escaped twice"
