"""Opening 500 videos in the bulk window: does the GUI stay responsive, and what does a row
cost in memory? Side by side with a baseline measured in the same run.

The QApplication is made as the app makes it (app.create_application, which also sets the
GIL switch interval the app runs with). A QTimer heartbeat ticks every 5 ms on the GUI
thread; the longest gap between two ticks, less the interval, is the longest stall the user
would feel (target: <= 50 ms, issue 18).

  baseline  a bare QTableView over a QStandardItemModel with 500 rows of 9 strings (the
            "table widget" way, no checks, no files), built in one timer callback and shown
  bulk      BulkWindow on the sandbox-mode graph with one connected account, opened on 500
            real video files (tiny encodes, copied) in one timer callback, as a drop does;
            measured until every video is probed, the account's settings are in and the
            schedule checks have answered (BulkWindow.settled)

Each is run --runs times; the medians are shown (and the worst stall): longest stall, the
99th percentile gap, the longest garbage-collector pause in the run (it stops the GUI thread
as well; the machine is shared, so load shows in the figures), time to settled, and memory
per row (the Python heap growth per row, by tracemalloc in an extra run of its own so it
does not slow the timed ones; and the process RSS growth per row). Prints a table, then as
its very last line one JSON object with every figure.

    .venv/bin/python benchmarks/bulk_window.py [--rows 500] [--distinct 20]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import keyring  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtGui import QStandardItem, QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from tiktok_desktop.credentials.vault import SessionOnlyBackend  # noqa: E402

TICK_MS = 5
TARGET_STALL_MS = 50.0


class _MemoryKeyring(SessionOnlyBackend):
    priority = 1  # type: ignore[assignment]


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class GcPauses:
    """The cyclic garbage collector's pauses (they stop the GUI thread too), to tell them
    from the window's own work."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._start = 0.0

    def __call__(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses.append((time.perf_counter() - self._start) * 1000)

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self)


