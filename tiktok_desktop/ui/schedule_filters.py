"""The schedule's filter bar (account, state group, search) and its table view."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QStyle,
    QTableView,
    QWidget,
)

from tiktok_desktop.services.schedule_views import (
    GROUP_STATES,
    STATE_LABELS,
    PostFilter,
    StateGroup,
)
from tiktok_desktop.store import Post, PostState
from tiktok_desktop.ui.models import PRIVACY_TEXT
from tiktok_desktop.ui.schedule_model import THUMB_SIZE, ScheduleModel, ScheduleProxy

SEARCH_PAUSE_MS = 200


class FilterBar(QWidget):
    """Which posts to show; ``changed`` fires when a choice changes (typing: after a pause)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.account_box = QComboBox()
        self.account_box.setObjectName("accountFilter")
        # Long account names must not make the pane wider than the window gives it.
        self.account_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.account_box.setMinimumContentsLength(10)
        self.account_box.addItem("All accounts", None)
        self.account_box.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.group_box = QComboBox()
        self.group_box.setObjectName("stateFilter")
        self.group_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.group_box.setMinimumContentsLength(10)
        for group in StateGroup:
            self.group_box.addItem(group.value, group)
        self.group_box.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search caption or file")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(100)
        # Typing filters once the user pauses: each pass over 100k posts costs ~0.1 s.
        self.search_timer = QTimer(self, singleShot=True, interval=SEARCH_PAUSE_MS)
        self.search_timer.timeout.connect(self.changed)
        self.search.textChanged.connect(lambda _t: self.search_timer.start())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.account_box)
        row.addWidget(self.group_box)
        row.addWidget(self.search, 1)
        self.search.setMaximumWidth(320)

    def current(self) -> PostFilter:
        return PostFilter(self.account_box.currentData(), self.group_box.currentData(),
                          self.search.text())

    def set_accounts(self, labels: dict[int, str]) -> None:
        """Offer these accounts (id -> label); the chosen one stays chosen while it exists."""
        box = self.account_box
        wanted = box.currentData()
        box.blockSignals(True)
        box.clear()
        box.addItem("All accounts", None)
        for account_id, label in sorted(labels.items(), key=lambda kv: kv[1].casefold()):
            box.addItem(label, account_id)
        box.setCurrentIndex(max(0, box.findData(wanted)))
        box.blockSignals(False)
        if box.currentData() != wanted:
            self.changed.emit()

    def set_counts(self, posts: Sequence[Post]) -> None:
        """Show how many of these posts each group holds: "Needs attention (3)"."""
        self.set_state_counts(dict(collections.Counter(p.state for p in posts)))

    def set_state_counts(self, by_state: dict[PostState, int]) -> None:
        """The same from counts per state (the database's: no post read)."""
        for i in range(self.group_box.count()):
            group = self.group_box.itemData(i)
            count = sum(n for s, n in by_state.items() if s in GROUP_STATES[group])
            self.group_box.setItemText(i, f"{group.value} ({count})")

    def clear(self) -> None:
        for w in (self.account_box, self.group_box, self.search):
            w.blockSignals(True)
        self.account_box.setCurrentIndex(0)
        self.group_box.setCurrentIndex(0)
        self.search.clear()
        for w in (self.account_box, self.group_box, self.search):
            w.blockSignals(False)
        self.changed.emit()


# Columns that always show whole (sized from the longest text they can hold: due time,
# account name, privacy, state), and the columns that share what is left, elided with the
# full text in their tooltips: (smallest width, share of the spare room).
FLEXIBLE = {ScheduleModel.VIDEO: (60, 1), ScheduleModel.CAPTION: (80, 2)}
VIDEO_MOST = 240  # the video's name grows no wider; the caption takes the rest
ACCOUNT_MOST = 200  # a longer account name is elided (the full one is in its tooltip)


