"""Many workspaces from one deployment: slack_sdk's SQLAlchemy stores with tokens encrypted at rest, and each
workspace's bot token for the scheduler, rotated here before it expires since no request arrives to do it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Dialect, Engine, MetaData, Table, Text, desc
from sqlalchemy.types import TypeDecorator

from bot.slack.tokens import TokenUnavailable
from storage.db import outages_as_unavailable

log = logging.getLogger(__name__)

# Columns of slack_sdk's tables that hold a secret; everything else (team ids, scopes, dates) stays readable.
SECRET_COLUMNS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
TOKEN_CACHE_SECONDS = 60.0
# oauth.v2.access answers that no retry will change: the refresh token or the app's grant is gone.
GRANT_GONE = frozenset({"invalid_refresh_token", "token_revoked", "invalid_client_id", "bad_client_secret"})
ROTATE_MINUTES_BEFORE_EXPIRY = 120


class TokenCipher:
    """Fernet encryption of tokens; several comma-separated keys allow rotating the key (the first encrypts)."""

    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("no key given")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: str) -> str:
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            # Never echo the value: it may be a token stored before encryption was turned on.
            raise ValueError("a stored token could not be decrypted with BATON_ENCRYPTION_KEY") from None


def check_encryption_key(keys: str) -> None:
    """Raise ValueError when the setting is not one or more Fernet keys."""
    try:
        TokenCipher(keys)
    except ValueError as error:
        if str(error) == "no key given":
            raise
        raise ValueError("must be Fernet keys (32 url-safe base64 bytes), comma-separated") from None


class EncryptedText(TypeDecorator[str]):
    """A Text column whose values are encrypted on the way in and decrypted on the way out."""

    impl = Text
    cache_ok = False  # holds a cipher, not a value SQLAlchemy can key its statement cache by

    def __init__(self, cipher: TokenCipher) -> None:
        super().__init__()
        self._cipher = cipher

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self._cipher.encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self._cipher.decrypt(value)


def _encrypt_columns(table: Table, cipher: TokenCipher) -> Table:
    for name in SECRET_COLUMNS:
        if name in table.c:
            table.c[name].type = EncryptedText(cipher)
    return table


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store on the tables our migrations create, with every token encrypted at rest."""

    def __init__(self, *, client_id: str, engine: Engine, cipher: TokenCipher) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        # slack_sdk builds plain String columns; the same shapes on a private MetaData, with the secrets
        # encrypted, replace them. The real tables come from storage/migrations (0006).
        self.metadata = MetaData()
        self.bots = _encrypt_columns(self.build_bots_table(self.metadata, self.bots.name), cipher)
        self.installations = _encrypt_columns(
            self.build_installations_table(self.metadata, self.installations.name), cipher
        )

    def create_tables(self) -> None:
        raise RuntimeError("Baton's tables come from `baton db upgrade`, not from the installation store")

    # Reads and writes on a request's path: an outage there reaches the listeners as `StorageUnavailable`.
    def find_bot(self, *args: Any, **kwargs: Any) -> Bot | None:
        with outages_as_unavailable():
            return super().find_bot(*args, **kwargs)

    def save_bot(self, *args: Any, **kwargs: Any) -> None:
        with outages_as_unavailable():
            super().save_bot(*args, **kwargs)

    def find_workspace_bot(self, team_id: str) -> Bot | None:
        """The newest bot installed in this workspace, whichever Enterprise Grid org it belongs to
        (events and the outbox know a workspace by its team id alone)."""
        with outages_as_unavailable():
            return self._find_workspace_bot(team_id)

    def _find_workspace_bot(self, team_id: str) -> Bot | None:
        c = self.bots.c
        query = (
            self.bots.select()
            .where(c.client_id == self.client_id, c.team_id == team_id, c.bot_token.is_not(None))
            .order_by(desc(c.installed_at))
            .limit(1)
        )
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                return self.build_bot_entity(row)
        return None

    def delete_workspace(self, team_id: str) -> None:
        """Every installation and bot of this workspace, whichever org it belongs to."""
        with outages_as_unavailable(), self.engine.begin() as conn:
            for table in (self.bots, self.installations):
                conn.execute(table.delete().where(table.c.client_id == self.client_id, table.c.team_id == team_id))


