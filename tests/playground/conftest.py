"""A playground on a free port with a fixed start, and a client that uses it the way the page does."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from handlers import ids
from playground.app import create_playground
from playground.runtime import Playground

# Monday 2 March 2026, 14:00 UTC: 09:00 in New York, 15:00 in Berlin, 23:00 in Tokyo.
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
MAYA, ALICE, BRUNO, KENJI = "U0MAYA", "U0ALICE", "U0BRUNO", "U0KENJI"
SUPPORT = "C0SUPPORT"
WAIT_SECONDS = 10.0


def dm(user_id: str) -> str:
    return "D" + user_id[1:]


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


@dataclass
class PageClient:
    """Speaks to the playground's port over HTTP, as the page's script does."""

    playground: Playground

    def ui(self, action: str, **body: Any) -> Answer:
        """POST /ui/<action> with a JSON body."""
        return self._request(f"ui/{action}", json.dumps(body).encode())

    def state(self, viewer: str, *, page: str | None = None) -> dict[str, Any]:
        """GET /state for `viewer`, now (no long-poll); `page` as a browser page sends its own id."""
        answer = self._request(f"state?as={viewer}" + (f"&page={page}" if page else ""), None)
        assert answer.status == 200, answer.body
        return answer.body

    def entries(self, viewer: str, conversation: str) -> list[dict[str, Any]]:
        """What `viewer` sees in a conversation: messages and their own ephemerals, oldest first."""
        return list(self.state(viewer)["messages"][conversation])

    def wait_until(self, what: str, condition: Callable[[], bool]) -> None:
        """Block until `condition()` holds, re-checked at each change of the workspace (no sleeping)."""
        if not self.playground.workspace.wait_for(condition, timeout=WAIT_SECONDS):
            raise AssertionError(f"gave up after {WAIT_SECONDS:.0f} s waiting for {what}")

    def _request(self, path: str, data: bytes | None) -> Answer:
        headers = {"Content-Type": "application/json"} if data is not None else {}
        request = urllib.request.Request(self.playground.url + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
                return Answer(response.status, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            return Answer(error.code, json.loads(error.read()))


@pytest.fixture
def playground() -> Iterator[Playground]:
    with create_playground(port=0, start_at=START) as running:
        yield running


@pytest.fixture
def page(playground: Playground) -> PageClient:
    return PageClient(playground)


# -- what the tests do again and again, through the page's own API ------------------------------------------


def button(playground: Playground, channel: str, action_id: str) -> tuple[str, str]:
    """The newest message in `channel` with that button: its ts and the button's block_id."""
    for message in reversed(playground.workspace.messages()):
        if message["channel"] != channel:
            continue
        for block in message.get("blocks") or []:
            for element in block.get("elements") or []:
                if element.get("action_id") == action_id:
                    return message["ts"], str(block["block_id"])
    raise AssertionError(f"no {action_id} button in {channel}")


def texts(entries: list[dict[str, Any]]) -> str:
    return "\n".join(e["html"] for e in entries)


def delegate(page: PageClient, text: str = "/task @Alice Call the customer back by tomorrow", to: str = ALICE) -> None:
    assert page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": text}).status == 200
    page.wait_until(
        "the assignee's DM", lambda: any(m["channel"] == dm(to) for m in page.playground.workspace.messages())
    )


def click(page: PageClient, user: str, channel: str, action_id: str) -> None:
    ts, block_id = button(page.playground, channel, action_id)
    answer = page.ui(
        "click", **{"as": user, "channel": channel, "ts": ts, "action_id": action_id, "block_id": block_id}
    )
    assert answer.status == 200, answer.body


def delegate_and_accept(
    page: PageClient, text: str = "/task @Alice Call the customer back by tomorrow", to: str = ALICE
) -> None:
    """Maya delegates and the assignee accepts: only an accepted task gets check-ins."""
    before = sum(1 for m in page.playground.workspace.messages() if m["channel"] == dm(to))
    assert page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": text}).status == 200
    page.wait_until(
        "the assignee's DM",
        lambda: sum(1 for m in page.playground.workspace.messages() if m["channel"] == dm(to)) > before,
    )
    click(page, to, dm(to), ids.ACTION_ACCEPT)
