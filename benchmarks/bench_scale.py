"""Issue 16: open in a blink and stay instant at 100,000 posts, with the restated upload and
bundle targets beside.

Data: a schedule as its history grows: 8 accounts posting 3 times a day each (24 a day), the
schedule reaching 3 weeks ahead, so 1,000 posts are the 6 weeks around today and 100,000
posts 11 years of history: the week and the month on screen hold the same posts in both, only
the history behind them differs. Rows go in with one executemany
(with the listing columns the store computes, store/post_keys.py); the triggers keep the
counts and the search index as PostsRepo.create would.

  startup   fresh processes, spawn to first frame (the app's hidden first-paint hook, as in
            bench_startup.py): a bare PySide6 window, the app on an empty database, on
            10,000, on 1,000 and on 100,000 posts; and each process's peak RSS (os.wait4)
  schedule  a process per size with the real SchedulePane on the size's database, offscreen:
            open (set_posts + paint), sort (by Account, paint, back to Due), search (type,
            paint, clear), filter (Needs attention, paint, All), scroll to the end (paint,
            back to the top), week (the calendar's week view, paint), month (paint), engine
            update (one post on screen changes state in the database and put_post shows it)
  targets   first paint <= 1.5x bare (empty) and <= 1.6x bare (100,000); every schedule
            operation at 100,000 <= 1.3x its cost at 1,000; RSS at 100,000 <= 1.3x at 1,000;
            upload (from the newest upload results in build/bench: run `python -m benchmarks
            --only upload` first) client >= 0.95x curl and >= 0.9x raw httpx, CPU per GiB
            <= curl's, RSS <= 100 MB; bundle: the .deb (build/ or dist/, or --deb) <= 80 MB,
            its installed size shown

Runs are interleaved (each round runs every case once, in turn) and the median is reported.
Prints a table, then as the very last line one JSON object (also written to build/bench/).

    .venv/bin/python benchmarks/bench_scale.py [--runs 5] [--reps 5] [--deb PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_startup import HOOK_ENV, Xvfb, bare_window  # noqa: E402

OUT_DIR = ROOT / "build" / "bench"
NOW = int(time.time())
PER_DAY = 24  # 8 accounts x 3 a day
ACCOUNTS = 8
AHEAD_DAYS = 21
WORDS = ("pancakes", "studio", "tour", "sourdough", "stretch", "recipe", "behind", "scenes",
         "drop", "friday", "vegan", "quick", "tip", "knife", "skills")
OPS = ("open", "sort", "search", "filter", "scroll_end", "week", "month", "engine_update")
SIZE = (1100, 640)
RUN_TIMEOUT = 120.0  # seconds
TARGETS = {"empty_vs_bare": 1.5, "posts_vs_bare": 1.6, "op_ratio": 1.3, "rss_ratio": 1.3,
           "deb_mb": 80.0}


# --- data -------------------------------------------------------------------------------------

def db_file(home: Path) -> Path:
    from tiktok_desktop import paths

    profile = paths.resolve({paths.HOME_ENV: str(home)}).for_profile(paths.SANDBOX_PROFILE)
    profile.ensure()
    return profile.db_file


def generate(home: Path, count: int, seed: int = 16) -> float:
    """``count`` posts of 8 accounts into the sandbox profile of ``home``; seconds taken."""
    from tiktok_desktop.store import AccountsRepo, Database, PostState
    from tiktok_desktop.store.post_keys import listing_keys

    started = time.perf_counter()
    db = Database.open(db_file(home))
    try:
        accounts = AccountsRepo(db)
        ids = [accounts.upsert_connected(
            open_id=f"bench-{i}", display_name=f"Creator {i:02d}", username=f"creator{i:02d}",
            avatar_url="", granted_scopes=["video.publish", "user.info.basic"],
            access_expires_at=NOW + 365 * 86400, refresh_expires_at=NOW + 365 * 86400).id
            for i in range(ACCOUNTS)]
        rng = random.Random(seed)
        end = NOW + AHEAD_DAYS * 86400
        step = 86400 // PER_DAY
        rows = []
        for i in range(count):
            due = end - (count - i) * step
            state = PostState.SCHEDULED if due > NOW + 3600 else rng.choice(
                (PostState.PUBLISHED,) * 8 + (PostState.FAILED, PostState.MISSED))
            undated = rng.random() < 0.03
            if undated:
                state, due = PostState.DRAFT, None
            caption = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 12)))
            path = f"/videos/{i // 1000:03d}/clip_{i:06d}.mp4"
            keys = listing_keys(caption, path, {})
            rows.append((ids[i % ACCOUNTS], path, 1_000_000 + i, "{}", caption,
                         "PUBLIC_TO_EVERYONE", due, "Europe/Berlin", state.value, NOW, NOW, NOW,
                         keys["video_name"], keys["name_fold"], keys["caption_line"],
                         keys["caption_fold"]))
        columns = ("account_id, video_path, video_size, video_meta, caption, privacy_level, "
                   "due_at, due_tz, state, consent_at, created_at, updated_at, video_name, "
                   "name_fold, caption_line, caption_fold")
        with db.transaction() as c:
            c.executemany(f"INSERT INTO posts ({columns}) VALUES ({', '.join('?' * 16)})",  # noqa: S608
                          rows)
    finally:
        db.close()
    return time.perf_counter() - started


# --- child: the schedule operations -------------------------------------------------------------

def schedule_ops(home: Path, reps: int) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from tiktok_desktop.services.posts import PostsService
    from tiktok_desktop.services.schedule_views import StateGroup
    from tiktok_desktop.store import AccountsRepo, Database, PostsRepo, PostState
    from tiktok_desktop.store.queue import QueueRepo
    from tiktok_desktop.ui.schedule_model import ScheduleModel
    from tiktok_desktop.ui.schedule_pane import SchedulePane
    from tiktok_desktop.ui.tasks import TaskRunner

    app = QApplication(sys.argv[:1])
    db = Database.open(db_file(home))
    repo = PostsRepo(db)
    accounts = AccountsRepo(db)
    service = PostsService(repo, accounts, QueueRepo(db), clock=lambda: float(NOW))
    labels = {a.id: a.label for a in accounts.all()}
    statuses = {a.id: a.status for a in accounts.all()}
    runner = TaskRunner()
    pane = SchedulePane(service, runner, zone_name="Europe/Berlin", thumbnailer=None)
    pane.resize(*SIZE)
    pane.show()
    app.processEvents()
    times: dict[str, list[float]] = {op: [] for op in OPS}

    def timed(op: str, work: Any) -> None:
        t0 = time.perf_counter()
        work()
        times[op].append((time.perf_counter() - t0) * 1000)

    view = pane.view
    # This week and this month: as full at 1,000 posts as at 100,000.
    this_week = dt.date.fromtimestamp(NOW)
    for i in range(reps):
        flip = i % 2  # alternate searches and weeks: no repetition reads a cache only

        def open_() -> None:
            pane.set_posts(None, labels, statuses)
            pane.grab()

        def sort() -> None:
            view.sortByColumn(ScheduleModel.ACCOUNT, Qt.SortOrder.AscendingOrder)
            pane.grab()
            view.sortByColumn(ScheduleModel.DUE, Qt.SortOrder.AscendingOrder)
            pane.grab()

        def search(flip: int = flip) -> None:
            pane.filters.search.setText("sourdough tip" if flip else "knife")
            pane.apply_filters()
            pane.grab()
            pane.filters.search.setText("")
            pane.apply_filters()
            pane.grab()

        def filter_() -> None:
            box = pane.filters.group_box
            box.setCurrentIndex(box.findData(StateGroup.ATTENTION))
            pane.apply_filters()
            pane.grab()
            box.setCurrentIndex(box.findData(StateGroup.ALL))
            pane.apply_filters()
            pane.grab()

        def scroll_end() -> None:
            view.scrollToBottom()
            pane.grab()
            view.scrollToTop()
            pane.grab()

        def week(flip: int = flip) -> None:
            pane.set_view("week")
            pane.calendar.go_to(this_week + dt.timedelta(days=flip))
            pane.grab()

        def month() -> None:
            pane.set_view("month")
            pane.grab()
            pane.set_view("list")

        def engine_update() -> None:
            post = pane.model.post(3)
            state = PostState.PREPARING if post.state is not PostState.PREPARING \
                else PostState.SCHEDULED
            changed = repo.transition(post.id, state, "benchmark: the engine's step")
            pane.put_post(changed)
            pane.grab()

        for op, work in zip(OPS, (open_, sort, search, filter_, scroll_end, week, month,
                                  engine_update), strict=True):
            timed(op, work)
            app.processEvents()
    result = {op: round(statistics.median(v), 2) for op, v in times.items()}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    pane.close()
    runner.shutdown()
    db.close()
    print(json.dumps(result))
    return 0


# --- parent -------------------------------------------------------------------------------------

def spawn(cmd: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """Run a process; (stdout, wall ms, peak RSS MB) from os.wait4."""
    started = time.monotonic_ns()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.PIPE,
                                text=True)
        # A run that hangs (a dialog, say) is killed and reported, not waited for forever.
        timer = threading.Timer(RUN_TIMEOUT, proc.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = (time.monotonic_ns() - started) / 1e6
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read() if proc.stderr else ""
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{text}{err}")
    return text, wall, usage.ru_maxrss / 1024


def first_paint(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(ms from spawn to the first frame, peak RSS MB)."""
    started = time.monotonic_ns()
    text, _wall, rss = spawn(cmd, env)
    lines = [line for line in text.splitlines() if line.startswith("first-paint ")]
    if not lines:
        raise RuntimeError(f"no first-paint line from {' '.join(cmd)}:\n{text}")
    _, _paint_ns, frame_ns = lines[-1].split()
    return (int(frame_ns) - started) / 1e6, rss


