"""The suggestion ranking: skills first, then open load, then on-time record, away people last."""

from __future__ import annotations

import pytest

from bot.domain.model import Priority
from bot.domain.suggest import (
    ON_TIME_WINDOW,
    Candidate,
    Suggestion,
    load_word,
    rank_candidates,
    skill_words,
    unmatched_skills,
)

LOW, NORMAL, HIGH, URGENT = Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT


def order(
    candidates: list[Candidate], *, wanted: frozenset[str] = frozenset(), text: str = "", limit: int = 10
) -> list[str]:
    return [s.user_id for s in rank_candidates(candidates, wanted_skills=wanted, text=text, limit=limit)]


def the_one(candidate: Candidate, *, wanted: frozenset[str] = frozenset(), text: str = "") -> Suggestion:
    [found] = rank_candidates([candidate], wanted_skills=wanted, text=text)
    return found


# --- skills dominate ---------------------------------------------------------------------------------


def test_a_wanted_skill_beats_a_lighter_load() -> None:
    busy_expert = Candidate("U1", skills=frozenset({"billing"}), open_tasks=(URGENT, URGENT))  # load 8
    idle = Candidate("U2")  # load 0

    assert order([idle, busy_expert], wanted=frozenset({"billing"})) == ["U1", "U2"]


def test_a_skill_asked_for_with_a_hash_counts_double_a_skill_named_in_the_text() -> None:
    # U1: #billing asked for -> 2 points. U2: "spanish" named in the text -> 1 point, and a lighter load.
    asked = Candidate("U1", skills=frozenset({"billing"}), open_tasks=(HIGH,))
    named = Candidate("U2", skills=frozenset({"spanish"}))

    ranked = rank_candidates(
        [named, asked], wanted_skills=frozenset({"billing"}), text="Refund a Spanish customer", limit=3
    )

    assert [(s.user_id, s.skill_points) for s in ranked] == [("U1", 2), ("U2", 1)]


def test_two_skills_named_in_the_text_tie_one_asked_for_and_the_load_decides() -> None:
    # U1: 2 points from #billing, load 3. U2: 1 + 1 points from "refunds" and "spanish", load 2.
    asked = Candidate("U1", skills=frozenset({"billing"}), open_tasks=(HIGH,))
    named_twice = Candidate("U2", skills=frozenset({"refunds", "spanish"}), open_tasks=(NORMAL,))

    assert order([asked, named_twice], wanted=frozenset({"billing"}), text="Spanish refunds") == ["U2", "U1"]


def test_skills_named_in_the_text_count_without_any_hash() -> None:
    spanish = Candidate("U2", skills=frozenset({"spanish"}), open_tasks=(URGENT,))
    other = Candidate("U1", skills=frozenset({"german"}))

    assert order([other, spanish], text="Call the Spanish customer back") == ["U2", "U1"]


def test_matched_skills_list_those_asked_for_first_then_those_named_each_alphabetically() -> None:
    person = Candidate("U1", skills=frozenset({"spanish", "billing", "refunds", "apis", "german"}))

    found = the_one(person, wanted=frozenset({"refunds", "billing"}), text="A spanish api question")

    assert found.matched_skills == ("billing", "refunds", "apis", "spanish")
    assert found.skill_points == 2 + 2 + 1 + 1


@pytest.mark.parametrize(
    ("skill", "text", "wanted", "matches"),
    [
        ("customer support", "", "customer-support", True),  # dashes and spaces compare alike
        ("customer support", "Call the customer support line", None, True),
        ("customer support", "A customer asked for support", None, False),  # the words must be together
        ("refunds", "Issue a refund", None, True),  # a plural s is ignored
        ("refund", "", "refunds", True),
        ("art", "Start the party", None, False),  # whole words only
        ("access", "Grant access to the vault", None, True),  # "-ss" is not a plural
        ("e-mail", "The E-Mail bounced", None, True),
    ],
)
def test_how_skills_compare(skill: str, text: str, wanted: str | None, matches: bool) -> None:
    found = the_one(
        Candidate("U1", skills=frozenset({skill})),
        wanted=frozenset({wanted}) if wanted else frozenset(),
        text=text,
    )

    assert (found.matched_skills == (skill,)) is matches


def test_skill_words_lowercase_split_and_drop_a_plural_s() -> None:
    assert skill_words("Customer-Support refunds  bus CLASS") == ("customer", "support", "refund", "bus", "class")


# --- then load ---------------------------------------------------------------------------------------


