"""Start to first paint of the real app (empty and with 10,000 posts) vs a bare PySide6 window.

Every run is a fresh process, timed from just before it is spawned to its first frame:

  bare       a QApplication and a QMainWindow of the app's size with one label
             (``python benchmarks/bench_startup.py _bare``), nothing else
  empty      the real app, ``python -m tiktok_desktop --sandbox``, on an empty database
  posts      the same on a database with --posts posts (default 10,000) over 3 accounts,
             written with the store's AccountsRepo/PostsRepo into a temp home

The app reports its first frame through a hidden hook: with TIKTOK_DESKTOP_BENCH_FIRST_PAINT=1
(tiktok_desktop/app.py, _FirstPaintProbe) it prints ``first-paint <paint_ns> <frame_ns>``
(time.monotonic_ns(), a system-wide clock on Linux, macOS and Windows) when the main window's
first paint event arrives and again once control is back in the event loop after it (children
painted, frame flushed), then quits. The bare window uses the same probe. "frame" is the
headline figure.

It is the start a user sees: the single-instance check, logging, the database, the built-in
TikTok emulator (sandbox mode: the first-start default, forced with --sandbox so no keyring
state can change the mode), the engine thread, the window. The keyring is keyring's "fail"
backend, so no OS keychain is touched. Video files do not exist: thumbnails load off the GUI
thread after the first paint either way.

The display is a private Xvfb server when Xvfb is installed (the xcb platform, as on a Linux
desktop), else Qt's offscreen platform (--display picks). Cases are interleaved run by run so
machine load spreads evenly; each case has one untimed warm-up run first (for the app it
also does first-start work: the emulator's state, the empty case's schema), shown as "1st run".
Prints a table, then as the very last line one JSON object (milliseconds).

    .venv/bin/python benchmarks/bench_startup.py [--runs 7] [--posts 10000] [--display auto]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOOK_ENV = "TIKTOK_DESKTOP_BENCH_FIRST_PAINT"  # tiktok_desktop.app.FIRST_PAINT_ENV
WINDOW_SIZE = (1100, 640)  # MainWindow's default size
RUN_TIMEOUT = 120.0
WORDS = ("pancakes", "studio", "tour", "sourdough", "stretch", "recipe", "behind", "scenes",
         "drop", "friday", "vegan", "quick", "tip", "knife", "skills")


# --- child: the bare window -------------------------------------------------------------------


def bare_window() -> int:
    """The baseline: PySide6's cost for one window of the app's size, same probe as the app."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("bare PySide6 window")
    window.setCentralWidget(QLabel("Hello"))
    window.resize(*WINDOW_SIZE)

    class Probe(QObject):  # the same logic as tiktok_desktop.app._FirstPaintProbe
        paint_ns = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not self.paint_ns:
                self.paint_ns = time.monotonic_ns()
                window.removeEventFilter(self)
                QTimer.singleShot(0, self.report)
            return False

        def report(self) -> None:
            print(f"first-paint {self.paint_ns} {time.monotonic_ns()}", flush=True)
            app.quit()

    probe = Probe(window)
    window.installEventFilter(probe)
    window.show()
    return app.exec()


# --- parent -----------------------------------------------------------------------------------


def generate(home: Path, count: int, seed: int = 8) -> float:
    """Write 3 accounts and ``count`` posts into the sandbox profile of ``home``; seconds."""
    from tiktok_desktop import paths
    from tiktok_desktop.store import AccountsRepo, Database, NewPost, PostsRepo, PostState

    started = time.perf_counter()
    profile = paths.resolve({paths.HOME_ENV: str(home)}).for_profile(paths.SANDBOX_PROFILE)
    profile.ensure()
    db = Database.open(profile.db_file)
    try:
        now = int(time.time())
        rng = random.Random(seed)
        accounts = AccountsRepo(db)
        # Tokens valid for a year and no avatar URL: the engine has nothing to refresh and
        # the window nothing to download while it starts.
        ids = [accounts.upsert_connected(
            open_id=f"bench-{i}", display_name=f"Account {i}", username=f"acct{i}",
            avatar_url="", granted_scopes=["video.publish", "user.info.basic"],
            access_expires_at=now + 365 * 86400, refresh_expires_at=now + 365 * 86400).id
            for i in range(3)]
        posts = PostsRepo(db)
        with db.transaction():  # create() joins it: one commit, not 10,000
            for i in range(count):
                draft = rng.random() < 0.15
                # Due from tomorrow on, so the engine waits and nothing changes between runs.
                due = None if draft else now + 86400 + rng.randrange(360 * 86400) // 300 * 300
                caption = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 12)))
                posts.create(NewPost(
                    account_id=ids[i % 3], video_path=f"/videos/{i // 1000:03d}/clip_{i:06d}.mp4",
                    video_size=1_000_000 + i, caption=caption, privacy_level="PUBLIC_TO_EVERYONE",
                    due_at=due, due_tz="Europe/Berlin", consent_at=now),
                    PostState.DRAFT if draft else PostState.SCHEDULED)
    finally:
        db.close()
    return time.perf_counter() - started


