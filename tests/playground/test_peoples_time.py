"""The playground and people's time, over HTTP through the page's own API: the demo starts on a weekday morning,
the team comes with skills, the clock jumps into a public holiday, People… sets a Slack status that Baton
hears of, and what Baton now calls (an ephemeral hint, redrawn bundles, the help typed DMs get) works."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import ids
from playground import demo
from playground.app import create_playground
from playground.demo_time import demo_start
from playground.runtime import Playground
from tests.playground.conftest import (
    ALICE,
    BRUNO,
    KENJI,
    MAYA,
    START,
    SUPPORT,
    PageClient,
    button,
    click,
    delegate_and_accept,
    dm,
    texts,
)

NEW_YORK = ZoneInfo("America/New_York")
GATEWAY = Path(__file__).resolve().parents[2] / "bot" / "slack" / "gateway.py"


def last_ephemeral(page: PageClient, viewer: str, conversation: str = SUPPORT) -> str:
    shown = [e for e in page.entries(viewer, conversation) if e["kind"] == "ephemeral"]
    assert shown, f"no ephemeral for {viewer} in {conversation}"
    return str(shown[-1]["html"])


def dm_messages(page: PageClient, user: str) -> list[dict[str, Any]]:
    return [m for m in page.playground.workspace.messages() if m["channel"] == dm(user)]


def checkin_messages(page: PageClient, user: str) -> list[dict[str, Any]]:
    """Baton's messages in `user`'s DM whose metadata carries a check-in's dedupe key."""
    found = []
    for message in dm_messages(page, user):
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if str(payload.get("dedupe_key", "")).startswith("checkin:"):
            found.append(message)
    return found


def rows_with_buttons(message: dict[str, Any]) -> dict[str, list[str]]:
    """Each actions block of a message: its task (the buttons' value) and the buttons' action ids."""
    rows: dict[str, list[str]] = {}
    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            elements = block.get("elements") or []
            rows[str(elements[0].get("value"))] = [str(e.get("action_id")) for e in elements]
    return rows


def section_of(message: dict[str, Any], ref: str) -> str:
    """The section text about one task (`T-2`) in a message listing several."""
    for block in message.get("blocks") or []:
        text = str((block.get("text") or {}).get("text") or "")
        if block.get("type") == "section" and f"*{ref}*" in text:
            return text
    raise AssertionError(f"no row for {ref}")


def people_rows(playground: Playground, **changes: dict[str, str]) -> list[dict[str, str]]:
    """The People dialog's rows as the page sends them, with `changes` by user id."""
    rows = []
    for person in playground.people:
        row = {"id": person.id, "name": person.name, "tz": person.tz}
        row.update(changes.get(person.id, {}))
        rows.append(row)
    return rows


# -- the demo starts on a weekday morning in the manager's zone --------------------------------------------------


