"""Every message builder: user text escaped exactly once, valid Block Kit within Slack's limits."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.domain.model import (
    HistoryEntry,
    Message,
    TaskAction,
    TaskStatus,
    TaskView,
)
from bot.domain.text import unescape
from handlers import ids
from handlers.blocks.cards import (
    assignment,
    assignment_answered,
    task_created,
    task_detail,
    task_list,
    task_updated,
)
from handlers.blocks.checkins import checkin, checkin_answered
from handlers.blocks.modals import new_task_modal
from handlers.blocks.outbox import render_outbox
from tests.unit.blocks.support import (
    HOSTILE,
    HOSTILE_ESCAPED,
    LINK,
    MESSAGE_KINDS,
    NOW,
    assert_no_pings,
    assert_valid_message,
    assert_valid_view,
    make_task,
    message_json,
    outgoing,
)

# --------------------------------------------------------------------------- every builder


def _message_builders() -> dict[str, Callable[[TaskView], Message]]:
    builders: dict[str, Callable[[TaskView], Message]] = {
        "task_created": lambda t: task_created(t, now=NOW),
        "task_detail": lambda t: task_detail(t, now=NOW),
        "task_list": lambda t: task_list([t, t], heading="Your tasks", now=NOW, empty="None"),
        "task_updated": lambda t: task_updated(t, verb="is done.", now=NOW),
        "assignment": lambda t: assignment(t, now=NOW),
        "assignment_answered": lambda t: assignment_answered(t, answer=f"Declined: {HOSTILE}", now=NOW),
        "checkin": lambda t: checkin(t, now=NOW),
        "checkin_answered": lambda t: checkin_answered(t, answer=f"Blocked: {HOSTILE}", now=NOW),
    }
    for kind in MESSAGE_KINDS:
        builders[f"outbox_{kind.value}"] = lambda t, k=kind: render_outbox(outgoing(k, t, text=t.title), now=NOW)
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
    for message in (assignment(task, now=NOW), checkin(task, now=NOW)):
        assert_valid_message(message)
        assert [b for b in message.blocks if b["type"] == "actions"]


def test_details_made_of_escapable_characters_are_cut_to_fit_the_message() -> None:
    message = assignment(make_task(details="&" * 2000), now=NOW)
    assert_valid_message(message)
    shown = "".join(b["text"]["text"] for b in message.blocks if "text" in b and "&amp;&amp;" in b["text"]["text"])
    assert shown.endswith("…") and 1000 < len(unescape(shown)) < 2000


def test_plain_text_is_clipped_not_escaped() -> None:
    view = new_task_modal(teams=[], title=HOSTILE, details=HOSTILE)
    assert_valid_view(view)
    values = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"] if b["type"] == "input"}
    assert values[ids.BLOCK_TITLE] == HOSTILE
    assert values[ids.BLOCK_DETAILS] == HOSTILE
