"""OAuth mode: Bolt's install flow (/slack/install, /slack/oauth_redirect) on Baton's own database, with
encrypted tokens, cached authorization and token rotation for requests and for the scheduler alike."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine

from bot.config import Settings
from bot.slack.client import TIMEOUT_SECONDS
from bot.slack.installations import (
    ROTATE_MINUTES_BEFORE_EXPIRY,
    EncryptedInstallationStore,
    InstalledTokens,
    TokenCipher,
)

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # an install link is good for ten minutes


@dataclass
class OAuthMode:
    """What OAuth mode adds to an app: the stores, the token source and Bolt's settings."""

    settings: OAuthSettings
    store: EncryptedInstallationStore
    tokens: InstalledTokens
    authorize: InstallationStoreAuthorize

    def bolt_kwargs(self, *, on_installed: Callable[[str], None]) -> dict[str, Any]:
        """Keyword arguments for `slack_bolt.App`; `on_installed(workspace_id)` runs after each install."""

        def success(args: SuccessArgs) -> BoltResponse:
            team_id = args.installation.team_id or args.installation.enterprise_id
            if team_id:
                on_installed(str(team_id))
            log.info("oauth.installed", extra={"workspace": team_id})
            return args.default.success(args)

        def failure(args: FailureArgs) -> BoltResponse:
            log.warning("oauth.install_failed", extra={"reason": args.reason})
            return args.default.failure(args)

        self.settings.callback_options = CallbackOptions(success=success, failure=failure)
        return {
            "oauth_settings": self.settings,
            "authorize": self.authorize,
            "installation_store": self.store,
            "installation_store_bot_only": True,
        }


def oauth_mode(settings: Settings, *, engine: Engine, client: WebClient, scopes: Sequence[str]) -> OAuthMode:
    """Build OAuth mode from settings; `client` is the app's WebClient (our base URL, for oauth.v2.access),
    `scopes` the manifest's bot scopes, so an install asks for exactly what Baton uses."""
    assert settings.slack_client_id is not None
    assert settings.slack_client_secret is not None
    assert settings.baton_encryption_key is not None
    client_id = settings.slack_client_id
    client_secret = settings.slack_client_secret.get_secret_value()
    store = EncryptedInstallationStore(
        client_id=client_id, engine=engine, cipher=TokenCipher(settings.baton_encryption_key.get_secret_value())
    )
    oauth_settings = OAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(scopes),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=store,
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE_EXPIRY,
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine, logger=log),
        state_expiration_seconds=STATE_SECONDS,
        logger=log,
    )
    rotation_client = WebClient(base_url=client.base_url, timeout=TIMEOUT_SECONDS)
    tokens = InstalledTokens(
        store=store,
        rotator=TokenRotator(client_id=client_id, client_secret=client_secret, client=rotation_client),
    )
    authorize = InstallationStoreAuthorize(
        logger=log,
        installation_store=store,
        client_id=client_id,
        client_secret=client_secret,
        token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE_EXPIRY,
        bot_only=True,
        # auth.test once per token, not once per request.
        cache_enabled=True,
        client=client,
    )
    return OAuthMode(settings=oauth_settings, store=store, tokens=tokens, authorize=authorize)
