"""Encrypted token storage and the OAuth settings: shapes, keys and one-line errors."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.web import SlackResponse
from sqlalchemy import MetaData

from bot.config import Settings, SettingsError, load_settings
from bot.slack.installations import EncryptedInstallationStore, InstalledTokens, TokenCipher, check_encryption_key
from bot.slack.tokens import TokenUnavailable
from storage.db import make_engine
from storage.models import Base, slack_bots, slack_installations, slack_oauth_states


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


# -- the scheduler's token source ------------------------------------------------------------------------


class FakeRotator:
    """Stands in for slack_sdk's TokenRotator: refreshes, or fails with Slack's error code."""

    def __init__(self, *, error: str | None = None) -> None:
        self.error = error
        self.calls = 0

    def perform_bot_token_rotation(self, *, bot: Bot, minutes_before_expiration: int) -> Bot | None:
        self.calls += 1
        if self.error is not None:
            response = SlackResponse(
                client=None,
                http_verb="POST",
                api_url="oauth.v2.access",
                req_args={},
                data={"ok": False, "error": self.error},
                headers={},
                status_code=200,
            )
            raise SlackTokenRotationError(SlackApiError("rotation failed", response))
        fresh = Bot(**bot.to_dict_for_copying())
        fresh.bot_token = "xoxe.xoxb-fresh"
        fresh.bot_token_expires_at = int(NOW + 12 * 3600)
        return fresh


NOW = 1_800_000_000.0


def store_with(bot: Bot) -> EncryptedInstallationStore:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    store = EncryptedInstallationStore(
        client_id="1.2", engine=engine, cipher=TokenCipher(Fernet.generate_key().decode())
    )
    store.save_bot(bot)
    return store


def a_bot(*, team_id: str = "T9", enterprise_id: str | None = None, expires_in: float | None = None) -> Bot:
    return Bot(
        app_id="A1",
        enterprise_id=enterprise_id,
        team_id=team_id,
        bot_token="xoxe.xoxb-old",
        bot_id="B1",
        bot_user_id="U0BOT",
        bot_scopes="chat:write",
        bot_refresh_token="xoxe-1-refresh" if expires_in is not None else None,
        bot_token_expires_at=int(NOW + expires_in) if expires_in is not None else None,
        installed_at=NOW - 100,
    )


def test_a_workspace_of_an_enterprise_grid_org_is_found_and_forgotten_by_its_team_id() -> None:
    store = store_with(a_bot(enterprise_id="E1"))
    tokens = InstalledTokens(store=store, rotator=None, now=lambda: NOW)
    assert tokens.bot_token("T9") == "xoxe.xoxb-old"
    tokens.forget("T9")
    assert tokens.bot_token("T9") is None


def test_an_expiring_token_is_rotated_once_and_cached() -> None:
    rotator = FakeRotator()
    tokens = InstalledTokens(store=store_with(a_bot(expires_in=600)), rotator=rotator, now=lambda: NOW)  # type: ignore[arg-type]
    assert tokens.bot_token("T9") == "xoxe.xoxb-fresh"
    assert tokens.bot_token("T9") == "xoxe.xoxb-fresh"
    assert rotator.calls == 1


def test_a_failed_rotation_keeps_the_valid_token_a_while_instead_of_asking_on_every_send() -> None:
    rotator = FakeRotator(error="internal_error")
    tokens = InstalledTokens(store=store_with(a_bot(expires_in=600)), rotator=rotator, now=lambda: NOW)  # type: ignore[arg-type]
    for _ in range(5):
        assert tokens.bot_token("T9") == "xoxe.xoxb-old"
    assert rotator.calls == 1


def test_after_expiry_a_revoked_grant_means_not_installed_and_an_outage_means_try_later() -> None:
    gone = InstalledTokens(
        store=store_with(a_bot(expires_in=-60)),
        rotator=FakeRotator(error="invalid_refresh_token"),  # type: ignore[arg-type]
        now=lambda: NOW,
    )
    assert gone.bot_token("T9") is None
    down = InstalledTokens(
        store=store_with(a_bot(expires_in=-60)),
        rotator=FakeRotator(error="internal_error"),  # type: ignore[arg-type]
        now=lambda: NOW,
    )
    with pytest.raises(TokenUnavailable):
        down.bot_token("T9")
