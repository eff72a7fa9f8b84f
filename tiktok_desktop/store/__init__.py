"""SQLite persistence: the database file, migrations and repositories (no HTTP, no Qt)."""

from tiktok_desktop.store.accounts import AccountsRepo
from tiktok_desktop.store.db import (
    Database,
    DatabaseCorrupt,
    DatabaseTooNew,
    MigrationFailed,
    StoreError,
)
from tiktok_desktop.store.models import (
    Account,
    AccountStatus,
    NewPost,
    Post,
    PostEvent,
    PostMode,
    PostState,
)
from tiktok_desktop.store.posts import EDITABLE_STATES, PostsRepo, StateConflict

__all__ = [
    "EDITABLE_STATES",
    "Account",
    "AccountStatus",
    "AccountsRepo",
    "Database",
    "DatabaseCorrupt",
    "DatabaseTooNew",
    "MigrationFailed",
    "NewPost",
    "Post",
    "PostEvent",
    "PostMode",
    "PostState",
    "PostsRepo",
    "StateConflict",
    "StoreError",
]
