"""Settings: read once, secrets hidden, a bad value stops start-up with one line naming it."""

from __future__ import annotations

import pytest

from bot.config import Settings, SettingsError, load_settings


def test_defaults_match_the_contract() -> None:
    settings = Settings(_env_file=None)

    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///baton.db"
    assert settings.port == 3000
    assert settings.baton_tick_seconds == 30
    assert (settings.baton_log_level, settings.baton_log_format) == ("INFO", "text")


def test_secrets_never_show_in_a_repr() -> None:
    settings = Settings(_env_file=None, slack_bot_token="xoxb-very-secret", slack_signing_secret="shh-secret")

    assert "very-secret" not in repr(settings)
    assert "shh-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "abc"),
        ("PORT", "70000"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token"),
        ("SLACK_APP_TOKEN", "xoxb-not-an-app-token"),
        ("SLACK_API_URL", "slack.com/api"),
        ("DATABASE_URL", "mysql://db/baton"),
        ("BATON_TICK_SECONDS", "0"),
        ("BATON_LOG_FORMAT", "xml"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None)

    message = str(raised.value)
    assert name in message
    assert "\n" not in message
    if "TOKEN" in name:
        assert value not in message  # a token is never echoed, even a wrong one


def test_postgres_urls_get_the_psycopg_driver() -> None:
    assert Settings(_env_file=None, database_url="postgres://u@h/db").database_url == "postgresql+psycopg://u@h/db"
    assert Settings(_env_file=None, database_url="postgresql://u@h/db").database_url == "postgresql+psycopg://u@h/db"


def test_slack_settings_needed_depend_on_the_mode() -> None:
    assert Settings(_env_file=None).missing_for_slack() == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
    socket = Settings(_env_file=None, slack_bot_token="xoxb-1", slack_app_token="xapp-1")
    assert socket.uses_socket_mode and socket.missing_for_slack() == []
