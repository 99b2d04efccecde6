"""The worker processes of one `baton serve` give each conversation one turn a second between them: what one posts,
the others wait behind, through a file per workspace in a folder they share (`SharedTurns`)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.scheduler.pacing import Pacer, SharedTurns
from tests.helpers import in_processes_at_once


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _two(folder: Path) -> tuple[Pacer, Pacer, Ticks]:
    ticks = Ticks()  # one clock, as the processes of a host share the system's monotonic one
    return (
        Pacer(1.0, monotonic=ticks, shared=SharedTurns(folder)),
        Pacer(1.0, monotonic=ticks, shared=SharedTurns(folder)),
        ticks,
    )


def _slot(conversation: str) -> int:
    return zlib.crc32(conversation.encode()) % SharedTurns.SLOTS


def test_a_post_one_process_made_makes_the_others_wait_the_rest_of_the_gap(tmp_path: Path) -> None:
    first, second, ticks = _two(tmp_path)
    assert _slot("U1") != _slot("U2")
    first.posted("T1", "U1")
    ticks.now += 0.25
    assert second.wait_seconds("T1", "U1") == pytest.approx(0.75)
    assert second.wait_seconds("T1", "U2") == 0.0  # another conversation
    assert second.wait_seconds("T2", "U1") == 0.0  # the same id in another workspace
    ticks.now += 0.75
    assert second.wait_seconds("T1", "U1") == 0.0


def test_a_retry_after_one_process_met_holds_the_conversation_in_the_others(tmp_path: Path) -> None:
    first, second, ticks = _two(tmp_path)
    first.hold("T1", "C1", 30.0)
    second.posted("T1", "C1")  # a post the other made meanwhile does not shorten the hold
    assert first.wait_seconds("T1", "C1") == pytest.approx(30.0)
    ticks.now += 30.0
    assert second.wait_seconds("T1", "C1") == 0.0


def test_a_turn_taken_in_one_process_is_not_given_to_another(tmp_path: Path) -> None:
    first, second, ticks = _two(tmp_path)
    assert first.take("T1", "U1") == 0.0
    assert second.take("T1", "U1") == pytest.approx(1.0)  # taken: it waits, and takes nothing
    ticks.now += 0.5
    assert second.take("T1", "U1") == pytest.approx(0.5)  # the wait still runs from the first one's turn
    ticks.now += 0.5
    assert second.take("T1", "U1") == 0.0
    assert first.wait_seconds("T1", "U1") == pytest.approx(1.0)


def test_one_process_takes_a_turn_once_between_its_threads_too() -> None:
    ticks = Ticks()
    pacer = Pacer(1.0, monotonic=ticks)
    assert pacer.take("T1", "U1") == 0.0
    assert pacer.take("T1", "U1") == pytest.approx(1.0)


def _take_all(folder: str, begin: Callable[[], None]) -> list[int]:
    pacer = Pacer(60.0, shared=SharedTurns(folder))  # the system's monotonic clock: one for every process
    begin()
    return [n for n in range(50) if pacer.take("T1", f"U{n:03d}") == 0.0]


def test_processes_taking_turns_at_once_give_each_conversation_to_one_of_them(tmp_path: Path) -> None:
    results, exit_codes = in_processes_at_once(_take_all, str(tmp_path))

    taken = sorted(n for got in results for n in got)
    assert len(set(taken)) == len(taken), "a conversation given to two processes"
    slots = {_slot(f"U{n:03d}") for n in range(50)}
    assert len(taken) == len(slots)  # every conversation once (two sharing a slot share one turn)
    assert all(code == 0 for code in exit_codes)


def test_turns_for_many_workspaces_keep_no_file_open(tmp_path: Path) -> None:
    first, second, _ = _two(tmp_path)
    before = len(list(Path("/proc/self/fd").iterdir()))
    for n in range(300):
        first.posted(f"T{n:04d}", "U1")
    assert all(second.wait_seconds(f"T{n:04d}", "U1") > 0 for n in range(300))

    assert len(list(Path("/proc/self/fd").iterdir())) == before
