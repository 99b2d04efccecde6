"""Encrypted token storage and the OAuth settings: shapes, keys and one-line errors."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData

from bot.config import Settings, SettingsError, load_settings
from bot.slack.installations import TokenCipher, check_encryption_key
from storage.models import slack_bots, slack_installations, slack_oauth_states


def test_our_oauth_tables_have_exactly_slack_sdk_s_columns() -> None:
    metadata = MetaData()
    theirs = {
        "slack_installations": SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations"),
        "slack_bots": SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots"),
        "slack_oauth_states": SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states"),
    }
    for ours in (slack_installations, slack_bots, slack_oauth_states):
        assert [c.name for c in ours.columns] == [c.name for c in theirs[ours.name].columns]
        assert [c.nullable for c in ours.columns] == [c.nullable for c in theirs[ours.name].columns]


def test_a_token_encrypts_to_something_else_and_back() -> None:
    cipher = TokenCipher(Fernet.generate_key().decode())
    stored = cipher.encrypt("xoxb-1-secret")
    assert "xoxb" not in stored
    assert cipher.decrypt(stored) == "xoxb-1-secret"
    assert cipher.encrypt("xoxb-1-secret") != stored  # no equal ciphertexts to compare across rows


def test_a_new_key_first_still_reads_tokens_written_with_the_old_one() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = TokenCipher(old).encrypt("xoxb-1-secret")
    assert TokenCipher(f"{new},{old}").decrypt(stored) == "xoxb-1-secret"


def test_a_wrong_key_fails_without_showing_the_stored_value() -> None:
    stored = TokenCipher(Fernet.generate_key().decode()).encrypt("xoxb-1-secret")
    with pytest.raises(ValueError) as raised:
        TokenCipher(Fernet.generate_key().decode()).decrypt(stored)
    assert stored not in str(raised.value) and "BATON_ENCRYPTION_KEY" in str(raised.value)


@pytest.mark.parametrize("bad", ["short", "not base64 at all!!", ","])
def test_a_malformed_encryption_key_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        check_encryption_key(bad)
    with pytest.raises(SettingsError, match="BATON_ENCRYPTION_KEY"):
        load_settings(_env_file=None, baton_encryption_key=bad)


def oauth_settings(**values: object) -> Settings:
    base: dict[str, object] = {"slack_client_id": "1.2", "slack_client_secret": "s", "slack_signing_secret": "x"}
    base.update(values)
    return Settings(_env_file=None, **base)  # type: ignore[arg-type]


def test_oauth_mode_without_a_key_stops_start_up_naming_the_setting() -> None:
    settings = oauth_settings()
    assert settings.uses_oauth
    with pytest.raises(SettingsError, match="BATON_ENCRYPTION_KEY") as raised:
        settings.check_oauth()
    assert "\n" not in str(raised.value)
    assert settings.missing_for_slack() == ["BATON_ENCRYPTION_KEY"]


def test_half_the_oauth_credentials_is_named_as_missing() -> None:
    settings = oauth_settings(slack_client_secret=None, baton_encryption_key=Fernet.generate_key().decode())
    assert settings.missing_for_slack() == ["SLACK_CLIENT_ID"] or settings.missing_for_slack() == [
        "SLACK_CLIENT_SECRET"
    ]
    with pytest.raises(SettingsError, match="SLACK_CLIENT_SECRET"):
        settings.check_oauth()


def test_oauth_mode_refuses_socket_mode() -> None:
    settings = oauth_settings(baton_encryption_key=Fernet.generate_key().decode(), slack_app_token="xapp-1")
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        settings.check_oauth()


def test_a_bot_token_keeps_single_workspace_mode_even_with_client_credentials() -> None:
    settings = oauth_settings(slack_bot_token="xoxb-1")
    assert not settings.uses_oauth
    settings.check_oauth()
    assert settings.missing_for_slack() == []