class Heartbeat:
    """Ticks on the GUI thread; the gaps between ticks show how long it was busy."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def stop(self) -> None:
        self.timer.stop()

    def stall_ms(self) -> float:
        return max(0.0, max(self.gaps, default=0.0) - TICK_MS)

    def p99_ms(self) -> float:
        if len(self.gaps) < 2:
            return self.stall_ms()
        return max(0.0, statistics.quantiles(self.gaps, n=100)[98] - TICK_MS)


def run_loop(app: QApplication, open_it: Callable[[], Any], done: Callable[[Any], bool],
             timeout: float = 300.0) -> tuple[Heartbeat, float, Any]:
    """Start the heartbeat, open the thing from a timer callback (as a drop would), and spin
    the event loop until ``done``; returns the heartbeat, seconds to done, and the thing."""
    beat = Heartbeat()
    made: list[Any] = []
    started = [0.0]

    def opener() -> None:
        started[0] = time.perf_counter()
        made.append(open_it())

    beat.start()
    QTimer.singleShot(50, opener)
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        app.processEvents()
        if made and done(made[0]):
            break
        time.sleep(0.001)
    else:
        raise SystemExit("timed out waiting for the window to settle")
    elapsed = time.perf_counter() - started[0]
    # A few more ticks: a stall right at the end counts too.
    end = time.perf_counter() + 0.1
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)
    beat.stop()
    return beat, elapsed, made[0]


def baseline(rows: int) -> QTableView:
    model = QStandardItemModel(rows, 9)
    for r in range(rows):
        for c in range(9):
            model.setItem(r, c, QStandardItem(f"clip{r:04d}.mp4" if c == 1 else f"cell {c}"))
    view = QTableView()
    view.setModel(model)
    view.resize(1180, 680)
    view.show()
    view._model = model  # type: ignore[attr-defined]  # kept alive with the view
    return view


def make_files(folder: Path, rows: int, distinct: int) -> list[str]:
    from tests.helpers.videos import VideoSpec, encode_video

    folder.mkdir(parents=True, exist_ok=True)
    sources = [encode_video(folder / f"src{n}.mp4", VideoSpec(fps=24, seconds=1 + n / 24))
               for n in range(distinct)]
    out = []
    for i in range(rows):
        target = folder / f"clip{i:04d}.mp4"
        shutil.copyfile(sources[i % distinct], target)
        out.append(str(target))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3, help="runs of each (median shown)")
    parser.add_argument("--distinct", type=int, default=20,
                        help="different encodes the files are copied from")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-bulk-"))
    os.environ["TIKTOK_DESKTOP_HOME"] = str(tmp / "home")
    keyring.set_keyring(_MemoryKeyring())
    from tests.helpers.browser import play_consent
    from tests.helpers.system import quiet_system
    from tiktok_desktop import paths
    from tiktok_desktop.app import create_application
    from tiktok_desktop.bootstrap import build, decide_mode
    from tiktok_desktop.ui.bulk_window import BulkWindow

    # As the app starts: its GIL switch interval too (app.GIL_SWITCH_INTERVAL).
    app = create_application(["bulk_window"])
    graph = build(decide_mode(paths.resolve()), system=quiet_system())
    try:
        attempt = graph.accounts.start_connect()
        play_consent(attempt.authorize_url)
        graph.accounts.finish_connect(attempt)
        files = make_files(tmp / "videos", args.rows, args.distinct)
        zone_name = "Europe/Berlin"

        def open_bulk() -> BulkWindow:
            window = BulkWindow(graph.bulk, graph.snippets, files, zone_name=zone_name)
            window.show()
            return window

        def settled(window: BulkWindow) -> bool:
            return window.settled()

        results: dict[str, Any] = {"rows": args.rows, "target_stall_ms": TARGET_STALL_MS}
        # Warm-up: PyAV and Qt's first table paint load once, outside the figures.
        _warm, _t, w = run_loop(app, lambda: BulkWindow(graph.bulk, graph.snippets, files[:5],
                                                       zone_name=zone_name), settled)
        w._close_confirmed = True
        w.close()

        for name, opener, done in (("baseline", lambda: baseline(args.rows), lambda _v: True),
                                   ("bulk", open_bulk, settled)):
            runs = []
            for _run in range(args.runs):
                gc.collect()
                rss0 = _rss_kib()
                with GcPauses() as pauses:
                    beat, elapsed, thing = run_loop(app, opener, done)
                rss1 = _rss_kib()
                runs.append((beat.stall_ms(), beat.p99_ms(), elapsed, (rss1 - rss0) / args.rows,
                             max(pauses.pauses, default=0.0)))
                if isinstance(thing, BulkWindow):
                    thing._close_confirmed = True
                thing.close()
                app.processEvents()
            med = [statistics.median(r[k] for r in runs) for k in range(5)]
            results[name] = {"stall_ms": round(med[0], 1),
                             "stall_ms_worst": round(max(r[0] for r in runs), 1),
                             "p99_gap_ms": round(med[1], 1),
                             "settled_s": round(med[2], 2),
                             "rss_kib_per_row": round(med[3], 1),
                             "gc_pause_ms": round(med[4], 1)}
            # Memory, once more under tracemalloc (it slows Python down; not timed).
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.take_snapshot()
            _beat, _e, again = run_loop(app, opener, done)
            gc.collect()
            after = tracemalloc.take_snapshot()
            tracemalloc.stop()
            grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
            results[name]["py_bytes_per_row"] = round(grown / args.rows)
            if isinstance(again, BulkWindow):
                again._close_confirmed = True
            again.close()
            app.processEvents()
    finally:
        graph.close()
        shutil.rmtree(tmp, ignore_errors=True)

    load = os.getloadavg()[0]
    print(f"Bulk window with {args.rows} videos (offscreen, heartbeat every {TICK_MS} ms, "
          f"median of {args.runs} runs, load average {load:.1f})")
    print(f"  {'':<10} {'longest stall':>14} {'(worst)':>9} {'p99 gap':>9} {'GC pause':>9} "
          f"{'settled':>9} {'Python/row':>11} {'RSS/row':>9}")
    for name in ("baseline", "bulk"):
        r = results[name]
        print(f"  {name:<10} {r['stall_ms']:>11.1f} ms {r['stall_ms_worst']:>6.1f} ms "
              f"{r['p99_gap_ms']:>6.1f} ms {r['gc_pause_ms']:>6.1f} ms {r['settled_s']:>7.2f} s "
              f"{r['py_bytes_per_row'] / 1024:>7.1f} KiB {r['rss_kib_per_row']:>5.1f} KiB")
    ok = results["bulk"]["stall_ms"] <= TARGET_STALL_MS
    print(f"  target: longest stall (median) <= {TARGET_STALL_MS:.0f} ms: "
          f"{'met' if ok else 'NOT met'}")
    results["target_met"] = ok
    results["load_average"] = round(load, 2)
    print(json.dumps(results, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
