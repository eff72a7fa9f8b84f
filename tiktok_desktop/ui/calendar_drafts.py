"""Beside the calendar: the posts without a time (drafts), to drag onto a day or an hour.

Unscheduling a post takes it off the calendar; this list is where it is, and dragging it
back onto the week or the month gives it that time again (a post saved without the
creator's consent opens in the editor instead: TikTok needs the consent for each post).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.domain.lifecycle import Action, why_not
from tiktok_desktop.services.posts import video_name
from tiktok_desktop.store import Post
from tiktok_desktop.ui.calendar_grid import CalendarState, chip_caption, drag_picture, post_mime
from tiktok_desktop.ui.tones import Tone, set_tone

POST_ID = Qt.ItemDataRole.UserRole
WIDTH = 180


class DraftList(QListWidget):
    """Drafts as one line each; dragging one carries it like a post from the calendar."""

    opened = Signal(int)  # post id: double-click or Enter
    message = Signal(str)  # why it cannot be dragged

    def __init__(self, state: CalendarState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        # One line each, cut with "…" (the tooltip has it all), never a sideways scroll bar.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.itemActivated.connect(lambda item: self.opened.emit(int(item.data(POST_ID))))

    def set_drafts(self, drafts: Iterable[Post]) -> None:
        self.clear()
        for post in drafts:
            item = QListWidgetItem(chip_caption(post))
            item.setData(POST_ID, post.id)
            item.setSizeHint(QSize(WIDTH - 24, self.fontMetrics().height() + 8))
            item.setToolTip(f"{video_name(post)} · {self.state.label(post.account_id)}\n"
                            "Drag it onto a day or an hour to schedule it then.")
            self.addItem(item)

    def startDrag(self, supportedActions: Qt.DropAction) -> None:
        item = self.currentItem()
        post = self.state.drafts.get(int(item.data(POST_ID))) if item is not None else None
        if post is None:
            return
        why = why_not(post, Action.RESCHEDULE, self.state.status(post.account_id))
        if why:
            self.message.emit(why)
            return
        drag = QDrag(self)
        drag.setMimeData(post_mime(post.id, 0))
        drag.setPixmap(drag_picture(post, QSize(WIDTH - 20, 40), self.palette(),
                                    self.state.label(post.account_id),
                                    self.devicePixelRatioF()))
        drag.exec(Qt.DropAction.MoveAction)


class DraftPanel(QWidget):
    """"Not scheduled (2)" and the list; hidden while there are none."""

    def __init__(self, state: CalendarState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.title = QLabel()
        self.title.setObjectName("draftsTitle")
        self.hint = QLabel("Drag one onto a day or an hour to schedule it.")
        self.hint.setWordWrap(True)
        set_tone(self.hint, Tone.MUTED)
        self.list = DraftList(state)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hint)
        self.setFixedWidth(WIDTH)

    def refresh(self) -> None:
        wanted = self.state.filter
        drafts = sorted((p for p in self.state.drafts.values() if wanted.matches(p)),
                        key=lambda p: p.id)
        self.list.set_drafts(drafts)
        self.title.setText(f"<b>Not scheduled</b> ({len(drafts)})")
        self.setVisible(bool(drafts))