def test_with_equal_skills_the_lighter_weighted_load_comes_first_not_the_fewer_tasks() -> None:
    # U1: one urgent task = 4. U2: three low tasks = 3. U3: nothing = 0.
    one_urgent = Candidate("U1", open_tasks=(URGENT,))
    three_low = Candidate("U2", open_tasks=(LOW, LOW, LOW))
    free = Candidate("U3")

    ranked = rank_candidates([one_urgent, three_low, free], wanted_skills=frozenset(), text="")

    assert [(s.user_id, s.load, s.open_tasks) for s in ranked] == [("U3", 0, 0), ("U2", 3, 3), ("U1", 4, 1)]


def test_load_weighs_each_priority() -> None:
    assert the_one(Candidate("U1", open_tasks=(LOW, NORMAL, HIGH, URGENT))).load == 1 + 2 + 3 + 4


# --- then the on-time record -------------------------------------------------------------------------


def test_with_equal_skills_and_load_the_better_on_time_record_comes_first() -> None:
    # Smoothed (on time + 1) / (finished + 2): 20/22 = .91, 2/3 = .67, none 1/2, 1/5 = .2
    long_record = Candidate("U4", recent_finishes=(True,) * 19 + (False,))
    one_lucky = Candidate("U3", recent_finishes=(True,))
    newcomer = Candidate("U2")
    always_late = Candidate("U1", recent_finishes=(False, False, False))

    assert order([always_late, newcomer, one_lucky, long_record]) == ["U4", "U3", "U2", "U1"]


def test_only_the_last_twenty_finishes_count() -> None:
    # Newest first: 20 on time, then 10 late ones that are too old to count.
    found = the_one(Candidate("U1", recent_finishes=(True,) * ON_TIME_WINDOW + (False,) * 10))

    assert (found.on_time, found.finished, found.on_time_percent) == (20, 20, 100)


@pytest.mark.parametrize(
    ("finishes", "percent"),
    [((True,) * 19 + (False,), 95), ((True, True, False), 67), ((False,), 0), ((), None)],
)
def test_on_time_percent_is_rounded_and_none_without_a_record(finishes: tuple[bool, ...], percent: int | None) -> None:
    assert the_one(Candidate("U1", recent_finishes=finishes)).on_time_percent == percent


def test_load_comes_before_the_on_time_record() -> None:
    perfect_but_busy = Candidate("U1", open_tasks=(NORMAL,), recent_finishes=(True,) * 20)
    poor_but_free = Candidate("U2", recent_finishes=(False,) * 20)

    assert order([perfect_but_busy, poor_but_free]) == ["U2", "U1"]


# --- away, ties, limits ------------------------------------------------------------------------------


def test_away_people_come_last_whatever_their_skills_and_load() -> None:
    away_expert = Candidate("U1", skills=frozenset({"billing"}), away=True)
    busy_novice = Candidate("U2", open_tasks=(URGENT,) * 5, recent_finishes=(False,) * 5)

    ranked = rank_candidates([away_expert, busy_novice], wanted_skills=frozenset({"billing"}), text="")

    assert [(s.user_id, s.away) for s in ranked] == [("U2", False), ("U1", True)]


def test_equal_people_come_in_user_id_order() -> None:
    same = [Candidate(user_id, open_tasks=(NORMAL,)) for user_id in ("U3", "U1", "U2")]

    assert order(same) == ["U1", "U2", "U3"]


def test_three_suggestions_by_default_and_none_for_a_zero_limit() -> None:
    people = [Candidate(f"U{n}") for n in range(5)]

    assert len(rank_candidates(people, wanted_skills=frozenset(), text="")) == 3
    assert rank_candidates(people, wanted_skills=frozenset(), text="", limit=0) == []
    assert rank_candidates([], wanted_skills=frozenset({"billing"}), text="x") == []


def test_a_person_listed_twice_is_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="once"):
        rank_candidates([Candidate("U1"), Candidate("U1")], wanted_skills=frozenset(), text="")


# --- helpers for the replies -------------------------------------------------------------------------


def test_unmatched_skills_are_those_nobody_has() -> None:
    people = [Candidate("U1", skills=frozenset({"billing"})), Candidate("U2", skills=frozenset({"customer support"}))]

    missing = unmatched_skills(people, wanted_skills=frozenset({"spanish", "billing", "customer-support", "apis"}))

    assert missing == ("apis", "spanish")


@pytest.mark.parametrize(
    ("load", "word"),
    [
        (0, "no open tasks"),
        (1, "light load"),
        (4, "light load"),
        (5, "moderate load"),
        (10, "moderate load"),
        (11, "heavy load"),
    ],
)
def test_load_words(load: int, word: str) -> None:
    assert load_word(load) == word
