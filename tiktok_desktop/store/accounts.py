"""Accounts repository. Holds no tokens: those live in the OS keyring (services/vault.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tiktok_desktop.store.backend import Backend, Row
from tiktok_desktop.store.models import Account, AccountStatus, dumps


def _row_to_account(r: Row) -> Account:
    return Account(
        id=r["id"],
        open_id=r["open_id"],
        display_name=r["display_name"],
        username=r["username"],
        avatar_url=r["avatar_url"],
        granted_scopes=frozenset(s for s in r["granted_scopes"].split(",") if s),
        access_expires_at=r["access_expires_at"],
        refresh_expires_at=r["refresh_expires_at"],
        status=AccountStatus(r["status"]),
        creator_info=json.loads(r["creator_info"]) if r["creator_info"] else None,
        creator_info_at=r["creator_info_at"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        reconnect_reason=r["reconnect_reason"],
        refresh_unanswered_at=r["refresh_unanswered_at"],
    )


class AccountsRepo:
    def __init__(self, db: Backend) -> None:
        self.db = db

    def _now(self) -> int:
        return int(self.db.clock())

    def all(self, *, include_disconnected: bool = True) -> list[Account]:
        sql = "SELECT * FROM accounts"
        if not include_disconnected:
            sql += " WHERE status != 'disconnected'"
        sql += f" ORDER BY {self.db.dialect.nocase('display_name')}, id"
        return [_row_to_account(r) for r in self.db.conn().execute(sql)]

    def get(self, account_id: int) -> Account | None:
        r = self.db.conn().execute("SELECT * FROM accounts WHERE id = ?", (account_id,)).fetchone()
        return _row_to_account(r) if r else None

    def by_open_id(self, open_id: str) -> Account | None:
        r = self.db.conn().execute(
            "SELECT * FROM accounts WHERE open_id = ?", (open_id,)
        ).fetchone()
        return _row_to_account(r) if r else None

    def upsert_connected(
        self,
        *,
        open_id: str,
        display_name: str,
        username: str,
        avatar_url: str,
        granted_scopes: Iterable[str],
        access_expires_at: int | None,
        refresh_expires_at: int | None,
        creator_info: dict[str, Any] | None = None,
    ) -> Account:
        """Insert a newly connected account or update it in place on reconnect.

        Updating in place keeps the row id, so the account's posts stay attached to it.
        Empty profile values never overwrite known ones (a narrower grant must not blank them).
        """
        now = self._now()
        scopes = ",".join(sorted(set(granted_scopes)))
        with self.db.transaction() as c:
            c.execute(
                """
                INSERT INTO accounts (open_id, display_name, username, avatar_url, granted_scopes,
                    access_expires_at, refresh_expires_at, status, creator_info, creator_info_at,
                    created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'connected', ?, ?, ?, ?)
                ON CONFLICT(open_id) DO UPDATE SET
                    display_name = CASE WHEN excluded.display_name != ''
                        THEN excluded.display_name ELSE accounts.display_name END,
                    username = CASE WHEN excluded.username != ''
                        THEN excluded.username ELSE accounts.username END,
                    avatar_url = CASE WHEN excluded.avatar_url != ''
                        THEN excluded.avatar_url ELSE accounts.avatar_url END,
                    granted_scopes = excluded.granted_scopes,
                    access_expires_at = excluded.access_expires_at,
                    refresh_expires_at = excluded.refresh_expires_at,
                    status = 'connected',
                    reconnect_reason = '',
                    refresh_unanswered_at = NULL,
                    creator_info = COALESCE(excluded.creator_info, accounts.creator_info),
                    creator_info_at = COALESCE(excluded.creator_info_at,
                                               accounts.creator_info_at),
                    updated_at = excluded.updated_at
                """,
                (
                    open_id, display_name, username, avatar_url, scopes, access_expires_at,
                    refresh_expires_at, dumps(creator_info) if creator_info is not None else None,
                    now if creator_info is not None else None, now, now,
                ),
            )
        account = self.by_open_id(open_id)
        assert account is not None
        return account

    def set_status(self, account_id: int, status: AccountStatus, reason: str = "") -> None:
        """``reason``: why a reconnect is needed, in words the user can act on."""
        with self.db.transaction() as c:
            c.execute(
                "UPDATE accounts SET status = ?, reconnect_reason = ?, updated_at = ? "
                "WHERE id = ?",
                (status.value, "" if status is AccountStatus.CONNECTED else reason,
                 self._now(), account_id),
            )

    def set_refresh_unanswered(self, account_id: int, at: int | None) -> None:
        """A refresh went out at ``at`` and its answer never came (None: an answer came)."""
        with self.db.transaction() as c:
            c.execute("UPDATE accounts SET refresh_unanswered_at = ? WHERE id = ?",
                      (at, account_id))

    def set_token_expiry(
        self, account_id: int, access_expires_at: int | None, refresh_expires_at: int | None
    ) -> None:
        with self.db.transaction() as c:
            c.execute(
                "UPDATE accounts SET access_expires_at = ?, refresh_expires_at = ?, "
                "updated_at = ? WHERE id = ?",
                (access_expires_at, refresh_expires_at, self._now(), account_id),
            )

    def set_creator_info(self, account_id: int, info: dict[str, Any]) -> None:
        now = self._now()
        with self.db.transaction() as c:
            c.execute(
                "UPDATE accounts SET creator_info = ?, creator_info_at = ?, updated_at = ? "
                "WHERE id = ?",
                (dumps(info), now, now, account_id),
            )

    def update_profile(self, account_id: int, *, display_name: str = "", username: str = "",
                       avatar_url: str = "") -> None:
        with self.db.transaction() as c:
            c.execute(
                """UPDATE accounts SET
                    display_name = CASE WHEN ? != '' THEN ? ELSE display_name END,
                    username = CASE WHEN ? != '' THEN ? ELSE username END,
                    avatar_url = CASE WHEN ? != '' THEN ? ELSE avatar_url END,
                    updated_at = ?
                   WHERE id = ?""",
                (display_name, display_name, username, username, avatar_url, avatar_url,
                 self._now(), account_id),
            )
