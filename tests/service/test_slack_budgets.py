"""Keeping within Slack's platform limits: DMs without conversations.open, a lost message looked for in a window
small by construction within the history budget, and Home tab refreshes that wait their turn, not dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.model import Message
from bot.services.ports import RetryLater
from storage.models import OutboxMessage, Person
from tests.conftest import Harness
from tests.fakes.posts import dedupe_keys
from tests.fakes.slack_api import U_ALICE, U_BOB, U_MANAGER, dm_channel_id

D_ALICE = dm_channel_id(U_ALICE)
CHECKIN_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 10:00 in Berlin, Alice's check-in moment


def delegate(h: Harness, title: str, *, to: str = U_ALICE) -> None:
    answer = h.command(f"<@{to}> {title}", user=U_MANAGER)
    assert "Created T-" in answer, answer


def test_a_dm_goes_to_the_persons_id_without_conversations_open_and_its_channel_is_kept(harness: Harness) -> None:
    delegate(harness, "Call the customer back")

    [post] = harness.slack.calls_to("chat.postMessage")
    assert post.params["channel"] == U_ALICE
    assert harness.slack.calls_to("conversations.open") == []
    [alice] = harness.rows(Person, Person.user_id == U_ALICE)
    assert alice.dm_channel_id == D_ALICE
    [row] = harness.outbox()
    assert (row.state, row.channel_id) == ("sent", D_ALICE)

    harness.accept(U_ALICE)  # the assignment DM is redrawn in its D… channel
    harness.clock.set(CHECKIN_AT)
    harness.baton.run_pass()
    checkin = harness.slack.calls_to("chat.postMessage")[-1]
    assert checkin.params["channel"] == D_ALICE  # the kept channel, once known
    assert harness.slack.calls_to("conversations.open") == []


def test_a_lost_answer_is_looked_for_only_between_the_messages_baton_knew_before_and_after(harness: Harness) -> None:
    delegate(harness, "First task")
    harness.accept(U_ALICE)
    [known] = [m for m in harness.slack.messages(D_ALICE) if dedupe_keys(m) == ["assign:1:1"]]
    for n in range(40):  # Alice's notes in the DM before the check-in: in the window, older than the lost message
        harness.slack.seed_message(D_ALICE, text=f"note to self {n}", user=U_ALICE)
    harness.slack.post_then_drop()
    harness.clock.set(CHECKIN_AT)
    assert harness.baton.run_pass().retried == 1
    [lost] = [m for m in harness.slack.messages(D_ALICE) if dedupe_keys(m) == ["checkin:1:2026-12-02"]]

    harness.clock.set(CHECKIN_AT + timedelta(minutes=5))
    summary = harness.baton.run_pass()

    assert summary.sent == 1
    [look] = harness.slack.calls_to("conversations.history")
    assert look.params["channel"] == D_ALICE
    assert look.params["oldest"] == known["ts"]  # after the last message Baton knew there
    assert int(look.params["limit"]) == 15  # the strict limits' page
    [row] = [r for r in harness.outbox() if r.kind == "checkin"]
    assert (row.state, row.ts) == ("sent", lost["ts"])
    assert len([m for m in harness.slack.messages(D_ALICE) if "checkin:1:2026-12-02" in dedupe_keys(m)]) == 1


def test_a_look_cut_short_by_the_history_budget_goes_on_below_where_it_stopped(harness: Harness) -> None:
    """Under the strict limits (one call a minute, 15 messages a page) a lost message with more than a page of
    newer messages above it is found by looks that each read the next page down, never the newest page again."""
    delegate(harness, "First task")
    harness.accept(U_ALICE)
    harness.slack.post_then_drop()
    harness.clock.set(CHECKIN_AT)
    assert harness.baton.run_pass().retried == 1
    [lost] = [m for m in harness.slack.messages(D_ALICE) if dedupe_keys(m) == ["checkin:1:2026-12-02"]]
    for n in range(20):  # Alice types in the DM after it: newer than the lost message, inside the window
        harness.slack.seed_message(D_ALICE, text=f"thinking aloud {n}", user=U_ALICE)

    harness.clock.set(CHECKIN_AT + timedelta(minutes=5))
    harness.baton.run_pass()  # page one (the 15 newest); page two is over the budget for a minute

    [first] = harness.slack.calls_to("conversations.history")
    newest_page = harness.slack.messages(D_ALICE)[-15:]
    assert [r.state for r in harness.outbox() if r.kind == "checkin"] == ["pending"]

    harness.clock.set(CHECKIN_AT + timedelta(minutes=7))
    harness.baton.run_pass()

    first, second = harness.slack.calls_to("conversations.history")
    assert second.params.get("cursor") is None
    assert second.params["latest"] == newest_page[0]["ts"], "the second look starts below the page already read"
    assert second.params["oldest"] == first.params["oldest"]
    [row] = [r for r in harness.outbox() if r.kind == "checkin"]
    assert (row.state, row.ts) == ("sent", lost["ts"])
    assert len([m for m in harness.slack.messages(D_ALICE) if "checkin:1:2026-12-02" in dedupe_keys(m)]) == 1


def test_a_look_that_cannot_be_made_for_a_day_gives_up_without_posting(harness: Harness) -> None:
    harness.clock.set(CHECKIN_AT)
    harness.slack.post_then_drop()
    delegate(harness, "First task")  # the assignment DM reaches Alice; its answer is lost
    posts = len(harness.slack.calls_to("chat.postMessage"))
    harness.slack.fail("conversations.history", retry_after=600, times=1000)

    for hours in (1, 12, 23):
        harness.clock.set(CHECKIN_AT + timedelta(hours=hours))
        harness.baton.run_pass()
        assert [r.state for r in harness.outbox() if r.kind == "assignment"] == ["pending"], hours
    harness.clock.set(CHECKIN_AT + timedelta(hours=25))
    harness.baton.run_pass()

    [row] = [r for r in harness.outbox() if r.kind == "assignment"]
    assert row.state == "failed"
    assert "history not read" in (row.last_error or "")
    assert len(harness.slack.calls_to("chat.postMessage")) == posts, "never posted a second time"


def test_a_look_the_history_budget_cannot_make_now_waits_and_never_posts_twice(harness: Harness) -> None:
    for who in (U_ALICE, U_BOB):
        delegate(harness, f"Task for {who}", to=who)
        harness.accept(who)
    harness.slack.post_then_drop(times=2)
    harness.clock.set(CHECKIN_AT)
    harness.baton.run_pass()  # Alice's check-in and Bob's (caught up: 18:00 in Tokyo) reach Slack, answers lost
    posts_before = len(harness.slack.calls_to("chat.postMessage"))

    harness.clock.set(CHECKIN_AT + timedelta(hours=1))
    harness.baton.run_pass()  # one look a minute under the strict limits: the other waits, and nothing is posted

    assert len(harness.slack.calls_to("conversations.history")) == 1
    assert len(harness.slack.calls_to("chat.postMessage")) == posts_before
    checkins = [r for r in harness.outbox() if r.kind == "checkin"]
    assert sorted(r.state for r in checkins) == ["pending", "sent"]

    harness.clock.set(CHECKIN_AT + timedelta(hours=1, minutes=5))
    harness.baton.run_pass()

    assert len(harness.slack.calls_to("conversations.history")) == 2
    assert {r.state for r in harness.outbox() if r.kind == "checkin"} == {"sent"}
    keys = [k for m in harness.slack.messages() for k in dedupe_keys(m) if k.startswith("checkin:")]
    assert len(keys) == 2 and len(set(keys)) == 2, "no check-in posted twice"
    assert len(harness.slack.calls_to("chat.postMessage")) == posts_before


def test_a_home_tab_refresh_slack_rate_limits_is_tried_again_not_dropped(harness: Harness) -> None:
    harness.slack.fail("views.publish", retry_after=7)
    timers: list[tuple[float, Any]] = []
    deliverer = harness.baton.deliverer
    assert deliverer is not None
    deliverer.start_timer = lambda seconds, run: timers.append((seconds, run)) or _NoTimer()  # type: ignore[method-assign,func-returns-value]

    delegate(harness, "Refresh me")

    assert any(seconds == 7 for seconds, _ in timers)
    published_before = len(harness.slack.calls_to("views.publish"))
    for seconds, run in list(timers):
        if seconds == 7:
            harness.clock.advance(seconds=7)
            run()
    assert len(harness.slack.calls_to("views.publish")) > published_before
    assert harness.slack.home_view(U_ALICE) is not None or harness.slack.home_view(U_MANAGER) is not None


class _NoTimer:
    def cancel(self) -> None:
        return None


def test_over_budget_a_post_is_held_back_without_counting_an_attempt(harness: Harness) -> None:
    for _ in range(300):
        harness.baton.gateway.limits.take("T0WORKSPACE", "chat.postMessage")

    delegate(harness, "Over budget")

    [row] = harness.rows(OutboxMessage)
    # Left as it is, unclaimed, for the delivery that wakes when the budget frees (or the next pass).
    assert (row.state, row.attempts, row.lease_until) == ("pending", 0, None)
    assert harness.slack.calls_to("chat.postMessage") == []
    harness.clock.advance(minutes=1)
    harness.baton.run_pass()
    assert [r.state for r in harness.rows(OutboxMessage)] == ["sent"]


def test_the_gateway_says_why_it_held_a_call_back(harness: Harness) -> None:
    gateway = harness.baton.gateway
    for _ in range(50):
        gateway.limits.take("T0WORKSPACE", "chat.update")

    outcome = gateway.edit_message("T0WORKSPACE", D_ALICE, "1.1", _message())

    assert isinstance(outcome, RetryLater) and not outcome.attempted and outcome.reason == "throttled"
    assert harness.slack.calls_to("chat.update") == []
    harness.clock.advance(minutes=1)
    gateway.edit_message("T0WORKSPACE", D_ALICE, "1.1", _message())
    assert len(harness.slack.calls_to("chat.update")) == 1  # a minute later the budget lets it through


def _message() -> Message:
    return Message(text="hello")


def test_a_home_refresh_over_the_views_publish_budget_is_not_built(harness: Harness) -> None:
    gateway = harness.baton.gateway
    for _ in range(300):
        gateway.limits.take("T0WORKSPACE", "views.publish")
    built: list[int] = []

    def build() -> dict[str, Any]:
        built.append(1)
        return {"type": "home", "blocks": []}

    outcome = gateway.publish_home("T0WORKSPACE", U_ALICE, build)

    assert isinstance(outcome, RetryLater) and not outcome.attempted
    assert built == [], "no Home read from the database for a call that cannot go"
    assert harness.slack.calls_to("views.publish") == []
    harness.clock.advance(minutes=1)
    gateway.publish_home("T0WORKSPACE", U_ALICE, build)
    assert built == [1]
    [published] = harness.slack.calls_to("views.publish")
    assert published.params["user_id"] == U_ALICE


def test_a_claim_over_the_post_budget_holds_every_post_left_to_the_workspace_before_drawing_them(
    harness: Harness,
) -> None:
    """The first post Slack's budget would refuse puts it and every later post of the claim to that workspace back,
    in one transaction, uncounted, and none of them is read or drawn: a burst over the budget costs one write."""
    limits = harness.baton.gateway.limits
    for _ in range(300):
        limits.take("T0WORKSPACE", "chat.postMessage")
    delegate(harness, "First", to=U_ALICE)
    delegate(harness, "Second", to=U_BOB)
    assert [r.state for r in harness.rows(OutboxMessage)] == ["pending", "pending"]

    harness.clock.advance(minutes=1)
    for _ in range(299):  # one post left in the next minute
        limits.take("T0WORKSPACE", "chat.postMessage")
    drawn: list[int] = []
    render = harness.baton.delivery._render
    harness.baton.delivery._render = lambda message, *, now: (drawn.append(1), render(message, now=now))[1]  # type: ignore[method-assign]
    summary = harness.baton.run_pass()

    assert (summary.sent, len(drawn), len(harness.slack.calls_to("chat.postMessage"))) == (1, 1, 1)
    [left] = [r for r in harness.rows(OutboxMessage) if r.state != "sent"]
    assert (left.state, left.attempts) == ("pending", 0)
    assert left.not_before > harness.clock.now()
    harness.clock.advance(minutes=1)
    harness.baton.run_pass()
    assert [r.state for r in harness.rows(OutboxMessage)] == ["sent", "sent"]


def test_a_pass_leaves_posts_unclaimed_while_the_workspace_has_no_post_budget(harness: Harness) -> None:
    """Rows that would be posts wait for the budget where they are, in one UPDATE: no lease taken, nothing read or
    drawn, no try counted; a minute later they go."""
    from sqlalchemy import event

    limits = harness.baton.gateway.limits
    for _ in range(300):
        limits.take("T0WORKSPACE", "chat.postMessage")
    delegate(harness, "First", to=U_ALICE)
    delegate(harness, "Second", to=U_BOB)
    harness.clock.advance(minutes=1)  # both due; the budget spent again before the pass
    for _ in range(300):
        limits.take("T0WORKSPACE", "chat.postMessage")
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(harness.baton.engine, "before_cursor_execute", seen)
    try:
        summary = harness.baton.run_pass()
    finally:
        event.remove(harness.baton.engine, "before_cursor_execute", seen)

    assert summary.sent == 0
    assert not [s for s in statements if s.startswith("UPDATE outbox SET state")], "no row was claimed"
    rows = harness.rows(OutboxMessage)
    assert [(r.state, r.attempts, r.lease_until) for r in rows] == [("pending", 0, None)] * 2
    assert all(r.not_before > harness.clock.now() for r in rows)
    harness.clock.advance(minutes=1)
    harness.baton.run_pass()
    assert [r.state for r in harness.rows(OutboxMessage)] == ["sent", "sent"]
    assert len(harness.slack.calls_to("chat.postMessage")) == 2
