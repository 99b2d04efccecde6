"""Task cards: the task line, the replies to `/task` and the assignment DM; no title can ping."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.model import (
    HistoryEntry,
    Priority,
    TaskAction,
    TaskStatus,
)
from bot.domain.text import escape
from handlers import ids
from handlers.blocks.cards import (
    assignment,
    assignment_answered,
    help_message,
    task_created,
    task_detail,
    task_line,
    task_list,
    task_updated,
)
from handlers.blocks.primitives import when
from tests.unit.blocks.support import (
    DUE,
    HOSTILE,
    LINK,
    NOW,
    assert_no_pings,
    assert_valid_message,
    make_task,
    message_json,
)

# --------------------------------------------------------------------------- task line


def test_task_line_shows_priority_id_title_assignee_due_and_status() -> None:
    line = task_line(make_task(priority=Priority.URGENT), now=NOW)
    assert line.startswith("🔴 *T-12* Fix login")
    assert "<@U2>" in line and when(DUE) in line and "accepted" in line
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
    assert ("overdue" in task_line(make_task(due_at=due, status=status), now=NOW)) is overdue


def test_no_deadline_reads_plainly() -> None:
    task = make_task(due_at=None)
    assert "no deadline" in task_line(task, now=NOW)
    assert "no deadline" in message_json(task_detail(task, now=NOW))


@pytest.mark.parametrize("priority", list(Priority))
def test_every_priority_has_its_own_glyph(priority: Priority) -> None:
    glyphs = {task_line(make_task(priority=p), now=NOW)[:2] for p in Priority}
    assert len(glyphs) == len(Priority)


# --------------------------------------------------------------------------- messages


def test_help_message_keeps_trusted_mrkdwn_and_splits_long_help() -> None:
    short = help_message("*Baton* `/task @person title`")
    assert short.blocks[0]["text"]["text"] == "*Baton* `/task @person title`"
    long = help_message("\n".join(f"`/task example {n}` does a thing" for n in range(1000)))
    assert_valid_message(long)
    assert len(long.blocks) > 1


def test_task_created_names_the_id_assignee_due_and_priority() -> None:
    message = task_created(make_task(priority=Priority.URGENT), now=NOW)
    rendered = message_json(message)
    assert "T-12" in message.text and "<@U2>" in message.text
    assert when(DUE) in rendered and "Urgent" in rendered


def test_task_detail_shows_every_fact_and_the_source_link() -> None:
    message = task_detail(make_task(), now=NOW)
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
    rendered = message_json(task_detail(make_task(source_link=link), now=NOW))
    assert_no_pings(rendered)
    assert f"<{link}" not in rendered


def test_task_detail_keeps_the_newest_history_within_fifty_blocks() -> None:
    history = tuple(
        HistoryEntry(NOW + timedelta(minutes=n), "U2", TaskAction.CHECKIN_ON_TRACK, f"note {n} " + "&" * 290)
        for n in range(1000)
    )
    message = task_detail(make_task(history=history), now=NOW)
    assert_valid_message(message)
    rendered = message_json(message)
    assert "note 999 " in rendered and "note 0 " not in rendered
    assert "of 1000)" in rendered
    last_section = message.blocks[-1]["text"]["text"]
    assert last_section.rstrip().split("\n")[-1].startswith(f"• {when(NOW + timedelta(minutes=999))}")


def test_task_list_of_500_tasks_fits_in_fifty_blocks_and_says_how_many_more() -> None:
    tasks = [make_task(id=n, number=n, title=f"Task {n} " + "&" * 190) for n in range(1, 501)]
    message = task_list(tasks, heading="Open tasks of <@U2>", now=NOW, empty="Nothing.")
    assert_valid_message(message)
    shown = sum(1 for b in message.blocks if b["type"] == "section" and "*T-" in b["text"]["text"])
    assert f"…and {500 - shown} more" in message_json(message)
    assert "500 tasks" in message.text


def test_task_list_says_so_when_empty() -> None:
    message = task_list([], heading="Your tasks", now=NOW, empty="Nothing assigned to you.")
    assert_valid_message(message)
    assert "Nothing assigned to you." in message_json(message)


def test_task_updated_keeps_baton_mrkdwn_in_the_verb() -> None:
    verb = f"is now due {when(DUE)}."
    message = task_updated(make_task(), verb=verb, now=NOW)
    assert message.text == f"T-12 {verb}"
    assert task_updated(make_task(), verb="reassigned to <@U4>.", now=NOW).text == "T-12 reassigned to <@U4>."


def test_assignment_has_accept_and_decline_buttons_for_the_task() -> None:
    message = assignment(make_task(), now=NOW)
    rendered = message_json(message)
    assert "<@U3>" in rendered and "<#C9>" in rendered and LINK in rendered
    actions = [b for b in message.blocks if b["type"] == "actions"]
    assert len(actions) == 1
    buttons = {e["action_id"]: e for e in actions[0]["elements"]}
    assert buttons[ids.ACTION_ACCEPT]["style"] == "primary"
    assert buttons[ids.ACTION_DECLINE]["style"] == "danger"
    assert {e["value"] for e in buttons.values()} == {"7"}
    other = assignment(make_task(id=8), now=NOW)
    other_actions = [b for b in other.blocks if b["type"] == "actions"]
    assert actions[0]["block_id"] != other_actions[0]["block_id"]


@pytest.mark.parametrize("answer", ["Accepted", "Done", "Reassigned", "Cancelled", f"Declined: {HOSTILE}"])
def test_assignment_answered_has_no_buttons_and_shows_the_answer(answer: str) -> None:
    message = assignment_answered(make_task(), answer=answer, now=NOW)
    assert_valid_message(message)
    assert not [b for b in message.blocks if b["type"] == "actions"]
    assert escape(answer) in message_json(message)


# --------------------------------------------------------------------------- property

# Baton's own tokens: mentions of ids it knows, channel links and its permalinks.
_BATON_TOKENS = re.compile(r"<@U[A-Z0-9]+>|<#C[A-Z0-9]+>|<https://[^<>|\s]+\|the original message>")


@given(title=st.text(max_size=150))
def test_no_title_can_ping_or_form_a_link_in_the_assignment(title: str) -> None:
    message = assignment(make_task(title=title, due_at=None), now=NOW)
    rendered = message_json(message)
    assert "<!" not in rendered
    assert "<" not in _BATON_TOKENS.sub("", rendered)
    assert escape(" ".join(title.split())) in message.blocks[0]["text"]["text"]


def test_a_reassignment_in_the_history_names_both_people_as_mentions() -> None:
    moved = HistoryEntry(NOW, "U3", TaskAction.REASSIGNED, "U0ALICE>U0BRUNO")
    odd = HistoryEntry(NOW, "U3", TaskAction.REASSIGNED, "<!channel>>x")
    text = json.dumps(task_detail(make_task(history=(moved, odd)), now=NOW).as_kwargs(), ensure_ascii=False)
    assert "<@U0ALICE> → <@U0BRUNO>" in text
    assert "U0ALICE>U0BRUNO" not in text
    assert "&lt;!channel&gt;" in text  # anything else stays escaped text
