"""FakeSlack holds every Web API call against Slack's method reference, and a test that breaks it fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from tests.fakes.slack_api import (
    ONE_OF_RULES,
    U_ALICE,
    WEB_API_METHODS,
    FakeSlack,
    Violation,
    check_call,
    web_api_reference,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "slack" / "web-api-methods.json"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
METADATA = {"event_type": "baton_test", "event_payload": {"dedupe_key": "k"}}

pytest_plugins = ["pytester"]


@pytest.fixture
def slack() -> Any:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(base_url=slack.base_url, token="xoxb-test", retry_handlers=[])


def test_vendored_reference_is_the_shared_copy() -> None:
    if not SHARED.exists():
        pytest.skip(f"no {SHARED} to compare with (a clone outside the shared workspace)")
    assert WEB_API_METHODS.read_bytes() == SHARED.read_bytes()


def test_every_one_of_rule_in_the_reference_is_checked_and_no_other() -> None:
    with_rules = {name for name, method in web_api_reference().items() if method.one_of}
    assert set(ONE_OF_RULES) == with_rules


def test_every_method_the_fake_answers_is_in_the_reference(slack: FakeSlack) -> None:
    assert set(slack._methods) <= set(web_api_reference())


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("users.list", {}, [("users.list", None, "not a method")]),
        ("users.info", {}, [("users.info", "user", "required argument is missing")]),
        ("users.info", {"user": ""}, [("users.info", "user", "required argument is missing")]),
        ("users.info", {"user": U_ALICE, "include_labels": "true"}, [("users.info", "include_labels", "not an arg")]),
        ("chat.postMessage", {"channel": "C1"}, [("chat.postMessage", None, "one of text|blocks")]),
        ("chat.postMessage", {"channel": "C1", "text": "", "blocks": []}, [("chat.postMessage", None, "one of")]),
        (
            "chat.postMessage",
            {"channel": "C1", "text": "x", "reply_broadcast": "true"},
            [("chat.postMessage", "reply_broadcast", "requires thread_ts")],
        ),
        ("chat.update", {"channel": "C1", "ts": "1.2"}, [("chat.update", None, "one of text|blocks")]),
        ("chat.postEphemeral", {"channel": "C1", "text": "x"}, [("chat.postEphemeral", "user", "missing")]),
        (
            "conversations.open",
            {"users": U_ALICE, "channel": "D1"},
            [("conversations.open", None, "exactly one of channel|users is required, got channel, users")],
        ),
        ("conversations.open", {}, [("conversations.open", None, "got none")]),
        ("views.open", {"view": {"type": "modal"}}, [("views.open", None, "trigger_id|interactivity_pointer")]),
        ("views.push", {"view": {}, "trigger_id": "t"}, [("views.push", "view", "missing")]),
        ("views.update", {"view": {"type": "modal"}}, [("views.update", None, "view_id|external_id")]),
        ("views.publish", {"view": {"type": "home"}}, [("views.publish", "user_id", "missing")]),
        ("reactions.add", {"channel": "C1", "name": "x"}, [("reactions.add", "timestamp", "missing")]),
        ("oauth.v2.access", {"client_id": "1"}, [("oauth.v2.access", "code", "code is required")]),
        (
            "oauth.v2.access",
            {"grant_type": "refresh_token"},
            [("oauth.v2.access", "refresh_token", "requires refresh_token")],
        ),
        ("auth.test", {"team_id": "T1"}, [("auth.test", "team_id", "not an argument")]),
    ],
)
def test_calls_the_reference_refuses_are_named_by_method_and_argument(
    method: str, params: dict[str, Any], expected: list[tuple[str, str | None, str]]
) -> None:
    found = check_call(method, params)

    assert [(v.method, v.argument) for v in found] == [(m, a) for m, a, _ in expected]
    for violation, (_, _, problem) in zip(found, expected, strict=True):
        assert problem in violation.problem


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("users.info", {"user": U_ALICE, "token": "xoxb-1"}),
        ("chat.postMessage", {"channel": "C1", "blocks": BLOCKS, "metadata": METADATA, "unfurl_links": False}),
        ("chat.postMessage", {"channel": "C1", "text": "x", "reply_broadcast": "true", "thread_ts": "1.2"}),
        ("chat.update", {"channel": "C1", "ts": "1.2", "text": "x"}),
        ("conversations.open", {"users": U_ALICE}),
        ("conversations.history", {"channel": "D1", "limit": 15, "include_all_metadata": True, "cursor": "c"}),
        ("views.open", {"trigger_id": "t", "view": {"type": "modal"}}),
        ("views.update", {"external_id": "e", "view": {"type": "modal"}}),
        ("oauth.v2.access", {"code": "c", "client_id": "1", "client_secret": "s", "redirect_uri": "https://x"}),
        ("oauth.v2.access", {"grant_type": "refresh_token", "refresh_token": "r"}),
        ("auth.test", {}),
    ],
)
def test_calls_as_the_reference_gives_them_pass(method: str, params: dict[str, Any]) -> None:
    assert check_call(method, params) == []


@pytest.mark.bad_slack_calls("records one on purpose")
def test_the_fake_records_violations_as_slack_reads_the_request(slack: FakeSlack, client: WebClient) -> None:
    # A form body with JSON text in it, as slack_sdk sends when given `data=`: decoded before the check.
    client.api_call(
        "chat.postMessage",
        data={"channel": "C0TEAM", "blocks": json.dumps(BLOCKS), "metadata": json.dumps(METADATA)},
    )
    client.api_call("users.info", http_verb="GET", params={"user": U_ALICE, "locale": "true"})

    assert slack.violations == [
        Violation("users.info", "locale", "not an argument of this method in Slack's reference")
    ]
    assert str(slack.violations[0]) == "users.info(locale): not an argument of this method in Slack's reference"


@pytest.mark.bad_slack_calls("proves the marker lets a deliberately bad call through, and what is collected")
def test_a_marked_test_may_send_bad_calls_and_sees_them(
    slack: FakeSlack, client: WebClient, slack_violations: list[Violation]
) -> None:
    client.api_call("conversations.open", json={"users": U_ALICE, "channel": "D0ALICE"})

    assert [(v.method, v.argument) for v in slack_violations] == [("conversations.open", None)]


@pytest.mark.bad_slack_calls("the inner run's bad calls reach this test's check too (one process)")
def test_a_test_whose_fake_saw_a_violation_fails_naming_method_and_argument(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from tests.conftest import pytest_configure, slack_violations  # noqa: F401\n")
    pytester.makepyfile(
        test_bad="""
        import pytest
        from slack_sdk import WebClient
        from tests.fakes.slack_api import FakeSlack

        def test_sends_an_unknown_argument():
            with FakeSlack() as fake:
                WebClient(base_url=fake.base_url, token="xoxb-1").chat_postMessage(channel="C1", text="x", colour="red")

        def test_team_id_on_auth_test_is_allowed():
            with FakeSlack() as fake:
                WebClient(base_url=fake.base_url, token="xoxb-1", team_id="T1").auth_test()

        @pytest.mark.bad_slack_calls("on purpose")
        def test_marked():
            with FakeSlack() as fake:
                with pytest.raises(Exception, match="unknown_method"):
                    WebClient(base_url=fake.base_url, token="xoxb-1").api_call("users.list")
        """
    )

    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_sends_an_unknown_argument*",
            "*does not allow:",
            "*- chat.postMessage(colour): not an argument of this method in Slack's reference",
        ]
    )