class ScheduleTable(QTableView):
    """Due, privacy and state always show whole; account, video and caption share the rest
    of the width (elided, with the full text in their tooltips), so State is never cut off.
    Only a window too narrow for the smallest widths scrolls sideways.

    Enter opens the selected post; Tab leaves the table (arrows move between rows)."""

    open_requested = Signal()  # Enter or Return on the current row
    counts_width = 0  # the views/likes column's width while shown (set by build_table)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and self.currentIndex().isValid():
            event.accept()
            self.open_requested.emit()
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def fit_due(self, with_years: bool) -> None:
        """The Due column as wide as its texts: with the year only when some post needs it."""
        fm = self.fontMetrics()
        sample = "Wed 30 Sep 2026, 23:59" if with_years else "Wed 30 Sep, 23:59"
        width = max(fm.horizontalAdvance(t) for t in (sample, "Not scheduled")) + _pad(self)
        if width != self.horizontalHeader().sectionSize(ScheduleModel.DUE):
            self.horizontalHeader().resizeSection(ScheduleModel.DUE, width)
            self.fit_columns()

    def _place_counts(self) -> None:
        """The views/likes column shows when some post has TikTok's counts and the window
        has room for it beside the others at their least; else it hides (the State's tooltip
        still says them)."""
        header = self.horizontalHeader()
        proxy = self.model()
        wanted = isinstance(proxy, ScheduleProxy) and proxy.model_.has_counts()
        if wanted:
            others = sum(header.sectionSize(c) for c in range(header.count())
                         if c not in FLEXIBLE and c != ScheduleModel.COUNTS
                         and not header.isSectionHidden(c))
            least = sum(least for least, _ in FLEXIBLE.values())
            wanted = others + least + self.counts_width <= self.viewport().width()
        if header.isSectionHidden(ScheduleModel.COUNTS) == wanted:
            header.setSectionHidden(ScheduleModel.COUNTS, not wanted)
            if wanted:
                header.resizeSection(ScheduleModel.COUNTS, self.counts_width)

    def fit_columns(self) -> None:
        self._place_counts()
        header = self.horizontalHeader()
        fixed = sum(header.sectionSize(c) for c in range(header.count())
                    if c not in FLEXIBLE and not header.isSectionHidden(c))
        spare = self.viewport().width() - fixed - sum(least for least, _ in FLEXIBLE.values())
        shares = sum(share for _, share in FLEXIBLE.values())
        widths = {c: least + max(0, spare) * share // shares
                  for c, (least, share) in FLEXIBLE.items()}
        if widths[ScheduleModel.VIDEO] > VIDEO_MOST:  # more than a name needs: to the caption
            widths[ScheduleModel.CAPTION] += widths[ScheduleModel.VIDEO] - VIDEO_MOST
            widths[ScheduleModel.VIDEO] = VIDEO_MOST
        for column, width in widths.items():
            header.resizeSection(column, width)

    def fit_accounts(self, names: Iterable[str]) -> None:
        """The account column as wide as the longest account name shown."""
        fm = self.fontMetrics()
        width = min(ACCOUNT_MOST, max((fm.horizontalAdvance(n) for n in names),
                                      default=fm.horizontalAdvance("Account")) + _pad(self))
        if width != self.horizontalHeader().sectionSize(ScheduleModel.ACCOUNT):
            self.horizontalHeader().resizeSection(ScheduleModel.ACCOUNT, width)
            self.fit_columns()


def _pad(view: QTableView) -> int:
    """Room a cell takes beside its text (margins and the sort arrow of the header)."""
    return 2 * view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 14


def build_table(proxy: ScheduleProxy) -> ScheduleTable:
    view = ScheduleTable()
    view.setModel(proxy)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    # Tab goes on to the next control: cell by cell it would change the selected post, and
    # Delete would then act on a post the user did not mean.
    view.setTabKeyNavigation(False)
    view.setIconSize(THUMB_SIZE)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    vertical = view.verticalHeader()
    vertical.hide()
    # Fixed heights: a 100k-row table never measures its rows.
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(THUMB_SIZE.height() + 6)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(ScheduleModel.THUMB, QHeaderView.ResizeMode.Fixed)
    header.setMinimumSectionSize(THUMB_SIZE.width() + 10)
    # Widths from the font, not ResizeToContents: that would measure up to 1000 rows per
    # column on every layout. The fixed ones hold their longest text; see ScheduleTable.
    fm = view.fontMetrics()
    pad = _pad(view)

    def widest(texts: Iterable[str]) -> int:
        return max(fm.horizontalAdvance(t) for t in texts) + pad

    widths = {ScheduleModel.THUMB: THUMB_SIZE.width() + 10,
              ScheduleModel.DUE: widest(["Wed 30 Sep 2026, 23:59", "Not scheduled"]),
              ScheduleModel.PRIVACY: widest([*PRIVACY_TEXT.values(), "Privacy"]),
              # The state's dot and its gap come first.
              ScheduleModel.STATE: widest(STATE_LABELS)
              + 10 + view.style().pixelMetric(QStyle.PixelMetric.PM_LayoutHorizontalSpacing),
              # compact counts: the exact ones are in the tooltip
              ScheduleModel.COUNTS: widest(["999.9K · 99.9K"])}
    for column, width in widths.items():
        header.resizeSection(column, width)
    # Shown once some post has TikTok's counts and there is room (ScheduleTable.fit_columns).
    view.counts_width = widths[ScheduleModel.COUNTS]
    header.setSectionHidden(ScheduleModel.COUNTS, True)
    header.setSortIndicator(ScheduleModel.DUE, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)

    def keep_sortable(section: int, _order: Qt.SortOrder) -> None:
        # Views are not a column of the SQL list: a click there leaves the order (and its
        # arrow) as it was; the header's tooltip says where posts rank by views.
        if section == ScheduleModel.COUNTS:
            blocked = header.blockSignals(True)
            header.setSortIndicator(*proxy.model_.sort_spec())
            header.blockSignals(blocked)

    header.sortIndicatorChanged.connect(keep_sortable)
    return view
