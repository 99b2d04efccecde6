"""Answers to a check-in that was really sent: its buttons, the Blocked reason modal and emoji reactions,
all through signed requests (CONTRACT "What the scheduler sends", "Each message is sent once")."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from handlers import ids
from storage.models import OutboxMessage, Task, TaskEvent
from tests.conftest import Harness, flatten
from tests.fakes.posts import dedupe_key
from tests.fakes.requests import plain_text_value, reaction_added_event
from tests.fakes.slack_api import C_GENERAL, U_ALICE, U_BOB, U_MANAGER, dm_channel_id
from tests.helpers import action_ids, shown

# Alice is in Berlin: Wednesday 2 December 2026, 10:00 there is 09:00 UTC, the default check-in time.
CHECKIN_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
D_ALICE = dm_channel_id(U_ALICE)
D_MANAGER = dm_channel_id(U_MANAGER)
HOSTILE_REASON = "<!here> & stuff"
ESCAPED_REASON = "&lt;!here&gt; &amp; stuff"

DONE_EMOJI = ("white_check_mark", "heavy_check_mark")
ON_TRACK_EMOJI = ("+1", "thumbsup")
BLOCKED_EMOJI = ("construction", "octagonal_sign", "no_entry")


@dataclass(frozen=True)
class CheckIn:
    task_id: int
    channel: str
    ts: str
    message: dict[str, Any]


# -- helpers -----------------------------------------------------------------------------------------


def send_checkin(h: Harness, title: str = "Fix the refund macro") -> CheckIn:
    """Delegate a task to Alice, then run the scheduler pass at her check-in moment."""
    h.command(f"<@{U_ALICE}> {title} by fri 5pm", user=U_MANAGER)
    h.accept(U_ALICE)
    h.clock.set(CHECKIN_AT)
    summary = h.baton.run_pass()
    assert (summary.planned, summary.sent) == (1, 1), summary
    found = [m for m in h.slack.messages(D_ALICE) if dedupe_key(m).startswith("checkin:")]
    assert len(found) == 1, found
    [task] = h.tasks()
    h.slack.clear()
    return CheckIn(task_id=task.id, channel=D_ALICE, ts=found[0]["ts"], message=found[0])


def task_row(h: Harness) -> Task:
    [task] = h.tasks()
    return task


def history(h: Harness, action: str) -> list[TaskEvent]:
    return h.rows(TaskEvent, TaskEvent.action == action)


def posts(h: Harness) -> list[dict[str, Any]]:
    return [c.params for c in h.slack.calls_to("chat.postMessage")]


def blocked_alerts(h: Harness) -> list[dict[str, Any]]:
    return [p for p in posts(h) if p.get("channel") in (D_MANAGER, U_MANAGER) and "blocked" in shown(p).lower()]


def updates_of(h: Harness, c: CheckIn) -> list[dict[str, Any]]:
    return [
        call.params
        for call in h.slack.calls_to("chat.update")
        if call.params.get("channel") == c.channel and str(call.params.get("ts")) == c.ts
    ]


def click(h: Harness, c: CheckIn, action_id: str, *, user: str = U_ALICE) -> None:
    h.click(action_id, str(c.task_id), user=user, channel_id=c.channel, message=c.message)


def react(
    h: Harness, c: CheckIn, emoji: str, *, user: str = U_ALICE, event_id: str = "EvReact1", **kwargs: Any
) -> None:
    event = reaction_added_event(emoji, user_id=user, channel=c.channel, ts=c.ts)
    response = h.event(event, event_id=event_id, **kwargs)
    assert response.status == 200, response.body


def opened_blocked_modal(h: Harness) -> dict[str, Any]:
    [call] = h.slack.calls_to("views.open")
    view = call.params["view"]
    assert view["callback_id"] == ids.VIEW_BLOCKED
    return dict(view)


def submit_reason(h: Harness, view: dict[str, Any], reason: str | None, *, user: str = U_ALICE) -> Any:
    metadata = json.loads(view.get("private_metadata") or "null")
    values = {ids.BLOCK_REASON: {ids.INPUT_REASON: plain_text_value(reason)}}
    return h.submit(ids.VIEW_BLOCKED, values, user=user, metadata=metadata)


def snapshot(h: Harness) -> tuple[int, int, int, str]:
    """What a no-op must leave alone: posts, outbox rows, history lines, the task's status."""
    return (len(h.slack.calls_to("chat.postMessage")), len(h.outbox()), len(h.rows(TaskEvent)), task_row(h).status)


