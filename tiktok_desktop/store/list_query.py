"""What the schedule's list and calendar ask the database for, in SQL: which posts (Where), in
which order (Order, SortKey), through which index walks, and the calendar's ranges. The list
(listing.PostList) reads stretches of an order; the calendar reads a range of due times.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tiktok_desktop.store.backend import Backend
from tiktok_desktop.store.dialect import Dialect
from tiktok_desktop.store.models import Post
from tiktok_desktop.store.post_keys import BIG_DUE, display_name
from tiktok_desktop.store.posts import _row_to_post

__all__ = ["MAX_ARMS", "Cell", "Order", "Part", "SortKey", "Where", "cell_counts",
           "count_in_range", "count_undated", "fetch_posts", "in_range", "marks",
           "text_sql", "undated", "walks"]

MAX_ARMS = 32  # index walks merged for one filter (UNION ALL, each in due order)

Cell = tuple[int, str, str]  # (account id, state, privacy ('' = none)): what post_counts counts


class SortKey(enum.Enum):
    DUE = "due_key"
    VIDEO = "video_name"  # the file name as shown
    NAME = "name_fold"  # the file name, any case (the picture column)
    CAPTION = "caption_line"  # the caption's first line
    SEGMENTS = ""  # groups of posts (Order.segments) in the order given, each in due order


_INDEX = {SortKey.DUE: "posts_list_due", SortKey.VIDEO: "posts_list_video",
          SortKey.NAME: "posts_list_name", SortKey.CAPTION: "posts_list_caption"}


def _meet(a: frozenset[Any] | None, b: frozenset[Any] | None) -> frozenset[Any] | None:
    if a is None:
        return b
    return a if b is None else a & b


def marks(values: Iterable[Any]) -> str:
    return ",".join("?" for _ in values)


@dataclass(frozen=True)
class Where:
    """Which posts: accounts (None = all, minus ``not_accounts``), states, privacy levels
    ('' for none), and a search text already casefolded and stripped ('' = any)."""

    accounts: frozenset[int] | None = None
    not_accounts: frozenset[int] = frozenset()
    states: frozenset[str] | None = None
    privacies: frozenset[str] | None = None
    text: str = ""

    def __and__(self, other: Where) -> Where:
        if self.text and other.text and self.text != other.text:
            raise ValueError("two search texts cannot be combined")
        return Where(_meet(self.accounts, other.accounts), self.not_accounts | other.not_accounts,
                     _meet(self.states, other.states), _meet(self.privacies, other.privacies),
                     self.text or other.text)

    def without_text(self) -> Where:
        return Where(self.accounts, self.not_accounts, self.states, self.privacies)

    def cell(self, cell: Cell) -> bool:
        account, state, privacy = cell
        return ((self.accounts is None or account in self.accounts)
                and account not in self.not_accounts
                and (self.states is None or state in self.states)
                and (self.privacies is None or privacy in self.privacies))

    def matches(self, post: Post) -> bool:
        """The same test as the SQL, for one post in hand (an engine update)."""
        if not self.cell((post.account_id, post.state.value, post.privacy_level or "")):
            return False
        return not self.text or self.text in post.caption.casefold() \
            or self.text in display_name(post.video_path, post.video_meta).casefold()

    def conditions(self, arm: dict[str, Any], dialect: Dialect) -> tuple[list[str], list[Any]]:
        """SQL conditions and their arguments (without the text). Columns an arm fixes
        (``arm``) are compared with '=' so its index is used; the rest are written '+col'
        so SQLite tests them on the index's rows instead of choosing another index."""
        sql: list[str] = []
        args: list[Any] = []
        plain, one_of = dialect.plain, dialect.one_of
        for column, value in arm.items():
            sql.append(f"{column} = ?")
            args.append(value)
        if self.accounts is not None and "account_id" not in arm:
            sql.append(one_of(plain("account_id"), len(self.accounts)))
            args.extend(sorted(self.accounts))
        if self.not_accounts:
            sql.append(one_of(plain("account_id"), len(self.not_accounts), negate=True))
            args.extend(sorted(self.not_accounts))
        if self.states is not None and "state" not in arm:
            sql.append(one_of(plain("state"), len(self.states)))
            args.extend(sorted(self.states))
        if self.privacies is not None:
            sql.append(one_of("COALESCE(privacy_level, '')", len(self.privacies)))
            args.extend(sorted(self.privacies))
        return sql, args


Part = tuple[Where, ...]  # a stretch of the list: posts matching any of these (disjoint)


@dataclass(frozen=True)
class Order:
    """How the list is sorted. SEGMENTS: ``segments`` are the groups in ascending order
    (each a union of disjoint Wheres); together they must hold every post."""

    key: SortKey = SortKey.DUE
    descending: bool = False
    segments: tuple[Part, ...] = ()


