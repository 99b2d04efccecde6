"""The Home tab: within 100 blocks, a fair share per section, Done buttons on my own tasks."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.model import (
    TaskView,
)
from handlers import ids
from handlers.blocks.home import home_view
from tests.unit.blocks.support import (
    HOSTILE,
    HOSTILE_ESCAPED,
    NOW,
    assert_no_pings,
    assert_valid_view,
    block_nodes,
    make_task,
    mrkdwn_texts,
)

# --------------------------------------------------------------------------- home


def _tasks(count: int, first_id: int, **overrides: Any) -> list[TaskView]:
    return [make_task(id=first_id + n, number=first_id + n, **overrides) for n in range(count)]


def test_home_with_900_tasks_fits_in_100_blocks_and_says_how_many_more() -> None:
    mine, delegated, team = _tasks(300, 1), _tasks(300, 1001), _tasks(300, 2001)
    view = home_view(mine=mine, delegated=delegated, team_tasks=team, is_manager=True, now=NOW)
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
    view = home_view(mine=_tasks(3, 1), delegated=_tasks(2, 10), team_tasks=[], is_manager=False, now=NOW)
    assert_valid_view(view)
    nodes = list(block_nodes(view["blocks"]))
    assert any(n.get("action_id") == ids.ACTION_OPEN_TASK_MODAL for n in nodes)
    done = [b for b in view["blocks"] if b.get("accessory", {}).get("action_id") == ids.ACTION_DONE]
    assert [b["accessory"]["value"] for b in done] == ["1", "2", "3"]
    assert len({b["block_id"] for b in done}) == 3
    assert "My teams" not in mrkdwn_texts(view)


def test_home_sections_say_so_when_empty() -> None:
    view = home_view(mine=[], delegated=[], team_tasks=[], is_manager=True, now=NOW)
    assert_valid_view(view)
    texts = mrkdwn_texts(view)
    assert "Nothing assigned to you" in texts and "no open delegated tasks" in texts
    assert "My teams" in texts and "no open tasks" in texts


def test_home_gives_unused_room_to_the_busy_section() -> None:
    view = home_view(mine=_tasks(1, 1), delegated=_tasks(200, 100), team_tasks=[], is_manager=True, now=NOW)
    assert_valid_view(view)
    assert len(view["blocks"]) == 100


def test_home_escapes_titles() -> None:
    hostile = _tasks(2, 1, title=HOSTILE)
    view = home_view(mine=hostile, delegated=hostile, team_tasks=hostile, is_manager=True, now=NOW)
    assert_valid_view(view)
    assert_no_pings(json.dumps(view, ensure_ascii=False))
    assert HOSTILE_ESCAPED in mrkdwn_texts(view)
