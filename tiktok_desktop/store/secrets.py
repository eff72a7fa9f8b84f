"""A shared schedule's secrets as the database holds them: sealed (credentials/shared_vault.py
seals and opens them with the team key), never in the clear. This module sees only nonces,
ciphertext and the id of the key that sealed them; it has no key and cannot read a secret.

On a local (SQLite) schedule the table exists and stays empty: secrets live in the OS keyring.
"""

from __future__ import annotations

from dataclasses import dataclass

from tiktok_desktop.store.backend import Backend

__all__ = ["SealedSecret", "SecretsRepo"]


@dataclass(frozen=True)
class SealedSecret:
    """One value sealed with AES-GCM: its nonce, the ciphertext with its tag, and the
    fingerprint of the team key that sealed it (not secret; it names the key in messages)."""

    nonce: bytes
    sealed: bytes
    key_id: str


class SecretsRepo:
    def __init__(self, db: Backend) -> None:
        self.db = db

    def get(self, name: str) -> SealedSecret | None:
        r = self.db.conn().execute(
            "SELECT nonce, sealed, key_id FROM shared_secrets WHERE name = ?", (name,)
        ).fetchone()
        if r is None:
            return None
        return SealedSecret(bytes(r[0]), bytes(r[1]), str(r[2]))

    def put(self, name: str, secret: SealedSecret) -> None:
        with self.db.transaction() as c:
            c.execute(
                """INSERT INTO shared_secrets (name, nonce, sealed, key_id, updated_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT(name) DO UPDATE SET
                       nonce = excluded.nonce, sealed = excluded.sealed,
                       key_id = excluded.key_id, updated_at = excluded.updated_at""",
                (name, secret.nonce, secret.sealed, secret.key_id, int(self.db.clock())))

    def delete(self, name: str) -> bool:
        """Remove ``name``; False when there was nothing to remove."""
        with self.db.transaction() as c:
            return c.execute("DELETE FROM shared_secrets WHERE name = ?", (name,)).rowcount > 0

    def names(self) -> list[str]:
        return [str(r[0]) for r in self.db.conn().execute(
            "SELECT name FROM shared_secrets ORDER BY name")]
