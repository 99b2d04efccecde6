"""`/team skills` and `/task suggest`: each form, Slack's escaping and channel links, a reply for every mistake."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import BadInput
from bot.domain.grammar import (
    TASK_HELP,
    TEAM_HELP,
    ListSkills,
    SetSkills,
    SuggestAssignee,
    parse_task,
    parse_team,
)
from bot.domain.skills import normalise_skill


def bad_task(text: str) -> str:
    with pytest.raises(BadInput) as caught:
        parse_task(text)
    return caught.value.reply


def bad_team(text: str) -> str:
    with pytest.raises(BadInput) as caught:
        parse_team(text)
    return caught.value.reply


# --- /task suggest -------------------------------------------------------------------------------------


def test_suggest_reads_the_text_and_the_hash_skills() -> None:
    assert parse_task("suggest Refund a Spanish customer #billing") == SuggestAssignee(
        text="Refund a Spanish customer", skills=("billing",)
    )


def test_suggest_takes_hash_skills_anywhere_lowercased_once_and_without_trailing_punctuation() -> None:
    parsed = parse_task("SUGGEST #Billing, refund for #customer-support a customer #billing.")

    assert parsed == SuggestAssignee(text="refund for a customer", skills=("billing", "customer-support"))


def test_suggest_without_skills_has_none() -> None:
    assert parse_task("suggest Update the FAQ") == SuggestAssignee(text="Update the FAQ", skills=())


def test_suggest_reads_a_skill_slack_turned_into_a_channel_link() -> None:
    # should_escape: a #word that is also a channel's name arrives as <#C…|name>.
    assert parse_task("suggest Close the books <#C0BILLING|billing>") == SuggestAssignee(
        text="Close the books", skills=("billing",)
    )


def test_suggest_refuses_a_channel_link_without_a_name_and_says_what_to_do() -> None:
    reply = bad_task("suggest Close the books <#G0SECRET|>")

    assert "plain word in the text" in reply


def test_suggest_decodes_slack_escaping_once() -> None:
    assert parse_task("suggest Fix &lt;b&gt; tags &amp;amp; entities").text == "Fix <b> tags &amp; entities"


@pytest.mark.parametrize("text", ["suggest", "suggest   ", "suggest #billing #refunds"])
def test_suggest_without_a_description_is_refused_with_an_example(text: str) -> None:
    reply = bad_task(text)

    assert "Say what needs doing" in reply
    assert "/task suggest Refund a Spanish customer #billing" in reply


def test_suggest_with_a_description_over_500_characters_is_refused() -> None:
    reply = bad_task("suggest " + "x" * 501)

    assert "501 characters" in reply
    assert "500 or fewer" in reply


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("suggest Fix it #bill_ing", "is not a skill"),
        ("suggest Fix it #" + "x" * 31, "is too long for a skill"),
        ("suggest Fix it #&lt;b&gt;", '"#&lt;b&gt;" is not a skill'),  # shown escaped
    ],
)
def test_suggest_with_an_unreadable_skill_is_refused(text: str, says: str) -> None:
    reply = bad_task(text)

    assert says in reply
    assert "letters, digits, spaces or dashes" in reply


# --- /team skills --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["skills", " SKILLS  "])
def test_skills_alone_lists_them(text: str) -> None:
    assert parse_team(text) == ListSkills()


def test_skills_for_a_person_are_trimmed_lowercased_and_kept_once_in_the_order_typed() -> None:
    parsed = parse_team("skills <@U0ALICE|alice> Spanish,  refunds , BILLING, spanish,")

    assert parsed == SetSkills(user_id="U0ALICE", skills=("spanish", "refunds", "billing"))


def test_skills_collapse_inner_spaces_and_drop_a_leading_hash() -> None:
    parsed = parse_team("skills <@U0ALICE> Customer   Support, #apis, <#C0BILLING|billing>")

    assert parsed == SetSkills(user_id="U0ALICE", skills=("customer support", "apis", "billing"))


def test_skills_may_hold_letters_of_any_language_digits_and_dashes() -> None:
    parsed = parse_team("skills <@U0ALICE> Español, ISO-27001, e-mail")

    assert parsed == SetSkills(user_id="U0ALICE", skills=("español", "iso-27001", "e-mail"))


@pytest.mark.parametrize("word", ["-", "none", "NONE", " - "])
def test_a_dash_or_none_clears_the_skills(word: str) -> None:
    assert parse_team(f"skills <@U0ALICE> {word}") == SetSkills(user_id="U0ALICE", skills=())


def test_twenty_skills_are_fine_and_repeats_do_not_count_toward_them() -> None:
    twenty = [f"skill {n}" for n in range(20)]

    parsed = parse_team("skills <@U0ALICE> " + ", ".join([*twenty, "Skill 0"]))

    assert isinstance(parsed, SetSkills)
    assert parsed.skills == tuple(twenty)


def test_a_skill_of_thirty_characters_is_fine() -> None:
    assert normalise_skill("x" * 30) == "x" * 30


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("skills billing, refunds", "Name the person first"),
        ("skills @alice billing", '"@alice" is not a mention'),
        ("skills <!here> billing", "not a group"),
        ("skills <@U0ALICE> <@U0BOB> billing", "one person's skills at a time"),
        ("skills <@U0ALICE>", "Add the skills after the person"),
        ("skills <@U0ALICE> " + "x" * 31, "is too long for a skill"),
        ("skills <@U0ALICE> bill$ing", '"bill$ing" is not a skill'),
        ("skills <@U0ALICE> --", '"--" is not a skill'),
        ("skills <@U0ALICE> , ,", "Add the skills"),
        ("skills <@U0ALICE> " + ", ".join(f"s{n}" for n in range(21)), "That is 21 skills"),
        ("skills <@U0ALICE> billing, <#C0X|>", "type skills without `#`"),
    ],
    ids=[
        "no-person",
        "plain-name",
        "group",
        "two-people",
        "no-skills",
        "too-long",
        "bad-character",
        "only-dashes",
        "only-commas",
        "too-many",
        "nameless-channel-link",
    ],
)
def test_bad_skills_forms_are_refused_with_the_right_form(text: str, says: str) -> None:
    reply = bad_team(text)

    assert says in reply
    assert "/team skills" in reply or "letters, digits" in reply or "at most 20" in reply


def test_a_skill_quoted_back_is_escaped() -> None:
    reply = bad_team("skills <@U0ALICE> &lt;!channel&gt;")

    assert "&lt;!channel&gt;" in reply
    assert "<!channel>" not in reply


def test_the_help_texts_name_the_new_forms() -> None:
    assert "/task suggest" in TASK_HELP
    assert "/team skills @person" in TEAM_HELP


@settings(max_examples=300)
@given(st.text(max_size=120))
def test_the_skill_and_suggest_forms_raise_nothing_but_bad_input(text: str) -> None:
    for parse, prefix in ((parse_team, "skills <@U0ALICE> "), (parse_team, "skills "), (parse_task, "suggest ")):
        with contextlib.suppress(BadInput):
            parse(prefix + text)


@given(st.lists(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 \-]{0,29}", fullmatch=True), min_size=1, max_size=20))
def test_set_skills_are_each_valid_and_at_most_twenty(skills: list[str]) -> None:
    parsed = parse_team("skills <@U0ALICE> " + ", ".join(skills))

    assert isinstance(parsed, SetSkills)
    assert 1 <= len(parsed.skills) <= 20
    for skill in parsed.skills:
        assert skill == skill.lower().strip()
        assert 1 <= len(skill) <= 30
        assert "  " not in skill
