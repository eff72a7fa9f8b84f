"""Table models over the store's dataclasses (views never hold their own copies of rows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import PurePath
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from tiktok_desktop.store import Account, AccountStatus, Post, PostState

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


def _account_tooltip(a: Account) -> str:
    lines = [a.label, f"Status: {ACCOUNT_STATUS_TEXT[a.status]}"]
    if a.access_expires_at:
        lines.append(f"Access valid until {local_time(a.access_expires_at)}")
    if a.granted_scopes:
        lines.append("Granted: " + ", ".join(sorted(a.granted_scopes)))
    return "\n".join(lines)


class AccountsModel(RowsModel[Account]):
    columns = (
        Column[Account]("Account", lambda a: a.label, sort=lambda a: a.label.casefold(),
                        tooltip=_account_tooltip),
        Column[Account]("Status", lambda a: ACCOUNT_STATUS_TEXT[a.status],
                        tooltip=_account_tooltip),
    )


POST_STATE_TEXT = {
    PostState.DRAFT: "Draft",
    PostState.SCHEDULED: "Scheduled",
    PostState.PREPARING: "Preparing",
    PostState.UPLOADING: "Uploading",
    PostState.PROCESSING: "Processing on TikTok",
    PostState.PUBLISHED: "Published",
    PostState.IN_INBOX: "In TikTok inbox",
    PostState.UNCONFIRMED: "Unconfirmed: check TikTok",
    PostState.NEEDS_REVIEW: "Needs your review",
    PostState.NEEDS_RECONNECT: "Account needs reconnect",
    PostState.RETRY_WAIT: "Waiting to retry",
    PostState.FAILED: "Failed",
    PostState.MISSED: "Missed",
}

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
            Column[Post]("Video", lambda p: PurePath(p.video_path).name,
                         tooltip=lambda p: p.video_path),
            Column[Post]("Caption", lambda p: _first_line(p.caption), tooltip=lambda p: p.caption),
            Column[Post]("Privacy", lambda p: PRIVACY_TEXT.get(p.privacy_level or "", "")),
            Column[Post]("State", lambda p: POST_STATE_TEXT[p.state],
                         tooltip=lambda p: p.last_error_message or ""),
        )
