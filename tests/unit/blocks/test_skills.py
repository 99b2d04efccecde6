"""Skills and suggestion builders: valid Block Kit within Slack's limits, typed text escaped once."""

from __future__ import annotations

import json

from bot.domain.model import Message, TeamOption
from bot.domain.skills import PersonSkills
from bot.domain.suggest import Suggestion
from handlers import ids
from handlers.blocks.modals import new_task_modal
from handlers.blocks.skills import skills_list, skills_saved, suggested_lines, suggestions
from tests.unit.blocks.support import (
    HOSTILE,
    HOSTILE_ESCAPED,
    assert_no_pings,
    assert_valid_message,
    assert_valid_view,
    message_json,
)


def suggestion(user_id: str = "U1", **overrides: object) -> Suggestion:
    fields: dict[str, object] = {
        "user_id": user_id,
        "matched_skills": ("billing", "spanish"),
        "skill_points": 3,
        "load": 5,
        "open_tasks": 2,
        "on_time": 19,
        "finished": 20,
        "away": False,
    }
    fields.update(overrides)
    return Suggestion(**fields)  # type: ignore[arg-type]


def shown(message: Message) -> str:
    return message_json(message)


# --------------------------------------------------------------------------- /team skills


def test_skills_list_names_each_person_with_their_skills() -> None:
    message = skills_list(
        [PersonSkills("U1", ("billing", "refunds")), PersonSkills("U2", ())],
        channel_id="C9",
    )

    assert_valid_message(message)
    text = shown(message)
    assert "Skills in <#C9>" in text
    assert "<@U1>: billing, refunds" in text
    assert "<@U2>: _no skills yet_" in text
    assert "/team skills @person billing, refunds" in text


def test_skills_list_of_a_team_with_nobody_says_how_to_start() -> None:
    message = skills_list([], channel_id="C9")

    assert_valid_message(message)
    assert "No one in <#C9> has skills or tasks on record yet" in shown(message)
    assert "/team skills @person" in shown(message)


def test_skills_list_of_a_huge_team_stays_within_limits_and_says_how_many_are_left_out() -> None:
    longest = tuple(f"{n:02d}" + "x" * 28 for n in range(20))  # 20 skills of 30 characters
    people = [PersonSkills(f"U{n:04d}", longest) for n in range(200)]

    message = skills_list(people, channel_id="C9")

    assert_valid_message(message)
    assert "more people" in shown(message)
    assert "<@U0000>" in shown(message)


def test_skills_list_escapes_skills() -> None:
    message = skills_list([PersonSkills("U1", ("r&d",))], channel_id="C9")

    assert "r&amp;d" in shown(message)


def test_skills_saved_repeats_the_skills_and_clearing_says_so() -> None:
    saved = skills_saved(PersonSkills("U1", ("billing", "spanish")), channel_id="C9")
    cleared = skills_saved(PersonSkills("U1", ()), channel_id="C9")

    assert_valid_message(saved)
    assert_valid_message(cleared)
    assert "<@U1>'s skills in <#C9>: billing, spanish." in shown(saved)
    assert "Cleared <@U1>'s skills in <#C9>." in shown(cleared)


# --------------------------------------------------------------------------- /task suggest


def test_suggestions_number_the_people_in_order_with_their_reasons() -> None:
    found = [
        suggestion("U1"),
        suggestion("U2", matched_skills=(), skill_points=0, load=0, open_tasks=0, on_time=0, finished=0),
        suggestion("U3", matched_skills=("billing",), load=3, open_tasks=1, on_time=1, finished=3),
    ]

    message = suggestions(
        found, text="Refund a Spanish customer", wanted=("billing",), unmatched=(), channel_ids=("C9",)
    )

    assert_valid_message(message)
    text = shown(message)
    assert "Refund a Spanish customer" in text
    assert "#billing" in text
    assert text.index("1. <@U1>") < text.index("2. <@U2>") < text.index("3. <@U3>")
    assert "skills: billing, spanish · open load 5 (2 open tasks) · 95% on time (last 20 tasks with a deadline)" in text
    assert "no matching skills · no open tasks · no finished task with a deadline yet" in text
    assert "skills: billing · open load 3 (1 open task) · 33% on time (last 3 tasks with a deadline)" in text
    assert "/task @person title" in text


def test_suggestions_say_which_skills_nobody_has() -> None:
    message = suggestions(
        [suggestion()], text="x", wanted=("billing", "apis"), unmatched=("apis",), channel_ids=("C9",)
    )

    assert "No one in <#C9> has #apis on record" in shown(message)


def test_suggestions_mark_away_people() -> None:
    message = suggestions([suggestion(away=True)], text="x", wanted=(), unmatched=(), channel_ids=("C9",))

    assert "1. <@U1> — 🌴 away · skills" in shown(message)


def test_suggestions_from_several_teams_name_them_all() -> None:
    message = suggestions([suggestion()], text="x", wanted=(), unmatched=(), channel_ids=("C1", "C2"))

    assert "(from <#C1>, <#C2>)" in shown(message)


def test_no_one_to_suggest_says_how_to_record_skills() -> None:
    message = suggestions([], text="x", wanted=(), unmatched=(), channel_ids=("C9",))

    assert_valid_message(message)
    assert "No one to suggest yet" in shown(message)
    assert "/team skills @person" in shown(message)


def test_suggestions_escape_the_typed_text_once_and_stay_within_limits() -> None:
    long_hostile = (HOSTILE + " ") * 20  # about 1000 characters that escape to far more

    short = suggestions([suggestion()], text=HOSTILE, wanted=(), unmatched=(), channel_ids=("C9",))
    long = suggestions([suggestion()] * 3, text=long_hostile, wanted=(), unmatched=(), channel_ids=("C9",))

    assert HOSTILE_ESCAPED in shown(short)
    for message in (short, long):
        assert_valid_message(message)
        assert_no_pings(shown(message))


# --------------------------------------------------------------------------- New task modal


def test_suggested_lines_give_load_in_words_and_the_on_time_rate() -> None:
    lines = suggested_lines(
        [
            suggestion("U1", load=3, on_time=19, finished=20),
            suggestion("U2", load=0, on_time=0, finished=0),
            suggestion("U3", load=12, on_time=1, finished=3, away=True),
        ]
    )

    assert lines == [
        "<@U1> (light load, 95% on time)",
        "<@U2> (no open tasks, no on-time record yet)",
        "<@U3> (away, heavy load, 33% on time)",
    ]


def test_new_task_modal_shows_the_suggestions_right_under_the_assignee_picker() -> None:
    lines = suggested_lines([suggestion("U1"), suggestion("U2")])

    view = new_task_modal(teams=[TeamOption(1, "C9")], team_id=1, suggested=lines)

    assert_valid_view(view)
    kinds = [(b["type"], b.get("block_id")) for b in view["blocks"]]
    at = kinds.index(("input", ids.BLOCK_ASSIGNEE))
    assert kinds[at + 1] == ("context", None)
    hint = view["blocks"][at + 1]["elements"][0]["text"]
    assert hint == "Suggested: <@U1> (moderate load, 95% on time), <@U2> (moderate load, 95% on time)"


def test_new_task_modal_without_suggestions_has_no_hint() -> None:
    view = new_task_modal(teams=[])

    assert "Suggested" not in json.dumps(view)