# -- the check-in itself ---------------------------------------------------------------------------------


def test_the_checkin_dm_carries_the_three_buttons_and_baton_metadata(harness: Harness) -> None:
    c = send_checkin(harness)

    assert {ids.ACTION_CHECKIN_ON_TRACK, ids.ACTION_CHECKIN_BLOCKED, ids.ACTION_CHECKIN_DONE} <= set(
        action_ids(c.message)
    )
    assert c.message["metadata"]["event_type"] == ids.METADATA_EVENT_TYPE
    [row] = harness.rows(OutboxMessage, OutboxMessage.kind == "checkin")
    assert (row.state, row.channel_id, row.ts) == ("sent", c.channel, c.ts)


# -- On track ----------------------------------------------------------------------------------------------


def test_on_track_button_records_history_and_replaces_the_checkin(harness: Harness) -> None:
    c = send_checkin(harness)

    click(harness, c, ids.ACTION_CHECKIN_ON_TRACK)

    [entry] = history(harness, "checkin_on_track")
    assert entry.actor_id == U_ALICE
    assert task_row(harness).status not in ("done", "cancelled", "declined")
    [response] = harness.slack.responses
    assert response.get("replace_original") is True
    assert action_ids(response) == [], "the answered check-in must lose its buttons"
    assert "On track" in shown(response)
    assert posts(harness) == [], "on track tells nobody"


def test_a_double_click_on_on_track_records_and_sends_once(harness: Harness) -> None:
    c = send_checkin(harness)
    click(harness, c, ids.ACTION_CHECKIN_ON_TRACK)
    before = snapshot(harness)

    click(harness, c, ids.ACTION_CHECKIN_ON_TRACK)

    assert snapshot(harness) == before
    assert len(history(harness, "checkin_on_track")) == 1


# -- Done ----------------------------------------------------------------------------------------------------


def test_done_button_completes_the_task_and_celebrates(harness: Harness) -> None:
    c = send_checkin(harness)

    click(harness, c, ids.ACTION_CHECKIN_DONE)

    assert task_row(harness).status == "done"
    [celebration] = harness.slack.messages(C_GENERAL)
    assert "finished" in shown(celebration)
    assert "Fix the refund macro" in shown(celebration)
    [response] = harness.slack.responses
    assert response.get("replace_original") is True
    assert action_ids(response) == []


def test_a_double_click_on_done_celebrates_once(harness: Harness) -> None:
    c = send_checkin(harness)
    click(harness, c, ids.ACTION_CHECKIN_DONE)
    before = snapshot(harness)

    click(harness, c, ids.ACTION_CHECKIN_DONE)

    assert snapshot(harness) == before
    assert len(harness.slack.messages(C_GENERAL)) == 1


# -- Blocked ---------------------------------------------------------------------------------------------------


def test_blocked_button_opens_the_reason_modal(harness: Harness) -> None:
    c = send_checkin(harness)

    click(harness, c, ids.ACTION_CHECKIN_BLOCKED)

    view = opened_blocked_modal(harness)
    assert view["type"] == "modal"
    assert posts(harness) == [], "nothing is sent before the reason is submitted"
    assert history(harness, "checkin_blocked") == []


def test_submitting_the_reason_alerts_the_delegator_once_with_the_reason_escaped(harness: Harness) -> None:
    c = send_checkin(harness)
    click(harness, c, ids.ACTION_CHECKIN_BLOCKED)
    view = opened_blocked_modal(harness)

    response = submit_reason(harness, view, HOSTILE_REASON)

    assert response.status == 200
    assert not response.body or "errors" not in json.loads(response.body)
    [alert] = blocked_alerts(harness)
    raw = json.dumps({"text": alert.get("text"), "blocks": alert.get("blocks")})
    assert ESCAPED_REASON in shown(alert)
    quoted = [line for line in flatten(alert.get("blocks") or []).splitlines() if line.startswith(">")]
    assert quoted and ESCAPED_REASON in "\n".join(quoted), "the alert quotes the reason"
    assert "<!here>" not in raw, "a reason must never ping anyone"
    [entry] = history(harness, "checkin_blocked")
    assert (entry.actor_id, entry.detail) == (U_ALICE, HOSTILE_REASON)
    [update] = updates_of(harness, c)
    assert action_ids(update) == []
    assert "Blocked" in shown(update)
    assert "<!here>" not in json.dumps(update)


