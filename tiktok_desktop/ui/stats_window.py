"""The statistics window (issue 19): an account's dashboard (followers over time, its last 30
posts side by side, the best-time heatmap) and one post's curves, with CSV export.

The window opens at once and reads on the task runner's thread: four indexed results (a day
per point, 30 posts, one number per post for the heatmap, one post's readings) and the
heatmap's grouping, the only parts that grow with the account's posts (issue 16: no GUI-thread
work grows with them). benchmarks/bench_dashboard.py measures both the opening and the time
until the charts are filled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.services.stats import BestTimes, StatsService, best_times
from tiktok_desktop.store import Account
from tiktok_desktop.store.stats import AccountSnapshot, PostSnapshot, PublishedPost
from tiktok_desktop.ui.stats_charts import (
    BestTimeHeatmap,
    FollowersChart,
    LastPostsChart,
    PostChart,
)
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.tones import Tone, set_tone

__all__ = ["StatsWindow"]

READING = "Reading the statistics…"
ABOUT = ("Counts come from TikTok about 1 hour, 24 hours and 7 days after a public post, then "
         "daily until 30 days, while the app (or its background service) runs.")


@dataclass(frozen=True)
class _Reading:
    """What the window shows of one account, read off the GUI thread."""

    account_id: int
    followers: list[AccountSnapshot]
    posts: list[PublishedPost]  # oldest first
    best: BestTimes
    chosen: int | None  # the post shown first (its id) and its readings
    series: list[PostSnapshot]


def _first_choice(newest_first: list[PublishedPost]) -> int:
    """The newest post with a week of readings (a curve to look at), else the newest."""
    return next((i for i, p in enumerate(newest_first)
                 if newest_first[0].published_at - p.published_at >= 7 * 86400), 0)


def _caption(post: PublishedPost) -> str:
    first = post.caption.splitlines()[0] if post.caption else ""
    return (first[:40] + "…") if len(first) > 40 else (first or f"Post {post.post_id}")


class StatsWindow(QDialog):
    """Non-modal: it can stay open beside the main window."""

    loaded = Signal()  # the charts show the chosen account's statistics

    def __init__(self, stats: StatsService, accounts: list[Account], runner: TaskRunner, *,
                 zone_name: str = "", account_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Statistics")
        self.stats = stats
        self.runner = runner
        self.zone_name = zone_name
        self._posts: list[PublishedPost] = []
        self._generation = 0  # a reading for an account chosen since is dropped
        self._wanted_post: int | None = None  # select_post() before the reading came
        self.reading = False  # an account's statistics are being read

        self.account_box = QComboBox()
        for account in accounts:
            self.account_box.addItem(account.label, account.id)
        if account_id is not None:
            self.account_box.setCurrentIndex(max(0, self.account_box.findData(account_id)))
        self.post_box = QComboBox()
        self.post_box.setMinimumContentsLength(30)
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setToolTip("Every reading of every published post, as a "
                                      "spreadsheet file")
        self.status = QLabel()
        self.status.setWordWrap(True)
        set_tone(self.status, Tone.MUTED)

        top = QHBoxLayout()
        # Alt+A and Alt+P reach the two choices, Alt+E the export; Escape closes.
        for text, box, stretch in (("&Account:", self.account_box, 1),
                                   ("&Post:", self.post_box, 2)):
            label = QLabel(text)
            label.setBuddy(box)
            top.addWidget(label)
            top.addWidget(box, stretch)
            top.addSpacing(12)
        top.addWidget(self.export_button)

        self.followers = FollowersChart()
        self.last_posts = LastPostsChart()
        self.heatmap = BestTimeHeatmap()
        self.post_chart = PostChart()
        grid = QGridLayout()
        grid.addWidget(self.followers, 0, 0)
        grid.addWidget(self.last_posts, 0, 1)
        grid.addWidget(self.heatmap, 1, 0)
        grid.addWidget(self.post_chart, 1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(grid, 1)
        layout.addWidget(self.status)
        self.resize(1100, 760)

        self.account_box.currentIndexChanged.connect(lambda _i: self.load())
        self.post_box.currentIndexChanged.connect(lambda _i: self._show_post())
        self.export_button.clicked.connect(self.choose_export)
        self.load()

    def account_id(self) -> int | None:
        data = self.account_box.currentData()
        return int(data) if data is not None else None

    def load(self) -> None:
        """Read the account's statistics off the GUI thread, then draw them (``loaded``)."""
        self._generation += 1
        account_id = self.account_id()
        if account_id is None:
            self.followers.set_series([])
            self.last_posts.set_posts([])
            self.heatmap.set_data(best_times([]), self.zone_name)
            self._set_posts([], None, [])
            self.status.setText("Connect an account to see its statistics.")
            self.loaded.emit()
            return
        set_tone(self.status, Tone.MUTED)
        self.status.setText(READING)
        self.reading = True
        stats, zone_name, generation = self.stats, self.zone_name, self._generation

        def read() -> _Reading:
            posts = stats.last_posts(account_id)
            chosen = posts[len(posts) - 1 - _first_choice(posts[::-1])].post_id \
                if posts else None
            return _Reading(account_id, stats.account_series(account_id), posts,
                            best_times(stats.day_views(account_id), zone_name), chosen,
                            stats.post_series(chosen) if chosen is not None else [])

        self.runner.submit(read, lambda r: self._show(generation, r), self._read_failed,
                           owner=self)

    def _show(self, generation: int, reading: _Reading) -> None:
        if generation != self._generation:
            return  # another account was chosen meanwhile: its reading is on its way
        self.reading = False
        self.followers.set_series(reading.followers)
        self.last_posts.set_posts(reading.posts)
        self.heatmap.set_data(reading.best, self.zone_name)
        wanted, self._wanted_post = self._wanted_post, None
        self._set_posts(reading.posts, reading.chosen, reading.series)
        if wanted is not None:
            self.select_post(wanted)
        self.status.setText(ABOUT)
        self.loaded.emit()

    def _read_failed(self, error: BaseException) -> None:
        self.reading = False
        set_tone(self.status, Tone.ERROR)
        self.status.setText(f"The statistics could not be read: {error}")

    def _set_posts(self, posts: list[PublishedPost], chosen: int | None,
                   series: list[PostSnapshot]) -> None:
        self._posts = list(reversed(posts))  # newest first in the chooser
        self.post_box.blockSignals(True)
        self.post_box.clear()
        for post in self._posts:
            self.post_box.addItem(_caption(post), post.post_id)
        self.post_box.setCurrentIndex(max(0, self.post_box.findData(chosen)))
        self.post_box.blockSignals(False)
        self._show_post(series if chosen is not None else None)

    def _show_post(self, series: list[PostSnapshot] | None = None) -> None:
        """The chosen post's curves (its readings: read with the account, or now: one post's
        few dozen readings)."""
        index = self.post_box.currentIndex()
        if not 0 <= index < len(self._posts):
            self.post_chart.set_post(0, [])
            self.post_chart.title.setText("A post over time")
            return
        post = self._posts[index]
        self.post_chart.title.setText(f"“{_caption(post)}” over time")
        self.post_chart.set_post(post.published_at, series if series is not None
                                 else self.stats.post_series(post.post_id))

    def select_post(self, post_id: int) -> bool:
        """Show this post's curves; False if it is not among the account's last posts. Asked
        while the account is being read, it is chosen when the reading comes."""
        if self.reading:
            self._wanted_post = post_id
            return True
        index = self.post_box.findData(post_id)
        if index < 0:
            return False
        self.post_box.setCurrentIndex(index)
        return True

    # -- export ------------------------------------------------------------------------------

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export statistics", "tiktok-stats.csv",
                                              "CSV files (*.csv)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write every post reading of the chosen account off the GUI thread."""
        self.export_button.setEnabled(False)
        self.status.setText(f"Writing {path.name}…")
        account_id = self.account_id()
        self.runner.submit(lambda: self.stats.export(path, account_id=account_id),
                           lambda rows: self._exported(path, rows), self._export_failed,
                           owner=self)

    def _exported(self, path: Path, rows: int) -> None:
        self.export_button.setEnabled(True)
        set_tone(self.status, Tone.OK)
        self.status.setText(f"Wrote {rows} readings to {path}.")

    def _export_failed(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        set_tone(self.status, Tone.ERROR)
        self.status.setText(str(error))
