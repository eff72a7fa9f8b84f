"""The schedule list's models: the posts the filter selects, sorted, read from the database
a page at a time, with thumbnails, due times in the app's zone and state dots; a post's
history."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QIdentityProxyModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QPainter, QPixmap

from tiktok_desktop.domain.lifecycle import WAITS_FOR_ACCOUNT, waits_for_reconnect
from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.services.schedule import zone
from tiktok_desktop.services.schedule_views import (
    GROUP_STATES,
    POST_STATE_LABEL,
    POST_STATE_TEXT,
    WAITING_FOR_RECONNECT,
    PostFilter,
    StateGroup,
    event_detail,
    state_label,
    state_text,
)
from tiktok_desktop.store import AccountStatus, Post, PostEvent, PostState
from tiktok_desktop.store.listing import Cell, Order, PostList, SortKey, Where
from tiktok_desktop.store.post_keys import BIG_DUE, display_name, first_line
from tiktok_desktop.ui.models import PRIVACY_TEXT, ROW_ROLE, Column, RowsModel
from tiktok_desktop.ui.schedule_counts import CountsReader, PageCounts
from tiktok_desktop.ui.thumbnails import THUMB_SIZE, ThumbnailLoader

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex

# One colour per state, shared by the list's state dots and the calendar's blocks.
STATE_COLOURS: dict[PostState, str] = {
    PostState.DRAFT: "#8e8e93",
    PostState.SCHEDULED: "#3a7bd5",
    PostState.PREPARING: "#d79b00",
    PostState.UPLOADING: "#d79b00",
    PostState.PROCESSING: "#d79b00",
    PostState.RETRY_WAIT: "#d79b00",
    PostState.PUBLISHED: "#2e9d5b",
    PostState.IN_REVIEW: "#6cb38a",  # published; a lighter green until TikTok's review is done
    PostState.IN_INBOX: "#2a9d8f",
    PostState.DRAFT_LAPSED: "#e76f51",
    PostState.UNCONFIRMED: "#e76f51",
    PostState.NEEDS_REVIEW: "#e76f51",
    PostState.NEEDS_RECONNECT: "#e76f51",
    PostState.FAILED: "#c0213b",
    PostState.MISSED: "#c0213b",
}



def post_colour(post: Post, account: AccountStatus = AccountStatus.CONNECTED) -> str:
    """The post's state colour; one waiting for its account's reconnect looks like one."""
    if waits_for_reconnect(post, account):
        return STATE_COLOURS[PostState.NEEDS_RECONNECT]
    return STATE_COLOURS[post.state]


def when_text(epoch: int, tz: dt.tzinfo, this_year: int | None = None) -> str:
    """"Fri 04 Dec 2026, 08:42"; without the year when it is ``this_year`` (narrower: the
    list keeps its State column in view)."""
    when = dt.datetime.fromtimestamp(epoch, tz)
    if when.year == this_year:
        return when.strftime("%a %d %b, %H:%M")
    return when.strftime("%a %d %b %Y, %H:%M")


def moment_text(epoch: int, tz: dt.tzinfo) -> str:
    """"Fri 04 Dec 2026, 08:42:07": a history's steps are seconds apart."""
    return dt.datetime.fromtimestamp(epoch, tz).strftime("%a %d %b %Y, %H:%M:%S")


def short_name(label: str) -> str:
    """"Mia Chen (@miacooks)" -> "Mia Chen": the list's account column (the full label is
    in its tooltip and the account filter)."""
    name, sep, rest = label.rpartition(" (@")
    return name if sep and rest.endswith(")") and name else label


# -- the list ------------------------------------------------------------------------------------

def _dot(colour: str, ratio: float = 1.0) -> QPixmap:
    out = QPixmap(int(10 * ratio), int(10 * ratio))
    out.fill(Qt.GlobalColor.transparent)
    out.setDevicePixelRatio(ratio)
    p = QPainter(out)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(colour))
    p.drawEllipse(QRectF(1, 1, 8, 8))
    p.end()
    return out


