"""The worker processes of one `baton serve` spend one budget per (workspace, method): what one process calls, the
others count, through files in a folder they share (`SharedCalls`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.slack.limits import RateLimits, SharedCalls
from tests.helpers import in_processes_at_once


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _two(folder: Path, **kwargs: object) -> tuple[RateLimits, RateLimits, Ticks]:
    ticks = Ticks()  # one clock, as the processes of a host share the system's
    first = RateLimits(monotonic=ticks, shared=SharedCalls(folder), **kwargs)  # type: ignore[arg-type]
    second = RateLimits(monotonic=ticks, shared=SharedCalls(folder), **kwargs)  # type: ignore[arg-type]
    return first, second, ticks


def test_calls_one_process_made_leave_the_others_only_the_rest_of_the_minute(tmp_path: Path) -> None:
    first, second, ticks = _two(tmp_path)
    for _ in range(200):
        assert first.take("T1", "chat.postMessage") == 0.0
    ticks.now += 10.0

    assert second.room("chat.postMessage") == {"T1": 100}
    assert second.moments("T1", "chat.postMessage", 101)[99:] == pytest.approx([0.0, 50.0])
    for _ in range(100):
        assert second.take("T1", "chat.postMessage") == 0.0
    assert first.wait("T1", "chat.postMessage") == pytest.approx(50.0)  # its own first call leaves the minute then
    assert first.waits("chat.postMessage") == {"T1": pytest.approx(50.0)}
    assert second.take("T2", "chat.postMessage") == 0.0  # another workspace, a budget of its own

    ticks.now += 50.0
    assert first.room("chat.postMessage") == {"T1": 200, "T2": 299}


def test_a_hold_after_a_429_in_one_process_holds_the_others(tmp_path: Path) -> None:
    first, second, ticks = _two(tmp_path)
    first.hold("T1", "views.publish", 30.0)

    assert second.held("views.publish") == {"T1"}
    assert second.take("T1", "views.publish") == pytest.approx(30.0)
    ticks.now += 30.0
    assert second.take("T1", "views.publish") == 0.0


def _spend(folder: str, begin: Callable[[], None]) -> int:
    budget = RateLimits(monotonic=time.time, per_minute={"chat.postMessage": 40}, shared=SharedCalls(folder))
    begin()
    return sum(1 for _ in range(100) if budget.take("T1", "chat.postMessage") == 0.0)


def test_processes_taking_calls_at_once_take_the_budget_once_between_them(tmp_path: Path) -> None:
    counts, exit_codes = in_processes_at_once(_spend, str(tmp_path))

    assert sum(counts) == 40, counts
    assert all(code == 0 for code in exit_codes)


def test_budgets_for_many_workspaces_keep_no_file_open(tmp_path: Path) -> None:
    first, second, _ = _two(tmp_path)
    before = len(list(Path("/proc/self/fd").iterdir()))
    for n in range(300):
        assert first.take(f"T{n:04d}", "chat.postMessage") == 0.0
    assert len(second.room("chat.postMessage")) == 300

    assert len(list(Path("/proc/self/fd").iterdir())) == before


def test_calls_made_before_the_clock_went_back_count_as_made_now(tmp_path: Path) -> None:
    first, second, ticks = _two(tmp_path, per_minute={"chat.update": 2})
    assert [first.take("T1", "chat.update") for _ in range(2)] == [0.0, 0.0]
    ticks.now -= 600.0  # the system clock stepped back ten minutes

    assert second.wait("T1", "chat.update") == pytest.approx(60.0)  # not 660 s
