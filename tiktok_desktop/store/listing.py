"""The schedule list as SQL: which posts a filter and a sort give, how many, and any stretch
of them, without reading the rest (issue 16: a window over 100,000 posts).

The list's order is (sort key, due time, id), undated posts last; a descending sort by a
column with few values (account, state, privacy: "segments") keeps each value's posts in due
order, as the list always did; a descending sort by the others (due, file name, caption) is
the exact reverse. Every order walks an index (migrations.V6_SCHEDULE_LIST), so a stretch of
rows costs what it holds plus the rows skipped to reach it: a stretch next to one already
read continues from its last row (keyset), any other is counted from the nearer end of the
list (``OFFSET`` over the index alone), so the last page is as cheap as the first.

Counts come from post_counts (kept by triggers): a list's length, its segments' sizes and
the filter bar's numbers are sums over a few rows. A search (text) uses the trigram index
(SQLite: search_index.py; PostgreSQL: pg_trgm, see dialect.py): few matches are read whole
and sorted here; many are read a page at a time from the sorted index, testing each post's
text, and their number stays unknown until the end is reached (``count`` is None, ``more``
says whether there are more).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tiktok_desktop.store.backend import Backend
from tiktok_desktop.store.list_query import (
    Cell,
    Order,
    Part,
    SortKey,
    Where,
    cell_counts,
    count_in_range,
    count_undated,
    fetch_posts,
    in_range,
    marks,
    text_sql,
    undated,
    walks,
)
from tiktok_desktop.store.models import Post
from tiktok_desktop.store.post_keys import BIG_DUE, listing_keys

__all__ = ["PAGE", "Cell", "Order", "PostList", "SortKey", "Where", "cell_counts",
           "count_in_range", "count_undated", "in_range", "undated"]

PAGE = 64  # rows read at a time
KEEP_PAGES = 32  # pages kept (a few screens each way)
MATERIALIZE = 2000  # a search matching at most this many posts is read whole
@dataclass
class _Stretch:
    """One part of the list: its Wheres (already narrowed by the filter) and its size."""

    wheres: Part
    count: int | None
    first_row: int = 0  # the list row of its first post (exact lists only)


@dataclass
class _Rows:
    posts: list[Post]
    marks: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)  # (part, key)


class PostList:
    """The posts ``where`` selects, in ``order``: count, rows by position, a post's row.

    A snapshot of the counts at creation; the rows are read when asked for and kept (a
    bounded cache). After the database changed, make a new PostList.
    """

    def __init__(self, db: Backend, where: Where = Where(),
                 order: Order = Order(), *, cells: dict[Cell, int] | None = None) -> None:
        self.db = db
        self.where = where
        self.order = order
        self.cells = cell_counts(db) if cells is None else cells
        self._by_account: dict[int, list[Cell]] | None = None
        self._column = None if order.key in (SortKey.DUE, SortKey.SEGMENTS) else order.key.value
        # Within a part: rows go down (due_key, id), or up for a reversed scan key.
        self._part_desc = order.descending and order.key is not SortKey.SEGMENTS
        self._parts = self._make_parts()
        self._pages: OrderedDict[int, _Rows] = OrderedDict()
        self._ids: list[int] | None = None  # a materialized list (a small search)
        self._loaded: _Rows | None = None  # an open-ended list (a large search)
        self._more = False
        self.count: int | None
        if not where.text:
            self.count = sum(p.count or 0 for p in self._parts)
            self._number_parts()
        else:
            self.count = self._start_search()

    # -- parts and counts -------------------------------------------------------------------

    def _make_parts(self) -> list[_Stretch]:
        base = self.where.without_text()
        if self.order.key is not SortKey.SEGMENTS:
            parts = [_Stretch((base,), self._count((base,)))]
        else:
            parts = [_Stretch(tuple(w & base for w in seg), 0) for seg in self.order.segments]
            self._check_segments()
            for part in parts:
                part.count = self._count(part.wheres)
            if self.order.descending:
                parts.reverse()
        return [p for p in parts if p.count]

    def _cells_of(self, where: Where) -> Iterable[Cell]:
        """The cells ``where`` may hold: those of its accounts when it names them (a sort by
        account has a segment per account: no pass over every cell for each)."""
        if where.accounts is None:
            return self.cells
        if self._by_account is None:
            self._by_account = {}
            for cell in self.cells:
                self._by_account.setdefault(cell[0], []).append(cell)
        return [c for a in where.accounts for c in self._by_account.get(a, ())]

    def _count(self, wheres: Part) -> int:
        matched = {c for w in wheres for c in self._cells_of(w) if w.cell(c)}
        return sum(self.cells[c] for c in matched)

    def _check_segments(self) -> None:
        base = self.where.without_text()
        seen: dict[Cell, int] = {}
        for seg in self.order.segments:
            for w in seg:
                for cell in self._cells_of(w):
                    if w.cell(cell):
                        seen[cell] = seen.get(cell, 0) + 1
        for cell in self.cells:
            found = seen.get(cell, 0)
            if base.cell(cell) and found != 1:
                raise ValueError(f"the sort's segments hold posts of {cell} {found} times")

    def _number_parts(self) -> None:
        row = 0
        for part in self._parts:
            part.first_row = row
            row += part.count or 0

    # -- SQL --------------------------------------------------------------------------------

    def _select(self) -> str:
        return "id, due_key" + (f", {self._column}" if self._column else "")

    def _key_columns(self) -> tuple[str, ...]:
        return ((self._column,) if self._column else ()) + ("due_key", "id")

    def _arms(self, wheres: Part, extra: Sequence[str] = (),
              extra_args: Sequence[Any] = ()) -> tuple[list[str], list[Any]]:
        """One SELECT per index walk; the caller joins them with UNION ALL."""
        sql: list[str] = []
        args: list[Any] = []
        dialect = self.db.dialect
        for where in wheres:
            for index, arm in walks(where, self.order.key):
                conds, cond_args = where.conditions(arm, dialect)
                if where.text:
                    conds.append(text_sql(dialect))
                    cond_args += [where.text, where.text]
                conds += extra
                # Names from this module only; values are bound.
                text = f"SELECT {self._select()} FROM posts{dialect.index(index)}"  # noqa: S608
                if conds:
                    text += " WHERE " + " AND ".join(conds)
                sql.append(text)
                args += cond_args + list(extra_args)
        return sql, args

    def _order_sql(self, desc: bool) -> str:
        way = " DESC" if desc else ""
        return ", ".join(c + way for c in self._key_columns())

    def _query(self, wheres: Part, *, desc: bool, limit: int | None, offset: int = 0,
               after: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
        """Rows (id, key...) of one part in the given direction, after a key if given."""
        extra: list[str] = []
        extra_args: list[Any] = []
        if after is not None:
            cols = ", ".join(self._key_columns())
            extra.append(f"({cols}) {'<' if desc else '>'} ({marks(after)})")
            extra_args.extend(after)
        arms, args = self._arms(wheres, extra, extra_args)
        if not arms:
            return []
        sql = " UNION ALL ".join(arms) + f" ORDER BY {self._order_sql(desc)} LIMIT ? OFFSET ?"
        rows = self.db.conn().execute(sql, [*args, limit, offset]).fetchall()
        return [tuple(r) for r in rows]

    def _count_before(self, wheres: Part, key: tuple[Any, ...], *, desc: bool,
                      limit: int) -> int:
        """Rows of a part before ``key`` in the given direction (at most ``limit``)."""
        cols = ", ".join(self._key_columns())
        extra = [f"({cols}) {'>' if desc else '<'} ({marks(key)})"]
        arms, args = self._arms(wheres, extra, list(key))
        if not arms:
            return 0
        sql = f"SELECT COUNT(*) FROM ({' UNION ALL '.join(arms)} LIMIT ?) AS part"  # noqa: S608
        return int(self.db.conn().execute(sql, [*args, limit]).fetchone()[0])

    def _posts(self, ids: Sequence[int]) -> list[Post]:
        return fetch_posts(self.db, ids)

    # -- keys -------------------------------------------------------------------------------

    def key_of(self, post: Post) -> tuple[int, tuple[Any, ...]] | None:
        """(part, sort key) of a post that belongs in this list; None if it does not."""
        if not self.where.matches(post):
            return None
        due = BIG_DUE if post.due_at is None else post.due_at
        key: tuple[Any, ...] = (due, post.id)
        if self._column is not None:
            value = listing_keys(post.caption, post.video_path, post.video_meta)[self._column]
            key = (value, *key)
        cell = (post.account_id, post.state.value, post.privacy_level or "")
        for i, part in enumerate(self._parts):
            if any(w.cell(cell) for w in part.wheres):
                return i, key
        return None  # its segment was empty when the counts were read

    # -- a search ---------------------------------------------------------------------------

    def _start_search(self) -> int | None:
        """Read a small result whole (count known); a large one stays open-ended."""
        text = self.where.text
        total = sum(p.count or 0 for p in self._parts)
        for part in self._parts:
            part.wheres = tuple(w & Where(text=text) for w in part.wheres)
        if total <= MATERIALIZE:
            return self._materialize(None)
        dialect = self.db.dialect
        if len(text) >= 3 and dialect.search_in_step(self.db.conn()):
            probe = dialect.search_ids(self.db.conn(), text, MATERIALIZE + 1)
            if len(probe) <= MATERIALIZE:
                return self._materialize(probe)
        self._loaded = _Rows([])
        self._more = True
        self.count = None
        self.fetch_more()  # sets the count when the first page is the whole result
        return self.count

    def _materialize(self, ids: list[int] | None) -> int:
        """Read the whole (small) result: from the filter's index walks, or for the ids the
        search index found, sorted here as the SQL would sort them (Python compares strings
        by code point, as SQLite compares UTF-8 text)."""
        out: list[int] = []
        if ids is None:
            for stretch in self._parts:
                out += [int(r[0]) for r in self._query(stretch.wheres, desc=self._part_desc,
                                                       limit=self.db.dialect.no_limit)]
            self._ids = out
            return len(out)
        cols = "id, account_id, state, COALESCE(privacy_level, ''), due_key" + \
            (f", {self._column}" if self._column else "")
        conds, args = self.where.without_text().conditions({}, self.db.dialect)
        conds.append(self.db.dialect.one_of("id", len(ids)))
        rows = self.db.conn().execute(
            f"SELECT {cols} FROM posts WHERE {' AND '.join(conds)}",  # noqa: S608
            [*args, *ids]).fetchall()
        by_part: list[list[tuple[Any, ...]]] = [[] for _ in self._parts]
        for r in rows:
            cell = (int(r[1]), str(r[2]), str(r[3]))
            part = next((i for i, p in enumerate(self._parts)
                         if any(w.cell(cell) for w in p.wheres)), None)
            if part is not None:
                by_part[part].append(((r[5],) if self._column else ()) + (int(r[4]), int(r[0])))
        for keys in by_part:
            keys.sort(reverse=self._part_desc)
            out += [k[-1] for k in keys]
        self._ids = out
        return len(out)

    @property
    def more(self) -> bool:
        """An open-ended list has rows beyond those read so far."""
        return self._more

    def fetch_more(self, limit: int = PAGE) -> int:
        """Read the next rows of an open-ended list; how many came."""
        loaded = self._loaded
        if loaded is None or not self._more:
            return 0
        got: list[tuple[int, tuple[Any, ...]]] = []
        part, after = (loaded.marks[-1][0], loaded.marks[-1][1]) if loaded.marks else (0, None)
        while len(got) < limit and part < len(self._parts):
            rows = self._query(self._parts[part].wheres, desc=self._part_desc,
                               limit=limit - len(got), after=after)
            got += [(part, self._key_of_row(r)) for r in rows]
            if len(got) < limit:
                part, after = part + 1, None
        posts = self._posts([k[-1] for _p, k in got])
        by_id = {p.id: p for p in posts}
        for mark in got:
            if mark[1][-1] in by_id:
                loaded.posts.append(by_id[mark[1][-1]])
                loaded.marks.append(mark)
        self._more = part < len(self._parts)
        if not self._more:
            self.count = len(loaded.posts)  # read to the end: now it is known
        return len(posts)

    def _key_of_row(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """The sort key of a row from _query: (id, due_key[, column])."""
        return ((row[2],) if self._column else ()) + (row[1], row[0])

    # -- rows -------------------------------------------------------------------------------

    def __len__(self) -> int:
        if self.count is not None:
            return self.count
        return len(self._loaded.posts) if self._loaded is not None else 0

    def post(self, row: int) -> Post:
        """The post at ``row`` (IndexError outside the list)."""
        if not 0 <= row < len(self):
            raise IndexError(row)
        if self._loaded is not None:
            return self._loaded.posts[row]
        page = self._page(row // PAGE)
        index = row - (row // PAGE) * PAGE
        if index >= len(page.posts):  # a post deleted since the counts were read
            raise IndexError(row)
        return page.posts[index]

    def cached(self, row: int) -> Post | None:
        """The post at ``row`` if it has been read (no query)."""
        if self._loaded is not None:
            return self._loaded.posts[row] if 0 <= row < len(self._loaded.posts) else None
        page = self._pages.get(row // PAGE)
        index = row - (row // PAGE) * PAGE
        return page.posts[index] if page is not None and index < len(page.posts) else None

    def cached_rows(self) -> list[int]:
        """The rows read so far (no query)."""
        if self._loaded is not None:
            return list(range(len(self._loaded.posts)))
        return [number * PAGE + i for number, page in self._pages.items()
                for i in range(len(page.posts))]

    def find_cached(self, post_id: int) -> int | None:
        """The row of a post already read (no query); None if it has not been read."""
        if self._loaded is not None:
            return next((i for i, p in enumerate(self._loaded.posts) if p.id == post_id), None)
        for number, page in self._pages.items():
            for i, p in enumerate(page.posts):
                if p.id == post_id:
                    return number * PAGE + i
        return None

    def replace(self, row: int, post: Post) -> None:
        """A newer copy of the post read at ``row`` whose place in the list is unchanged
        (the caller checked with key_of): the row shows it without a query."""
        if self._loaded is not None:
            self._loaded.posts[row] = post
            return
        page = self._pages.get(row // PAGE)
        if page is not None:
            page.posts[row - (row // PAGE) * PAGE] = post

    def _page(self, number: int) -> _Rows:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        start = number * PAGE
        end = min(start + PAGE, len(self))
        if self._ids is not None:
            ids = self._ids[start:end]
            page = _Rows(self._posts(ids))
        else:
            page = self._read(start, end)
        self._pages[number] = page
        while len(self._pages) > KEEP_PAGES:
            self._pages.popitem(last=False)
        return page

    def _read(self, start: int, end: int) -> _Rows:
        """Rows [start, end) of an exact list, part by part."""
        marks: list[tuple[int, tuple[Any, ...]]] = []
        for i, part in enumerate(self._parts):
            count = part.count or 0
            lo, hi = max(start, part.first_row), min(end, part.first_row + count)
            if lo >= hi:
                continue
            rows = self._read_part(i, lo - part.first_row, hi - lo)
            marks += [(i, self._key_of_row(r)) for r in rows]
        posts = self._posts([k[-1] for _p, k in marks])
        keep = {p.id for p in posts}
        return _Rows(posts, [m for m in marks if m[1][-1] in keep])

    def _read_part(self, part: int, offset: int, limit: int) -> list[tuple[Any, ...]]:
        """``limit`` rows of a part from ``offset``: after a row already read when there is
        one just before, else from the nearer end of the part."""
        stretch = self._parts[part]
        count = stretch.count or 0
        desc = self._part_desc
        before = self._mark_at(stretch.first_row + offset - 1)
        if before is not None and before[0] == part:
            return self._query(stretch.wheres, desc=desc, limit=limit, after=before[1])
        from_end = count - offset - limit
        if from_end < offset:
            rows = self._query(stretch.wheres, desc=not desc, limit=limit, offset=from_end)
            return rows[::-1]
        return self._query(stretch.wheres, desc=desc, limit=limit, offset=offset)

    def _mark_at(self, row: int) -> tuple[int, tuple[Any, ...]] | None:
        if row < 0:
            return None
        page = self._pages.get(row // PAGE)
        index = row - (row // PAGE) * PAGE
        if page is None or index >= len(page.marks):
            return None
        return page.marks[index]

    def row_of(self, post: Post) -> int | None:
        """The row ``post`` (as the database has it now) is on; None if not in the list.
        Counted through the index from the nearer end of its part, so a post far down a
        long list costs a walk of the index, never a read of the posts."""
        found = self.key_of(post)
        if found is None:
            return None
        part, key = found
        if self._ids is not None:
            try:
                return self._ids.index(post.id)
            except ValueError:
                return None
        if self._loaded is not None:
            while True:
                marks = self._loaded.marks
                hit = next((i for i, m in enumerate(marks) if m[1][-1] == post.id), None)
                if hit is not None or not self._more:
                    return hit
                if marks and (marks[-1][0] > part or (
                        marks[-1][0] == part and self._ahead(marks[-1][1], key))):
                    return None  # read past where it would be
                self.fetch_more(PAGE * 4)
        stretch = self._parts[part]
        count = stretch.count or 0
        limit = 256
        while True:
            before = self._count_before(stretch.wheres, key, desc=self._part_desc, limit=limit)
            if before < limit:
                return stretch.first_row + before if before < count else None
            after = self._count_before(stretch.wheres, key, desc=not self._part_desc,
                                       limit=limit)
            if after < limit:
                row = count - 1 - after
                return stretch.first_row + row if 0 <= row < count else None
            limit *= 4

    def _ahead(self, a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
        """Does key ``a`` come after ``b`` within a part?"""
        return a < b if self._part_desc else a > b

    def ids(self, start: int, end: int) -> list[int]:
        """The ids of rows [start, end) (reads them if needed)."""
        return [self.post(r).id for r in range(max(0, start), min(end, len(self)))]