def newest_upload() -> dict[str, Any] | None:
    """The upload benchmark's figures: this run's (python -m benchmarks saves them as
    upload-latest.json), else from the newest results file that has them."""
    latest = OUT_DIR / "upload-latest.json"
    if latest.is_file():
        try:
            result = json.loads(latest.read_text())["result"]
            return {"file": str(latest.relative_to(ROOT)), **result}
        except (OSError, ValueError, KeyError, TypeError):
            pass
    for path in sorted(OUT_DIR.glob("results-*.json"), reverse=True):
        try:
            entry = json.loads(path.read_text())["benchmarks"].get("upload")
        except (OSError, ValueError, KeyError):
            continue
        if entry and entry.get("result"):
            return {"file": str(path.relative_to(ROOT)), **entry["result"]}
    return None


def find_deb(given: Path | None) -> Path | None:
    if given is not None:
        return given if given.is_file() else None
    found = sorted((p for d in (ROOT / "build", ROOT / "dist") if d.is_dir()
                    for p in d.rglob("*.deb")), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def deb_facts(deb: Path | None) -> dict[str, Any] | None:
    if deb is None:
        return None
    size = deb.stat().st_size
    installed_kb = None
    if shutil.which("dpkg-deb"):
        out = subprocess.run(["dpkg-deb", "-f", str(deb), "Installed-Size"],
                             capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip().isdigit():
            installed_kb = int(out.stdout.strip())
    bare = ROOT / "build" / "bench" / "dist" / "hello-window"
    bare_bytes = sum(p.stat().st_size for p in bare.rglob("*") if p.is_file()) \
        if bare.is_dir() else None
    return {"path": str(deb), "size_mb": round(size / 1e6, 1),
            "installed_mb": None if installed_kb is None else round(installed_kb * 1024 / 1e6, 1),
            "bare_pyside6_bundle_mb": None if bare_bytes is None else round(bare_bytes / 1e6, 1),
            "met": size / 1e6 <= TARGETS["deb_mb"]}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_bare":
        return bare_window()
    if argv and argv[0] == "_ops":
        return schedule_ops(Path(argv[1]), int(argv[2]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--reps", type=int, default=5,
                        help="repetitions of each schedule operation inside one process")
    parser.add_argument("--deb", type=Path, help="the .deb to report (default: build/, dist/)")
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    xvfb: Xvfb | None = None
    sizes = {"empty": 0, "1k": 1_000, "10k": 10_000, "100k": 100_000}
    try:
        homes = {k: work / k for k in sizes}
        for key, count in sizes.items():
            print(f"writing {count:,} posts ({key}) ...", flush=True)
            generate(homes[key], count)
        # PYTHONDONTWRITEBYTECODE is left out: an installed app runs from compiled bytecode
        # (the bundle ships it, pip compiles at install); the warm-up run writes it here.
        base_env = {k: v for k, v in os.environ.items()
                    if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY",
                                 "PYTHONDONTWRITEBYTECODE")}
        base_env.update({HOOK_ENV: "1", "PYTHONPATH": str(ROOT),
                         "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
        platform = "offscreen"
        if shutil.which("Xvfb"):
            try:
                xvfb = Xvfb()
                platform = "xcb"
            except RuntimeError:
                xvfb = None
        gui_env = {**base_env, **({"DISPLAY": xvfb.display, "QT_QPA_PLATFORM": "xcb"}
                                  if xvfb else {"QT_QPA_PLATFORM": "offscreen"})}
        app_cmd = [sys.executable, "-m", "tiktok_desktop", "--sandbox"]
        starts = {"bare": ([sys.executable, __file__, "_bare"],
                           {**gui_env, "TIKTOK_DESKTOP_HOME": str(work / "bare")}),
                  **{k: (app_cmd, {**gui_env, "TIKTOK_DESKTOP_HOME": str(homes[k])})
                     for k in sizes}}
        ops_env = {**base_env, "QT_QPA_PLATFORM": "offscreen"}
        ops_env.pop(HOOK_ENV)
        paint: dict[str, list[tuple[float, float]]] = {k: [] for k in starts}
        ops: dict[str, list[dict[str, float]]] = {"1k": [], "100k": []}
        if not args.skip_startup:
            for cmd, env in starts.values():  # warm-up: first-start work, file caches
                first_paint(cmd, env)
        for i in range(args.runs):
            if not args.skip_startup:
                for key, (cmd, env) in starts.items():
                    paint[key].append(first_paint(cmd, env))
            for key, found in ops.items():
                text, _wall, _rss = spawn([sys.executable, __file__, "_ops", str(homes[key]),
                                           str(args.reps)], ops_env)
                found.append(json.loads(text.strip().splitlines()[-1]))
            print(f"   round {i + 1}/{args.runs}: " + ", ".join(
                f"{k} {v[-1][0]:,.0f} ms" for k, v in paint.items() if v) + "; " + ", ".join(
                f"{k} open {v[-1]['open']:,.1f} ms" for k, v in ops.items()), flush=True)
    finally:
        if xvfb is not None:
            xvfb.close()
        shutil.rmtree(work, ignore_errors=True)

    def med(values: list[float]) -> float:
        return round(statistics.median(values), 1) if values else 0.0

    startup = {k: {"frame_ms": med([r[0] for r in v]), "peak_rss_mb": med([r[1] for r in v]),
                   "runs_frame_ms": [round(r[0], 1) for r in v]} for k, v in paint.items()}
    schedule = {k: {op: round(statistics.median(r[op] for r in v), 2)
                    for op in (*OPS, "peak_rss_mb")} for k, v in ops.items()}
    targets: list[dict[str, Any]] = []

    def target(name: str, value: float, base: float, limit: float, unit: str = "x") -> None:
        ratio = value / base if base else float("inf")
        targets.append({"name": name, "value": value, "baseline": base,
                        "ratio": round(ratio, 3), "limit": limit, "met": ratio <= limit,
                        "unit": unit})

    if startup.get("bare", {}).get("frame_ms"):
        bare = startup["bare"]["frame_ms"]
        target("first paint, empty vs bare", startup["empty"]["frame_ms"], bare,
               TARGETS["empty_vs_bare"])
        target("first paint, 100,000 posts vs bare", startup["100k"]["frame_ms"], bare,
               TARGETS["posts_vs_bare"])
        target("first paint, 10,000 posts vs bare", startup["10k"]["frame_ms"], bare,
               TARGETS["posts_vs_bare"])
        target("app RSS at first paint, 100,000 vs 1,000", startup["100k"]["peak_rss_mb"],
               startup["1k"]["peak_rss_mb"], TARGETS["rss_ratio"])
    for op in OPS:
        target(f"schedule {op}, 100,000 vs 1,000", schedule["100k"][op], schedule["1k"][op],
               TARGETS["op_ratio"])
    target("schedule process RSS, 100,000 vs 1,000", schedule["100k"]["peak_rss_mb"],
           schedule["1k"]["peak_rss_mb"], TARGETS["rss_ratio"])

    upload = newest_upload()
    upload_targets: list[dict[str, Any]] = []
    if upload is not None:
        for res in upload["results"]:
            met = res["targets_met"]
            upload_targets.append({
                "size": res["size"], "client_vs_curl": res["ratio_a_b"],
                "client_vs_httpx": res["ratio_a_c"],
                "client_cpu_s_per_gib": res["client"].get("cpu_s_per_gib"),
                "curl_cpu_s_per_gib": res["curl"].get("cpu_s_per_gib"),
                "client_rss_mb": res["client"]["peak_rss_mb"],
                "met": {"vs_curl>=0.95": met.get("a_b>=0.95", res["ratio_a_b"] >= 0.95),
                        "vs_httpx>=0.9": met["a_c>=0.9"],
                        "cpu<=curl": met.get("cpu<=curl"),
                        "rss<=100MB": met["rss<=100MB"]}})
    deb = deb_facts(find_deb(args.deb))

    print()
    print(f"Issue 16 at scale: medians of {args.runs} interleaved rounds (schedule: median of "
          f"{args.reps} repetitions per process); first paint under {platform}")
    if startup.get("bare", {}).get("frame_ms"):
        print(f"{'first paint':<26} {'frame ms':>9} {'peak RSS MB':>12}")
        for key, label in (("bare", "bare PySide6 window"), ("empty", "app, empty"),
                           ("1k", "app, 1,000 posts"), ("10k", "app, 10,000 posts"),
                           ("100k", "app, 100,000 posts")):
            print(f"{label:<26} {startup[key]['frame_ms']:>9,.1f} "
                  f"{startup[key]['peak_rss_mb']:>12,.1f}")
    print(f"\n{'schedule operation':<26} {'1,000 ms':>10} {'100,000 ms':>11} {'ratio':>7}")
    for op in (*OPS, "peak_rss_mb"):
        a, b = schedule["1k"][op], schedule["100k"][op]
        print(f"{op:<26} {a:>10,.2f} {b:>11,.2f} {b / a if a else 0:>6.2f}x")
    print(f"\n{'target':<46} {'ratio':>8} {'limit':>7}  met")
    for t in targets:
        print(f"{t['name']:<46} {t['ratio']:>7.3f}x {t['limit']:>6.2f}x  "
              f"{'met' if t['met'] else 'MISSED'}")
    if upload_targets:
        print(f"upload (figures from {upload['file']}):")
        for u in upload_targets:
            print(f"  {u['size'] / 2**30:.2f} GiB: client/curl {u['client_vs_curl']:.3f} "
                  f"(>= 0.95), client/httpx {u['client_vs_httpx']:.3f} (>= 0.9), CPU s/GiB "
                  f"{u['client_cpu_s_per_gib']} vs curl {u['curl_cpu_s_per_gib']}, RSS "
                  f"{u['client_rss_mb']} MB (<= 100): " + ", ".join(
                      f"{k} {'met' if v else ('MISSED' if v is False else 'unknown')}"
                      for k, v in u["met"].items()))
    else:
        print("upload: no upload results in build/bench (run python -m benchmarks "
              "--only upload)")
    if deb is not None:
        print(f"bundle: {deb['path']}: download {deb['size_mb']} MB (<= 80 MB: "
              f"{'met' if deb['met'] else 'MISSED'}), installed {deb['installed_mb']} MB, "
              f"bare PySide6 bundle {deb['bare_pyside6_bundle_mb'] or 'not built'}"
              + (" MB" if deb["bare_pyside6_bundle_mb"] else ""))
    else:
        print("bundle: no .deb in build/ or dist/ (make deb builds one)")
    summary = {"benchmark": "scale", "qt_platform": platform, "runs": args.runs,
               "reps": args.reps, "startup": startup, "schedule": schedule,
               "targets": targets, "upload": upload_targets, "deb": deb}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for path in (OUT_DIR / f"scale-{stamp}.json", OUT_DIR / "scale-latest.json"):
        path.write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
