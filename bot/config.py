"""Baton's settings, read once at start-up from the environment or `.env` (pydantic-settings)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

KEYGEN = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


class SettingsError(Exception):
    """A missing or malformed setting; the message is one line that names it."""


class Settings(BaseSettings):
    """Every setting of CONTRACT.md; secrets are `SecretStr`, so a repr never shows them."""

    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    # OAuth (many workspaces): the app's credentials, and the key that encrypts installed tokens at rest.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    baton_encryption_key: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///baton.db"
    port: int = Field(default=3000, ge=1, le=65535)
    baton_tick_seconds: float = Field(default=30, gt=0, le=3600)
    baton_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    baton_log_format: Literal["text", "json"] = "text"
    # conversations.history limits: `strict` for apps distributed outside the Slack Marketplace (1 call a minute,
    # 15 messages), `tier3` for Marketplace and internal (customer-built) apps.
    slack_history_limits: Literal["strict", "tier3"] = "strict"

    @field_validator("baton_log_level", "baton_log_format", "slack_history_limits", mode="before")
    @classmethod
    def _any_case(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "baton_log_level" else value.lower()

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("baton_encryption_key")
    @classmethod
    def _encryption_key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        from cryptography.fernet import Fernet  # only with a key: a server without one never loads cryptography

        keys = [k.strip() for k in value.get_secret_value().split(",") if k.strip()]
        try:
            for key in keys:
                Fernet(key.encode())
        except (ValueError, TypeError):
            raise ValueError(f"must be Fernet keys, comma-separated; make one with: {KEYGEN}") from None
        if not keys:
            raise ValueError(f"is empty; make a key with: {KEYGEN}")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url_driver(cls, value: str) -> str:
        # Heroku-style and bare PostgreSQL URLs get the psycopg 3 driver.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        if not value.startswith(("sqlite", "postgresql+psycopg")):
            raise ValueError("must be sqlite:///path.db or postgresql+psycopg://user@host/db")
        return value

    @property
    def uses_socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def uses_oauth(self) -> bool:
        """Many workspaces: installed through /slack/install, tokens in the database (no SLACK_BOT_TOKEN)."""
        return self.slack_bot_token is None and (
            self.slack_client_id is not None or self.slack_client_secret is not None
        )

    def missing_for_slack(self) -> list[str]:
        """The settings still needed to talk to Slack (HTTP needs the signing secret too)."""
        missing = []
        if self.uses_oauth:
            if self.slack_client_id is None:
                missing.append("SLACK_CLIENT_ID")
            if self.slack_client_secret is None:
                missing.append("SLACK_CLIENT_SECRET")
            if self.baton_encryption_key is None:
                missing.append("BATON_ENCRYPTION_KEY")
        elif self.slack_bot_token is None:
            missing.append("SLACK_BOT_TOKEN")
        if self.slack_signing_secret is None and not self.uses_socket_mode:
            missing.append("SLACK_SIGNING_SECRET")
        return missing

    def check_oauth(self) -> None:
        """OAuth mode cannot start without its key, nor over Socket Mode (installs need the HTTP redirect)."""
        if not self.uses_oauth:
            return
        missing = [m for m in self.missing_for_slack() if m != "SLACK_SIGNING_SECRET"]
        if missing:
            raise SettingsError(
                f"Setting {missing[0]} is missing: OAuth mode (SLACK_CLIENT_ID/SLACK_CLIENT_SECRET without "
                f"SLACK_BOT_TOKEN) needs {', '.join(missing)}"
                + (f"; make a key with: {KEYGEN}" if "BATON_ENCRYPTION_KEY" in missing else "")
            )
        if self.uses_socket_mode:
            raise SettingsError(
                "Setting SLACK_APP_TOKEN cannot be used with OAuth: installs need `baton serve` (HTTP); unset it"
            )


def load_settings(**overrides: object) -> Settings:
    """Read settings once; a bad value becomes a one-line `SettingsError` naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first.get("loc") else "settings"
        raise SettingsError(f"Setting {name} is invalid: {first['msg']}") from None
