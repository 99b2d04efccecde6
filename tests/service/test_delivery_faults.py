"""Delivery when Slack misbehaves: rate limits, 5xx, refusals, lost answers, a crashed deliverer and
per-conversation pacing (CONTRACT "Each message is sent once" and its retry paragraph)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.model import Message
from bot.scheduler.delivery.summary import DeliverySummary
from storage.models import OutboxMessage
from tests.conftest import Harness
from tests.fakes.posts import dedupe_keys
from tests.fakes.slack_api import TEAM_ID, U_MANAGER, Call

TEAM_CHANNEL = "C0TEAM"
NEW_YORK = "America/New_York"
U_CAROL, U_DAVE = "U0CAROL", "U0DAVE"
# The harness starts on Tuesday 1 December 2026 at 09:00 in New York; check-ins are at 10:00 there.
CHECKIN_AT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
PERMANENT_ERRORS = [
    "channel_not_found",
    "not_in_channel",
    "user_not_found",
    "account_inactive",
    "is_archived",
    "invalid_auth",
]


# -- helpers ------------------------------------------------------------------------------------------


def posts_of(h: Harness, key: str) -> list[Call]:
    """Every chat.postMessage request carrying `key`, failed ones included."""
    return [c for c in h.slack.calls_to("chat.postMessage") if key in dedupe_keys(c.params)]


def stored_with(h: Harness, key: str) -> list[dict[str, object]]:
    """The messages FakeSlack holds (what people see) whose Baton metadata carries `key`."""
    return [m for m in h.slack.messages() if key in dedupe_keys(m)]


def row(h: Harness, key: str) -> OutboxMessage:
    [found] = [r for r in h.outbox() if r.dedupe_key == key]
    return found


def at(h: Harness, moment: datetime) -> None:
    h.clock.set(moment)
    h.baton.run_pass()


def checkin_tasks(h: Harness, *assignees: str) -> list[str]:
    """A team in New York and one task per assignee (all in New York); returns their check-in keys."""
    for user in set(assignees):
        h.slack.add_user(user, name=user[2:].lower(), tz=NEW_YORK)
    h.command("setup", user=U_MANAGER, command="/team", channel=TEAM_CHANNEL)
    keys = []
    for n, user in enumerate(assignees):
        answer = h.command(f"<@{user}> Task number {n}", user=U_MANAGER, channel=TEAM_CHANNEL)
        assert "Created T-" in answer, answer
        keys.append(f"checkin:{h.tasks()[-1].id}:2026-12-01")
    for user in set(assignees):
        h.accept(user)
    return keys


@pytest.fixture(params=["fake-ts-counter", "slack-ts-from-clock"])
def slack_clock(request: pytest.FixtureRequest, harness: Harness) -> Iterator[str]:
    """Where FakeSlack's message timestamps come from.

    FakeSlack numbers messages from 1 700 000 000 (November 2023) whatever the fake clock says, as a
    Slack whose clock disagrees with Baton's would (a future `baton tick --at`, the playground's
    fast-forwarded clock); with "slack-ts-from-clock" a message's ts is the fake clock's time, as
    when both clocks agree. Baton must find a message whose answer was lost either way.
    """
    if request.param == "slack-ts-from-clock":
        counter = itertools.count(1)
        harness.slack._next_ts = lambda: f"{int(harness.clock.now().timestamp())}.{next(counter):06d}"  # type: ignore[method-assign]
    yield request.param


# -- 429 and 5xx: retried later ---------------------------------------------------------------------------


def test_a_rate_limit_holds_chat_post_message_for_the_workspace_until_retry_after(harness: Harness) -> None:
    """Slack limits each method per workspace: a 429 on one post holds every post there for its Retry-After,
    not just that conversation's; the held one is not counted as an attempt, and both go out after the wait."""
    keys = checkin_tasks(harness, U_CAROL, U_DAVE)
    harness.slack.fail("chat.postMessage", retry_after=30)
    harness.clock.set(CHECKIN_AT)
    before = len(harness.slack.calls_to("chat.postMessage"))

    summary = harness.baton.run_pass()

    assert (summary.sent, summary.retried, summary.failed) == (0, 1, 0)
    rows = {r.dedupe_key: r for r in harness.outbox() if r.dedupe_key in keys}
    limited = [r for r in rows.values() if r.attempts == 1]
    held = [r for r in rows.values() if r.attempts == 0]
    assert len(limited) == 1 and len(held) == 1
    assert (limited[0].state, limited[0].last_error, limited[0].not_before) == (
        "pending",
        "ratelimited",
        CHECKIN_AT + timedelta(seconds=30),
    )
    assert held[0].state == "pending" and held[0].not_before >= CHECKIN_AT + timedelta(seconds=29)
    assert len(harness.slack.calls_to("chat.postMessage")) == before + 1  # the 429; the other one never tried

    at(harness, CHECKIN_AT + timedelta(seconds=29))
    assert all(len(posts_of(harness, key)) <= 1 for key in keys)  # nothing more before Retry-After

    at(harness, CHECKIN_AT + timedelta(seconds=31))
    assert {row(harness, key).state for key in keys} == {"sent"}
    assert [len(stored_with(harness, key)) for key in keys] == [1, 1]


