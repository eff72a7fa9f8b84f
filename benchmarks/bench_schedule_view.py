"""How fast the schedule views load at 1k and 100k posts, next to simpler baselines.

For each size, posts are written into a temporary SQLite file (the app's schema, through
Database.open; rows go in with one executemany in a transaction, since 100k PostsRepo.create
calls would take minutes) and read back with PostsRepo.query, as the app does. Then, offscreen:

  query      PostsRepo.query() of every post (what the window's refresh() does first)
  baseline   a bare QTableView over a QStandardItemModel holding the same 6 display strings
             per post (the "table widget" way, filled with setData): build + sort (in C++)
             + first paint (grab())
  list       ScheduleModel.set_posts (sorted by due) + ScheduleProxy + QTableView, first paint
  resort     sort by Account (RowsModel.sort in Python), repaint, and back to Due (two sorts)
  search     a search text through the proxy (every row tested), a repaint, and the search
             cleared again (two full passes)
  week       CalendarView.set_posts + first paint of the week holding the most posts
  month      the month view of the same week, first paint
  pane       SchedulePane.set_posts + first paint of its list (everything above, wired)

Each figure is the median of --runs runs (fewer for 100k, see --runs-large). Thumbnails are off
(there are no video files); the list paints its placeholders. Prints a table, then as the very
last line one JSON object with every figure in milliseconds.

    .venv/bin/python benchmarks/bench_schedule_view.py [--sizes 1000,100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
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

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from tiktok_desktop.services.posts import PostsService  # noqa: E402
from tiktok_desktop.services.schedule_views import PostFilter, file_name  # noqa: E402
from tiktok_desktop.store import AccountsRepo, Database, Post, PostsRepo, PostState  # noqa: E402
from tiktok_desktop.ui.calendar_view import CalendarView  # noqa: E402
from tiktok_desktop.ui.models import POST_STATE_TEXT  # noqa: E402
from tiktok_desktop.ui.schedule_filters import build_table  # noqa: E402
from tiktok_desktop.ui.schedule_model import ScheduleModel, ScheduleProxy  # noqa: E402
from tiktok_desktop.ui.schedule_pane import SchedulePane  # noqa: E402
from tiktok_desktop.ui.tasks import TaskRunner  # noqa: E402

NOW = 1_800_000_000  # fixed, so every run lays out the same weeks
SPAN_DAYS = 360
SIZE = (1000, 700)
STATES = ([PostState.SCHEDULED] * 14 + [PostState.PUBLISHED] * 3 + [PostState.DRAFT] * 2
          + [PostState.FAILED])
WORDS = ("pancakes", "studio", "tour", "sourdough", "stretch", "recipe", "behind", "scenes",
         "drop", "friday", "vegan", "quick", "tip", "knife", "skills")
COLUMNS = ("account_id, video_path, video_size, video_sha256, video_meta, caption, "
           "privacy_level, mode, due_at, due_tz, state, consent_at, created_at, updated_at")


def generate(db: Database, count: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    accounts = AccountsRepo(db)
    ids = [accounts.upsert_connected(
        open_id=f"bench-{i}", display_name=f"Account {i}", username=f"acct{i}", avatar_url="",
        granted_scopes=["video.publish"], access_expires_at=NOW + 3600,
        refresh_expires_at=NOW + 86400 * 365).id for i in range(3)]
    rows = []
    for i in range(count):
        state = rng.choice(STATES)
        due = None if state is PostState.DRAFT else \
            NOW + rng.randrange(-30 * 86400, (SPAN_DAYS - 30) * 86400) // 300 * 300
        caption = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 12)))
        rows.append((ids[i % 3], f"/videos/{i // 1000:03d}/clip_{i:06d}.mp4", 1_000_000, "",
                     "{}", caption, "PUBLIC_TO_EVERYONE", "direct", due, "Europe/Berlin",
                     state.value, NOW, NOW, NOW))
    marks = ", ".join("?" * len(COLUMNS.split(",")))
    with db.transaction() as c:
        c.executemany(f"INSERT INTO posts ({COLUMNS}) VALUES ({marks})", rows)  # noqa: S608


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def busiest_day(posts: list[Post]) -> dt.date:
    """The anchor for the calendar: the week with posts in it, not an empty one."""
    tz = dt.UTC
    days: dict[dt.date, int] = {}
    for p in posts:
        if p.due_at is not None:
            d = dt.datetime.fromtimestamp(p.due_at, tz).date()
            days[d] = days.get(d, 0) + 1
    return max(days, key=lambda d: days[d])


def bench_size(count: int, runs: int, runner: TaskRunner) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-schedule-"))
    try:
        db = Database.open(tmp / "bench.sqlite3", clock=lambda: NOW)
        start = time.perf_counter()
        generate(db, count)
        gen_s = time.perf_counter() - start
        repo = PostsRepo(db)
        service = PostsService(repo, AccountsRepo(db), clock=lambda: float(NOW))
        labels = {a.id: a.label for a in AccountsRepo(db).all()}
        posts = repo.query()
        result: dict[str, Any] = {"posts": count, "generate_s": round(gen_s, 2)}
        result["query_ms"] = median_ms(repo.query, runs)

        def baseline() -> None:
            model = QStandardItemModel(len(posts), 6)
            for r, p in enumerate(posts):
                texts = (str(p.due_at or ""), labels.get(p.account_id, ""),
                         file_name(p.video_path), p.caption, p.privacy_level or "",
                         POST_STATE_TEXT[p.state])
                for c, text in enumerate(texts):
                    # setData, not setItem(QStandardItem(...)): 600k Python item wrappers
                    # are no faster to make and take seconds more to free.
                    model.setData(model.index(r, c), text)
            view = QTableView()
            view.resize(*SIZE)
            view.setModel(model)
            view.setSortingEnabled(True)
            view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
            view.grab()
            view.deleteLater()

        result["baseline_ms"] = median_ms(baseline, runs)

        model = ScheduleModel()
        proxy = ScheduleProxy(model)
        view = build_table(proxy)
        view.resize(*SIZE)

        def load_list() -> None:
            model.set_posts(posts, labels, sort_by=(ScheduleModel.DUE, Qt.SortOrder.AscendingOrder))
            view.grab()

        result["list_ms"] = median_ms(load_list, runs)

        def resort() -> None:
            view.sortByColumn(ScheduleModel.ACCOUNT, Qt.SortOrder.AscendingOrder)
            view.grab()
            view.sortByColumn(ScheduleModel.DUE, Qt.SortOrder.AscendingOrder)

        result["resort_ms"] = median_ms(resort, runs)

        def search() -> None:
            proxy.set_filter(PostFilter(text="sourdough"))
            view.grab()
            proxy.set_filter(PostFilter())

        result["search_ms"] = median_ms(search, runs)
        result["search_rows"] = sum(1 for p in posts if "sourdough" in p.caption)

        calendar = CalendarView("Europe/Berlin", clock=lambda: float(NOW))
        calendar.resize(*SIZE)
        calendar.go_to(busiest_day(posts))

        def week() -> None:
            calendar.set_mode("week")
            calendar.set_posts(posts, labels)
            calendar.grab()

        result["week_ms"] = median_ms(week, runs)
        result["week_posts"] = len(calendar.week.block_rects())

        def month() -> None:
            calendar.set_mode("month")
            calendar.month.invalidate()
            calendar.grab()

        result["month_ms"] = median_ms(month, runs)

        pane = SchedulePane(service, runner, thumbnailer=None)
        pane.resize(*SIZE)

        def load_pane() -> None:
            pane.set_posts(posts, labels)
            pane.grab()

        result["pane_ms"] = median_ms(load_pane, runs)
        for w in (view, calendar, pane):
            w.deleteLater()
        db.close()
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def print_table(results: list[dict[str, Any]]) -> None:
    rows = (("query", "PostsRepo.query (SQLite + rows)"),
            ("baseline", "QStandardItemModel + QTableView"),
            ("list", "ScheduleModel + proxy + view"),
            ("resort", "sort by another column"),
            ("search", "search text through the proxy"),
            ("week", "calendar week: set_posts + paint"),
            ("month", "calendar month: layout + paint"),
            ("pane", "SchedulePane.set_posts + paint"))
    sizes = [r["posts"] for r in results]
    header = f"{'what':<10} {'':<34}" + "".join(f"{n:>12,} posts" for n in sizes)
    print()
    print(header)
    print("-" * len(header))
    for key, text in rows:
        cells = "".join(f"{r[key + '_ms']:>15,.1f} ms" for r in results)
        print(f"{key:<10} {text:<34}{cells}")
    for r in results:
        print(f"{r['posts']:,} posts: week view laid out {r['week_posts']} blocks; "
              f"search matched {r['search_rows']:,} rows; generated in {r['generate_s']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (small sizes)")
    parser.add_argument("--runs-large", type=int, default=3, help="runs at 10k posts and up")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    runner = TaskRunner()
    results = []
    try:
        for count in (int(s) for s in args.sizes.split(",")):
            runs = args.runs if count < 10_000 else args.runs_large
            print(f"== {count:,} posts, median of {runs} runs ...", flush=True)
            results.append(bench_size(count, runs, runner))
            app.processEvents()
    finally:
        runner.shutdown()
    print_table(results)
    summary = {"benchmark": "schedule_view", "unit": "ms",
               "results": [{k: (round(v, 1) if isinstance(v, float) else v)
                            for k, v in r.items()} for r in results]}
    print(json.dumps(summary, separators=(",", ":")))


if __name__ == "__main__":
    main()
