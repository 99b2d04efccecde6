"""The `/team report` builder: readable figures and trends, aligned rows, valid Block Kit for 50 people."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.domain.insight import Load, PersonReport, Ratio, Stats, TeamReport, team_report
from handlers.blocks import report as report_blocks
from tests.conftest import flatten
from tests.unit.blocks.support import assert_no_pings, assert_valid_message, message_json
from tests.unit.test_insight import ANSWERS, CHECKINS, KUDOS, NOW, TASKS, WEEK

CODE_LINE = re.compile(r"^`([^`]*)`(.*)$")


def shown(report: TeamReport) -> str:
    message = report_blocks.team_report(report, now=NOW, channel_id="C9")
    assert_valid_message(message)
    return message.text + "\n" + flatten(list(message.blocks))


def code_lines(text: str) -> list[tuple[str, str]]:
    """The table's lines: (the inline-code part, what follows it); the on-time bar is shorter."""
    found = [m for line in text.splitlines() if (m := CODE_LINE.match(line))]
    return [(m.group(1), m.group(2)) for m in found if len(m.group(1)) > 40]


def person(n: int) -> PersonReport:
    return PersonReport(
        user_id=f"U{n:08d}",
        stats=Stats(
            done=12,
            on_time=Ratio(11, 12),
            time_to_done=timedelta(days=3, hours=4),
            checkins=Ratio(119, 120),
            response=timedelta(hours=13),
            kudos=7,
        ),
        load=Load(open_tasks=30, weighted=99, overdue=12),
    )


def big_report(people: int) -> TeamReport:
    return TeamReport(
        period=WEEK,
        people=tuple(person(n) for n in range(people)),
        team=Stats(done=600, on_time=Ratio(550, 600), checkins=Ratio(5950, 6000), kudos=350),
        previous=Stats(),
        load=Load(open_tasks=1500, weighted=4950, overdue=600),
    )


@pytest.fixture
def text() -> str:
    return shown(team_report(period=WEEK, tasks=TASKS, checkins=CHECKINS, answers=ANSWERS, kudos=KUDOS))


def test_team_totals_show_each_figure_with_its_trend(text: str) -> None:
    assert "*Done*\n4 (▲ 2)" in text
    assert "*On time*\n`▇▇▇▁▁` 67 % (▲ 17 pts)" in text
    assert "*Open load*\n10 (4 open tasks)" in text
    assert "*Overdue now*\n⚠️ 2" in text
    assert "*Avg time to done*\n35h (▲ 1.5h)" in text  # 34.5 h against 33 h
    assert "*Check-ins answered*\n57 % · 4 of 7 (▲ 57 pts)" in text
    assert "*Median reply*\n1.5h (was —)" in text  # nothing was answered the week before
    assert "*Kudos*\n4 (▲ 3)" in text  # the team counts everyone thanked, Carol too


def test_fallback_text_sums_the_report_up(text: str) -> None:
    first = text.splitlines()[0]
    assert first == "Team report for <#C9>, last 7 days: 4 done, on time 67 %, 2 overdue now."


def test_each_person_gets_one_aligned_line_ending_with_their_mention(text: str) -> None:
    heading, alice, bob = code_lines(text)

    assert heading[0].split() == ["on", "time", "done", "load", "overdue", "to", "done", "check-ins", "reply", "kudos"]
    assert len(heading[0]) == len(alice[0]) == len(bob[0])
    assert alice[0].split() == ["▇▇▇▁▁", "50", "%", "3", "7", "1", "38h", "3/6", "50", "%", "2h", "2"]
    assert alice[1] == " <@UALICE>"
    assert bob[0].split() == ["▇▇▇▇▇", "100", "%", "1", "3", "1", "24h", "1/1", "100", "%", "30m", "1"]
    assert bob[1] == " <@UBOB>"
    # Columns line up: each figure ends where its heading does.
    assert alice[0].index("38h") + 3 == heading[0].index("to done") + len("to done")


