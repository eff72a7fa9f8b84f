"""The Settings dialog's "Test": are this client key, secret and redirect URI usable?

Checks what can be checked without a user signing in: the redirect URI's form locally, and the
key and secret at TikTok's token endpoint with the client_credentials grant (the one call that
needs nothing but the app's own credentials). Whether the redirect URI is registered in the
TikTok app can only show when an account connects, and the result says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from tiktok_desktop.config import DEFAULT_REDIRECT_URI, Credentials
from tiktok_desktop.credentials import Vault, VaultError
from tiktok_desktop.services.loopback import RedirectTemplate
from tiktok_desktop.services.loopback_errors import LoopbackError
from tiktok_desktop.tiktok import (
    ClientCredentials,
    Endpoints,
    NetworkError,
    OAuthClient,
    OAuthError,
    TikTokError,
)

log = logging.getLogger(__name__)

__all__ = ["CredentialCheck", "CredentialsTester", "check_credentials"]


@dataclass(frozen=True)
class CredentialCheck:
    ok: bool
    message: str


def check_credentials(http: httpx.Client, endpoints: Endpoints, client_key: str,
                      client_secret: str, redirect_uri: str, *,
                      target: str = "TikTok") -> CredentialCheck:
    """Check the three values; `target` names who answers ("TikTok" or "the sandbox")."""
    who = target[:1].upper() + target[1:]
    client_key, client_secret = client_key.strip(), client_secret.strip()
    redirect_uri = redirect_uri.strip() or DEFAULT_REDIRECT_URI
    if not client_key:
        return CredentialCheck(False, "Enter the client key of your app (developers.tiktok.com "
                                      "> Manage apps > your app > App details).")
    if not client_secret:
        return CredentialCheck(False, "Enter the client secret of your app; it is shown next "
                                      "to the client key on developers.tiktok.com.")
    try:
        RedirectTemplate.parse(redirect_uri)
    except LoopbackError as exc:
        return CredentialCheck(False, str(exc))
    oauth = OAuthClient(http, ClientCredentials(client_key, client_secret), endpoints)
    try:
        oauth.check_client()
    except OAuthError as exc:
        log.info("credentials check refused: %s", exc.code)
        if exc.code == "invalid_client":
            return CredentialCheck(
                False, f"{who} did not accept this client key and secret. Copy both again "
                       "from developers.tiktok.com > Manage apps > your app; a space or a "
                       "missing character is enough to break them.")
        return CredentialCheck(False, f"{who} refused the check: {exc}")
    except NetworkError:
        return CredentialCheck(False, f"Could not reach {target}: check the internet "
                                      "connection (and proxy settings), then test again.")
    except TikTokError as exc:
        return CredentialCheck(False, f"The check did not complete: {exc}")
    log.info("credentials check passed for client key %s", client_key)
    return CredentialCheck(
        True, f"{who} accepted the client key and secret. The redirect URI is checked when "
              f"you connect an account: register it exactly as {redirect_uri} in your app's "
              "Login Kit settings.")


class CredentialsTester:
    """What the Settings dialog's Test runs: an empty secret field means the saved one.

    In sandbox mode the check goes to the sandbox (never to TikTok); with the key field empty
    it checks the sandbox app's own credentials, which is what the app then uses.
    """

    def __init__(self, http: httpx.Client, endpoints: Endpoints, app_vault: Vault,
                 in_use: Credentials, *, sandbox: bool) -> None:
        self.http = http
        self.endpoints = endpoints
        self.app_vault = app_vault
        self.in_use = in_use
        self.sandbox = sandbox

    def __call__(self, client_key: str, client_secret: str,
                 redirect_uri: str) -> CredentialCheck:
        secret = client_secret.strip()
        if not secret and client_key.strip():
            try:
                secret = self.app_vault.client_secret() or ""
            except VaultError as exc:
                return CredentialCheck(False, str(exc))
        if not self.sandbox:
            return check_credentials(self.http, self.endpoints, client_key, secret,
                                     redirect_uri)
        sandbox = self.in_use
        if not client_key.strip():
            result = check_credentials(self.http, self.endpoints, sandbox.client_key,
                                       sandbox.client_secret, redirect_uri,
                                       target="the sandbox")
            return CredentialCheck(result.ok, "The fields are empty, so the app uses its "
                                              "built-in sandbox. " + result.message)
        result = check_credentials(self.http, self.endpoints, client_key, secret, redirect_uri,
                                   target="the sandbox")
        if not result.ok and client_key.strip() != sandbox.client_key:
            return CredentialCheck(False, result.message + " The app runs in sandbox mode, so "
                                   "the check asked the built-in sandbox, which knows only its "
                                   "own app. Save, then restart the app to use and test your "
                                   "TikTok app.")
        return result