class Xvfb:
    """A private X server for the runs (started once: it is not part of the app's start)."""

    def __init__(self) -> None:
        exe = shutil.which("Xvfb")
        if exe is None:
            raise RuntimeError("Xvfb is not installed")
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            [exe, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        # Read up to the newline: Xvfb dies ("Cannot write display number") if the pipe
        # closes between the number and its newline.
        got = b""
        deadline = time.monotonic() + 15
        try:
            while not got.endswith(b"\n") and time.monotonic() < deadline:
                ready, _, _ = select.select([read_fd], [], [], deadline - time.monotonic())
                chunk = os.read(read_fd, 64) if ready else b""
                if not chunk:
                    break
                got += chunk
        finally:
            os.close(read_fd)
        number = got.decode().strip()
        if not number.isdigit() or self.proc.poll() is not None:
            self.close()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(ms to the first paint event, ms to the first frame done), from just before spawning."""
    started = time.monotonic_ns()
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=RUN_TIMEOUT, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("first-paint ")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {out.returncode}):\n"
                           f"{out.stdout}{out.stderr}")
    _, paint_ns, frame_ns = lines[-1].split()
    return (int(paint_ns) - started) / 1e6, (int(frame_ns) - started) / 1e6


CASES = (("bare", "bare PySide6 window"), ("empty", "app, empty database"),
         ("posts", "app, {posts:,} posts"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_bare":
        return bare_window()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case (median)")
    parser.add_argument("--posts", type=int, default=10_000, help="posts in the large case")
    parser.add_argument("--display", choices=("auto", "xvfb", "offscreen"), default="auto",
                        help="auto: a private Xvfb when installed, else offscreen")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    xvfb: Xvfb | None = None
    try:
        homes = {"empty": work / "empty", "posts": work / "posts"}
        print(f"writing {args.posts:,} posts with PostsRepo ...", flush=True)
        generate_s = generate(homes["posts"], args.posts)
        base_env = {k: v for k, v in os.environ.items()
                    if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY")}
        base_env.update({HOOK_ENV: "1", "PYTHONPATH": str(ROOT),
                         "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
        platform = "offscreen"
        if args.display != "offscreen" and shutil.which("Xvfb"):
            xvfb = Xvfb()
            platform = "xcb"
            base_env.update(DISPLAY=xvfb.display, QT_QPA_PLATFORM="xcb")
        elif args.display == "xvfb":
            parser.error("Xvfb is not installed")
        else:
            base_env["QT_QPA_PLATFORM"] = "offscreen"
        app_cmd = [sys.executable, "-m", "tiktok_desktop", "--sandbox"]
        commands = {"bare": [sys.executable, __file__, "_bare"], "empty": app_cmd,
                    "posts": app_cmd}
        envs = {"bare": {**base_env, "TIKTOK_DESKTOP_HOME": str(work / "bare")},
                **{k: {**base_env, "TIKTOK_DESKTOP_HOME": str(h)} for k, h in homes.items()}}
        where = f"{platform} (Xvfb {xvfb.display})" if xvfb else platform
        print(f"Qt platform {where}; 1 warm-up + {args.runs} timed runs per case, interleaved",
              flush=True)
        first: dict[str, tuple[float, float]] = {}
        if xvfb is not None and args.display == "auto":
            try:
                first["bare"] = run_once(commands["bare"], envs["bare"])
            except RuntimeError as exc:
                # Xvfb is there but Qt's xcb plugin cannot start (missing libraries, say).
                print(f"xcb failed under Xvfb, using offscreen instead: {exc}", flush=True)
                xvfb.close()
                xvfb, platform, where = None, "offscreen", "offscreen"
                for env in envs.values():
                    env.pop("DISPLAY", None)
                    env["QT_QPA_PLATFORM"] = "offscreen"
        for key, cmd in commands.items():
            if key not in first:
                first[key] = run_once(cmd, envs[key])
        samples: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
        for i in range(args.runs):
            for key, cmd in commands.items():
                samples[key].append(run_once(cmd, envs[key]))
            print(f"   run {i + 1}/{args.runs}: " + ", ".join(
                f"{k} {s[-1][1]:,.0f} ms" for k, s in samples.items()), flush=True)
    finally:
        if xvfb is not None:
            xvfb.close()
        shutil.rmtree(work, ignore_errors=True)

    results: dict[str, Any] = {}
    for key, runs in samples.items():
        results[key] = {
            "paint_ms": round(statistics.median(r[0] for r in runs), 1),
            "frame_ms": round(statistics.median(r[1] for r in runs), 1),
            "min_frame_ms": round(min(r[1] for r in runs), 1),
            "max_frame_ms": round(max(r[1] for r in runs), 1),
            "first_run_frame_ms": round(first[key][1], 1),
            "runs_frame_ms": [round(r[1], 1) for r in runs],
        }
    bare, empty, posts = (results[k]["frame_ms"] for k in ("bare", "empty", "posts"))
    summary = {
        "benchmark": "startup", "unit": "ms", "qt_platform": platform, "runs": args.runs,
        "posts": args.posts, "generate_s": round(generate_s, 2), "results": results,
        "ratio_empty_bare": round(empty / bare, 3), "ratio_posts_bare": round(posts / bare, 3),
        "ratio_posts_empty": round(posts / empty, 3),
    }

    print()
    print(f"Start to first paint, Qt platform {where}; median of {args.runs} fresh processes "
          "each (after 1 warm-up), from spawn")
    header = (f"{'case':<26} {'paint ms':>9} {'frame ms':>9} {'min':>8} {'max':>8} "
              f"{'1st run':>8}  vs bare")
    print(header)
    print("-" * len(header))
    for key, label in CASES:
        r = results[key]
        ratio = "" if key == "bare" else \
            f"{r['frame_ms'] / bare:.2f}x ({r['frame_ms'] - bare:+,.0f} ms)"
        print(f"{label.format(posts=args.posts):<26} {r['paint_ms']:>9,.1f} {r['frame_ms']:>9,.1f} "
              f"{r['min_frame_ms']:>8,.1f} {r['max_frame_ms']:>8,.1f} "
              f"{r['first_run_frame_ms']:>8,.1f}  {ratio}")
    print(f"{args.posts:,} posts cost {posts - empty:+,.0f} ms over the empty database "
          f"({posts / empty:.2f}x); generated in {generate_s:.1f} s")
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