def test_an_empty_period_shows_dashes_and_how_to_start() -> None:
    text = shown(team_report(period=WEEK, tasks=[], checkins=[], answers=[], kudos=[]))

    assert "*On time*\n—" in text
    assert "*Avg time to done*\n—" in text
    assert "*Check-ins answered*\n—" in text
    assert "*Done*\n0 (no change)" in text
    assert "/task @person" in text
    assert code_lines(text) == []
    assert "on time —" in text.splitlines()[0]


def test_a_figure_missing_now_but_known_before_says_what_it_was() -> None:
    report = TeamReport(
        period=WEEK,
        people=(),
        team=Stats(),
        previous=Stats(done=2, on_time=Ratio(1, 2), time_to_done=timedelta(hours=5)),
        load=Load(),
    )

    text = shown(report)

    assert "*On time*\n— (was 50 %)" in text
    assert "*Avg time to done*\n— (was 5h)" in text
    assert "*Done*\n0 (▼ 2)" in text


def test_a_person_without_figures_shows_dashes_in_the_same_columns() -> None:
    quiet = PersonReport(user_id="U1", stats=Stats(), load=Load(open_tasks=1, weighted=2))
    report = TeamReport(period=WEEK, people=(quiet,), team=Stats(), previous=Stats(), load=Load(1, 2, 0))

    heading, row = code_lines(shown(report))

    assert row[0].split() == ["—", "0", "2", "0", "—", "—", "—", "0"]
    assert len(row[0]) == len(heading[0])


def test_fifty_people_fit_in_one_message_split_across_sections() -> None:
    message = report_blocks.team_report(big_report(50), now=NOW, channel_id="C9")

    assert_valid_message(message)
    sections = [b for b in message.blocks if b["type"] == "section" and "text" in b]
    table = [s for s in sections if "<@U" in s["text"]["text"]]
    assert len(table) >= 2, "fifty rows take more than one section"
    assert all(len(s["text"]["text"]) <= 3000 for s in sections)
    rendered = message_json(message)
    assert all(f"<@U{n:08d}>" in rendered for n in range(50))
    assert "more people" not in rendered


def test_a_huge_team_is_cut_with_a_count_of_who_is_left_out() -> None:
    message = report_blocks.team_report(big_report(400), now=NOW, channel_id="C9")

    assert_valid_message(message)
    rendered = flatten(list(message.blocks))
    shown_people = len(re.findall(r"<@U\d{8}>", rendered))
    assert 50 <= shown_people < 400
    assert f"…and {400 - shown_people} more people" in rendered


def test_odd_user_ids_are_shown_as_text_and_ping_no_one() -> None:
    odd = PersonReport(user_id="<!channel> & co", stats=Stats(), load=Load())
    report = TeamReport(period=WEEK, people=(odd,), team=Stats(), previous=Stats(), load=Load())

    message = report_blocks.team_report(report, now=NOW, channel_id="<!here>")

    assert_valid_message(message)
    rendered = message_json(message)
    assert_no_pings(rendered)
    assert "&lt;!channel&gt; &amp; co" in rendered


@pytest.mark.parametrize(
    ("percent", "bar"),
    [
        (0, "▁▁▁▁▁"),
        (9, "▁▁▁▁▁"),
        (10, "▇▁▁▁▁"),
        (50, "▇▇▇▁▁"),
        (82, "▇▇▇▇▁"),
        (89, "▇▇▇▇▁"),
        (90, "▇▇▇▇▇"),
        (100, "▇▇▇▇▇"),
    ],
)
def test_the_bar_fills_fifths_to_the_nearest(percent: int, bar: str) -> None:
    assert report_blocks._bar(percent) == bar


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(seconds=29), "0m"),
        (timedelta(minutes=45), "45m"),
        (timedelta(minutes=90), "1.5h"),
        (timedelta(hours=2), "2h"),
        (timedelta(hours=20), "20h"),
        (timedelta(hours=34, minutes=30), "35h"),
        (timedelta(hours=48), "2d"),
        (timedelta(hours=55), "2.3d"),
        (timedelta(hours=54), "2.3d"),  # 2.25 days: halves round up
        (timedelta(minutes=75), "1.3h"),
    ],
)
def test_durations_read_in_a_few_characters(span: timedelta, text: str) -> None:
    assert report_blocks._short_span(span) == text