def cell_counts(db: Backend) -> dict[Cell, int]:
    """Posts per (account, state, privacy): a few rows, whatever the number of posts."""
    rows = db.conn().execute(
        "SELECT account_id, state, privacy, n FROM post_counts WHERE n > 0").fetchall()
    return {(int(a), str(s), str(p)): int(n) for a, s, p, n in rows}


def text_sql(dialect: Dialect) -> str:
    return f"({dialect.contains('caption_fold')} OR {dialect.contains('name_fold')})"


def walks(where: Where, key: SortKey) -> list[tuple[str, dict[str, Any]]]:
    """Which index walks give ``where``'s posts in order: for a due order (a due sort, a
    segment, the calendar), one per account and/or state when the filter names few (each
    walk is in due order and SQLite merges them); for the other sorts the sort's own index,
    the filters tested on its rows."""
    if key not in (SortKey.DUE, SortKey.SEGMENTS):
        return [(_INDEX[key], {})]
    accounts, states = where.accounts, where.states
    if accounts is not None and states is not None and len(accounts) * len(states) <= MAX_ARMS:
        return [("posts_list_account_state", {"account_id": a, "state": s})
                for a in sorted(accounts) for s in sorted(states)]
    if states is not None and len(states) <= MAX_ARMS:
        return [("posts_list_state", {"state": s}) for s in sorted(states)]
    if accounts is not None and len(accounts) <= MAX_ARMS:
        return [("posts_list_account", {"account_id": a}) for a in sorted(accounts)]
    return [(_INDEX[SortKey.DUE], {})]


def fetch_posts(db: Backend, ids: Sequence[int]) -> list[Post]:
    """The posts with these ids, in this order (one deleted meanwhile is left out)."""
    found: dict[int, Post] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        rows = db.conn().execute(
            f"SELECT * FROM posts WHERE id IN ({marks(chunk)})", chunk).fetchall()  # noqa: S608
        found.update((r["id"], _row_to_post(r)) for r in rows)
    return [found[i] for i in ids if i in found]


# -- the calendar's ranges ---------------------------------------------------------------------

def _range_arms(dialect: Dialect, where: Where, start: int,
                end: int) -> tuple[str, list[Any]]:
    arms, args = [], []
    for index, arm in walks(where, SortKey.DUE):
        conds, cond_args = where.conditions(arm, dialect)
        conds += ["due_key >= ?", "due_key < ?"]
        cond_args += [start, end]
        if where.text:
            conds.append(text_sql(dialect))
            cond_args += [where.text, where.text]
        arms.append(f"SELECT id, due_key FROM posts{dialect.index(index)} "  # noqa: S608
                    f"WHERE {' AND '.join(conds)}")
        args += cond_args
    return " UNION ALL ".join(arms), args


def in_range(db: Backend, start: int, end: int, where: Where = Where(),
             limit: int | None = None) -> list[Post]:
    """Posts due in [start, end) that ``where`` selects, soonest first (then by id)."""
    arms, args = _range_arms(db.dialect, where, start, min(end, BIG_DUE))
    sql = f"SELECT id FROM ({arms}) AS due ORDER BY due_key, id"  # noqa: S608
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    ids = [int(r[0]) for r in db.conn().execute(sql, args).fetchall()]
    return fetch_posts(db, ids)


def count_in_range(db: Backend, start: int, end: int,
                   where: Where = Where()) -> int:
    """How many posts ``where`` selects are due in [start, end) (an index walk)."""
    arms, args = _range_arms(db.dialect, where, start, min(end, BIG_DUE))
    return int(db.conn().execute(f"SELECT COUNT(*) FROM ({arms}) AS due",  # noqa: S608
                                 args).fetchone()[0])


def undated(db: Backend, where: Where = Where(), limit: int = 500) -> list[Post]:
    """Posts without a due time (their due_key is BIG_DUE) that ``where`` selects, by id."""
    arms, args = _range_arms(db.dialect, where, BIG_DUE, BIG_DUE + 1)
    sql = f"SELECT id FROM ({arms}) AS due ORDER BY due_key, id LIMIT ?"  # noqa: S608
    ids = [int(r[0]) for r in db.conn().execute(sql, [*args, limit]).fetchall()]
    return fetch_posts(db, ids)


def count_undated(db: Backend, where: Where = Where()) -> int:
    """How many posts without a due time ``where`` selects (an index walk)."""
    arms, args = _range_arms(db.dialect, where, BIG_DUE, BIG_DUE + 1)
    return int(db.conn().execute(f"SELECT COUNT(*) FROM ({arms}) AS due",  # noqa: S608
                                 args).fetchone()[0])
