"""Posts past a spent post budget get their places on PostgreSQL as on SQLite: there every place given (the due
posts', and those handed again to a person's posts in the order they were queued) is written by one UPDATE over
arrays instead of one UPDATE a row. The cases are the SQLite tests' own, run on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storage.uow import UnitOfWorkFactory
from tests.service import test_delivery_transactions as placing

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(
    "case",
    [
        placing.test_due_posts_take_the_places_after_those_held_none_before_their_persons_earlier_posts,
        placing.test_a_persons_places_go_to_their_posts_in_the_order_they_were_queued,
        placing.test_a_persons_due_posts_share_one_place_in_the_budget,
        placing.test_a_post_behind_its_persons_post_held_for_hours_waits_there_without_holding_a_place,
    ],
    ids=lambda case: case.__name__.removeprefix("test_"),
)
def test_places_in_the_budget(case: Callable[[UnitOfWorkFactory], None], pg_uow_factory: UnitOfWorkFactory) -> None:
    case(pg_uow_factory)
