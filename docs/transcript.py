"""Records a transcript of Baton's core loop against the fake Slack the tests use.

Run from the repository root: `.venv/bin/python docs/transcript.py`. It drives the production
code path (signed requests through Bolt, scheduler passes at chosen moments) and prints what each
person would read in Slack, with mentions and dates shown as Slack shows them.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import build_harness, flatten  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402
from tests.fakes.requests import command_body, reaction_added_event  # noqa: E402
from tests.fakes.slack_api import U_ALICE, U_MANAGER, FakeSlack  # noqa: E402

NAMES = {U_MANAGER: "maya", U_ALICE: "alice"}
ZONES = {U_MANAGER: "America/New_York", U_ALICE: "Europe/Berlin"}
TEAM_CHANNEL = "C0SUPPORT"


def readable(text: str, tz: str) -> str:
    """Mentions, channels and dates as a Slack reader in zone `tz` sees them."""
    zone = ZoneInfo(tz)

    def date(match: re.Match[str]) -> str:
        local = datetime.fromtimestamp(int(match.group(1)), zone)
        return f"{local:%a %-d %b %H:%M} ({local:%Z})"

    text = re.sub(r"<@([A-Z0-9]+)>", lambda m: "@" + NAMES.get(m.group(1), m.group(1)), text)
    text = re.sub(r"<#([A-Z0-9]+)(\|[^>]*)?>", lambda m: "#support" if m.group(1) == TEAM_CHANNEL else "#?", text)
    text = re.sub(r"<!date\^(\d+)\^[^|]*\|([^>]*)>", date, text)
    text = re.sub(r"<(https?://[^|>]+)\|([^>]*)>", r"\2", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def lines_of(message: dict[str, Any], tz: str) -> list[str]:
    """What Slack shows: the blocks when there are any, else the text."""
    shown = flatten(message["blocks"]) if message.get("blocks") else str(message.get("text", ""))
    return [line for line in readable(shown, tz).splitlines() if line.strip()]


def main() -> None:
    clock = FakeClock(datetime(2026, 11, 30, 14, 0, tzinfo=UTC))  # Monday 09:00 in New York
    with FakeSlack(clock=clock) as slack:
        slack.add_user(U_MANAGER, name="maya", tz="America/New_York")
        slack.add_user(U_ALICE, name="alice", tz="Europe/Berlin")
        harness = build_harness(slack, clock)
        seen = 0

        def say(who: str, text: str, channel: str = TEAM_CHANNEL) -> None:
            print(f"\n{who} in {'#support' if channel == TEAM_CHANNEL else 'a DM'}:  {text}")

        def show_reply(response: Any, user: str) -> None:
            for line in lines_of(json.loads(response.body), ZONES[user]):
                print(f"    (only you) {line}")

        def command(text: str, *, user: str, command: str = "/task", channel: str = TEAM_CHANNEL) -> None:
            say("@" + NAMES[user], readable(f"{command} {text}", ZONES[user]), channel)
            show_reply(
                harness.dispatch(
                    command_body(command, text, user_id=user, channel_id=channel, response_url=slack.response_url())
                ),
                user,
            )

        def show_new_posts() -> None:
            nonlocal seen
            calls = [c for c in slack.calls if c.method in ("chat.postMessage", "chat.update")]
            for call in calls[seen:]:
                channel = str(call.params["channel"])
                reader = U_MANAGER if channel == TEAM_CHANNEL else "U" + channel[1:]
                where = "#support" if channel == TEAM_CHANNEL else "DM to @" + NAMES.get(reader, "?")
                verb = "updates" if call.method == "chat.update" else "posts"
                body = lines_of(call.params, ZONES.get(reader, "UTC"))
                print(f"  Baton {verb} → {where}:")
                for line in body:
                    print(f"    | {line}")
            seen = len(calls)

        def at(moment: datetime, label: str) -> None:
            clock.set(moment)
            print(f"\n--- {label} ---")

        at(datetime(2026, 11, 30, 14, 0, tzinfo=UTC), "Monday 09:00 New York / 15:00 Berlin")
        command("setup", user=U_MANAGER, command="/team")
        command(f"<@{U_ALICE}> Fix the refund macro by fri 5pm !high", user=U_MANAGER)
        show_new_posts()
        [task] = harness.tasks()
        dm = slack.messages("D0ALICE")[-1]
        say("@alice", "clicks Accept", channel="D0ALICE")
        harness.click("baton_accept", str(task.id), user=U_ALICE, channel_id="D0ALICE", message_ts=dm["ts"])
        show_new_posts()

        at(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "Tuesday 10:00 Berlin: scheduler pass")
        print("  " + harness.baton.run_pass().line())
        show_new_posts()
        checkin = slack.messages("D0ALICE")[-1]
        say("@alice", "reacts 👍 to the check-in", channel="D0ALICE")
        harness.event(reaction_added_event("+1", user_id=U_ALICE, channel="D0ALICE", ts=checkin["ts"]))
        show_new_posts()

        at(datetime(2026, 12, 3, 19, 0, tzinfo=UTC), "Thursday 20:00 Berlin: first pass after a day without any")
        print("  " + harness.baton.run_pass().line())
        show_new_posts()

        at(datetime(2026, 12, 4, 22, 0, tzinfo=UTC), "Friday 23:00 Berlin (17:00 New York): scheduler pass")
        print("  " + harness.baton.run_pass().line())
        show_new_posts()

        at(datetime(2026, 12, 7, 7, 0, tzinfo=UTC), "Monday 08:00 Berlin: scheduler pass, the start of Alice's day")
        print("  " + harness.baton.run_pass().line())
        show_new_posts()

        at(datetime(2026, 12, 7, 10, 0, tzinfo=UTC), "Monday 11:00 Berlin")
        command("done T-1 macro fixed, tested on 3 refunds", user=U_ALICE, channel="D0ALICE")
        show_new_posts()
        harness.baton.close()


if __name__ == "__main__":
    main()
