"""Baton's own rate budgets per (workspace, method): a sliding minute sized from Slack's tiers, a hold after a
429, and a reserve background work leaves for people waiting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.slack.limits import (
    FOREGROUND_RESERVE,
    PER_MINUTE,
    STRICT_HISTORY_PAGE,
    HistoryLimits,
    RateLimits,
)

METHODS = Path(__file__).resolve().parents[1] / "data" / "web-api-methods.json"


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limits(**kwargs: object) -> tuple[RateLimits, Ticks]:
    ticks = Ticks()
    return RateLimits(monotonic=ticks, **kwargs), ticks  # type: ignore[arg-type]


def test_a_tier_3_method_takes_fifty_calls_a_minute_then_says_how_long_to_wait() -> None:
    budget, ticks = limits()

    assert [budget.take("T1", "chat.update") for _ in range(50)] == [0.0] * 50
    wait = budget.take("T1", "chat.update")

    assert wait == pytest.approx(60.0)
    ticks.now += 30
    assert budget.take("T1", "chat.update") == pytest.approx(30.0)
    ticks.now += 30
    assert budget.take("T1", "chat.update") == 0.0  # the first call left the minute


def test_budgets_are_per_workspace_and_per_method() -> None:
    budget, _ = limits()
    for _ in range(50):
        budget.take("T1", "chat.update")

    assert budget.take("T2", "chat.update") == 0.0
    assert budget.take("T1", "conversations.open") == 0.0
    assert budget.take("T1", "chat.update") > 0


def test_a_429_holds_the_method_in_that_workspace_for_retry_after() -> None:
    budget, ticks = limits()

    budget.hold("T1", "chat.postMessage", 30)

    assert budget.take("T1", "chat.postMessage") == pytest.approx(30.0)
    assert budget.take("T2", "chat.postMessage") == 0.0
    ticks.now += 30
    assert budget.take("T1", "chat.postMessage") == 0.0


def test_slacks_own_holds_are_told_apart_from_a_spent_budget() -> None:
    budget, ticks = limits()
    for _ in range(int(PER_MINUTE["chat.postMessage"])):
        budget.take("T1", "chat.postMessage")
    budget.hold("T2", "chat.postMessage", 30)

    assert set(budget.waits("chat.postMessage")) == {"T1", "T2"}
    assert budget.held("chat.postMessage") == {"T2"}
    ticks.now += 30
    assert budget.held("chat.postMessage") == set()


def test_the_places_in_line_fall_as_the_minutes_calls_leave_it_then_a_minute_later_again() -> None:
    budget, ticks = limits(per_minute={"chat.postMessage": 3})
    budget.take("T1", "chat.postMessage")
    ticks.now += 10
    budget.take("T1", "chat.postMessage")

    # One place free now; then as the calls at 0 s and 10 s leave the minute; then the same a minute later.
    assert budget.moments("T1", "chat.postMessage", 6) == pytest.approx([0, 50, 60, 60, 110, 120])
    budget.hold("T1", "chat.postMessage", 55)
    assert budget.moments("T1", "chat.postMessage", 3) == pytest.approx([55, 55, 60])


def test_the_room_left_is_told_per_workspace_that_called_lately() -> None:
    budget, ticks = limits()
    for _ in range(50):
        budget.take("T1", "chat.update")
    for _ in range(20):
        budget.take("T2", "chat.update")
    budget.take("T3", "chat.update")
    budget.hold("T3", "chat.update", 10)
    budget.take("T4", "conversations.open")

    assert budget.room("chat.update") == {"T1": 0, "T2": 30, "T3": 0}
    ticks.now += 61  # every call left the minute; T3's hold is over
    assert budget.room("chat.update") == {}


def test_background_work_leaves_a_reserve_for_people_waiting() -> None:
    budget, _ = limits()
    background = [budget.take("T1", "views.publish", background=True) for _ in range(100)]

    allowed = sum(1 for wait in background if wait == 0)
    assert allowed == int(100 * (1 - FOREGROUND_RESERVE))
    assert budget.take("T1", "views.publish") == 0.0  # a person opening their Home tab still gets through


def test_strict_history_limits_are_one_call_a_minute_and_fifteen_messages() -> None:
    strict, ticks = limits()
    tier3, _ = limits(history=HistoryLimits.TIER3)

    assert strict.history_page == STRICT_HISTORY_PAGE == 15
    assert tier3.history_page == 100
    assert strict.take("T1", "conversations.history") == 0.0
    assert strict.take("T1", "conversations.history") == pytest.approx(60.0)
    assert [tier3.take("T1", "conversations.history") for _ in range(50)] == [0.0] * 50


@pytest.mark.skipif(not METHODS.exists(), reason="tests/data/web-api-methods.json is not there")
def test_the_budget_table_matches_slacks_published_tiers() -> None:
    published = json.loads(METHODS.read_text())
    tiers = {"Tier 2": 20.0, "Tier 3": 50.0, "Tier 4": 100.0}
    for method, entry in published.items():
        if method.startswith("_"):
            continue
        text = str(entry.get("rate_limit") or "")
        tier = next((per_minute for name, per_minute in tiers.items() if text.startswith(name)), None)
        if tier is not None:
            assert PER_MINUTE.get(method) == tier, method
        elif text.startswith("Special"):  # hundreds a minute (chat.postMessage also one a second per channel)
            assert PER_MINUTE[method] >= 100, method
