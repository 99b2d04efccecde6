"""Slack's published method reference held against each call (required, known, one-of arguments); its rate tiers."""

from __future__ import annotations

import functools
import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.slack.wire import truthy

# The message content arguments of which Slack wants at least one (chat.postMessage, chat.update, chat.postEphemeral).
_MESSAGE_CONTENT = ("text", "blocks", "attachments", "markdown_text")


@dataclass(frozen=True)
class MethodReference:
    """What Slack's reference says about one method."""

    name: str
    required: frozenset[str]
    known: frozenset[str]
    one_of: str | None
    rate_limit: str


References = Mapping[str, MethodReference]


@functools.cache
def load_reference(path: Path) -> dict[str, MethodReference]:
    """Slack's reference by method name, from a JSON file of `required`, `known`, `one_of` and `rate_limit` per
    method (read once per path)."""
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: MethodReference(
            name=name,
            required=frozenset(spec["required"]),
            known=frozenset(spec["known"]),
            one_of=spec["one_of"],
            rate_limit=spec["rate_limit"],
        )
        for name, spec in loaded.items()
        if not name.startswith("_")
    }


@dataclass(frozen=True)
class Violation:
    """A call Slack's reference does not allow: `argument` names the argument at fault (None: the method
    itself, or a one-of rule over several arguments, which `problem` names)."""

    method: str
    argument: str | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.method}({self.argument})" if self.argument else self.method
        return f"{where}: {self.problem}"


def _given(params: dict[str, Any], name: str) -> bool:
    """Slack reads an absent argument, an empty string and an empty list alike: not given."""
    value = params.get(name)
    return value is not None and value != "" and value != [] and value != {}


def _at_least_one(method: str, params: dict[str, Any], names: tuple[str, ...]) -> list[Violation]:
    if any(_given(params, name) for name in names):
        return []
    return [Violation(method, None, f"one of {'|'.join(names)} is required, none was given")]


def _exactly_one(method: str, params: dict[str, Any], names: tuple[str, ...]) -> list[Violation]:
    given = [name for name in names if _given(params, name)]
    if len(given) == 1:
        return []
    found = ", ".join(given) if given else "none"
    return [Violation(method, None, f"exactly one of {'|'.join(names)} is required, got {found}")]


def _post_message_rules(params: dict[str, Any]) -> list[Violation]:
    found = _at_least_one("chat.postMessage", params, _MESSAGE_CONTENT)
    if truthy(params.get("reply_broadcast")) and not _given(params, "thread_ts"):
        found.append(Violation("chat.postMessage", "reply_broadcast", "reply_broadcast=true requires thread_ts"))
    return found


def _oauth_access_rules(params: dict[str, Any]) -> list[Violation]:
    if params.get("grant_type") == "refresh_token":
        if _given(params, "refresh_token"):
            return []
        return [Violation("oauth.v2.access", "refresh_token", "grant_type=refresh_token requires refresh_token")]
    if _given(params, "code"):
        return []
    return [Violation("oauth.v2.access", "code", "code is required unless grant_type=refresh_token")]


# The `one_of` prose of the reference, as checks: one entry per method whose `one_of` is not null (a unit
# test keeps the two in step, so a method added to the JSON cannot go unchecked).
ONE_OF_RULES: dict[str, Callable[[dict[str, Any]], list[Violation]]] = {
    "chat.postMessage": _post_message_rules,
    "chat.update": lambda p: _at_least_one("chat.update", p, _MESSAGE_CONTENT),
    "chat.postEphemeral": lambda p: _at_least_one("chat.postEphemeral", p, _MESSAGE_CONTENT),
    "conversations.open": lambda p: _exactly_one("conversations.open", p, ("channel", "users")),
    "views.open": lambda p: _exactly_one("views.open", p, ("trigger_id", "interactivity_pointer")),
    "views.push": lambda p: _exactly_one("views.push", p, ("trigger_id", "interactivity_pointer")),
    "views.update": lambda p: _exactly_one("views.update", p, ("view_id", "external_id")),
    "oauth.v2.access": _oauth_access_rules,
}


def check_call(method: str, params: dict[str, Any], reference: References) -> list[Violation]:
    """Hold one call, with its arguments as Slack reads them (see `wire.decode_params`), against Slack's
    reference; empty when Slack would take it as asked."""
    found_method = reference.get(method)
    if found_method is None:
        return [Violation(method, None, "not a method in Slack's reference (tests/data/web-api-methods.json)")]
    found = [
        Violation(method, name, "a required argument is missing")
        for name in sorted(found_method.required)
        if not _given(params, name)
    ]
    found += [
        Violation(method, name, "not an argument of this method in Slack's reference")
        for name in sorted(params)
        if name != "token" and name not in found_method.known
    ]
    rule = ONE_OF_RULES.get(method)
    if rule is not None:
        found += rule(params)
    return found


# -- Slack's rate tiers ---------------------------------------------------------------------------

# Calls a minute per method per workspace, by tier (https://docs.slack.dev/apis/web-api/rate-limits).
TIER_CALLS_PER_MINUTE = {"Tier 1": 1, "Tier 2": 20, "Tier 3": 50, "Tier 4": 100}
# chat.postMessage: one message a second in a conversation (short bursts aside), and a workspace-wide cap.
POSTS_PER_CHANNEL_PER_SECOND = 1
POSTS_PER_WORKSPACE_PER_MINUTE = 300
# conversations.history for commercially distributed apps outside the Marketplace: 1 call a minute and
# at most (and by default) 15 messages a page (https://docs.slack.dev/changelog/2025/05/29/rate-limit-changes-for-non-marketplace-apps).
STRICT_HISTORY_CALLS_PER_MINUTE = 1
STRICT_HISTORY_PAGE = 15
DEFAULT_HISTORY_PAGE = 100
MAX_HISTORY_PAGE = 1000


def calls_per_minute(method: str, reference: References, *, strict_history: bool = False) -> int | None:
    """The tier's calls a minute for `method` in one workspace; None where the reference gives no tier
    (chat.postMessage has its own limits; auth.test and chat.getPermalink allow "hundreds" a minute)."""
    if method == "conversations.history" and strict_history:
        return STRICT_HISTORY_CALLS_PER_MINUTE
    found = reference.get(method)
    if found is None:
        return None
    for tier, calls in TIER_CALLS_PER_MINUTE.items():
        if found.rate_limit.startswith(tier):
            return calls
    return None


class SlidingWindow:
    """At most `size` calls in any `seconds`; a refused call does not count."""

    def __init__(self, size: int, seconds: float) -> None:
        self.size = size
        self.seconds = seconds
        self._times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until a call may be made (0: now)."""
        while self._times and self._times[0] + self.seconds <= now:
            self._times.popleft()
        if len(self._times) < self.size:
            return 0.0
        return self._times[0] + self.seconds - now

    def take(self, now: float) -> None:
        self._times.append(now)