def test_server_error_is_retried_later_with_growing_backoff(harness: Harness) -> None:
    [key] = checkin_tasks(harness, U_CAROL)
    harness.slack.fail("chat.postMessage", status=500, times=2)

    at(harness, CHECKIN_AT)
    first = row(harness, key)
    assert (first.state, first.attempts, first.last_error) == ("pending", 1, "internal_error")
    assert first.not_before == CHECKIN_AT + timedelta(seconds=30)

    at(harness, CHECKIN_AT + timedelta(seconds=29))
    assert len(posts_of(harness, key)) == 1
    at(harness, CHECKIN_AT + timedelta(seconds=30))
    second = row(harness, key)
    assert (second.state, second.attempts) == ("pending", 2)
    assert second.not_before - (CHECKIN_AT + timedelta(seconds=30)) > timedelta(seconds=30)  # it grew

    at(harness, second.not_before - timedelta(seconds=1))
    assert len(posts_of(harness, key)) == 2
    at(harness, second.not_before)
    assert len(posts_of(harness, key)) == 3
    assert (row(harness, key).state, row(harness, key).attempts) == ("sent", 3)
    assert [m["channel"] for m in stored_with(harness, key)] == ["D0CAROL"]


# -- refusals: failed for good -----------------------------------------------------------------------------


@pytest.mark.parametrize("error", PERMANENT_ERRORS)
def test_permanent_refusal_fails_the_row_with_its_reason_and_never_retries(harness: Harness, error: str) -> None:
    [key] = checkin_tasks(harness, U_CAROL)
    harness.slack.fail("chat.postMessage", error=error)

    at(harness, CHECKIN_AT)
    failed = row(harness, key)
    assert (failed.state, failed.attempts, failed.last_error) == ("failed", 1, error)

    for later in (timedelta(minutes=1), timedelta(hours=1), timedelta(days=2)):
        at(harness, CHECKIN_AT + later)
    assert len(posts_of(harness, key)) == 1
    assert stored_with(harness, key) == []
    assert row(harness, key).state == "failed"


def test_transient_failures_are_retried_for_a_day_then_marked_failed(harness: Harness) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    harness.slack.fail("chat.postMessage", status=503, times=10_000)
    reply = harness.command(f"<@{U_CAROL}> thanks for the cover", user=U_MANAGER, command="/kudos", channel="C0LOUD")
    assert "Kudos" in reply
    [row_] = [r for r in harness.outbox() if r.kind == "kudos"]

    start = harness.clock.now()
    for _ in range(200):
        current = row(harness, row_.dedupe_key)
        if current.state != "pending":
            break
        at(harness, current.not_before)

    gave_up = row(harness, row_.dedupe_key)
    assert gave_up.state == "failed"
    assert gave_up.last_error is not None and gave_up.last_error.startswith("gave up")
    assert harness.clock.now() - start >= timedelta(hours=24)
    assert gave_up.attempts > 8  # not a fixed count of tries: backoff to 30 min, for a day


def test_many_rate_limits_in_a_row_still_end_in_one_post(harness: Harness) -> None:
    [key] = checkin_tasks(harness, U_CAROL)
    harness.slack.fail("chat.postMessage", retry_after=1, times=12)

    at(harness, CHECKIN_AT)
    for _ in range(20):
        current = row(harness, key)
        if current.state != "pending":
            break
        at(harness, current.not_before)

    assert row(harness, key).state == "sent"
    assert len(stored_with(harness, key)) == 1


# -- lost answers: found again, never posted twice -------------------------------------------------------


def test_message_slack_stored_but_answered_500_is_found_in_history_not_posted_again(
    harness: Harness, slack_clock: str
) -> None:
    [key] = checkin_tasks(harness, U_CAROL)
    harness.slack.post_then_fail(status=500)

    at(harness, CHECKIN_AT)
    assert (row(harness, key).state, row(harness, key).attempts) == ("pending", 1)
    [stored] = stored_with(harness, key)  # Slack has it; Baton does not know

    at(harness, CHECKIN_AT + timedelta(minutes=1))
    at(harness, CHECKIN_AT + timedelta(minutes=10))

    history = harness.slack.calls_to("conversations.history")
    assert history and history[0].params["channel"] == "D0CAROL"
    assert str(history[0].params.get("include_all_metadata")).lower() in ("true", "1")
    assert len(posts_of(harness, key)) == 1
    assert stored_with(harness, key) == [stored]
    recorded = row(harness, key)
    assert (recorded.state, recorded.ts, recorded.channel_id) == ("sent", stored["ts"], "D0CAROL")


