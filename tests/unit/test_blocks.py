"""Block builders: valid Block Kit within Slack's limits, user text escaped exactly once."""

from __future__ import annotations

import calendar
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.domain.model import (
    CheckinSchedule,
    HistoryEntry,
    Message,
    OutboxKind,
    Outgoing,
    Priority,
    TaskAction,
    TaskStatus,
    TaskView,
    TeamOption,
)
from bot.domain.text import escape, unescape
from handlers import blocks, ids

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
        payload=payloads[kind],
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


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _nodes(value)


def _assert_within_limits(block_list: Any) -> None:
    """The limits slack_sdk's validators do not check themselves."""
    block_ids = [b["block_id"] for b in block_list if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)), "block ids must be unique"
    for node in _nodes(block_list):
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
    total = sum(len(node["text"]) for node in _nodes(list(message.blocks)) if isinstance(node.get("text"), str))
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
    return "\n".join(node["text"] for node in _nodes(view) if node.get("type") == "mrkdwn")


def assert_no_pings(rendered: str) -> None:
    assert not PING.findall(rendered), rendered
    assert "&amp;amp;" not in rendered and "&amp;lt;" not in rendered, "escaped twice"


# --------------------------------------------------------------------------- slack_sdk itself


def test_slack_sdk_validation_rejects_limit_breaks_so_our_checks_can_fail() -> None:
    with pytest.raises(SlackObjectFormationError):
        Block.parse({"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}).validate_json()  # type: ignore[union-attr]
    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x" * 76}}
    with pytest.raises(SlackObjectFormationError):
        Block.parse({"type": "actions", "elements": [button]}).to_dict()  # type: ignore[union-attr]
    with pytest.raises(SlackObjectFormationError):
        View(type="home", blocks=[{"type": "divider"}] * 101).validate_json()
    with pytest.raises(SlackObjectFormationError):
        View(type="modal", title="x" * 25, blocks=[{"type": "divider"}]).validate_json()


# --------------------------------------------------------------------------- when


def test_when_gives_a_date_token_with_the_epoch_and_a_utc_fallback() -> None:
    moment = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    epoch = calendar.timegm((2026, 12, 4, 22, 0, 0))
    assert blocks.when(moment) == (f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|Fri 4 Dec 2026 22:00 UTC>")


def test_when_converts_other_zones_to_the_same_instant() -> None:
    kolkata = timezone(timedelta(hours=5, minutes=30))
    moment = datetime(2026, 12, 5, 3, 30, tzinfo=kolkata)  # 22:00 UTC the day before
    assert blocks.when(moment) == blocks.when(datetime(2026, 12, 4, 22, 0, tzinfo=UTC))


def test_when_without_a_moment_reads_no_deadline() -> None:
    assert blocks.when(None) == "no deadline"


def test_when_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        blocks.when(datetime(2026, 12, 4, 22, 0))


# --------------------------------------------------------------------------- task line


def test_task_line_shows_priority_id_title_assignee_due_and_status() -> None:
    line = blocks.task_line(make_task(priority=Priority.URGENT), now=NOW)
    assert line.startswith("🔴 *T-12* Fix login")
    assert "<@U2>" in line and blocks.when(DUE) in line and "accepted" in line
    assert "overdue" not in line


@pytest.mark.parametrize(
    ("due", "status", "overdue"),
    [
        (NOW, TaskStatus.ACCEPTED, True),
        (NOW - timedelta(days=1), TaskStatus.OPEN, True),
        (NOW + timedelta(minutes=1), TaskStatus.ACCEPTED, False),
        (NOW - timedelta(days=1), TaskStatus.DONE, False),
        (NOW - timedelta(days=1), TaskStatus.CANCELLED, False),
    ],
)
def test_task_line_marks_overdue_when_due_has_passed_and_not_final(
    due: datetime, status: TaskStatus, overdue: bool
) -> None:
    assert ("overdue" in blocks.task_line(make_task(due_at=due, status=status), now=NOW)) is overdue


def test_no_deadline_reads_plainly() -> None:
    task = make_task(due_at=None)
    assert "no deadline" in blocks.task_line(task, now=NOW)
    assert "no deadline" in message_json(blocks.task_detail(task, now=NOW))


@pytest.mark.parametrize("priority", list(Priority))
def test_every_priority_has_its_own_glyph(priority: Priority) -> None:
    glyphs = {blocks.task_line(make_task(priority=p), now=NOW)[:2] for p in Priority}
    assert len(glyphs) == len(Priority)


# --------------------------------------------------------------------------- every builder


def _message_builders() -> dict[str, Callable[[TaskView], Message]]:
    builders: dict[str, Callable[[TaskView], Message]] = {
        "task_created": lambda t: blocks.task_created(t, now=NOW),
        "task_detail": lambda t: blocks.task_detail(t, now=NOW),
        "task_list": lambda t: blocks.task_list([t, t], heading="Your tasks", now=NOW, empty="None"),
        "task_updated": lambda t: blocks.task_updated(t, verb="is done.", now=NOW),
        "assignment": lambda t: blocks.assignment(t, now=NOW),
        "assignment_answered": lambda t: blocks.assignment_answered(t, answer=f"Declined: {HOSTILE}", now=NOW),
        "checkin": lambda t: blocks.checkin(t, now=NOW),
        "checkin_answered": lambda t: blocks.checkin_answered(t, answer=f"Blocked: {HOSTILE}", now=NOW),
    }
    for kind in MESSAGE_KINDS:
        builders[f"outbox_{kind.value}"] = lambda t, k=kind: blocks.render_outbox(outgoing(k, t, text=t.title), now=NOW)
    return builders


MESSAGE_BUILDERS = _message_builders()


@pytest.mark.parametrize("name", sorted(MESSAGE_BUILDERS))
def test_every_message_escapes_a_hostile_title_exactly_once(name: str) -> None:
    task = make_task(
        title=HOSTILE,
        details=HOSTILE,
        status=TaskStatus.DECLINED,
        decline_reason=HOSTILE,
        history=(HistoryEntry(NOW, "U2", TaskAction.DECLINED, HOSTILE),),
    )
    message = MESSAGE_BUILDERS[name](task)
    assert_valid_message(message)
    rendered = message_json(message)
    assert_no_pings(rendered)
    assert HOSTILE_ESCAPED in rendered
    assert "<@U1>" not in rendered


@pytest.mark.parametrize("name", sorted(MESSAGE_BUILDERS))
def test_every_message_stays_within_limits_with_the_longest_title_and_details(name: str) -> None:
    task = make_task(
        title="&" * 200,  # each escapes to five characters
        details=("<&>" * 667)[:2000],
        decline_reason="&" * 500,
        history=tuple(HistoryEntry(NOW, "U2", TaskAction.CHECKIN_BLOCKED, "&" * 500) for _ in range(80)),
    )
    message = MESSAGE_BUILDERS[name](task)
    assert_valid_message(message)
    assert_no_pings(message_json(message))


@pytest.mark.parametrize("name", sorted(MESSAGE_BUILDERS))
def test_every_message_also_works_without_optional_facts(name: str) -> None:
    task = make_task(details="", due_at=None, team_id=None, team_channel_id=None, source_link=None, history=())
    assert_valid_message(MESSAGE_BUILDERS[name](task))


@pytest.mark.parametrize("builder", ["task_detail", "assignment"])
def test_long_details_are_split_into_sections_and_nothing_is_lost(builder: str) -> None:
    details = ("Fix A & B <now> " * 125)[:2000]  # escapes to 3250 characters
    message = MESSAGE_BUILDERS[builder](make_task(details=details))
    assert_valid_message(message)
    sections = [b["text"]["text"] for b in message.blocks if "text" in b and "&amp;" in b["text"]["text"]]
    assert len(sections) == 2
    assert unescape(" ".join(sections)).split() == details.split()


def test_buttons_survive_the_largest_inputs() -> None:
    task = make_task(title="&" * 200, details="&" * 2000, source_link=LINK + "&x=" + "a" * 1800)
    for message in (blocks.assignment(task, now=NOW), blocks.checkin(task, now=NOW)):
        assert_valid_message(message)
        assert [b for b in message.blocks if b["type"] == "actions"]


def test_details_made_of_escapable_characters_are_cut_to_fit_the_message() -> None:
    message = blocks.assignment(make_task(details="&" * 2000), now=NOW)
    assert_valid_message(message)
    shown = "".join(b["text"]["text"] for b in message.blocks if "text" in b and "&amp;&amp;" in b["text"]["text"])
    assert shown.endswith("…") and 1000 < len(unescape(shown)) < 2000


def test_plain_text_is_clipped_not_escaped() -> None:
    view = blocks.new_task_modal(teams=[], title=HOSTILE, details=HOSTILE)
    assert_valid_view(view)
    values = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"] if b["type"] == "input"}
    assert values[ids.BLOCK_TITLE] == HOSTILE
    assert values[ids.BLOCK_DETAILS] == HOSTILE


# --------------------------------------------------------------------------- messages


def test_help_message_keeps_trusted_mrkdwn_and_splits_long_help() -> None:
    short = blocks.help_message("*Baton* `/task @person title`")
    assert short.blocks[0]["text"]["text"] == "*Baton* `/task @person title`"
    long = blocks.help_message("\n".join(f"`/task example {n}` does a thing" for n in range(1000)))
    assert_valid_message(long)
    assert len(long.blocks) > 1


def test_task_created_names_the_id_assignee_due_and_priority() -> None:
    message = blocks.task_created(make_task(priority=Priority.URGENT), now=NOW)
    rendered = message_json(message)
    assert "T-12" in message.text and "<@U2>" in message.text
    assert blocks.when(DUE) in rendered and "Urgent" in rendered


def test_task_detail_shows_every_fact_and_the_source_link() -> None:
    message = blocks.task_detail(make_task(), now=NOW)
    assert_valid_message(message)
    rendered = message_json(message)
    for fact in (
        "Fix login",
        "The form rejects valid passwords.",
        "<@U2>",
        "<@U3>",
        "High",
        "accepted",
        "<#C9>",
    ):
        assert fact in rendered
    assert f"<{LINK}|the original message>" in rendered
    assert "created the task" in rendered and "accepted it" in rendered


@pytest.mark.parametrize("link", ["javascript:alert(1)", "https://evil.example/x>|<!channel>", "ftp://x/y"])
def test_task_detail_never_turns_an_unsafe_source_into_a_link(link: str) -> None:
    rendered = message_json(blocks.task_detail(make_task(source_link=link), now=NOW))
    assert_no_pings(rendered)
    assert f"<{link}" not in rendered


def test_task_detail_keeps_the_newest_history_within_fifty_blocks() -> None:
    history = tuple(
        HistoryEntry(NOW + timedelta(minutes=n), "U2", TaskAction.CHECKIN_ON_TRACK, f"note {n} " + "&" * 290)
        for n in range(1000)
    )
    message = blocks.task_detail(make_task(history=history), now=NOW)
    assert_valid_message(message)
    rendered = message_json(message)
    assert "note 999 " in rendered and "note 0 " not in rendered
    assert "of 1000)" in rendered
    last_section = message.blocks[-1]["text"]["text"]
    assert last_section.rstrip().split("\n")[-1].startswith(f"• {blocks.when(NOW + timedelta(minutes=999))}")


def test_task_list_of_500_tasks_fits_in_fifty_blocks_and_says_how_many_more() -> None:
    tasks = [make_task(id=n, number=n, title=f"Task {n} " + "&" * 190) for n in range(1, 501)]
    message = blocks.task_list(tasks, heading="Open tasks of <@U2>", now=NOW, empty="Nothing.")
    assert_valid_message(message)
    shown = sum(1 for b in message.blocks if b["type"] == "section" and "*T-" in b["text"]["text"])
    assert f"…and {500 - shown} more" in message_json(message)
    assert "500 tasks" in message.text


def test_task_list_says_so_when_empty() -> None:
    message = blocks.task_list([], heading="Your tasks", now=NOW, empty="Nothing assigned to you.")
    assert_valid_message(message)
    assert "Nothing assigned to you." in message_json(message)


def test_task_updated_keeps_baton_mrkdwn_in_the_verb() -> None:
    verb = f"is now due {blocks.when(DUE)}."
    message = blocks.task_updated(make_task(), verb=verb, now=NOW)
    assert message.text == f"T-12 {verb}"
    assert blocks.task_updated(make_task(), verb="reassigned to <@U4>.", now=NOW).text == "T-12 reassigned to <@U4>."


def test_assignment_has_accept_and_decline_buttons_for_the_task() -> None:
    message = blocks.assignment(make_task(), now=NOW)
    rendered = message_json(message)
    assert "<@U3>" in rendered and "<#C9>" in rendered and LINK in rendered
    actions = [b for b in message.blocks if b["type"] == "actions"]
    assert len(actions) == 1
    buttons = {e["action_id"]: e for e in actions[0]["elements"]}
    assert buttons[ids.ACTION_ACCEPT]["style"] == "primary"
    assert buttons[ids.ACTION_DECLINE]["style"] == "danger"
    assert {e["value"] for e in buttons.values()} == {"7"}
    other = blocks.assignment(make_task(id=8), now=NOW)
    other_actions = [b for b in other.blocks if b["type"] == "actions"]
    assert actions[0]["block_id"] != other_actions[0]["block_id"]


@pytest.mark.parametrize("answer", ["Accepted", "Done", "Reassigned", "Cancelled", f"Declined: {HOSTILE}"])
def test_assignment_answered_has_no_buttons_and_shows_the_answer(answer: str) -> None:
    message = blocks.assignment_answered(make_task(), answer=answer, now=NOW)
    assert_valid_message(message)
    assert not [b for b in message.blocks if b["type"] == "actions"]
    assert escape(answer) in message_json(message)


def test_checkin_has_three_answers_a_later_button_and_mentions_reactions() -> None:
    message = blocks.checkin(make_task(), now=NOW)
    (actions,) = [b for b in message.blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [
        ids.ACTION_CHECKIN_ON_TRACK,
        ids.ACTION_CHECKIN_BLOCKED,
        ids.ACTION_CHECKIN_DONE,
        ids.ACTION_CHECKIN_LATER,
    ]
    assert {e["value"] for e in actions["elements"]} == {"7"}
    rendered = message_json(message)
    assert "reaction" in rendered and "✅" in rendered and "👍" in rendered and "🚧" in rendered


def test_checkin_answered_has_no_buttons() -> None:
    message = blocks.checkin_answered(make_task(), answer="On track", now=NOW)
    assert_valid_message(message)
    assert not [b for b in message.blocks if b["type"] == "actions"]
    assert "On track" in message_json(message)


# --------------------------------------------------------------------------- outbox


@pytest.mark.parametrize("kind", MESSAGE_KINDS)
def test_render_outbox_handles_every_kind(kind: OutboxKind) -> None:
    message = blocks.render_outbox(outgoing(kind, make_task()), now=NOW)
    assert_valid_message(message)


def test_render_outbox_refuses_an_unknown_kind() -> None:
    row = Outgoing(kind=cast(OutboxKind, "bogus"), dedupe_key="x", recipient_id="U2", task=make_task())
    with pytest.raises(ValueError):
        blocks.render_outbox(row, now=NOW)


def test_render_outbox_refuses_a_task_message_without_its_task() -> None:
    row = Outgoing(kind=OutboxKind.WARNING, dedupe_key="x", recipient_id="U2", payload={"hours_before": 1})
    with pytest.raises(ValueError):
        blocks.render_outbox(row, now=NOW)


def _render(kind: OutboxKind, task: TaskView | None = None, **payload: Any) -> tuple[str, str]:
    base = outgoing(kind, task or make_task())
    row = Outgoing(
        kind=kind,
        dedupe_key="x",
        recipient_id="U2",
        task=base.task,
        payload={**base.payload, **payload},
    )
    message = blocks.render_outbox(row, now=NOW)
    assert_valid_message(message)
    return message.text, message_json(message)


def test_assignment_row_renders_the_assignment_dm() -> None:
    _, rendered = _render(OutboxKind.ASSIGNMENT)
    assert ids.ACTION_ACCEPT in rendered and ids.ACTION_DECLINE in rendered


def test_accepted_names_who_accepted_which_task() -> None:
    text, _ = _render(OutboxKind.ACCEPTED)
    assert text.startswith("✅ <@U2> accepted T-12")


def test_declined_quotes_the_reason_escaped() -> None:
    _, rendered = _render(OutboxKind.DECLINED, reason="Too busy & <!here>")
    assert "> Too busy &amp; &lt;!here&gt;" in rendered
    _, silent = _render(OutboxKind.DECLINED, reason="")
    assert "No reason given" in silent


def test_unassigned_says_who_has_it_now() -> None:
    text, _ = _render(OutboxKind.UNASSIGNED)
    assert "T-12 was handed to <@U4>" in text


def test_due_changed_shows_old_and_new_deadline() -> None:
    _, rendered = _render(OutboxKind.DUE_CHANGED)
    assert blocks.when(datetime(2026, 12, 3, 17, 0, tzinfo=UTC)) in rendered
    assert blocks.when(DUE) in rendered
    _, from_none = _render(OutboxKind.DUE_CHANGED, old_due=None)
    assert "no deadline" in from_none


def test_cancelled_quotes_the_reason() -> None:
    _, rendered = _render(OutboxKind.CANCELLED, reason="Not needed")
    assert "cancelled" in rendered and "> Not needed" in rendered


@pytest.mark.parametrize(
    ("left", "said"),
    [
        (timedelta(hours=24), "due in 24 hours"),
        (timedelta(hours=27), "due in 27 hours"),  # moved earlier into the working day: said as it is
        (timedelta(hours=1), "due in 1 hour"),
        (timedelta(minutes=40), "due in 40 minutes"),
    ],
)
def test_warning_says_how_soon_from_now(left: timedelta, said: str) -> None:
    text, _ = _render(OutboxKind.WARNING, make_task(due_at=NOW + left), hours_before=24)
    assert text.startswith(f"⏰ T-12 is {said}")


def test_overdue_speaks_to_the_assignee_and_to_the_delegator_differently() -> None:
    task = make_task(due_at=NOW - timedelta(hours=2))
    _, to_assignee = _render(OutboxKind.OVERDUE, task, audience="assignee")
    _, to_delegator = _render(OutboxKind.OVERDUE, task, audience="delegator")
    assert "overdue" in to_assignee and "overdue" in to_delegator
    assert "/task done T-12" in to_assignee
    assert "assigned to <@U2>" in to_delegator and "/task due T-12" in to_delegator
    assert to_assignee != to_delegator


def test_blocked_names_the_assignee_and_quotes_the_reason_if_any() -> None:
    text, rendered = _render(OutboxKind.BLOCKED, reason="Waiting on <!subteam^S1>")
    assert text.startswith("🚧 <@U2> is blocked on T-12")
    assert "> Waiting on &lt;!subteam^S1&gt;" in rendered
    _, no_reason = _render(OutboxKind.BLOCKED, reason="")
    assert "\\n> " not in no_reason and '"> ' not in no_reason


def test_kudos_names_giver_and_recipients_and_escapes_the_message() -> None:
    text, rendered = _render(OutboxKind.KUDOS, message="Great work & thanks <!channel>")
    assert text.startswith("👏 <@U3> → <@U2>, <@U4>: Great work &amp; thanks &lt;!channel&gt;")
    assert_no_pings(rendered)


def test_recognition_lists_finished_streaks_and_kudos() -> None:
    text, rendered = _render(OutboxKind.RECOGNITION)
    assert "<@U10>" in rendered and "<@U11>" in rendered
    assert "finished 3 tasks, 2 on time" in rendered
    assert "5 tasks in a row on time" in rendered and "got 4 kudos" in rendered
    assert blocks.when(datetime(2026, 11, 27, 16, 0, tzinfo=UTC)) in rendered and "<#C9>" in rendered
    assert "6 tasks" in text


def test_recognition_of_a_big_team_fits_in_fifty_blocks() -> None:
    row = Outgoing(
        kind=OutboxKind.RECOGNITION,
        dedupe_key="x",
        recipient_id="C9",
        payload=recognition_payload(people=400, title="&" * 200),
    )
    message = blocks.render_outbox(row, now=NOW)
    assert_valid_message(message)
    assert "more" in message_json(message)


def test_digest_of_many_teams_fits_in_fifty_blocks_and_says_how_many_more() -> None:
    row = Outgoing(
        kind=OutboxKind.DIGEST, dedupe_key="x", recipient_id="U2", payload=digest_payload(rows=30, title="&" * 200)
    )
    message = blocks.render_outbox(row, now=NOW)
    assert_valid_message(message)
    rendered = message_json(message)
    assert "more" in rendered and "35 overdue" in message.text
    assert "Load imbalance" in rendered and "(team median 2.5)" in rendered


def test_recognition_of_a_quiet_week_says_so() -> None:
    row = Outgoing(
        kind=OutboxKind.RECOGNITION,
        dedupe_key="x",
        recipient_id="C9",
        payload={"team_channel_id": "C9", "since": "2026-11-27T16:00:00+00:00", "finished": []},
    )
    message = blocks.render_outbox(row, now=NOW)
    assert_valid_message(message)
    assert "No tasks were finished" in message_json(message)


@pytest.mark.parametrize(
    ("done_at", "said"),
    [
        (DUE - timedelta(days=2), "2 days early"),
        (DUE - timedelta(hours=1), "1 hour early"),
        (DUE - timedelta(minutes=59), "on time"),
        (DUE, "on time"),
        (DUE + timedelta(minutes=25), "25 minutes late"),
        (DUE + timedelta(hours=3), "3 hours late"),
        (DUE + timedelta(days=2, hours=1), "2 days late"),
        (DUE + timedelta(days=1), "1 day late"),
    ],
)
def test_celebration_says_early_on_time_or_how_late(done_at: datetime, said: str) -> None:
    task = make_task(status=TaskStatus.DONE, done_at=done_at)
    text, rendered = _render(OutboxKind.CELEBRATION, task, note="")
    assert text.startswith("🎉 <@U2> finished T-12 Fix login")
    assert said in text and f"*{said}*" in rendered
    others = {"early", "on time", "late"} - {said.split()[-1] if "time" not in said else "on time"}
    assert not any(other in text for other in others)


def test_celebration_without_deadline_just_says_done_with_the_note() -> None:
    task = make_task(status=TaskStatus.DONE, due_at=None, done_at=NOW)
    text, rendered = _render(OutboxKind.CELEBRATION, task, note="Thanks all & <!here>")
    assert not any(word in text for word in ("early", "on time", "late"))
    assert "> Thanks all &amp; &lt;!here&gt;" in rendered


# --------------------------------------------------------------------------- modals


TEAMS = [TeamOption(id=1, channel_id="C9"), TeamOption(id=2, channel_id="C8")]


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def test_new_task_modal_has_every_input_with_ids_from_ids_py() -> None:
    view = blocks.new_task_modal(teams=TEAMS, private_metadata='{"channel_id": "C9"}')
    assert_valid_view(view)
    assert view["callback_id"] == ids.VIEW_NEW_TASK
    assert view["submit"]["text"] == "Delegate" and view["close"]["text"] == "Cancel"
    assert view["private_metadata"] == '{"channel_id": "C9"}'
    inputs = _inputs(view)
    expected = {
        ids.BLOCK_TITLE: (ids.INPUT_TITLE, "plain_text_input", False),
        ids.BLOCK_DETAILS: (ids.INPUT_DETAILS, "plain_text_input", True),
        ids.BLOCK_ASSIGNEE: (ids.INPUT_ASSIGNEE, "users_select", False),
        ids.BLOCK_DUE_DATE: (ids.INPUT_DUE_DATE, "datepicker", True),
        ids.BLOCK_DUE_TIME: (ids.INPUT_DUE_TIME, "timepicker", True),
        ids.BLOCK_PRIORITY: (ids.INPUT_PRIORITY, "static_select", False),
        ids.BLOCK_TEAM: (ids.INPUT_TEAM, "radio_buttons", True),
    }
    assert {k: (b["element"]["action_id"], b["element"]["type"], b["optional"]) for k, b in inputs.items()} == expected
    assert inputs[ids.BLOCK_TITLE]["element"]["max_length"] == 200
    assert inputs[ids.BLOCK_DETAILS]["element"]["max_length"] == 2000
    assert inputs[ids.BLOCK_DETAILS]["element"]["multiline"] is True
    priority = inputs[ids.BLOCK_PRIORITY]["element"]
    assert [o["value"] for o in priority["options"]] == ["low", "normal", "high", "urgent"]
    assert priority["initial_option"]["value"] == "normal"
    assert [o["text"]["text"] for o in inputs[ids.BLOCK_TEAM]["element"]["options"]] == ["<#C9>", "<#C8>"]


def test_new_task_modal_prefills_what_it_is_given() -> None:
    view = blocks.new_task_modal(
        teams=TEAMS, title="x" * 300, details="Do it", assignee_id="U2", team_id=2, source_link=LINK
    )
    assert_valid_view(view)
    inputs = _inputs(view)
    assert inputs[ids.BLOCK_TITLE]["element"]["initial_value"] == ("x" * 199 + "…")
    assert inputs[ids.BLOCK_DETAILS]["element"]["initial_value"] == "Do it"
    assert inputs[ids.BLOCK_ASSIGNEE]["element"]["initial_user"] == "U2"
    assert inputs[ids.BLOCK_TEAM]["element"]["initial_option"]["value"] == "2"
    assert f"<{LINK}|" in mrkdwn_texts(view)


def test_new_task_modal_leaves_out_the_team_input_without_teams() -> None:
    view = blocks.new_task_modal(teams=[])
    assert_valid_view(view)
    assert ids.BLOCK_TEAM not in _inputs(view)
    assert "initial_value" not in _inputs(view)[ids.BLOCK_TITLE]["element"]


def test_new_task_modal_with_many_teams_uses_a_select_menu() -> None:
    teams = [TeamOption(id=n, channel_id=f"C{n}") for n in range(1, 151)]
    view = blocks.new_task_modal(teams=teams, team_id=3)
    assert_valid_view(view)
    team = _inputs(view)[ids.BLOCK_TEAM]["element"]
    assert team["type"] == "static_select" and len(team["options"]) == 100
    assert team["initial_option"]["value"] == "3"


def test_new_task_modal_refuses_metadata_slack_would_reject() -> None:
    with pytest.raises(ValueError):
        blocks.new_task_modal(teams=[], private_metadata="x" * 3001)


@pytest.mark.parametrize("callback_id", [ids.VIEW_DECLINE, ids.VIEW_BLOCKED])
def test_reason_modal_asks_for_an_optional_reason(callback_id: str) -> None:
    view = blocks.reason_modal(
        callback_id=callback_id,
        task=make_task(title=HOSTILE),
        title="Decline T-12 because of something long",
        label="Why? " * 500,
        private_metadata='{"task_id": 7}',
    )
    assert_valid_view(view)
    assert view["callback_id"] == callback_id and len(view["title"]["text"]) <= 24
    (reason,) = _inputs(view).values()
    assert reason["block_id"] == ids.BLOCK_REASON and reason["optional"] is True
    assert reason["element"]["action_id"] == ids.INPUT_REASON and reason["element"]["max_length"] == 500
    assert_no_pings(mrkdwn_texts(view))
    assert HOSTILE_ESCAPED in mrkdwn_texts(view)


def test_notice_modal_and_schedule_text() -> None:
    view = blocks.notice_modal(title="Baton says something long", text="Only <@U3> can change it.")
    assert_valid_view(view)
    assert blocks.schedule_text(CheckinSchedule()).startswith("weekdays at 10:00")
    assert blocks.schedule_text(CheckinSchedule(days=frozenset(range(7)))).startswith("daily")
    assert blocks.schedule_text(CheckinSchedule(days=frozenset({0, 3}))).startswith("Mon, Thu at 10:00")
    assert blocks.schedule_text(CheckinSchedule(days=frozenset())) == "off"


# --------------------------------------------------------------------------- home


def _tasks(count: int, first_id: int, **overrides: Any) -> list[TaskView]:
    return [make_task(id=first_id + n, number=first_id + n, **overrides) for n in range(count)]


def test_home_with_900_tasks_fits_in_100_blocks_and_says_how_many_more() -> None:
    mine, delegated, team = _tasks(300, 1), _tasks(300, 1001), _tasks(300, 2001)
    view = blocks.home_view(mine=mine, delegated=delegated, team_tasks=team, is_manager=True, now=NOW)
    assert_valid_view(view)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    texts = mrkdwn_texts(view)
    for first, everything in (
        (1, "`/task list`"),
        (1001, "`/task list delegated`"),
        (2001, "`/task list team`"),
    ):
        shown = sum(1 for n in range(first, first + 300) if f"*T-{n}*" in texts)
        assert shown > 10
        assert f"…and {300 - shown} more. {everything}" in texts


def test_home_has_a_new_task_button_and_a_done_button_per_task_of_mine() -> None:
    view = blocks.home_view(mine=_tasks(3, 1), delegated=_tasks(2, 10), team_tasks=[], is_manager=False, now=NOW)
    assert_valid_view(view)
    nodes = list(_nodes(view["blocks"]))
    assert any(n.get("action_id") == ids.ACTION_OPEN_TASK_MODAL for n in nodes)
    done = [b for b in view["blocks"] if b.get("accessory", {}).get("action_id") == ids.ACTION_DONE]
    assert [b["accessory"]["value"] for b in done] == ["1", "2", "3"]
    assert len({b["block_id"] for b in done}) == 3
    assert "My teams" not in mrkdwn_texts(view)


def test_home_sections_say_so_when_empty() -> None:
    view = blocks.home_view(mine=[], delegated=[], team_tasks=[], is_manager=True, now=NOW)
    assert_valid_view(view)
    texts = mrkdwn_texts(view)
    assert "Nothing assigned to you" in texts and "no open delegated tasks" in texts
    assert "My teams" in texts and "no open tasks" in texts


def test_home_gives_unused_room_to_the_busy_section() -> None:
    view = blocks.home_view(mine=_tasks(1, 1), delegated=_tasks(200, 100), team_tasks=[], is_manager=True, now=NOW)
    assert_valid_view(view)
    assert len(view["blocks"]) == 100


def test_home_escapes_titles() -> None:
    hostile = _tasks(2, 1, title=HOSTILE)
    view = blocks.home_view(mine=hostile, delegated=hostile, team_tasks=hostile, is_manager=True, now=NOW)
    assert_valid_view(view)
    assert_no_pings(json.dumps(view, ensure_ascii=False))
    assert HOSTILE_ESCAPED in mrkdwn_texts(view)


# --------------------------------------------------------------------------- property

# Baton's own tokens: mentions of ids it knows, channel links and its permalinks.
_BATON_TOKENS = re.compile(r"<@U[A-Z0-9]+>|<#C[A-Z0-9]+>|<https://[^<>|\s]+\|the original message>")


@given(title=st.text(max_size=150))
def test_no_title_can_ping_or_form_a_link_in_the_assignment(title: str) -> None:
    message = blocks.assignment(make_task(title=title, due_at=None), now=NOW)
    rendered = message_json(message)
    assert "<!" not in rendered
    assert "<" not in _BATON_TOKENS.sub("", rendered)
    assert escape(" ".join(title.split())) in message.blocks[0]["text"]["text"]


def test_a_reassignment_in_the_history_names_both_people_as_mentions() -> None:
    moved = HistoryEntry(NOW, "U3", TaskAction.REASSIGNED, "U0ALICE>U0BRUNO")
    odd = HistoryEntry(NOW, "U3", TaskAction.REASSIGNED, "<!channel>>x")
    text = json.dumps(blocks.task_detail(make_task(history=(moved, odd)), now=NOW).as_kwargs(), ensure_ascii=False)
    assert "<@U0ALICE> → <@U0BRUNO>" in text
    assert "U0ALICE>U0BRUNO" not in text
    assert "&lt;!channel&gt;" in text  # anything else stays escaped text
