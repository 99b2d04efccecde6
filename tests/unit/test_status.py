"""A Slack status that says "away" (palm tree, "OOO", "sick"…) counts like `/task away` until it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.status import AWAY_EMOJI, SlackStatus

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


# --- emoji ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("emoji", ["palm_tree", "airplane", "desert_island", "face_with_thermometer", "mask"])
def test_each_away_emoji_means_away_with_or_without_colons(emoji: str) -> None:
    assert SlackStatus(emoji=f":{emoji}:").means_away
    assert SlackStatus(emoji=emoji).means_away


def test_the_away_emoji_are_exactly_the_contracts_five() -> None:
    assert frozenset({"palm_tree", "airplane", "desert_island", "face_with_thermometer", "mask"}) == AWAY_EMOJI


@pytest.mark.parametrize("emoji", [":mask::skin-tone-2:", ":face_with_thermometer::skin-tone-6:", ":Palm_Tree:"])
def test_skin_tone_suffix_and_case_do_not_hide_an_away_emoji(emoji: str) -> None:
    assert SlackStatus(emoji=emoji).means_away


@pytest.mark.parametrize("emoji", ["", ":coffee:", ":spiral_calendar_pad:", ":palm_tree_2:", ":airplane_arriving:"])
def test_other_emoji_do_not_mean_away(emoji: str) -> None:
    assert not SlackStatus(emoji=emoji).means_away


# --- text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "out of office",
        "Out Of Office until Monday",
        "OOO",
        "ooo till the 4th",
        "(OOO)",
        "vacation",
        "On vacation in Lisbon",
        "vacationing",  # the term starts the word
        "holiday",
        "Holidays!",
        "sick",
        "Sick today",
        "SICK",
        "on leave",
        "Parental: ON LEAVE",
    ],
)
def test_each_away_text_means_away_in_any_case(text: str) -> None:
    assert SlackStatus(text=text).means_away


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Goood morning",  # "ooo" inside a word
        "homesick",  # "sick" inside a word
        "lovesick",
        "BOOOKED",
        "in a meeting",
        "commuting",
        "out of the office park",  # not the phrase
    ],
)
def test_terms_inside_other_words_or_other_text_do_not_mean_away(text: str) -> None:
    assert not SlackStatus(text=text).means_away


def test_an_away_text_counts_whatever_the_emoji() -> None:
    assert SlackStatus(emoji=":coffee:", text="OOO").means_away
    assert SlackStatus(emoji=":palm_tree:", text="back tomorrow").means_away


# --- expiry --------------------------------------------------------------------------------------


def test_no_expiration_is_away_until_the_status_changes() -> None:
    status = SlackStatus(emoji=":palm_tree:", text="Vacation", expiration=0)

    assert status.expires_at is None
    assert status.is_away(NOW)
    assert status.is_away(NOW + timedelta(days=3650))


def test_a_status_expiring_later_is_away_until_that_second() -> None:
    ends = NOW + timedelta(days=2)
    status = SlackStatus(emoji=":airplane:", expiration=unix(ends))

    assert status.expires_at == ends
    assert status.expires_at.tzinfo is UTC
    assert status.is_away(NOW)
    assert status.is_away(ends - timedelta(seconds=1))
    assert not status.is_away(ends)


def test_a_status_that_expired_is_not_away() -> None:
    status = SlackStatus(text="Sick", expiration=unix(NOW - timedelta(hours=1)))

    assert status.means_away  # the words still say so
    assert not status.is_away(NOW)


def test_a_status_that_does_not_mean_away_is_never_away() -> None:
    status = SlackStatus(emoji=":coffee:", text="Focus time", expiration=unix(NOW + timedelta(hours=2)))

    assert not status.is_away(NOW)


# --- shown ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (SlackStatus(emoji=":palm_tree:", text="Vacation"), ":palm_tree: Vacation"),
        (SlackStatus(emoji=" :mask: ", text=""), ":mask:"),
        (SlackStatus(emoji="", text=" OOO "), "OOO"),
        (SlackStatus(), ""),
    ],
)
def test_describe_joins_emoji_and_text(status: SlackStatus, shown: str) -> None:
    assert status.describe() == shown