@pytest.mark.parametrize(
    ("real", "tz", "start"),
    [
        # Friday 15:30 in New York: that Friday's morning, not the weekend.
        (datetime(2026, 3, 6, 20, 30, tzinfo=UTC), "America/New_York", datetime(2026, 3, 6, 9, 0)),
        # Saturday: the Monday after (on the day New York moves its clocks, too).
        (datetime(2026, 3, 7, 18, 0, tzinfo=UTC), "America/New_York", datetime(2026, 3, 9, 9, 0)),
        # Sunday 21:00 in New York is Monday 02:00 UTC: New York's Monday.
        (datetime(2026, 3, 9, 2, 0, tzinfo=UTC), "America/New_York", datetime(2026, 3, 9, 9, 0)),
        # Friday 20:00 UTC is Saturday 05:00 in Tokyo: Tokyo's Monday.
        (datetime(2026, 3, 13, 20, 0, tzinfo=UTC), "Asia/Tokyo", datetime(2026, 3, 16, 9, 0)),
        # Wednesday before dawn: that Wednesday at 09:00.
        (datetime(2026, 3, 4, 9, 0, tzinfo=UTC), "America/New_York", datetime(2026, 3, 4, 9, 0)),
    ],
)
def test_the_demo_starts_at_nine_on_the_current_or_next_weekday_in_the_zone(
    real: datetime, tz: str, start: datetime
) -> None:
    assert demo_start(real, tz) == start.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def test_start_reset_and_a_new_zone_begin_on_a_weekday_morning_of_the_real_date() -> None:
    real = [datetime(2026, 3, 7, 18, 0, tzinfo=UTC)]  # a Saturday, as the wall clock says
    with create_playground(port=0, wall_clock=lambda: real[0]) as playground:
        page = PageClient(playground)
        assert playground.clock.now() == datetime(2026, 3, 9, 9, 0, tzinfo=NEW_YORK)
        assert page.state(MAYA)["now_label"] == "Mon 9 Mar 2026, 9:00 AM"

        real[0] = datetime(2026, 3, 13, 20, 0, tzinfo=UTC)  # Friday afternoon in New York
        assert page.ui("reset").status == 200
        assert playground.clock.now() == datetime(2026, 3, 13, 9, 0, tzinfo=NEW_YORK)

        rows = people_rows(playground, **{MAYA: {"tz": "Asia/Tokyo"}})  # Saturday morning in Tokyo
        assert page.ui("people", people=rows).body == {"ok": True, "restarted": True}
        assert playground.clock.now() == datetime(2026, 3, 16, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


# -- the team comes with skills -------------------------------------------------------------------------------


def test_every_reset_seeds_skills_through_team_skills_so_suggest_has_something_to_go_on(page: PageClient) -> None:
    page.ui("reset")

    page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": "/team skills"})
    listed = last_ephemeral(page, MAYA)
    for name, skills in (("Alice", "refunds, billing"), ("Bruno", "macros, integrations"), ("Kenji", "faq")):
        assert re.search(rf"{name}</span>: {skills}", listed), listed

    page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": "/task suggest Translate the FAQ into Japanese"})
    suggested = last_ephemeral(page, MAYA)
    assert re.search(r"1\. <span[^>]*>@Kenji</span> — skills: faq, japanese", suggested), suggested
    page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": "/task suggest Call the customer back about a refund"})
    assert re.search(r"1\. <span[^>]*>@Alice</span> — skills: calls, refunds", last_ephemeral(page, MAYA))


# -- the clock bar jumps into a public holiday ---------------------------------------------------------------------


def test_next_holiday_without_a_calendar_says_so_in_one_line(page: PageClient) -> None:
    answer = page.ui("clock", **{"as": ALICE, "preset": "holiday"})

    assert answer.status == 400
    assert answer.body["error"].startswith("Alice has no public-holiday calendar")
    assert "\n" not in answer.body["error"]
    assert page.playground.clock.now() == START


def test_next_holiday_follows_the_teams_calendar_and_no_checkin_comes_that_day(page: PageClient) -> None:
    playground = page.playground
    page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": "/team holidays BG"})  # Liberation Day, Tue 3 Mar
    delegate_and_accept(page, "/task @Alice Call the customer back by friday")

    answer = page.ui("clock", **{"as": ALICE, "preset": "holiday"})

    assert answer.status == 200, answer.body
    assert answer.body["holiday"] == {"date": "2026-03-03", "name": "Liberation Day", "calendar": "BG"}
    assert playground.clock.now() == datetime(2026, 3, 3, 10, 0, tzinfo=NEW_YORK)
    days = [
        datetime.fromtimestamp(float(m["ts"]), UTC).astimezone(NEW_YORK).date() for m in checkin_messages(page, ALICE)
    ]
    assert days == [date(2026, 3, 2)], "Monday's check-in came, the holiday's did not"
    page.ui("clock", **{"as": ALICE, "preset": "weekday10"})
    assert len(checkin_messages(page, ALICE)) == 2, "the day after the holiday brings the next one"


def test_a_persons_own_calendar_wins_and_a_far_or_missing_holiday_is_said_in_one_line(page: PageClient) -> None:
    page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": "/team holidays BG"})
    page.ui("send", **{"as": KENJI, "channel": SUPPORT, "text": "/task holidays IN"})  # Holi, Wed 4 Mar
    page.ui("send", **{"as": BRUNO, "channel": SUPPORT, "text": "/task holidays JP"})  # 20 Mar: 18 days on
    page.ui("send", **{"as": ALICE, "channel": SUPPORT, "text": "/task holidays US"})  # none until late May

    far = page.ui("clock", **{"as": BRUNO, "preset": "holiday"})
    assert far.status == 400
    assert far.body["error"] == (
        "Bruno's next public holiday (JP) is Vernal Equinox Day on Fri 20 Mar, more than 14 days away: "
        "move the clock closer first (at most 14 days at once)."
    )
    none = page.ui("clock", **{"as": ALICE, "preset": "holiday"})
    assert none.body["error"] == "No public holiday in Alice's calendar (US) in the next 60 days."

    answer = page.ui("clock", **{"as": KENJI, "preset": "holiday"})
    assert answer.body["holiday"] == {"date": "2026-03-04", "name": "Holi", "calendar": "IN"}
    assert page.playground.clock.now() == datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


# -- People… sets a Slack status -------------------------------------------------------------------------------


def test_a_status_reaches_users_info_and_baton_by_user_change_and_counts_as_time_off(page: PageClient) -> None:
    playground = page.playground
    delegate_and_accept(page, "/task @Alice Call the customer back by friday")
    session = playground.session
    web = WebClient(token=playground.workspace.token, base_url=playground.url + "api/")
    assert web.users_info(user=ALICE)["user"]["profile"]["status_emoji"] == ""
    calls = len(playground.workspace.calls)

    status = {"status_emoji": "palm_tree", "status_text": "Vacation", "status_until": "2026-03-04T09:00"}
    answer = page.ui("people", people=people_rows(playground, **{ALICE: status}))
    called = [call.method for call in playground.workspace.calls[calls:]]

    assert answer.body == {"ok": True, "restarted": False}
    assert playground.session is session, "a status does not restart the demo"
    until = datetime(2026, 3, 4, 9, 0, tzinfo=NEW_YORK)
    profile = web.users_info(user=ALICE)["user"]["profile"]
    assert (profile["status_emoji"], profile["status_text"]) == (":palm_tree:", "Vacation")
    assert profile["status_expiration"] == int(until.timestamp())
    # Baton heard of it from the user_change event, without asking users.info.
    assert "users.info" not in called
    with session.baton.uow(read_only=True) as uow:
        row = uow.people.get(demo.TEAM_ID, ALICE)
        assert row is not None
        assert (row.status_emoji, row.status_text, row.status_expiration) == (
            ":palm_tree:",
            "Vacation",
            int(until.timestamp()),
        )
    assert session.baton.services.availability.time_of(demo.TEAM_ID, ALICE).status.is_away(START)
    shown = next(p for p in page.state(MAYA)["people"] if p["id"] == ALICE)["status"]
    assert shown == {
        "emoji": "palm_tree",
        "char": "🌴",
        "text": "Vacation",
        "until_local": "2026-03-04T09:00",
        "until_label": "Wed 4 Mar 2026, 9:00 AM",
        "away": True,
    }

    page.ui("clock", **{"as": ALICE, "preset": "weekday10"})  # Monday 10:00: away, no check-in
    page.ui("clock", **{"as": ALICE, "at": "2026-03-03T10:00"})  # Tuesday: still away
    assert checkin_messages(page, ALICE) == []
    page.ui("clock", **{"as": ALICE, "at": "2026-03-04T10:00"})  # Wednesday: the status has cleared
    assert len(checkin_messages(page, ALICE)) == 1
    assert web.users_info(user=ALICE)["user"]["profile"]["status_emoji"] == "", "Slack clears an expired status"
    assert next(p for p in page.state(MAYA)["people"] if p["id"] == ALICE)["status"] is None


def test_a_status_is_checked_and_clearing_it_brings_the_person_back(page: PageClient) -> None:
    playground = page.playground
    bad = page.ui("people", people=people_rows(playground, **{BRUNO: {"status_emoji": "<palm>"}}))
    assert bad.status == 400 and "emoji" in bad.body["error"]
    past = page.ui(
        "people", people=people_rows(playground, **{BRUNO: {"status_text": "OOO", "status_until": "2026-03-01T09:00"}})
    )
    assert past.status == 400 and "later" in past.body["error"]

    page.ui("people", people=people_rows(playground, **{BRUNO: {"status_emoji": "", "status_text": "Out of office"}}))
    availability = playground.session.baton.services.availability
    assert availability.time_of(demo.TEAM_ID, BRUNO).status.is_away(START)
    page.ui("people", people=people_rows(playground, **{BRUNO: {"status_emoji": "", "status_text": ""}}))
    assert not availability.time_of(demo.TEAM_ID, BRUNO).status.is_away(START)
    assert next(p for p in page.state(BRUNO)["people"] if p["id"] == BRUNO)["status"] is None


# -- what Baton now calls works against the playground -----------------------------------------------------------


def test_every_web_api_method_the_gateway_calls_is_answered_by_the_playground(playground: Playground) -> None:
    called = set(re.findall(r"self\._(?:interactive|delivery)\.([a-z]+)_(\w+)\(", GATEWAY.read_text()))
    assert ("chat", "postEphemeral") in called and ("chat", "update") in called
    web = WebClient(token=playground.workspace.token, base_url=playground.url + "api/")
    for family, name in sorted(called):
        try:
            web.api_call(f"{family}.{name}", params={})
        except SlackApiError as refused:  # refused for its missing arguments, as Slack would: but known
            assert refused.response["error"] != "unknown_method", f"{family}.{name}"


def test_a_message_typed_in_batons_dm_gets_the_help_once_an_hour_and_not_in_the_channel(page: PageClient) -> None:
    page.ui("send", **{"as": ALICE, "channel": SUPPORT, "text": "anyone around?"})
    page.ui("send", **{"as": ALICE, "channel": dm(ALICE), "text": "hello Baton, what can you do?"})
    page.ui("send", **{"as": ALICE, "channel": dm(ALICE), "text": "and now?"})

    seen = page.entries(ALICE, dm(ALICE))
    assert [e["user"] for e in seen] == [ALICE, "U0BATON", ALICE]
    assert "/task help" in seen[1]["html"]
    assert [e["user"] for e in page.entries(ALICE, SUPPORT)][-1] == ALICE, "nothing answers in the channel"
    page.ui("clock", **{"as": ALICE, "preset": "hour"})
    page.ui("send", **{"as": ALICE, "channel": dm(ALICE), "text": "still there?"})
    assert page.entries(ALICE, dm(ALICE))[-1]["user"] == "U0BATON"


def three_tasks_checked_in(page: PageClient) -> dict[str, Any]:
    """Three tasks delegated to Alice and accepted; the clock at the next weekday 10:00: her one check-in."""
    for title in ("Call the customer back", "Update the refund macro", "Answer the billing ticket"):
        delegate_and_accept(page, f"/task @Alice {title} by friday")
    answer = page.ui("clock", **{"as": ALICE, "preset": "weekday10"})
    assert answer.status == 200, answer.body
    checkins = checkin_messages(page, ALICE)
    assert len(checkins) == 1, [m["text"] for m in checkins]
    return checkins[0]


def test_a_person_with_several_tasks_gets_one_morning_message_and_each_row_answers_alone(page: PageClient) -> None:
    playground = page.playground
    message = three_tasks_checked_in(page)

    assert playground.clock.now() == datetime(2026, 3, 2, 10, 0, tzinfo=NEW_YORK)
    payload = message["metadata"]["event_payload"]
    assert payload["dedupe_keys"] == [f"checkin:{n}:2026-03-02" for n in (1, 2, 3)]
    assert payload["dedupe_key"] == payload["dedupe_keys"][0]
    buttons = [ids.ACTION_CHECKIN_ON_TRACK, ids.ACTION_CHECKIN_BLOCKED, ids.ACTION_CHECKIN_DONE]
    rows = rows_with_buttons(message)
    assert set(rows) == {"1", "2", "3"} and all(row[:3] == buttons for row in rows.values())
    html = texts([e for e in page.entries(ALICE, dm(ALICE)) if e["ts"] == message["ts"]])
    for title in ("Call the customer back", "Update the refund macro", "Answer the billing ticket"):
        assert title in html
    assert html.count(f'data-action-id="{ids.ACTION_CHECKIN_ON_TRACK}"') == 3

    block_id = next(b["block_id"] for b in message["blocks"] if b.get("type") == "actions" and b["block_id"][-1] == "2")
    click_on_track = {"as": ALICE, "channel": dm(ALICE), "ts": message["ts"], "block_id": block_id}
    assert page.ui("click", action_id=ids.ACTION_CHECKIN_ON_TRACK, **click_on_track).status == 200

    redrawn = playground.workspace.find_message(dm(ALICE), message["ts"])
    assert redrawn is not None
    assert set(rows_with_buttons(redrawn)) == {"1", "3"}, "only T-2's buttons went"
    assert "On track" in section_of(redrawn, "T-2")
    assert "On track" not in section_of(redrawn, "T-1") and "On track" not in section_of(redrawn, "T-3")
    assert len(checkin_messages(page, ALICE)) == 1


def test_a_reaction_other_than_thumbs_up_on_a_bundle_gets_an_ephemeral_hint_in_the_dm(page: PageClient) -> None:
    message = three_tasks_checked_in(page)

    page.ui("react", **{"as": ALICE, "channel": dm(ALICE), "ts": message["ts"], "name": "white_check_mark"})

    hint = last_ephemeral(page, ALICE, dm(ALICE))
    assert "several tasks" in hint and "buttons" in hint
    assert rows_with_buttons(page.playground.workspace.find_message(dm(ALICE), message["ts"]) or {}).keys() == {
        "1",
        "2",
        "3",
    }, "nothing was answered"

    page.ui("react", **{"as": ALICE, "channel": dm(ALICE), "ts": message["ts"], "name": "+1"})
    redrawn = page.playground.workspace.find_message(dm(ALICE), message["ts"])
    assert redrawn is not None and rows_with_buttons(redrawn) == {}
    assert all("On track" in section_of(redrawn, f"T-{n}") for n in (1, 2, 3))


def test_a_task_cancelled_from_a_bundle_is_redrawn_there_with_chat_update(page: PageClient) -> None:
    message = three_tasks_checked_in(page)

    page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": "/task cancel T-3 not needed"})
    page.wait_until(
        "the redrawn check-in",
        lambda: (
            "Cancelled" in section_of(page.playground.workspace.find_message(dm(ALICE), message["ts"]) or {}, "T-3")
        ),
    )

    redrawn = page.playground.workspace.find_message(dm(ALICE), message["ts"])
    assert redrawn is not None and "edited" in redrawn
    assert set(rows_with_buttons(redrawn)) == {"1", "2"}
    assert "chat.update" in [call.method for call in page.playground.workspace.calls]
    entry = next(e for e in page.entries(ALICE, dm(ALICE)) if e["ts"] == message["ts"])
    assert entry["edited"] and "Cancelled" in entry["html"]
    ts, _ = button(page.playground, dm(ALICE), ids.ACTION_CHECKIN_DONE)
    assert ts == message["ts"]


def test_accepting_is_asked_once_instead_of_a_checkin_for_a_task_not_yet_accepted(page: PageClient) -> None:
    page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": "/task @Alice Call the customer back by friday"})
    page.wait_until("the assignment", lambda: bool(dm_messages(page, ALICE)))

    page.ui("clock", **{"as": ALICE, "preset": "weekday10"})

    assert checkin_messages(page, ALICE) == []
    reminder = dm_messages(page, ALICE)[-1]
    assert f'"{ids.ACTION_ACCEPT}"' in str(reminder["blocks"]).replace("'", '"')
    click(page, ALICE, dm(ALICE), ids.ACTION_ACCEPT)
    page.ui("clock", **{"as": ALICE, "preset": "weekday10"})
    assert len(checkin_messages(page, ALICE)) == 1
