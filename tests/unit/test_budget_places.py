"""`budget_places` against the plainest reading of its rule: every place in a list, taken ones marked, each post
walking from the first place at or after its person's earlier post to the first one neither held nor taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from storage.repositories.outbox import budget_places

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
