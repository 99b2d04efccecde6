"""`/task away …` and `/team away …` read into commands; wrong forms say how to fix them."""

from __future__ import annotations

import pytest

from bot.domain.errors import BadInput
from bot.domain.grammar import ListAway, SetAway, parse_task, parse_team


def test_task_away_keeps_the_days_for_the_date_reader() -> None:
    assert parse_task("away  today   fri") == SetAway(when_text="today fri")


def test_task_away_off_ends_it() -> None:
    assert parse_task("away OFF") == SetAway(off=True)


def test_task_away_without_days_is_refused_with_an_example() -> None:
    with pytest.raises(BadInput, match="/task away today fri"):
        parse_task("away")


@pytest.mark.parametrize("mention", ["<@U0ALICE>", "<@U0ALICE|alice>"])
def test_team_away_names_the_person_then_the_days(mention: str) -> None:
    assert parse_team(f"away {mention} mon to fri") == SetAway(user_id="U0ALICE", when_text="mon to fri")


def test_team_away_person_off() -> None:
    assert parse_team("away <@U0ALICE> off") == SetAway(user_id="U0ALICE", off=True)


def test_team_away_alone_lists_who_is_away() -> None:
    assert parse_team("away") == ListAway()


def test_team_away_with_a_plain_name_says_to_pick_a_mention() -> None:
    with pytest.raises(BadInput, match="autocomplete"):
        parse_team("away @alice mon to fri")


def test_team_away_with_a_group_is_refused() -> None:
    with pytest.raises(BadInput, match="one person"):
        parse_team("away <!here> mon to fri")


def test_team_away_with_days_but_no_person_says_to_name_them_first() -> None:
    with pytest.raises(BadInput, match="Name the person first"):
        parse_team("away mon to fri")


def test_team_away_person_without_days_is_refused() -> None:
    with pytest.raises(BadInput, match="off"):
        parse_team("away <@U0ALICE>")
