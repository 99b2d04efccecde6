"""The weekly manager digest through scheduler passes at chosen fake moments: Monday 09:00 in each
manager's own zone, once, with catch-up of only the latest Monday, and nothing on a quiet week."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services.preview import preview
from storage.models import OutboxMessage
from tests.conftest import Harness, flatten
from tests.fakes.posts import dedupe_key
from tests.fakes.slack_api import TEAM_ID, U_ALICE, U_BOB, U_MANAGER, dm_channel_id
from tests.service.test_planner_timing import (
    Post,
    delegate,
    every,
    run_passes,
    setup_team,
    utc,
)

TOKYO_CHANNEL = "C0TOKYO"
NY_MONDAY_9 = utc(2026, 12, 7, 14)  # 09:00 EST
TOKYO_MONDAY_9 = utc(2026, 12, 7, 0)  # 09:00 JST


def digests(posts: list[Post]) -> list[tuple[datetime, str, str]]:
    return [(p.at, p.channel, p.key) for p in posts if p.key.startswith("digest:")]


def two_teams_with_overdue_work(h: Harness) -> None:
    """U_MANAGER (New York) manages #team, Bob (Tokyo) #tokyo; each has a task overdue by Monday."""
    h.clock.set(utc(2026, 12, 2, 15))  # Wednesday
    setup_team(h, manager=U_MANAGER)
    setup_team(h, manager=U_BOB, channel=TOKYO_CHANNEL)
    delegate(h, f"<@{U_ALICE}> Fix the refund macro by 2026-12-04 17:00", by=U_MANAGER)
    delegate(h, f"<@{U_ALICE}> Translate the help centre by 2026-12-04 17:00", by=U_BOB, channel=TOKYO_CHANNEL)


def test_each_manager_gets_one_digest_at_monday_nine_in_their_own_zone(harness: Harness) -> None:
    two_teams_with_overdue_work(harness)
    bursts = [moment + timedelta(seconds=n) for moment in (NY_MONDAY_9, TOKYO_MONDAY_9) for n in range(-1, 5)]

    posts = run_passes(harness, every(utc(2026, 12, 2, 16), utc(2026, 12, 8, 12), minutes=60, also=bursts))

    assert digests(posts) == [
        (TOKYO_MONDAY_9, dm_channel_id(U_BOB), f"digest:{TEAM_ID}:{U_BOB}:2026-12-07"),
        (NY_MONDAY_9, dm_channel_id(U_MANAGER), f"digest:{TEAM_ID}:{U_MANAGER}:2026-12-07"),
    ]
    calls = [c for c in harness.slack.calls_to("chat.postMessage") if dedupe_key(c.params).startswith("digest:")]
    shown = {c.params["channel"]: c.params["text"] + "\n" + flatten(c.params.get("blocks")) for c in calls}
    assert "Fix the refund macro" in shown[dm_channel_id(U_MANAGER)]
    assert "Translate the help centre" not in shown[dm_channel_id(U_MANAGER)]
    assert "Translate the help centre" in shown[dm_channel_id(U_BOB)]
    assert "Overdue" in shown[dm_channel_id(U_BOB)]


def test_the_digest_covers_every_team_the_manager_manages_in_one_message(harness: Harness) -> None:
    harness.clock.set(utc(2026, 12, 2, 15))
    setup_team(harness, manager=U_MANAGER)
    setup_team(harness, manager=U_MANAGER, channel=TOKYO_CHANNEL)
    delegate(harness, f"<@{U_ALICE}> Fix the refund macro by 2026-12-04 17:00", by=U_MANAGER)
    delegate(harness, f"<@{U_BOB}> Translate the help centre by 2026-12-04 17:00", by=U_MANAGER, channel=TOKYO_CHANNEL)

    posts = run_passes(harness, every(utc(2026, 12, 2, 16), utc(2026, 12, 8, 12), minutes=60))

    assert digests(posts) == [(NY_MONDAY_9, dm_channel_id(U_MANAGER), f"digest:{TEAM_ID}:{U_MANAGER}:2026-12-07")]
    [call] = [c for c in harness.slack.calls_to("chat.postMessage") if dedupe_key(c.params).startswith("digest:")]
    shown = flatten(call.params.get("blocks"))
    assert "Fix the refund macro" in shown and "Translate the help centre" in shown