def test_message_slack_stored_before_the_connection_dropped_is_found_in_history_not_posted_again(
    harness: Harness, slack_clock: str
) -> None:
    [key] = checkin_tasks(harness, U_CAROL)
    harness.slack.post_then_drop()

    at(harness, CHECKIN_AT)
    assert row(harness, key).state == "pending"
    [stored] = stored_with(harness, key)

    at(harness, CHECKIN_AT + timedelta(minutes=1))
    at(harness, CHECKIN_AT + timedelta(minutes=10))

    assert harness.slack.calls_to("conversations.history")
    assert len(posts_of(harness, key)) == 1
    assert stored_with(harness, key) == [stored]
    assert (row(harness, key).state, row(harness, key).ts) == ("sent", stored["ts"])


# -- a deliverer that crashed mid-send ----------------------------------------------------------------------


def _crashed_claim(h: Harness, key: str, *, tried: bool = True) -> OutboxMessage:
    """Plan at the check-in time, then claim the row as a deliverer would and "crash" (never mark): after
    counting its try, as just before posting (`tried`), or before it got to the row at all (a claim that does not
    count the try of its first message: one whose conversation's turn had not come, or a deliverer stopping)."""
    h.clock.set(CHECKIN_AT)
    assert h.baton.run_pass(deliver=False).planned == 1
    delivery = h.baton.delivery
    delivery._goes_at_once = lambda first: False  # type: ignore[method-assign]  # its first message does not go yet
    try:
        messages, renewed = delivery._claim(ids=None, limit=100, summary=DeliverySummary())
    finally:
        del delivery._goes_at_once  # the class's own again, for the deliveries that follow
    assert ([[c.dedupe_key for c in message] for message in messages], renewed) == ([[key]], None)
    assert row(h, key).attempts == 0  # a claim is not a try
    if tried:
        assert [c.dedupe_key for c in delivery._renew(messages[0])] == [key]
    taken = row(h, key)
    assert (taken.state, taken.lease_until, taken.attempts) == (
        "sending",
        CHECKIN_AT + timedelta(minutes=2),
        int(tried),
    )
    return taken


def test_row_claimed_by_a_crashed_deliverer_is_redelivered_once_after_its_lease_expires(harness: Harness) -> None:
    [key] = checkin_tasks(harness, U_CAROL)
    taken = _crashed_claim(harness, key)
    assert taken.lease_until is not None

    at(harness, taken.lease_until - timedelta(minutes=1))
    at(harness, taken.lease_until - timedelta(seconds=1))
    assert posts_of(harness, key) == []
    assert row(harness, key).state == "sending"

    at(harness, taken.lease_until)
    at(harness, taken.lease_until + timedelta(minutes=5))

    assert len(posts_of(harness, key)) == 1
    assert [m["channel"] for m in stored_with(harness, key)] == ["D0CAROL"]
    assert row(harness, key).state == "sent"


def test_a_row_claimed_but_never_tried_by_a_crashed_deliverer_is_posted_without_a_look(harness: Harness) -> None:
    """Rows a dead deliverer claimed but never got to cannot be in Slack: no history read is spent on them
    (a budget of one a minute for most apps), however many it had claimed."""
    [key] = checkin_tasks(harness, U_CAROL)
    taken = _crashed_claim(harness, key, tried=False)
    assert taken.lease_until is not None

    at(harness, taken.lease_until)

    assert len(posts_of(harness, key)) == 1
    assert harness.slack.calls_to("conversations.history") == []
    assert (row(harness, key).state, row(harness, key).attempts) == ("sent", 1)


def test_crash_after_slack_took_the_message_is_recorded_from_history_not_posted_again(
    harness: Harness, slack_clock: str
) -> None:
    [key] = checkin_tasks(harness, U_CAROL)
    taken = _crashed_claim(harness, key)
    assert taken.lease_until is not None
    # The crashed deliverer got as far as posting; Baton never recorded it.
    harness.baton.gateway.post_message(
        TEAM_ID, "D0CAROL", Message(text="How is Task number 0 going?"), dedupe_keys=[key]
    )
    [stored] = stored_with(harness, key)

    at(harness, taken.lease_until)
    at(harness, taken.lease_until + timedelta(minutes=5))

    assert len(posts_of(harness, key)) == 1  # the crashed deliverer's, no second one
    assert stored_with(harness, key) == [stored]
    assert (row(harness, key).state, row(harness, key).ts) == ("sent", stored["ts"])


