"""Persistence: the SQLite file (the default) or a shared PostgreSQL database (postgres.py,
imported only when used), migrations and repositories (no HTTP, no Qt)."""

from tiktok_desktop.store.accounts import AccountsRepo
from tiktok_desktop.store.client_status import ClientStatusRepo
from tiktok_desktop.store.db import (
    Database,
    DatabaseCorrupt,
    DatabaseTooNew,
    DatabaseUnavailable,
    DatabaseUnreachable,
    MigrationFailed,
    StoreError,
)
from tiktok_desktop.store.leases import LeaseRepo
from tiktok_desktop.store.models import (
    Account,
    AccountStatus,
    NewPost,
    Post,
    PostEvent,
    PostMode,
    PostState,
    PostStep,
)
from tiktok_desktop.store.posts import LeaseLost, PostsRepo, StateConflict

__all__ = [
    "Account",
    "AccountStatus",
    "AccountsRepo",
    "ClientStatusRepo",
    "Database",
    "DatabaseCorrupt",
    "DatabaseTooNew",
    "DatabaseUnavailable",
    "DatabaseUnreachable",
    "LeaseLost",
    "LeaseRepo",
    "MigrationFailed",
    "NewPost",
    "Post",
    "PostEvent",
    "PostMode",
    "PostState",
    "PostStep",
    "PostsRepo",
    "StateConflict",
    "StoreError",
]