SortSpec = tuple[int, Qt.SortOrder]
_KEYS = {0: SortKey.NAME, 1: SortKey.DUE, 3: SortKey.VIDEO, 4: SortKey.CAPTION}


def where_of(wanted: PostFilter) -> Where:
    """The filter bar's choice as the SQL list's filter (the same posts PostFilter.matches
    takes: one account, a state group, a casefolded substring of the caption or file name)."""
    states = None if wanted.group is StateGroup.ALL else \
        frozenset(s.value for s in GROUP_STATES[wanted.group])
    return Where(accounts=None if wanted.account_id is None else frozenset({wanted.account_id}),
                 states=states, text=wanted.needle)


class ScheduleModel(QAbstractTableModel):
    """The schedule list over the database (issue 16): the posts the filter selects, in the
    column's order, read a page at a time as the view shows them (store/listing.py), never
    every post. Counts come from SQL; a change is shown by reading the list again (its
    counts and the pages on screen), rows keep their selection and the view its scroll.

    The rows are in the order the old in-memory sort gave: by the column's text, ties by due
    time then id; Account, Privacy and State sort as groups of posts by the words shown.
    """

    THUMB, DUE, ACCOUNT, VIDEO, CAPTION, PRIVACY, STATE, COUNTS = range(8)
    # One column for views and likes (the list has no room for two beside a whole State).
    TITLES = ("", "Due", "Account", "Video", "Caption", "Privacy", "State", "Views · likes")

    def __init__(self, posts: PostsService, thumbnails: ThumbnailLoader | None = None,
                 parent: QObject | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.source = posts
        self.thumbnails = thumbnails
        self._clock = clock
        self._labels: dict[int, str] = {}
        self._statuses: dict[int, AccountStatus] = {}
        self.zone_name = ""
        self._tz = zone("")
        self._this_year: int | None = None
        self._dots: dict[str, QPixmap] = {}
        self.filter = PostFilter()
        # Latest (views, likes) of the published posts read so far, by post id: read a page
        # at a time like the rows, never for every post (issue 19 on issue 16's list).
        self._counts = PageCounts(self._read_posts)
        self._sort: SortSpec = (self.DUE, Qt.SortOrder.AscendingOrder)
        self._rows: PostList = self._read()
        if thumbnails is not None:
            thumbnails.loaded.connect(self._thumbnail_loaded)

    # -- what is read ------------------------------------------------------------------------

    def _order(self, cells: dict[Cell, int]) -> Order:
        column, way = self._sort
        desc = way == Qt.SortOrder.DescendingOrder
        if column in _KEYS:
            return Order(_KEYS[column], desc)
        words: dict[str, list[Where]] = {}
        if column == self.ACCOUNT:
            for account in sorted({c[0] for c in cells}):
                words.setdefault(short_name(self._label(account)), []).append(
                    Where(accounts=frozenset({account})))
        elif column == self.PRIVACY:
            for privacy in sorted({c[2] for c in cells}):
                words.setdefault(PRIVACY_TEXT.get(privacy, ""), []).append(
                    Where(privacies=frozenset({privacy})))
        else:  # State: a post waiting for its account's reconnect says so
            for account, state, _privacy in sorted(set(cells)):
                post_state = PostState(state)
                waiting = self.account_status(account) is not AccountStatus.CONNECTED \
                    and post_state in WAITS_FOR_ACCOUNT
                word = WAITING_FOR_RECONNECT if waiting else POST_STATE_LABEL[post_state]
                words.setdefault(word, []).append(
                    Where(accounts=frozenset({account}), states=frozenset({state})))
        segments = tuple(tuple(words[w]) for w in sorted(words))
        return Order(SortKey.SEGMENTS, desc, segments)

    def _read(self) -> PostList:
        cells = self.source.cells()
        return self.source.listing(where_of(self.filter), self._order(cells), cells=cells)

    def total(self) -> int:
        """Every post, whatever the filter (from the counts: no scan)."""
        return sum(self._rows.cells.values())

    def state_counts(self) -> dict[PostState, int]:
        out: dict[PostState, int] = {}
        for (_account, state, _privacy), n in self._rows.cells.items():
            out[PostState(state)] = out.get(PostState(state), 0) + n
        return out

    def account_ids(self) -> set[int]:
        return {c[0] for c in self._rows.cells}

    # -- Qt's model --------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.TITLES)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._rows.more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        """A large search is read as the view scrolls to its end (its length is unknown
        until then)."""
        if parent.isValid() or not self._rows.more:
            return
        start = len(self._rows)
        self._rows.fetch_more()
        end = len(self._rows)
        if end > start:
            # Rows already appended: Qt only needs to hear of them (no other reader between).
            self.beginInsertRows(QModelIndex(), start, end - 1)
            self.endInsertRows()

    def _header(self, section: int, orientation: Qt.Orientation, role: int) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(self.TITLES)):
            return self.TITLES[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        try:
            post = self._rows.post(index.row())
        except IndexError:  # deleted since the list was counted; the watch catches up
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(post, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(post, column)
        if role == ROW_ROLE:
            return post
        if role == Qt.ItemDataRole.DecorationRole:
            if column == self.THUMB and self.thumbnails is not None:
                return self.thumbnails.pixmap(post.video_path)
            if column == self.STATE:
                colour = post_colour(post, self.account_status(post.account_id))
                if colour not in self._dots:
                    self._dots[colour] = _dot(colour)
                return self._dots[colour]
        if role == Qt.ItemDataRole.SizeHintRole and column == self.THUMB:
            return QSize(THUMB_SIZE.width() + 8, THUMB_SIZE.height() + 6)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.COUNTS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and section == self.COUNTS \
                and orientation == Qt.Orientation.Horizontal:
            return ("TikTok's latest views and likes of each published post. The list does "
                    "not sort by them: Accounts → Statistics… shows the last 30 posts' views "
                    "side by side, and Export CSV there sorts in any spreadsheet.")
        return self._header(section, orientation, role)

    def _text(self, p: Post, column: int) -> str:
        if column == self.DUE:
            return "Not scheduled" if p.due_at is None else \
                when_text(p.due_at, self._tz, self._this_year)
        if column == self.ACCOUNT:
            return short_name(self._label(p.account_id))
        if column == self.VIDEO:
            return display_name(p.video_path, p.video_meta)
        if column == self.CAPTION:
            return first_line(p.caption)
        if column == self.PRIVACY:
            return PRIVACY_TEXT.get(p.privacy_level or "", "")
        if column == self.STATE:
            return state_label(p, self.account_status(p.account_id))
        if column == self.COUNTS:
            return self._counts.text(p)
        return ""

    def _tooltip(self, p: Post, column: int) -> str | None:
        if column in (self.THUMB, self.VIDEO):
            return p.video_path
        if column == self.DUE:
            return self._due_tooltip(p)
        if column == self.ACCOUNT:
            return self._label(p.account_id)
        if column == self.CAPTION:
            return p.caption
        if column == self.STATE:  # the state in a whole sentence, then what went wrong
            lines = [state_text(p, self.account_status(p.account_id))]
            if p.last_error_message:
                lines.append(p.last_error_message)
            if self.counts(p) is not None:  # also where the list has no room for them
                lines.append(self._counts.tooltip(p))
            return "\n".join(lines)
        if column == self.COUNTS:
            return self._counts.tooltip(p) or None
        return None

    # -- views and likes (issue 19) ----------------------------------------------------------

    def set_counts_reader(self, reader: CountsReader | None) -> None:
        self._counts.reader = reader
        self.refresh_counts()

    def has_counts(self) -> bool:
        """Some post has TikTok's counts (the column is worth its room)."""
        return self._counts.any

    def counts(self, p: Post) -> tuple[int, int] | None:
        return self._counts.get(p)

    def _read_posts(self) -> list[Post]:
        return [post for row in self._rows.cached_rows()
                if (post := self._rows.cached(row)) is not None]

    def refresh_counts(self) -> None:
        """New readings may have come: repaint only the rows whose numbers moved."""
        for post_id in self._counts.refresh():
            row = self._rows.find_cached(post_id)
            if row is not None:
                self.dataChanged.emit(self.index(row, self.STATE), self.index(row, self.COUNTS))

    def _due_tooltip(self, p: Post) -> str:
        if p.due_at is None:
            return "Not scheduled: Reschedule or Edit it to give it a time."
        shown = dt.datetime.fromtimestamp(p.due_at, self._tz)
        lines = [f"{shown:%A %d %B %Y, %H:%M} {shown.tzname()}"]
        if p.due_tz and p.due_tz != self.zone_name:
            there = dt.datetime.fromtimestamp(p.due_at, zone(p.due_tz))
            lines.append(f"Scheduled in {p.due_tz}: {there:%a %d %b, %H:%M} {there.tzname()}")
        return "\n".join(lines)

    def _label(self, account_id: int) -> str:
        return self._labels.get(account_id, f"account {account_id}")

    def account_label(self, account_id: int) -> str:
        return self._label(account_id)

    def account_status(self, account_id: int) -> AccountStatus:
        return self._statuses.get(account_id, AccountStatus.CONNECTED)

    # -- sorting, filtering, changes ---------------------------------------------------------

    def sort_spec(self) -> SortSpec:
        return self._sort

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by a column: the database walks that column's index (no rows read here)."""
        if not 0 <= column < len(self.TITLES) or column == self.COUNTS:
            return  # views are not a column of the SQL list (see headerData's tooltip)
        self._sort = (column, order)
        self._reload(force=True)

    def set_filter(self, wanted: PostFilter) -> None:
        if wanted == self.filter:
            return
        self.filter = wanted
        self._reload(force=True)

    def set_posts(self, posts: Sequence[Post] | None, labels: dict[int, str],
                  sort_by: SortSpec | None = None,
                  statuses: dict[int, AccountStatus] | None = None) -> None:
        """Show the posts as the database has them now (``posts``, if given, are what the
        caller read: the rows come from the database all the same), with these account
        labels and statuses (an account left out counts as connected)."""
        del posts
        self._labels = dict(labels)
        self._statuses = dict(statuses or {})
        self._this_year = dt.datetime.fromtimestamp(self._clock(), self._tz).year
        if sort_by is not None and 0 <= sort_by[0] < self.COUNTS:
            self._sort = sort_by
        self._reload(force=True)

    def merge(self, posts: Sequence[Post] | None, labels: dict[int, str],
              sort_by: SortSpec | None = None,
              statuses: dict[int, AccountStatus] | None = None) -> bool:
        """The database changed elsewhere: read the list again, and tell the view only if
        something it shows differs (selection and scroll stay). True when it did."""
        del posts
        statuses = dict(statuses or {})
        relabel = labels != self._labels or statuses != self._statuses
        self._labels = dict(labels)
        self._statuses = statuses
        if sort_by is not None and 0 <= sort_by[0] < self.COUNTS:
            self._sort = sort_by
        return self._reload(force=relabel)

    def reload(self) -> None:
        """Read the list again after a change (this window's or the engine's)."""
        self._reload(force=False)

    def _reload(self, *, force: bool) -> bool:
        old = self._rows
        new = self._read()
        if not force and self._same(old, new):
            self._rows = new
            return False
        self.layoutAboutToBeChanged.emit()
        # After the signal: views and testers make their persistent indexes in its slots.
        persistent = self.persistentIndexList()
        ids: dict[int, int | None] = {}
        for index in persistent:
            post = old.cached(index.row())
            if post is not None and post.id not in ids:
                fresh = self.source.get(post.id)
                ids[post.id] = None if fresh is None else new.row_of(fresh)
        self._rows = new
        moved = []
        for index in persistent:
            post = old.cached(index.row())
            row = ids.get(post.id) if post is not None else None
            moved.append(QModelIndex() if row is None else self.index(row, index.column()))
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()
        return True

    def _same(self, old: PostList, new: PostList) -> bool:
        """Does the new reading show what the old one shows (counts, and every row read)?"""
        if old.cells != new.cells or len(old) != len(new) or old.more != new.more:
            return False
        for row in old.cached_rows():
            try:
                if new.post(row) != old.cached(row):
                    return False
            except IndexError:
                return False
        return True

    def put(self, post: Post) -> None:
        """One post changed (an action here, the engine): its row alone when it keeps its
        place in the list, else the list is read again."""
        row = self._rows.find_cached(post.id)
        old = self._rows.cached(row) if row is not None else None
        if old is not None and row is not None and self._rows.key_of(old) is not None \
                and self._rows.key_of(old) == self._rows.key_of(post) \
                and _cell(old) == _cell(post):
            self._rows.replace(row, post)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.TITLES) - 1))
            return
        self._reload(force=True)

    def remove(self, post_id: int) -> None:
        self._reload(force=True)

    def set_zone(self, zone_name: str) -> None:
        self._tz = zone(zone_name)
        self.zone_name = zone_name
        self._this_year = dt.datetime.fromtimestamp(self._clock(), self._tz).year
        if len(self._rows):
            self.dataChanged.emit(self.index(0, self.DUE),
                                  self.index(len(self._rows) - 1, self.DUE))

    def shows_year(self, post: Post) -> bool:
        """The post's due time is written with its year (it is not this year's)."""
        if post.due_at is None:
            return False
        return dt.datetime.fromtimestamp(post.due_at, self._tz).year != self._this_year

    def years_shown(self) -> bool:
        """Whether some due time falls outside this year (the Due column then needs room
        for the year): two index look-ups, whatever the number of posts."""
        if self._this_year is None:
            return True
        start = int(dt.datetime(self._this_year, 1, 1, tzinfo=self._tz).timestamp())
        end = int(dt.datetime(self._this_year + 1, 1, 1, tzinfo=self._tz).timestamp())
        return bool(self.source.due_between(-(1 << 62), start, limit=1)
                    or self.source.due_between(end, BIG_DUE, limit=1))

    # -- rows --------------------------------------------------------------------------------

    def post(self, row: int) -> Post:
        return self._rows.post(row)

    def posts(self) -> list[Post]:
        """Every post of the list, read now (for small lists: tests, the screenshots)."""
        while self._rows.more:
            self.fetchMore()
        return [self._rows.post(r) for r in range(len(self._rows))]

    def cached_post(self, post_id: int) -> Post | None:
        """The post as the list last read it, without asking the database (None: not read)."""
        row = self._rows.find_cached(post_id)
        return None if row is None else self._rows.cached(row)

    def row_of(self, post_id: int) -> int | None:
        """The row of a post (None: not in the list): the cached rows first, else counted
        through the index."""
        row = self._rows.find_cached(post_id)
        if row is not None:
            return row
        post = self.source.get(post_id)
        return None if post is None else self._rows.row_of(post)

    def _thumbnail_loaded(self, path: str) -> None:
        for row in self._rows.cached_rows():
            post = self._rows.cached(row)
            if post is not None and post.video_path == path:
                index = self.index(row, self.THUMB)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