# -- pacing ------------------------------------------------------------------------------------------------


def test_a_persons_checkins_go_in_one_message_while_another_persons_go_in_theirs(harness: Harness) -> None:
    """One DM per person per pass (CONTRACT, People's time): Carol's five check-ins are one message carrying
    all five keys, and Dave's is not held up behind it."""
    keys = checkin_tasks(harness, U_CAROL, U_CAROL, U_CAROL, U_CAROL, U_CAROL, U_DAVE)
    carol_keys, [dave_key] = keys[:5], keys[5:]
    harness.slack.clear()

    at(harness, CHECKIN_AT)
    at(harness, CHECKIN_AT + timedelta(seconds=1))

    posts = harness.slack.calls_to("chat.postMessage")
    assert sorted(c.params["channel"] for c in posts) == ["D0CAROL", "D0DAVE"]
    [to_carol] = [c for c in posts if c.params["channel"] == "D0CAROL"]
    assert sorted(dedupe_keys(to_carol.params)) == sorted(carol_keys)
    assert [len(stored_with(harness, k)) for k in carol_keys] == [1] * 5
    assert [len(stored_with(harness, dave_key))] == [1]
    stored = {(r.state, r.attempts, r.ts) for r in harness.outbox() if r.dedupe_key in carol_keys}
    assert stored == {("sent", 1, harness.slack.messages("D0CAROL")[-1]["ts"])}


def test_checkin_retried_until_after_a_downtime_is_not_sent_beside_that_days_own_checkin(harness: Harness) -> None:
    """At most one check-in per task per local day (CONTRACT), even when a check-in waiting for a retry
    meets a scheduler that stopped: Monday's must not arrive on Wednesday with Wednesday's."""
    keys = checkin_tasks(harness, U_CAROL, U_CAROL)
    monday, wednesday = datetime(2026, 12, 7, 16, tzinfo=UTC), datetime(2026, 12, 9, 16, tzinfo=UTC)  # 11:00
    harness.slack.fail("chat.postMessage", retry_after=1)

    at(harness, monday)  # both tasks' Monday check-ins are planned; Slack says to wait a second
    assert {r.state for r in harness.outbox() if r.dedupe_key.startswith("checkin:")} == {"pending"}
    before = len(harness.slack.calls_to("chat.postMessage"))
    for second in range(4):  # the scheduler was down until Wednesday
        at(harness, wednesday + timedelta(seconds=second))

    on_wednesday = [k for c in harness.slack.calls_to("chat.postMessage")[before:] for k in dedupe_keys(c.params)]
    task_ids = [key.split(":")[1] for key in keys]
    assert sorted(k for k in on_wednesday if k.startswith("checkin:")) == [
        f"checkin:{t}:2026-12-09" for t in task_ids
    ]  # Wednesday's for each task, and not Monday's late one beside it
    assert {r.state for r in harness.outbox() if r.dedupe_key.endswith("2026-12-07")} == {"skipped"}


def test_overdue_notice_retried_until_after_a_downtime_is_not_sent_beside_that_days_own_notice(
    harness: Harness,
) -> None:
    """Overdue notices go once each working day (CONTRACT); after an outage the latest only."""
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    harness.command("setup", user=U_MANAGER, command="/team", channel=TEAM_CHANNEL)
    harness.command(f"<@{U_CAROL}> Close the quarter by 2026-12-07 07:00", user=U_MANAGER, channel=TEAM_CHANNEL)
    harness.accept(U_CAROL)
    monday, wednesday = datetime(2026, 12, 7, 16, tzinfo=UTC), datetime(2026, 12, 9, 16, tzinfo=UTC)  # 11:00
    harness.slack.fail("chat.postMessage", retry_after=1)

    at(harness, monday)  # Monday's check-in and overdue notice to Carol: Slack says to wait a second
    for second in range(4):  # the scheduler was down until Wednesday
        at(harness, wednesday + timedelta(seconds=second))

    to_carol = [
        key
        for c in harness.slack.calls_to("chat.postMessage")
        if c.params["channel"] == "D0CAROL"
        for key in dedupe_keys(c.params)
        if key.startswith("overdue:")
    ]
    assert sorted({k.split(":")[-2] for k in to_carol}) == ["2026-12-07", "2026-12-09"]
    to_her = [r for r in harness.outbox() if r.kind == "overdue" and r.recipient_id == U_CAROL]
    assert [(r.dedupe_key.split(":")[-2], r.state) for r in to_her] == [
        ("2026-12-07", "skipped"),  # tried on Monday, refused with a 429, overtaken by Wednesday's own
        ("2026-12-09", "sent"),
    ]