def test_a_blocked_reason_left_empty_still_alerts_the_delegator(harness: Harness) -> None:
    c = send_checkin(harness)
    click(harness, c, ids.ACTION_CHECKIN_BLOCKED)

    submit_reason(harness, opened_blocked_modal(harness), None)

    assert len(blocked_alerts(harness)) == 1
    assert len(updates_of(harness, c)) == 1


def test_a_double_submit_of_the_reason_sends_one_alert(harness: Harness) -> None:
    c = send_checkin(harness)
    click(harness, c, ids.ACTION_CHECKIN_BLOCKED)
    view = opened_blocked_modal(harness)
    submit_reason(harness, view, "waiting on legal")
    before = snapshot(harness)

    submit_reason(harness, view, "waiting on legal")

    assert snapshot(harness) == before
    assert len(blocked_alerts(harness)) == 1
    assert len(history(harness, "checkin_blocked")) == 1


# -- someone else ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action_id", [ids.ACTION_CHECKIN_ON_TRACK, ids.ACTION_CHECKIN_DONE, ids.ACTION_CHECKIN_BLOCKED]
)
def test_someone_else_clicking_is_refused_and_nothing_changes(harness: Harness, action_id: str) -> None:
    c = send_checkin(harness)
    before = snapshot(harness)

    click(harness, c, action_id, user=U_BOB)

    assert snapshot(harness) == before
    assert harness.slack.calls_to("views.open") == []
    assert harness.slack.calls_to("chat.update") == []
    [refusal] = harness.slack.responses
    assert refusal.get("replace_original") is not True, "the assignee's check-in must stay as it was"
    assert shown(refusal).strip(), "a refusal says why"


def test_someone_else_submitting_a_blocked_reason_is_refused(harness: Harness) -> None:
    c = send_checkin(harness)
    click(harness, c, ids.ACTION_CHECKIN_BLOCKED)
    view = opened_blocked_modal(harness)
    before = snapshot(harness)

    response = submit_reason(harness, view, "not mine to say", user=U_BOB)

    assert snapshot(harness) == before
    assert updates_of(harness, c) == []
    assert response.body and "errors" in json.loads(response.body)


# -- reactions -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("emoji", DONE_EMOJI)
def test_a_done_reaction_completes_the_task(harness: Harness, emoji: str) -> None:
    c = send_checkin(harness)

    react(harness, c, emoji)

    assert task_row(harness).status == "done"
    assert len(harness.slack.messages(C_GENERAL)) == 1, "the celebration"
    [update] = updates_of(harness, c)
    assert action_ids(update) == []
    assert "Done" in shown(update)


@pytest.mark.parametrize("emoji", ON_TRACK_EMOJI)
def test_an_on_track_reaction_records_on_track(harness: Harness, emoji: str) -> None:
    c = send_checkin(harness)

    react(harness, c, emoji)

    [entry] = history(harness, "checkin_on_track")
    assert entry.actor_id == U_ALICE
    assert posts(harness) == []
    [update] = updates_of(harness, c)
    assert action_ids(update) == []
    assert "On track" in shown(update)


@pytest.mark.parametrize("emoji", BLOCKED_EMOJI)
def test_a_blocked_reaction_alerts_the_delegator_without_a_reason(harness: Harness, emoji: str) -> None:
    c = send_checkin(harness)

    react(harness, c, emoji)

    [alert] = blocked_alerts(harness)
    lines = flatten(alert.get("blocks") or []).splitlines()
    assert not [line for line in lines if line.startswith(">")], "a reaction gives no reason to quote"
    assert len(alert.get("blocks") or []) == 2, "headline and task line only"
    assert harness.slack.calls_to("views.open") == [], "a reaction opens no modal"
    [entry] = history(harness, "checkin_blocked")
    assert entry.detail == ""
    [update] = updates_of(harness, c)
    assert "Blocked" in shown(update)
    assert action_ids(update) == []


