"""Follow-ups that respect people: a reminder to accept instead of check-ins, the delegator told of silence,
escalations to managers, a Slack status as time off, help for a message typed to Baton, and the replies that
say when a deadline falls outside someone's time (CONTRACT, People's time)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from bot.domain.payloads import KudosPayload
from bot.scheduler.pacing import Pacer
from bot.scheduler.tick import run_pass
from storage.models import Person
from tests.conftest import Harness, build_harness, flatten
from tests.fakes.clock import FakeClock
from tests.fakes.posts import dedupe_keys
from tests.fakes.requests import im_message_event, user_change_event
from tests.fakes.slack_api import TEAM_ID, U_ALICE, U_BOB, U_MANAGER, FakeSlack, dm_channel_id
from tests.helpers import every

C_TEAM = "C0TEAM"
D_ALICE = dm_channel_id(U_ALICE)
D_MANAGER = dm_channel_id(U_MANAGER)
BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


def keys_at(h: Harness, moments: Iterable[datetime]) -> list[tuple[datetime, str, str]]:
    """(moment, channel, key) of every message a pass at each moment posts."""
    found = []
    for moment in moments:
        before = len(h.slack.calls_to("chat.postMessage"))
        h.clock.set(moment)
        h.baton.run_pass()
        for call in h.slack.calls_to("chat.postMessage")[before:]:
            channel = str(call.params["channel"])  # a DM is posted to the person's id or to their D… channel
            channel = dm_channel_id(channel) if channel.startswith("U") else channel
            found += [(moment, channel, key) for key in dedupe_keys(call.params)]
    return found


def of_kind(found: Iterable[tuple[datetime, str, str]], prefix: str) -> list[tuple[datetime, str]]:
    return [(at, channel) for at, channel, key in found if key.startswith(prefix)]


def team_task(h: Harness, text: str = "Fix the refund macro", *, accept: bool = True) -> None:
    h.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    answer = h.command(f"<@{U_ALICE}> {text}", user=U_MANAGER, channel=C_TEAM)
    assert "Created T-" in answer, answer
    if accept:
        h.accept(U_ALICE)


# -- not accepted yet ----------------------------------------------------------------------------------------


def test_a_task_not_accepted_gets_one_reminder_and_no_checkins(harness: Harness) -> None:
    team_task(harness, accept=False)  # Tuesday 15:00 in Berlin

    found = keys_at(harness, every(berlin(2026, 12, 1, 16), berlin(2026, 12, 4, 20), minutes=60))

    assert of_kind(found, "checkin:") == []
    assert of_kind(found, "reminder:") == [(berlin(2026, 12, 2, 10), D_ALICE)]  # the next working morning's
    [reminder] = [m for m in harness.slack.messages(D_ALICE) if dedupe_keys(m)[:1] == ["reminder:1:1"]]
    actions = [e["action_id"] for b in reminder["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["baton_accept", "baton_decline"]


def test_the_delegator_is_told_once_when_it_is_still_unanswered_a_working_day_later(harness: Harness) -> None:
    team_task(harness, accept=False)

    found = keys_at(harness, every(berlin(2026, 12, 1, 16), berlin(2026, 12, 7, 20), minutes=60))

    # Reminded Wednesday 10:00 Berlin; a working day later is Thursday 10:00 Berlin, 04:00 in New York:
    # the manager's copy waits for 08:00 there.
    assert of_kind(found, "unanswered:") == [(datetime(2026, 12, 3, 13, 0, tzinfo=UTC), D_MANAGER)]


def test_accepting_from_the_reminder_redraws_it_and_the_assignment_dm_and_starts_checkins(harness: Harness) -> None:
    team_task(harness, accept=False)
    keys_at(harness, [berlin(2026, 12, 2, 10)])
    [assignment] = [m for m in harness.slack.messages(D_ALICE) if dedupe_keys(m) == ["assign:1:1"]]
    [reminder] = [m for m in harness.slack.messages(D_ALICE) if dedupe_keys(m) == ["reminder:1:1"]]
    harness.slack.clear()

    harness.click("baton_accept", "1", user=U_ALICE, channel_id=D_ALICE, message=reminder)

    assert harness.tasks()[0].status == "accepted"
    [response] = harness.slack.responses
    assert response["replace_original"] is True and "Accepted" in flatten(response["blocks"])
    [update] = harness.slack.calls_to("chat.update")
    assert update.params["ts"] == assignment["ts"]
    assert not [b for b in update.params["blocks"] if b["type"] == "actions"]
    found = keys_at(harness, every(berlin(2026, 12, 2, 10, 15), berlin(2026, 12, 3, 11)))
    assert of_kind(found, "checkin:") == [(berlin(2026, 12, 3, 10), D_ALICE)]
    assert of_kind(found, "unanswered:") == []


# -- escalation ----------------------------------------------------------------------------------------------


def test_two_unanswered_checkins_escalate_to_the_teams_managers_once(harness: Harness) -> None:
    team_task(harness)

    found = keys_at(harness, every(berlin(2026, 12, 2, 9), berlin(2026, 12, 8, 20), minutes=60))

    checkins = of_kind(found, "checkin:")
    assert [at for at, _ in checkins][:3] == [berlin(2026, 12, day, 10) for day in (2, 3, 4)]
    # At Friday's check-in the two before it were unanswered: 04:00 in New York, so it waits for 08:00.
    assert of_kind(found, "escalation:") == [(datetime(2026, 12, 4, 13, 0, tzinfo=UTC), D_MANAGER)]
    [escalation] = [
        m for m in harness.slack.messages(D_MANAGER) if any(k.startswith("escalation:") for k in dedupe_keys(m))
    ]
    said = flatten(escalation["blocks"])
    assert "<@U0ALICE> left the last 2 check-ins" in said and "T-1" in said


def test_an_answer_resets_the_count_and_a_later_silence_escalates_again(harness: Harness) -> None:
    team_task(harness)
    keys_at(harness, every(berlin(2026, 12, 2, 9), berlin(2026, 12, 4, 20), minutes=60))
    assert [r.kind for r in harness.outbox()].count("escalation") == 1
    harness.clock.set(berlin(2026, 12, 7, 9))
    harness.command("hours", user=U_ALICE)  # nothing to do with it: a command is not an answer
    [monday] = [t for t in harness.tasks()]
    harness.click("baton_checkin_on_track", str(monday.id), user=U_ALICE, channel_id=D_ALICE, message={"ts": "1.1"})
    assert harness.tasks()[0].checkins_unanswered == 0

    found = keys_at(harness, every(berlin(2026, 12, 7, 10), berlin(2026, 12, 10, 20), minutes=60))

    assert len(of_kind(found, "escalation:")) == 1  # Mon, Tue unanswered again: escalated at Wednesday's


def test_escalation_off_sends_none(harness: Harness) -> None:
    team_task(harness)
    harness.command("escalation off", user=U_MANAGER, command="/team", channel=C_TEAM)

    found = keys_at(harness, every(berlin(2026, 12, 2, 9), berlin(2026, 12, 8, 20), minutes=60))

    assert of_kind(found, "escalation:") == []


def test_a_task_without_a_team_escalates_to_its_delegator(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Outside any team", user=U_BOB)
    harness.accept(U_ALICE)

    found = keys_at(harness, every(berlin(2026, 12, 2, 9), berlin(2026, 12, 4, 20), minutes=60))

    assert [channel for _, channel in of_kind(found, "escalation:")] == [dm_channel_id(U_BOB)]


# -- Slack status as time off ----------------------------------------------------------------------------------


def change_status(h: Harness, user: str, *, emoji: str, text: str, expiration: int = 0) -> None:
    h.slack.set_status(user, emoji=emoji, text=text, expiration=expiration)
    assert h.event(user_change_event(h.slack.user_info(user)), event_id=f"Ev{emoji}{expiration}").status == 200


def test_an_away_status_stops_checkins_like_time_off(harness: Harness) -> None:
    team_task(harness)
    harness.clock.set(berlin(2026, 12, 2, 8))
    change_status(harness, U_ALICE, emoji=":palm_tree:", text="Vacation")

    found = keys_at(harness, every(berlin(2026, 12, 2, 8, 15), berlin(2026, 12, 3, 20)))

    assert of_kind(found, "checkin:") == []
    alice = harness.rows(Person, Person.user_id == U_ALICE)[0]
    assert (alice.status_emoji, alice.status_text) == (":palm_tree:", "Vacation")


def test_a_status_that_expires_mid_day_lets_the_afternoons_dms_through(harness: Harness) -> None:
    """Sick until 12:00 Wednesday: no check-in at 10:00 (not caught up, as with time off), the 17:00 deadline's
    1-hour warning at 16:00 goes out."""
    team_task(harness, "Send the figures by 2026-12-02 11:00")  # 17:00 in Berlin
    keys_at(harness, every(berlin(2026, 12, 1, 15, 15), berlin(2026, 12, 2, 7)))  # Tuesday 17:00: the 24 h warning
    harness.clock.set(berlin(2026, 12, 2, 7))
    change_status(
        harness,
        U_ALICE,
        emoji=":face_with_thermometer:",
        text="Sick",
        expiration=int(berlin(2026, 12, 2, 12).timestamp()),
    )

    found = keys_at(harness, every(berlin(2026, 12, 2, 7, 15), berlin(2026, 12, 2, 18)))

    to_alice = [(at, key.split(":")[0]) for at, channel, key in found if channel == D_ALICE]
    assert to_alice == [(berlin(2026, 12, 2, 16), "warn1"), (berlin(2026, 12, 2, 17), "overdue")]


def test_clearing_the_status_brings_the_person_back_at_once(harness: Harness) -> None:
    team_task(harness)
    harness.clock.set(berlin(2026, 12, 2, 8))
    change_status(harness, U_ALICE, emoji=":airplane:", text="OOO")
    keys_at(harness, [berlin(2026, 12, 2, 10)])

    harness.clock.set(berlin(2026, 12, 3, 9, 50))
    change_status(harness, U_ALICE, emoji="", text="")
    found = keys_at(harness, every(berlin(2026, 12, 3, 10), berlin(2026, 12, 3, 11)))

    assert of_kind(found, "checkin:") == [(berlin(2026, 12, 3, 10), D_ALICE)]


def test_user_change_keeps_a_persons_zone_fresh(harness: Harness) -> None:
    team_task(harness)
    harness.slack.add_user(U_ALICE, name="alice", tz="Asia/Tokyo")
    assert harness.event(user_change_event(harness.slack.user_info(U_ALICE)), event_id="EvTz").status == 200

    found = keys_at(harness, every(datetime(2026, 12, 2, 0, 0, tzinfo=UTC), datetime(2026, 12, 2, 3, 0, tzinfo=UTC)))

    assert of_kind(found, "checkin:") == [(datetime(2026, 12, 2, 1, 0, tzinfo=UTC), D_ALICE)]  # 10:00 in Tokyo


def test_a_user_change_for_someone_baton_never_met_changes_nothing(harness: Harness) -> None:
    harness.slack.add_user("U0STRANGER", name="stranger", tz="Asia/Tokyo")

    assert harness.event(user_change_event(harness.slack.user_info("U0STRANGER")), event_id="EvNew").status == 200

    assert harness.rows(Person, Person.user_id == "U0STRANGER") == []


# -- a message typed to Baton -------------------------------------------------------------------------------------


def test_a_message_in_batons_dm_gets_a_short_help_once_an_hour(harness: Harness) -> None:
    harness.event(im_message_event(U_ALICE, "hello?"), event_id="EvHi1")
    harness.event(im_message_event(U_ALICE, "anyone?", ts="1700000701.000100"), event_id="EvHi2")

    [reply] = harness.slack.calls_to("chat.postMessage")
    assert reply.params["channel"] == D_ALICE and "/task help" in reply.params["text"]

    harness.clock.advance(hours=1)
    harness.event(im_message_event(U_ALICE, "still there?", ts="1700000702.000100"), event_id="EvHi3")
    assert len(harness.slack.calls_to("chat.postMessage")) == 2


def test_edits_bots_and_channel_messages_get_no_answer(harness: Harness) -> None:
    harness.event(im_message_event(U_ALICE, "edited", subtype="message_changed"), event_id="EvEdit")
    harness.event(im_message_event(U_ALICE, "from a bot", bot_id="B0OTHER"), event_id="EvBot")
    channel_message = {**im_message_event(U_ALICE, "in a channel", channel=C_TEAM), "channel_type": "channel"}
    harness.event(channel_message, event_id="EvChannel")

    assert harness.slack.calls_to("chat.postMessage") == []


# -- replies ------------------------------------------------------------------------------------------------------


def test_task_list_with_nothing_assigned_points_a_manager_to_the_other_lists(harness: Harness) -> None:
    team_task(harness)

    reply = harness.command("list", user=U_MANAGER, channel=C_TEAM)

    assert "You have no open tasks." in reply
    assert "1 you delegated: `/task list delegated`" in reply and "/task list team" in reply


def test_task_list_with_nothing_anywhere_is_short(harness: Harness) -> None:
    reply = harness.command("list", user=U_BOB)

    assert "You have no open tasks. 🎉" in reply and "delegated" not in reply


def test_a_deadline_outside_the_assignees_hours_is_accepted_and_the_reply_says_so(harness: Harness) -> None:
    """Friday 4 December 2026: "by tomorrow" is a Saturday, when Alice does not work."""
    harness.clock.set(datetime(2026, 12, 4, 15, 0, tzinfo=UTC))

    reply = harness.command(f"<@{U_ALICE}> Check the backups by tomorrow", user=U_MANAGER)

    assert "Created T-1" in reply
    assert "outside <@U0ALICE>'s working time: 08:00-20:00 Monday to Friday in Europe/Berlin" in reply
    assert harness.tasks()[0].due_at is not None


def test_a_deadline_inside_the_assignees_hours_adds_no_line(harness: Harness) -> None:
    reply = harness.command(f"<@{U_ALICE}> Check the backups by 2026-12-02 08:00", user=U_MANAGER)  # 14:00 Berlin

    assert "Created T-1" in reply and "working time" not in reply


# -- baton tick finishes its pass ----------------------------------------------------------------------------------


def queue_kudos(h: Harness, count: int) -> None:
    """Posts for one channel, all due now: Slack takes one a second there."""
    with h.baton.uow() as uow:
        uow.workspaces.ensure(TEAM_ID, now=h.clock.now())
        for n in range(count):
            uow.outbox.add(
                TEAM_ID,
                dedupe_key=f"kudos:{n}",
                kind="kudos",
                recipient_id=C_TEAM,
                payload=KudosPayload(giver_id=U_MANAGER, recipient_ids=(U_ALICE,), message=f"thanks {n}"),
                now=h.clock.now(),
            )
        uow.commit()


def paced_harness(slack: FakeSlack) -> Harness:
    """An app whose delivery paces each conversation one message a second on the fake clock, as `baton tick`
    builds it on its stepped clock."""
    clock = FakeClock(datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
    h = build_harness(slack, clock)
    h.baton.delivery._pacer = Pacer(monotonic=lambda: clock.now().timestamp())
    h.baton.delivery.on_paced = None
    return h


def test_a_pass_that_waits_sends_every_message_of_the_pass_a_second_apart(slack: FakeSlack) -> None:
    h = paced_harness(slack)
    try:
        queue_kudos(h, 3)
        waited: list[float] = []
        posted_at: list[datetime] = []

        def wait(seconds: float) -> None:
            waited.append(seconds)
            h.clock.advance(seconds=seconds)

        real_post = h.baton.gateway.post_message

        def post(*args: object, **kwargs: object) -> object:
            posted_at.append(h.clock.now())
            return real_post(*args, **kwargs)  # type: ignore[arg-type]

        h.baton.gateway.post_message = post  # type: ignore[method-assign]
        summary = h.baton.run_pass(wait=wait)

        assert (summary.sent, summary.waiting) == (3, 0)
        assert len(waited) == 2 and all(s >= 1.0 for s in waited)
        assert all(later - earlier >= timedelta(seconds=1) for earlier, later in pairwise(posted_at))
        assert [c.params["channel"] for c in slack.calls_to("chat.postMessage")] == [C_TEAM] * 3
    finally:
        h.baton.close()


def test_a_pass_that_does_not_wait_leaves_the_rest_for_the_next_and_says_how_many(slack: FakeSlack) -> None:
    h = paced_harness(slack)
    try:
        queue_kudos(h, 3)

        summary = h.baton.run_pass()

        assert (summary.sent, summary.waiting) == (1, 2)
        assert "waiting=2" in summary.line()
    finally:
        h.baton.close()


def test_a_pass_stops_waiting_at_its_bound_and_reports_what_is_left(slack: FakeSlack) -> None:
    h = paced_harness(slack)
    try:
        queue_kudos(h, 5)

        summary = run_pass(delivery=h.baton.delivery, wait=lambda s: h.clock.advance(seconds=s), max_wait_seconds=2.5)

        assert (summary.sent, summary.waiting) == (3, 2)
    finally:
        h.baton.close()
