"""Table models over the store's dataclasses (views never hold their own copies of rows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QGuiApplication, QPalette

from tiktok_desktop.services.accounts import NEEDED_SCOPES, SCOPE_FEATURES
from tiktok_desktop.services.posts import video_name
from tiktok_desktop.services.schedule_views import state_text
from tiktok_desktop.store import Account, AccountStatus, Post
from tiktok_desktop.ui.tones import Tone, tone_colour

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's dataclass
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a sortable key for the column


class Column(Generic[T]):
    def __init__(self, title: str, text: Callable[[T], str],
                 sort: Callable[[T], Any] | None = None,
                 tooltip: Callable[[T], str] | None = None) -> None:
        self.title = title
        self.text = text
        self.sort = sort or text
        self.tooltip = tooltip


class RowsModel(QAbstractTableModel, Generic[T]):
    """A read-only table of dataclass rows; ``set_rows`` swaps them in with a model reset."""

    columns: Sequence[Column[T]] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[T] = []

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        item = self._rows[index.row()]
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(item)
        if role == Qt.ItemDataRole.ToolTipRole and col.tooltip is not None:
            return col.tooltip(item)
        if role == SORT_ROLE:
            return col.sort(item)
        if role == ROW_ROLE:
            return item
        return self.extra_data(item, index.column(), role)

    def extra_data(self, item: T, column: int, role: int) -> Any:
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows in Python by the column's sort key.

        A QSortFilterProxyModel sorting on SORT_ROLE calls data() across the Python boundary
        twice per comparison (seconds at 100k rows); one key per row here takes milliseconds.
        Persistent indexes (the selection) follow their rows.
        """
        if not 0 <= column < len(self.columns):
            return
        key = self.columns[column].sort
        self.layoutAboutToBeChanged.emit()
        rows = self._rows
        keys = [key(r) for r in rows]
        # Stable in both directions: equal keys keep their previous order.
        order_ = sorted(range(len(rows)), key=keys.__getitem__,
                        reverse=order == Qt.SortOrder.DescendingOrder)
        self._rows = [rows[i] for i in order_]
        new_row = [0] * len(rows)
        for new, old in enumerate(order_):
            new_row[old] = new
        before = self.persistentIndexList()
        self.changePersistentIndexList(
            before, [self.index(new_row[i.row()], i.column()) for i in before])
        self.layoutChanged.emit()

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(self.columns)):
            return self.columns[section].title
        return None


def local_time(epoch: int | None) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch).astimezone().strftime("%a %d %b %Y, %H:%M")


ACCOUNT_STATUS_TEXT = {
    AccountStatus.CONNECTED: "Connected",
    AccountStatus.NEEDS_RECONNECT: "Needs reconnect",
    AccountStatus.DISCONNECTED: "Disconnected",
}


# Short names for the permissions column; the tooltip gives TikTok's scope names.
SCOPE_SHORT = {
    "video.publish": "Post",
    "video.upload": "Inbox",
    "video.list": "Videos",
    "user.info.basic": "Profile",
    "user.info.profile": "@name",
}


def _date(epoch: int | None) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch).astimezone().strftime("%d %b %Y")


# What a needed permission left unticked takes away, in two words for the status column.
_MISSING = {"video.publish": "direct posts", "video.upload": "inbox",
            "video.list": "post links", "user.info.basic": "profile"}


def missing_permissions(a: Account) -> list[str]:
    """What the account cannot do because the creator did not give a needed permission."""
    return [_MISSING.get(s, s) for s in NEEDED_SCOPES if s not in a.granted_scopes]


def account_status_text(a: Account) -> str:
    """Status with what the user needs to know next: until when it works, or what to do
    (a permission left unticked on TikTok's page is named; the tooltip lists them all)."""
    text = ACCOUNT_STATUS_TEXT[a.status]
    if a.status is AccountStatus.CONNECTED and missing_permissions(a):
        return f"{text}\nno {', '.join(missing_permissions(a))}"
    if a.status is AccountStatus.CONNECTED and a.refresh_expires_at:
        return f"{text}\nuntil {_date(a.refresh_expires_at)}"
    if a.status is AccountStatus.NEEDS_RECONNECT:
        return f"{text}\nAccounts → Reconnect"
    return text


