"""The lean reads on PostgreSQL give the answers the reads they replace give (same checks as on SQLite)."""

from __future__ import annotations

import pytest

from storage.uow import UnitOfWorkFactory
from tests.service import test_lean_reads as on_sqlite

pytestmark = pytest.mark.postgres


def test_the_planner_scan_returns_due_ids_soonest_first_and_loads_them_in_that_order(
    pg_uow_factory: UnitOfWorkFactory,
) -> None:
    on_sqlite.test_the_planner_scan_returns_due_ids_soonest_first_and_loads_them_in_that_order(pg_uow_factory)


def test_open_counts_in_one_query_count_each_section_and_numbers_map_ids(pg_uow_factory: UnitOfWorkFactory) -> None:
    on_sqlite.test_open_counts_in_one_query_count_each_section_and_numbers_map_ids(pg_uow_factory)


@pytest.mark.parametrize("ended", [3, 25])
def test_away_until_from_the_shared_read_is_the_former_answer(pg_uow_factory: UnitOfWorkFactory, ended: int) -> None:
    on_sqlite.test_away_until_from_the_shared_read_is_the_former_answer(pg_uow_factory, ended)


def test_the_home_sections_as_rows_make_the_views_the_objects_make(pg_uow_factory: UnitOfWorkFactory) -> None:
    on_sqlite.test_the_home_sections_as_rows_make_the_views_the_objects_make(pg_uow_factory)