def test_a_quiet_week_sends_no_digest(harness: Harness) -> None:
    harness.clock.set(utc(2026, 12, 2, 15))
    setup_team(harness)
    delegate(harness, f"<@{U_ALICE}> Plan the offsite by 2027-01-20 17:00")  # far off, nothing to say

    posts = run_passes(harness, every(utc(2026, 12, 2, 16), utc(2026, 12, 15, 12), minutes=60))

    assert digests(posts) == []
    assert [r for r in harness.outbox() if r.kind == "digest"] == []


def test_after_downtime_only_the_latest_mondays_digest_goes_out_once(harness: Harness) -> None:
    two_teams_with_overdue_work(harness)
    run_passes(harness, [utc(2026, 12, 2, 16)])  # the scheduler sees both managers, then stops

    # Down for two Mondays; back on Wednesday 16 December at 08:00 in New York (22:00 in Tokyo).
    passes = [utc(2026, 12, 16, 13), utc(2026, 12, 16, 13, 1), utc(2026, 12, 16, 23), utc(2026, 12, 16, 23, 1)]
    posts = run_passes(harness, [*passes, utc(2026, 12, 17, 13)])

    # The latest Monday's digest only; Bob's waits for his next working morning, Thursday 08:00 in Tokyo.
    # Each manager's DM carries one message per pass, so a digest may wait a second behind an overdue notice.
    assert sorted((at.replace(minute=0), channel, key) for at, channel, key in digests(posts)) == [
        (utc(2026, 12, 16, 13), dm_channel_id(U_MANAGER), f"digest:{TEAM_ID}:{U_MANAGER}:2026-12-14"),
        (utc(2026, 12, 16, 23), dm_channel_id(U_BOB), f"digest:{TEAM_ID}:{U_BOB}:2026-12-14"),
    ]
    assert len(digests(posts)) == 2
    rows = harness.rows(OutboxMessage, OutboxMessage.kind == "digest")
    assert len(rows) == 2


# -- schedule preview --------------------------------------------------------------------------------


def test_preview_lists_what_later_passes_send_and_changes_nothing(harness: Harness) -> None:
    harness.clock.set(utc(2026, 12, 2, 15))  # Wednesday
    setup_team(harness)
    delegate(harness, f"<@{U_ALICE}> Fix the refund macro by 2026-12-04 17:00")
    run_passes(harness, [utc(2026, 12, 2, 15, 1)])  # the assignment DM goes out
    start = utc(2026, 12, 2, 15, 5)
    harness.clock.set(start)
    before = [(t.id, t.next_check_at, t.checkin_after, t.overdue_after) for t in harness.tasks()]
    outbox_before = len(harness.outbox())

    shown = preview(harness.baton.uow, now=start, days=7, limit=200)

    assert not shown.truncated
    assert [(t.id, t.next_check_at, t.checkin_after, t.overdue_after) for t in harness.tasks()] == before
    assert len(harness.outbox()) == outbox_before  # rolled back
    posts = run_passes(harness, every(start, start + timedelta(days=7), minutes=10))
    sent = {p.key: p.at for p in posts}
    assert {i.dedupe_key for i in shown.items} == set(sent)
    for item in shown.items:  # each goes out at the first pass at or after its moment
        assert item.at <= sent[item.dedupe_key] < item.at + timedelta(minutes=10), item
    kinds = {i.kind for i in shown.items}
    assert {"checkin", "warning", "overdue", "digest"} <= kinds
    [digest_item] = [i for i in shown.items if i.kind == "digest"]
    assert (digest_item.at, digest_item.recipient_tz) == (NY_MONDAY_9, "America/New_York")


def test_preview_stops_at_its_limit_and_says_so(harness: Harness) -> None:
    harness.clock.set(utc(2026, 12, 2, 15))
    setup_team(harness)
    delegate(harness, f"<@{U_ALICE}> Fix the refund macro by 2026-12-04 17:00")

    shown = preview(harness.baton.uow, now=utc(2026, 12, 2, 15, 5), days=30, limit=3)

    assert shown.truncated and len(shown.items) == 3


def test_preview_out_of_time_stops_early_and_says_so(harness: Harness) -> None:
    harness.clock.set(utc(2026, 12, 2, 15))
    setup_team(harness)
    delegate(harness, f"<@{U_ALICE}> Fix the refund macro by 2026-12-04 17:00")

    shown = preview(harness.baton.uow, now=utc(2026, 12, 2, 15, 5), days=30, limit=200, budget_seconds=0)

    assert shown.truncated and shown.items == []
