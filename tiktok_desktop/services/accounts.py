"""Account use cases shared by the GUI and the CLI."""

from __future__ import annotations

from tiktok_desktop.store import Account, AccountsRepo


class AccountsService:
    def __init__(self, accounts: AccountsRepo) -> None:
        self.repo = accounts

    def list_accounts(self) -> list[Account]:
        return self.repo.all()
