"""`budget_places` against the plainest reading of its rule: every place in a list, taken ones marked, each post
walking from the first place at or after its person's earlier post to the first one neither held nor taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from storage.repositories.outbox import _in_queued_order, budget_places

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _plainly(
    places: list[datetime], *, free_now: int, held: int, after: list[datetime | None]
) -> list[tuple[datetime, bool]]:
    taken = [free_now <= n < free_now + held for n in range(len(places))]
    given: list[tuple[datetime, bool]] = []
    for last in after:
        index = next(
            (n for n in range(len(places)) if not taken[n] and (last is None or places[n] >= last)), len(places)
        )
        if index < len(places):
            taken[index] = True
            given.append((places[index] if last is None else max(places[index], last), True))
        else:
            given.append((max(places[-1], last or places[-1]), False))
    return given


@st.composite
def _budgets(draw: st.DrawFn) -> tuple[list[datetime], int, int, list[datetime | None]]:
    free_now = draw(st.integers(0, 5))
    later = draw(st.lists(st.integers(1, 120), min_size=1 if free_now == 0 else 0, max_size=30))
    places = [NOW] * free_now + [NOW + timedelta(seconds=s) for s in sorted(later)]
    held = draw(st.integers(0, len(places)))
    after = draw(st.lists(st.none() | st.integers(-5, 150).map(lambda s: NOW + timedelta(seconds=s)), max_size=30))
    return places, free_now, held, after


@given(_budgets())
def test_budget_places_gives_each_post_the_first_place_neither_held_nor_taken_at_or_after_its_persons_last(
    budget: tuple[list[datetime], int, int, list[datetime | None]],
) -> None:
    places, free_now, held, after = budget
    assert budget_places(places, free_now=free_now, held=held, after=after) == _plainly(
        places, free_now=free_now, held=held, after=after
    )


def _at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def test_a_persons_places_go_to_their_posts_in_queued_order() -> None:
    """Due groups 10 and 30; rows 20 and 40, queued after 10, hold places at +2 and +3: 10 takes +2, 20 +3, 30 +4
    (its own) and 40 the place 10 had been given, +6."""
    at = [(_at(6), True), (_at(4), True)]
    moved = _in_queued_order(["P", "P"], [10, 30], at, {"P": [(20, _at(2), True), (40, _at(3), True)]}, now=NOW)
    assert at == [(_at(2), True), (_at(4), True)]
    assert moved == {20: (_at(3), True), 40: (_at(6), True)}


def test_places_are_not_handed_out_again_when_a_post_would_go_before_one_of_its_persons_queued_earlier() -> None:
    """Row 15, queued before group 30, waits its conversation's turn until +5 without a place: handing the places out
    again would give group 30 +4, before it; they stay as they were."""
    at = [(_at(4), True), (_at(6), True)]
    waits = {"P": [(15, _at(5), False), (20, _at(2), True), (40, _at(3), True)]}
    assert _in_queued_order(["P", "P"], [10, 30], at, waits, now=NOW) == {}
    assert at == [(_at(4), True), (_at(6), True)]
