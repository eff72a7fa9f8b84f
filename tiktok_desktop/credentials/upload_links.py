"""TikTok's upload_url, kept in the keyring (it carries a credential), keyed by post.

SQLite keeps only its expiry (posts.upload_expires_at). The entry also names the publish_id it
belongs to, so a leftover link is never used for another publish.
"""

from __future__ import annotations

import json
import logging

from tiktok_desktop.credentials.vault import Vault, VaultError

log = logging.getLogger(__name__)


def _entry(post_id: int) -> str:
    return f"upload-url:{post_id}"


class UploadLinks:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def put(self, post_id: int, publish_id: str, url: str) -> None:
        self.vault.set_entry(_entry(post_id), json.dumps({"publish_id": publish_id, "url": url}))

    def get(self, post_id: int, publish_id: str) -> str | None:
        try:
            text = self.vault.get_entry(_entry(post_id))
        except VaultError as exc:
            log.info("upload link for post %d unreadable: %s", post_id, exc)
            return None
        if not text:
            return None
        try:
            raw = json.loads(text)
        except ValueError:
            return None
        if not isinstance(raw, dict) or raw.get("publish_id") != publish_id:
            return None
        url = raw.get("url")
        return url if isinstance(url, str) and url else None

    def delete(self, post_id: int) -> None:
        try:
            self.vault.delete_entry(_entry(post_id))
        except VaultError as exc:  # a leftover entry is harmless: it names its publish_id
            log.info("could not remove the upload link of post %d: %s", post_id, exc)