def _cell(post: Post) -> Cell:
    return post.account_id, post.state.value, post.privacy_level or ""


class ScheduleProxy(QIdentityProxyModel):
    """The view's model: the schedule list as it is (filtering and sorting are the list's,
    in SQL); kept so the view, the pane and the tests speak to one object."""

    def __init__(self, model: ScheduleModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model_ = model
        self.setSourceModel(model)

    @property
    def filter(self) -> PostFilter:
        return self.model_.filter

    def set_filter(self, wanted: PostFilter) -> None:
        self.model_.set_filter(wanted)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.model_.sort(column, order)

    def post_at(self, row: int) -> Post:
        return self.model_.post(row)

    def row_of(self, post_id: int) -> int | None:
        return self.model_.row_of(post_id)


# -- history -------------------------------------------------------------------------------------

class EventsModel(RowsModel[PostEvent]):
    """A post's history, oldest first, times in the zone the app shows."""

    def __init__(self, zone_name: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        tz = zone(zone_name)
        self.columns = (
            Column[PostEvent]("When", lambda e: moment_text(e.at, tz), sort=lambda e: e.at),
            Column[PostEvent]("State", lambda e: POST_STATE_TEXT[e.state]),
            Column[PostEvent]("What happened", lambda e: event_detail(e, zone_name)),
        )
