"""The search index behind the schedule's search box: an SQLite FTS5 table with the trigram
tokenizer over each post's casefolded caption and file name (post_keys.py), kept in step with
posts by triggers.

A trigram index finds any substring of three or more characters without reading every post;
on the casefolded text (and case-sensitive itself, so it folds nothing further) it gives
exactly what ``needle in caption.casefold()`` gives. Shorter search texts scan (listing.py).

It is derived data, not schema: :func:`ensure` runs at every open (Database.open) and builds
it when it is missing. FTS5 or its trigram tokenizer (SQLite 3.34) can be missing from the
SQLite a Python was built with; then there is no index, its triggers are removed (a trigger
on a table whose module is missing would make every write to posts fail), the search scans,
and the log says so. Back on an SQLite with FTS5 the index is rebuilt.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tiktok_desktop.store.db import Database

log = logging.getLogger(__name__)

__all__ = ["TABLE", "ensure", "fts5_available", "in_step", "match_query"]

TABLE = "posts_search"
_CREATE = ("CREATE VIRTUAL TABLE posts_search USING fts5(caption_fold, name_fold, "
           "content='posts', content_rowid='id', tokenize='trigram case_sensitive 1')")
_ADD = ("INSERT INTO posts_search (rowid, caption_fold, name_fold) "
        "VALUES (NEW.id, NEW.caption_fold, NEW.name_fold);")
_REMOVE = ("INSERT INTO posts_search (posts_search, rowid, caption_fold, name_fold) "
           "VALUES ('delete', OLD.id, OLD.caption_fold, OLD.name_fold);")
TRIGGERS = {
    "posts_search_insert": f"AFTER INSERT ON posts BEGIN {_ADD} END",
    "posts_search_delete": f"AFTER DELETE ON posts BEGIN {_REMOVE} END",
    "posts_search_update": f"AFTER UPDATE OF caption_fold, name_fold ON posts "
                           f"BEGIN {_REMOVE} {_ADD} END",
}


@functools.cache
def fts5_available() -> bool:
    """Does this SQLite have FTS5 with the trigram tokenizer?"""
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
    except sqlite3.Error:
        return False
    finally:
        probe.close()
    return True


def _names(c: sqlite3.Connection) -> set[str]:
    rows = c.execute("SELECT name FROM sqlite_master WHERE name = ? OR (type = 'trigger' "
                     "AND name LIKE 'posts_search_%')", (TABLE,))
    return {r[0] for r in rows}


def in_step(c: sqlite3.Connection) -> bool:
    """Is the index there and kept by its triggers (so a search may use it)?"""
    return fts5_available() and _names(c) >= {TABLE, *TRIGGERS}


def ensure(db: Database) -> bool:
    """Build the index (or take its triggers away without FTS5); True when it is usable."""
    c = db.conn()
    has_columns = c.execute("SELECT 1 FROM pragma_table_info('posts') "
                            "WHERE name = 'caption_fold'").fetchone()
    if has_columns is None:  # a schema before V6 (tests open those)
        return False
    if fts5_available() and _names(c) >= {TABLE, *TRIGGERS}:
        return True
    with db.transaction():
        names = _names(c)
        if not fts5_available():
            for trigger in TRIGGERS:
                c.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            log.warning("this SQLite (%s) has no FTS5 trigram tokenizer: the schedule's "
                        "search reads every post instead of an index", sqlite3.sqlite_version)
            return False
        if names >= {TABLE, *TRIGGERS}:
            return True  # another process built it meanwhile
        if TABLE not in names:
            c.execute(_CREATE)
        for trigger, body in TRIGGERS.items():
            c.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            c.execute(f"CREATE TRIGGER {trigger} {body}")
        # From the posts as they are now (they may have changed while it had no triggers).
        c.execute("INSERT INTO posts_search (posts_search) VALUES ('rebuild')")
    log.info("search index built")
    return True


def match_query(needle: str) -> str:
    """An FTS5 query for posts whose caption or file name contains ``needle`` (casefolded,
    three characters or more): one phrase of its trigrams, in either column."""
    return '{caption_fold name_fold} : "' + needle.replace('"', '""') + '"'