@dataclass(frozen=True)
class _Cached:
    token: str
    until: float


class InstalledTokens:
    """Each workspace's bot token from the installation store, refreshed before it expires (token rotation).

    Tokens are cached for a minute per process; a token revoked meanwhile is refused by Slack, and the
    delivery marks the message failed rather than retrying it.
    """

    def __init__(
        self,
        *,
        store: EncryptedInstallationStore,
        rotator: TokenRotator | None,
        cache_seconds: float = TOKEN_CACHE_SECONDS,
        rotate_minutes_before_expiry: int = ROTATE_MINUTES_BEFORE_EXPIRY,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._rotator = rotator
        self._cache_seconds = cache_seconds
        self._rotate_minutes = rotate_minutes_before_expiry
        self._now = now
        self._cache: dict[str, _Cached] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _lock(self, workspace_id: str) -> threading.Lock:
        """One lock a workspace: a slow or failing rotation in one never holds up another's sends."""
        with self._locks_lock:
            return self._locks.setdefault(workspace_id, threading.Lock())

    def bot_token(self, workspace_id: str) -> str | None:
        cached = self._cache.get(workspace_id)
        if cached is not None and cached.until > self._now():
            return cached.token
        with self._lock(workspace_id):
            bot = self._store.find_workspace_bot(workspace_id)
            if bot is None or not bot.bot_token:
                self._cache.pop(workspace_id, None)
                return None
            bot = self._rotated(workspace_id, bot)
            if bot is None:
                self._cache.pop(workspace_id, None)
                return None
            now = self._now()
            until = now + self._cache_seconds
            if bot.bot_token_expires_at is not None:
                expires_at = float(bot.bot_token_expires_at)
                due_for_rotation = expires_at - self._rotate_minutes * 60
                # Inside the rotation window only after a failed rotation: keep using the token a while
                # (never past its expiry) rather than asking Slack again on every send.
                until = min(until, due_for_rotation) if due_for_rotation > now else min(until, expires_at)
            assert bot.bot_token is not None
            self._cache[workspace_id] = _Cached(token=bot.bot_token, until=until)
            return bot.bot_token

    def _rotated(self, workspace_id: str, bot: Bot) -> Bot | None:
        """The bot with a fresh token when it was expiring; None when Slack says the grant is gone."""
        if bot.bot_refresh_token is None or self._rotator is None:
            return bot
        try:
            refreshed = self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self._rotate_minutes
            )
        except SlackTokenRotationError as error:
            reason = _reason(error)
            log.warning("slack.token_rotation_failed", extra={"workspace": workspace_id, "reason": reason})
            expires_at = bot.bot_token_expires_at
            if expires_at is not None and expires_at <= self._now():
                if reason in GRANT_GONE:
                    return None  # revoked or uninstalled: nothing can be sent there any more
                raise TokenUnavailable("token_rotation_failed") from None
            return bot  # still valid for a while; a later lookup tries again
        if refreshed is None:
            return bot
        self._store.save_bot(refreshed)
        log.info("slack.token_rotated", extra={"workspace": workspace_id})
        return refreshed

    def forget(self, workspace_id: str) -> None:
        """Delete the workspace's tokens (app_uninstalled, tokens_revoked) and stop using them here."""
        with self._lock(workspace_id):
            self._cache.pop(workspace_id, None)
            self._store.delete_workspace(workspace_id)


def _reason(error: Exception) -> str:
    api_error: Any = getattr(error, "api_error", None)
    response = getattr(api_error, "response", None)
    if response is not None:
        return str(response.get("error", "error"))
    return type(error).__name__