@pytest.mark.parametrize("emoji", [*DONE_EMOJI, ON_TRACK_EMOJI[0], BLOCKED_EMOJI[0]])
@pytest.mark.parametrize("who", [U_BOB, U_MANAGER])
def test_a_reaction_by_someone_other_than_the_assignee_does_nothing(harness: Harness, emoji: str, who: str) -> None:
    c = send_checkin(harness)
    before = snapshot(harness)

    react(harness, c, emoji, user=who)

    assert snapshot(harness) == before
    assert harness.slack.calls == [], "a reaction is not a command: no reply, no update"


def test_a_reaction_on_a_message_that_is_not_a_checkin_does_nothing(harness: Harness) -> None:
    c = send_checkin(harness)
    [assignment] = [m for m in harness.slack.messages(D_ALICE) if dedupe_key(m).startswith("assign")]
    someone_elses = harness.slack.seed_message(D_ALICE, text="lunch?", user=U_ALICE)
    before = snapshot(harness)

    for n, ts in enumerate((assignment["ts"], someone_elses)):
        other = CheckIn(task_id=c.task_id, channel=D_ALICE, ts=ts, message={})
        react(harness, other, "white_check_mark", event_id=f"EvOther{n}")

    assert snapshot(harness) == before
    assert harness.slack.calls == []


def test_a_reaction_in_another_channel_at_the_same_ts_does_nothing(harness: Harness) -> None:
    c = send_checkin(harness)
    before = snapshot(harness)

    react(harness, CheckIn(c.task_id, C_GENERAL, c.ts, {}), "white_check_mark")

    assert snapshot(harness) == before


def test_an_unknown_emoji_does_nothing(harness: Harness) -> None:
    c = send_checkin(harness)
    before = snapshot(harness)

    for n, emoji in enumerate(("tada", "eyes", "x", "skin-tone-2")):
        react(harness, c, emoji, event_id=f"EvUnknown{n}")

    assert snapshot(harness) == before
    assert harness.slack.calls == []


def test_a_skin_tone_variant_counts_as_the_emoji(harness: Harness) -> None:
    c = send_checkin(harness)

    react(harness, c, "+1::skin-tone-3")

    assert len(history(harness, "checkin_on_track")) == 1


@pytest.mark.parametrize("emoji", ["white_check_mark", "+1", "construction"])
def test_a_retried_event_changes_and_sends_nothing_twice(harness: Harness, emoji: str) -> None:
    c = send_checkin(harness)
    react(harness, c, emoji, event_id="EvRetried")
    before = snapshot(harness)
    updates = len(harness.slack.calls_to("chat.update"))

    react(
        harness,
        c,
        emoji,
        event_id="EvRetried",
        headers={"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"},
    )

    assert snapshot(harness) == before
    assert len(harness.slack.calls_to("chat.update")) == updates


def test_a_second_on_track_reaction_under_a_new_event_id_records_nothing_new(harness: Harness) -> None:
    c = send_checkin(harness)
    react(harness, c, "+1", event_id="EvA")
    before = snapshot(harness)

    react(harness, c, "thumbsup", event_id="EvB")

    assert snapshot(harness) == before


def test_a_button_then_the_same_reaction_records_once(harness: Harness) -> None:
    c = send_checkin(harness)
    click(harness, c, ids.ACTION_CHECKIN_ON_TRACK)
    before = snapshot(harness)

    react(harness, c, "+1")

    assert snapshot(harness) == before


def test_a_blocked_reaction_and_then_the_blocked_modal_alert_once(harness: Harness) -> None:
    c = send_checkin(harness)
    react(harness, c, "construction")
    click(harness, c, ids.ACTION_CHECKIN_BLOCKED)
    view = opened_blocked_modal(harness)

    submit_reason(harness, view, "still waiting")

    assert len(blocked_alerts(harness)) == 1


def test_a_reaction_after_the_task_is_done_does_nothing(harness: Harness) -> None:
    c = send_checkin(harness)
    click(harness, c, ids.ACTION_CHECKIN_DONE)
    harness.slack.clear()
    before = snapshot(harness)

    react(harness, c, "construction")

    assert snapshot(harness) == before
    assert harness.slack.calls == []
