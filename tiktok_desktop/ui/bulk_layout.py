"""The bulk window's widgets: the table, the bars and buttons around it, and its File menu
(kept apart from bulk_window.py, which is what they do)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.ui.bulk_delegates import BulkDelegate
from tiktok_desktop.ui.bulk_model import ROW_HEIGHT, View

if TYPE_CHECKING:
    from tiktok_desktop.ui.bulk_window import BulkWindow

__all__ = ["build_body", "build_menus", "build_table"]


def build_table(self: BulkWindow) -> QTableView:
    view = QTableView()
    view.setModel(self.model)
    view.setObjectName("bulkTable")
    self.delegate = BulkDelegate(self._account_choices, self._offered, lambda: self.zone_name,
                                 view)
    self.delegate.refused.connect(self.show_notice)
    view.setItemDelegate(self.delegate)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                         | QAbstractItemView.EditTrigger.EditKeyPressed
                         | QAbstractItemView.EditTrigger.SelectedClicked)
    view.setTabKeyNavigation(False)
    view.setWordWrap(False)
    view.setAlternatingRowColors(True)
    view.setIconSize(self.thumbnails.size)
    # Fixed row heights and column widths: nothing is measured per row, so 500 rows open
    # as fast as 5 (ResizeToContents would read every cell).
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    widths = {View.THUMB: self.thumbnails.size.width() + 12, View.FILE: 150,
              View.ACCOUNT: 130, View.CAPTION: 160, View.WHEN: 195, View.PRIVACY: 90,
              View.INTERACTIONS: 100, View.DISCLOSURE: 115, View.CHECKS: 80}
    for column, width in widths.items():
        header.resizeSection(column, width)
    header.setSectionResizeMode(View.CAPTION, QHeaderView.ResizeMode.Stretch)
    header.setMinimumSectionSize(40)
    view.selectionModel().selectionChanged.connect(lambda *_a: self._selection_changed())
    return view

def build_body(self: BulkWindow) -> None:
    self.notice = QLabel()
    self.notice.setWordWrap(True)
    self.notice.setObjectName("bulkNotice")
    self.notice.hide()
    self.csv_problems = QStringListModel(self)
    self.csv_list = QListView()
    self.csv_list.setModel(self.csv_problems)
    self.csv_list.setObjectName("csvProblems")
    self.csv_list.setMaximumHeight(110)
    self.csv_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    self.csv_list.activated.connect(self._go_to_problem)
    self.csv_list.hide()
    self.progress = QProgressBar()
    self.progress.setTextVisible(True)
    self.cancel_button = QPushButton("Cancel")
    self.cancel_button.setToolTip("Stop reading the videos (or copying them while "
                                  "scheduling); nothing is scheduled")
    self.cancel_button.clicked.connect(self.cancel)
    self.summary = QLabel()
    self.summary.setObjectName("bulkSummary")
    self.declaration = QLabel()
    self.declaration.setObjectName("declaration")
    self.declaration.setWordWrap(True)
    self.declaration.setOpenExternalLinks(True)
    self.declaration.setTextFormat(Qt.TextFormat.RichText)
    self.schedule_button = QPushButton("&Schedule")
    self.schedule_button.setDefault(True)
    # A main window has no default button that Enter presses (only dialogs do): Ctrl+Enter
    # schedules from anywhere in the window, as the button's tooltip says. An action of the
    # window, not the button's shortcut, which each setText replaces with the mnemonic; a
    # click on the disabled button does nothing.
    schedule_key = QAction(self)
    schedule_key.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
    schedule_key.triggered.connect(self.schedule_button.click)
    self.addAction(schedule_key)
    self.schedule_button.clicked.connect(self.schedule)
    self.close_button = QPushButton("C&lose")
    self.close_button.clicked.connect(self.request_close)

    status = QHBoxLayout()
    status.addWidget(self.progress, 1)
    status.addWidget(self.cancel_button)
    status.addWidget(self.summary, 2)
    buttons = QHBoxLayout()
    buttons.addWidget(self.declaration, 1)
    buttons.addWidget(self.close_button)
    buttons.addWidget(self.schedule_button)
    body = QWidget()
    layout = QVBoxLayout(body)
    layout.setContentsMargins(8, 8, 8, 8)
    layout.addWidget(self.apply_bar)
    layout.addWidget(self.times_bar)
    layout.addWidget(self.notice)
    layout.addWidget(self.csv_list)
    layout.addWidget(self.view, 1)
    layout.addLayout(status)
    layout.addLayout(buttons)
    self.setCentralWidget(body)

def build_menus(self: BulkWindow) -> None:
    menu = self.menuBar().addMenu("&File")
    self.act_add = QAction("&Add videos…", self)
    self.act_add.setShortcut(QKeySequence.StandardKey.Open)
    self.act_add.triggered.connect(self.choose_videos)
    self.act_import = QAction("&Import CSV…", self)
    self.act_import.triggered.connect(self.choose_csv)
    self.act_export = QAction("&Export schedule as CSV…", self)
    self.act_export.triggered.connect(self.choose_export)
    self.act_reread = QAction("&Read videos again", self)
    self.act_reread.triggered.connect(self.read_again)
    self.act_remove = QAction("&Remove selected rows", self)
    self.act_remove.setShortcut(QKeySequence.StandardKey.Delete)
    self.act_remove.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    self.act_remove.triggered.connect(self.remove_selected)
    self.view.addAction(self.act_remove)
    self.act_snippets = QAction("Caption &templates and hashtag sets…", self)
    self.act_snippets.triggered.connect(self.edit_snippets)
    act_close = QAction("&Close", self)
    act_close.setShortcut(QKeySequence.StandardKey.Close)
    act_close.triggered.connect(self.request_close)
    for act in (self.act_add, self.act_import, self.act_export, None, self.act_reread,
                self.act_remove, self.act_snippets, None, act_close):
        if act is None:
            menu.addSeparator()
        else:
            menu.addAction(act)
