"""How fast the statistics window opens on an account with 10,000 posts' readings, against the
same window on an account with none (issue 19: target at most 1.5x).

Each database is a temporary SQLite file with the app's schema. The full one holds --posts
published posts over --days days, each read at every slot of its plan that has come (about
26 readings a post: 1 h, 24 h, 7 days, then daily to 30 days; counts from the sandbox's growth
model), and the account's daily readings over the same days. Then, offscreen, in one process:

  import    importing the charts (ui/stats_window.py; once, before any timing)
  read      what opening reads: the followers, the last 30 posts, the heatmap's 24-hour views
            (and its grouping), the chosen post's readings
  open      StatsWindow built, shown, first paint (grab()): the GUI thread's part (the
            reading runs on the window's task thread); the target's figure
  filled    from the same start until the reading has come and the charts are drawn with
            it (grab() again): what the user waits for to see the numbers

Each figure is the median of --runs runs after one warm-up; the two windows take turns. Prints
a table, then as the very last line one JSON object with every figure (milliseconds) and the
ratio full/empty of "open".

    .venv/bin/python benchmarks/bench_dashboard.py [--posts 10000] [--days 730] [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.helpers.stats_data import fill  # noqa: E402
from tiktok_desktop.services.stats import StatsService, best_times  # noqa: E402
from tiktok_desktop.store import AccountsRepo, Database  # noqa: E402
from tiktok_desktop.store.stats import StatsStore  # noqa: E402
from tiktok_desktop.ui.tasks import TaskRunner  # noqa: E402

NOW = 1_800_000_000
TARGET = 1.5


class Account:
    """One database with one account (and, unless `posts` is 0, its posts' readings)."""

    def __init__(self, folder: Path, posts: int, days: int) -> None:
        self.db = Database.open(folder / f"bench-{posts}.sqlite3", clock=lambda: NOW)
        self.account = AccountsRepo(self.db).upsert_connected(
            open_id="bench", display_name="Bench", username="bench", avatar_url="",
            granted_scopes=["video.list", "user.info.stats"], access_expires_at=None,
            refresh_expires_at=None)
        start = time.perf_counter()
        if posts:
            fill(self.db, self.account.id, posts, NOW, span_days=days, username="bench")
        self.generate_s = time.perf_counter() - start
        self.posts = posts
        self.readings = self.db.conn().execute("SELECT COUNT(*) FROM post_stats").fetchone()[0]
        self.service = StatsService(StatsStore(self.db), AccountsRepo(self.db))
        self.accounts = AccountsRepo(self.db).all()

    def read(self) -> None:
        s, account_id = self.service, self.account.id
        s.account_series(account_id)
        last = s.last_posts(account_id)
        best_times(s.day_views(account_id), "UTC")
        if last:
            s.post_series(last[-1].post_id)

    def open_window(self, app: QApplication, runner: TaskRunner,
                    window_class: Any) -> tuple[float, float]:
        """(open, filled) in ms."""
        start = time.perf_counter()
        window = window_class(self.service, self.accounts, runner, zone_name="UTC",
                              account_id=self.account.id)
        window.resize(1100, 760)
        window.show()
        app.processEvents()
        window.grab()  # the first paint
        opened = time.perf_counter()
        if window.reading:  # an event loop, as the app's, until the reading is shown
            loop = QEventLoop()
            window.loaded.connect(loop.quit)
            loop.exec()
        window.grab()  # every chart drawn with the account's statistics
        filled = time.perf_counter()
        window.close()
        window.deleteLater()
        app.processEvents()
        return (opened - start) * 1000, (filled - start) * 1000


def timed_ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def bench(empty: Account, full: Account, runs: int, app: QApplication, runner: TaskRunner,
          window_class: Any) -> dict[str, dict[str, Any]]:
    """Empty and full take turns, run after run, so a busy moment of the machine (it is
    shared) falls on both alike; one warm-up each first."""
    times: dict[str, dict[str, list[float]]] = {
        name: {"read": [], "open": [], "filled": []} for name in ("empty", "full")}
    for run in range(runs + 1):
        for name, account in (("empty", empty), ("full", full)):
            read = timed_ms(account.read)
            opened, filled = account.open_window(app, runner, window_class)
            if run:
                times[name]["read"].append(read)
                times[name]["open"].append(opened)
                times[name]["filled"].append(filled)
    return {name: {"posts": account.posts, "readings": account.readings,
                   "generate_s": round(account.generate_s, 2),
                   "read_ms": round(statistics.median(times[name]["read"]), 2),
                   "open_ms": round(statistics.median(times[name]["open"]), 2),
                   "filled_ms": round(statistics.median(times[name]["filled"]), 2)}
            for name, account in (("empty", empty), ("full", full))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    runner = TaskRunner()
    start = time.perf_counter()
    from tiktok_desktop.ui.stats_window import StatsWindow
    import_ms = (time.perf_counter() - start) * 1000
    tmp = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    try:
        accounts = Account(tmp, 0, args.days), Account(tmp, args.posts, args.days)
        results = bench(*accounts, args.runs, app, runner, StatsWindow)
        for account in accounts:
            account.db.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    empty, full = results["empty"], results["full"]
    ratio = full["open_ms"] / empty["open_ms"]
    print(f"statistics window, median of {args.runs} runs (offscreen; import of the charts "
          f"{import_ms:.0f} ms, once, not counted)")
    print(f"{'account':<28} {'readings':>9} {'read ms':>9} {'open ms':>9} {'filled ms':>10}")
    for name, r in (("empty (no posts)", empty), (f"{args.posts:,} posts", full)):
        print(f"{name:<28} {r['readings']:>9,} {r['read_ms']:>9.1f} {r['open_ms']:>9.1f} "
              f"{r['filled_ms']:>10.1f}")
    verdict = "ok" if ratio <= TARGET else "over target"
    filled_ratio = full["filled_ms"] / empty["filled_ms"]
    print(f"open ratio full/empty: {ratio:.2f}x (target <= {TARGET}x: {verdict}); filled "
          f"ratio {filled_ratio:.2f}x; generating the full database took "
          f"{full['generate_s']} s")
    print(json.dumps({"bench": "dashboard", "runs": args.runs, "import_ms": round(import_ms, 1),
                      "empty": empty, "full": full, "open_ratio": round(ratio, 3),
                      "filled_ratio": round(filled_ratio, 3),
                      "target_ratio": TARGET}))
    runner.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