def _account_tooltip(a: Account) -> str:
    lines = [a.label, f"Status: {ACCOUNT_STATUS_TEXT[a.status]}"]
    if a.status is AccountStatus.CONNECTED:
        if a.refresh_expires_at:
            lines.append(f"Signed in until {local_time(a.refresh_expires_at)}; reconnect "
                         "before then to keep posting.")
        if a.access_expires_at:
            lines.append("Access token valid until "
                         f"{local_time(a.access_expires_at)} (renewed automatically)")
    return "\n".join(lines)


def _full_tooltip(a: Account) -> str:
    return f"{_account_tooltip(a)}\n\n{_scopes_tooltip(a)}"


def _scope_order(scope: str) -> int:
    order = list(SCOPE_SHORT)
    return order.index(scope) if scope in order else len(order)


def _scopes_tooltip(a: Account) -> str:
    granted = [SCOPE_SHORT.get(s, s) for s in sorted(a.granted_scopes, key=_scope_order)]
    lines = ["Allowed: " + (", ".join(granted) or "nothing")
             + (f" ({', '.join(sorted(a.granted_scopes))})" if granted else "")]
    missing = [s for s in SCOPE_FEATURES if s not in a.granted_scopes]
    lines += [f"Not granted: {s}, so {SCOPE_FEATURES[s]} does not work" for s in missing]
    return "\n".join(lines)


class AccountsModel(RowsModel[Account]):
    def __init__(self, picture: Callable[[Account], Any] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.picture = picture
        # Two columns: the pane stays narrow enough for the whole schedule beside it. What
        # each account may do is in the tooltips (and the status names what is missing).
        self.columns = (
            Column[Account]("Account", _two_lines, sort=lambda a: a.label.casefold(),
                            tooltip=_full_tooltip),
            Column[Account]("Status", account_status_text, tooltip=_full_tooltip,
                            sort=lambda a: f"{a.status.value}:{a.refresh_expires_at or 0:012d}"),
        )

    def extra_data(self, item: Account, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DecorationRole and column == 0 and self.picture is not None:
            return self.picture(item)
        if (role == Qt.ItemDataRole.ForegroundRole and column == 1
                and item.status is not AccountStatus.CONNECTED):
            tone = Tone.ERROR if item.status is AccountStatus.NEEDS_RECONNECT else Tone.MUTED
            return tone_colour(QGuiApplication.palette(), tone, QPalette.ColorRole.Text)
        return None

    def refresh_pictures(self) -> None:
        """Pictures changed on disk: repaint the first column."""
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0),
                                  [Qt.ItemDataRole.DecorationRole])


def _two_lines(a: Account) -> str:
    name = a.display_name or a.open_id
    return f"{name}\n@{a.username}" if a.username else name



PRIVACY_TEXT = {
    "PUBLIC_TO_EVERYONE": "Everyone",
    "MUTUAL_FOLLOW_FRIENDS": "Friends",
    "FOLLOWER_OF_CREATOR": "Followers",
    "SELF_ONLY": "Only me",
}


def _first_line(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


class PostsModel(RowsModel[Post]):
    def __init__(self, account_name: Callable[[int], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = (
            Column[Post]("Due", lambda p: local_time(p.due_at) or "Not scheduled",
                         # Qt sorts scalars only; drafts (no due time) go last.
                         sort=lambda p: p.due_at if p.due_at is not None else 2**62),
            Column[Post]("Account", lambda p: account_name(p.account_id)),
            Column[Post]("Video", video_name, tooltip=lambda p: p.video_path),
            Column[Post]("Caption", lambda p: _first_line(p.caption), tooltip=lambda p: p.caption),
            Column[Post]("Privacy", lambda p: PRIVACY_TEXT.get(p.privacy_level or "", "")),
            Column[Post]("State", state_text,
                         tooltip=lambda p: p.last_error_message or ""),
        )
