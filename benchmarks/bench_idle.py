"""What the waiting engine costs, and how punctual it is.

Starts ``tiktok-desktop run`` (the headless engine, its own process) on a database with 1,000
posts scheduled days ahead, against a sandbox in this process, and measures:

  (a) CPU seconds the engine process uses over an idle period (nothing due);
  (b) the same for baselines: a bare Python process that only sleeps, and a naive scheduler
      that wakes every second and reads the pending posts from the same database;
  (c) punctuality: for a few posts that fall due while the engine runs, the delay from the
      due time to TikTok receiving the init and the first upload byte (sandbox call log).

CPU time comes from /proc/<pid>/task/*/schedstat (nanoseconds, every thread; Linux). Prints
a table, then as the very last line one JSON object with every figure.

    .venv/bin/python benchmarks/bench_idle.py [--seconds 30] [--posts 1000] [--due 5]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NAIVE_LOOP = """
import sys, time
from pathlib import Path
from tiktok_desktop.store import Database, PostsRepo, PostState
db = Database.open(Path(sys.argv[1]))
posts = PostsRepo(db)
print("ready", flush=True)
while True:  # the naive way: look at every pending post once a second
    now = time.time()
    due = [p for p in posts.query(states=[PostState.SCHEDULED]) if (p.due_at or 0) <= now]
    time.sleep(1.0)
"""
SLEEPER = "import time; print('ready', flush=True); time.sleep(10**6)"


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of ``pid`` so far (schedstat: ns; stat: clock ticks)."""
    total_ns = 0
    tasks = Path(f"/proc/{pid}/task")
    try:
        for task in tasks.iterdir():
            try:
                total_ns += int((task / "schedstat").read_text().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                continue  # a thread that just ended
        return total_ns / 1e9
    except FileNotFoundError:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wakeups(pid: int) -> int:
    """Voluntary context switches of every thread: roughly how often it woke up."""
    n = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    n += int(line.split()[1])
        except FileNotFoundError:
            continue
    return n


def wait_for(lines: queue.Queue[str | None], predicate: Callable[[str], bool],
             timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        if line is None:
            raise RuntimeError("the process ended early")
        if predicate(line):
            return


def measure_idle(cmd: list[str], env: dict[str, str], seconds: float,
                 ready: Callable[[str], bool]) -> tuple[float, int, subprocess.Popen[str],
                                                        queue.Queue[str | None]]:
    from tests.helpers.process_lines import lines_of

    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = lines_of(proc)
    wait_for(lines, ready, 60)
    time.sleep(1.0)  # let start-up work settle before the window opens
    cpu0, wake0 = cpu_seconds(proc.pid), wakeups(proc.pid)
    time.sleep(seconds)
    return cpu_seconds(proc.pid) - cpu0, wakeups(proc.pid) - wake0, proc, lines


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    if not Path("/proc/self/task").exists():
        print("bench_idle needs Linux /proc to read CPU time", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="idle window per process")
    parser.add_argument("--posts", type=int, default=1000, help="posts pending far ahead")
    parser.add_argument("--due", type=int, default=5, help="posts falling due while running")
    args = parser.parse_args()

    import httpx

    from tests.engine.conftest import connect_account, write_video
    from tests.engine.file_keyring import ENV as KEYRING_ENV
    from tests.engine.file_keyring import FileKeyring
    from tiktok_desktop import paths
    from tiktok_desktop.bootstrap import Runtime, accounts_service, vault_service
    from tiktok_desktop.credentials import Vault
    from tiktok_desktop.sandbox import SandboxOptions, SandboxServer
    from tiktok_desktop.store import Database, NewPost, PostsRepo, PostState
    from tiktok_desktop.tiktok import ClientCredentials, Endpoints, OAuthClient, TikTokApi

    work = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    home = work / "home"
    keyring_file = work / "keyring.json"
    env = {**os.environ, "TIKTOK_DESKTOP_HOME": str(home), "PYTHONPATH": str(ROOT),
           "PYTHON_KEYRING_BACKEND": "tests.engine.file_keyring.FileKeyring",
           KEYRING_ENV: str(keyring_file), "PYTHONUNBUFFERED": "1"}
    os.environ[KEYRING_ENV] = str(keyring_file)
    profile = paths.resolve({paths.HOME_ENV: str(home)}).for_profile(paths.SANDBOX_PROFILE)
    profile.ensure()
    # random bytes, only their transport is measured: no media checks
    options = SandboxOptions(processing_seconds=0.5, store_upload_bytes=False, media_checks=False)
    with SandboxServer(work / "sandbox", options) as sandbox, \
            httpx.Client(trust_env=False) as http:
        db = Database.open(profile.db_file)
        endpoints = Endpoints.single(sandbox.base_url)
        oauth = OAuthClient(http, ClientCredentials(sandbox.app.client_key,
                                                    sandbox.app.client_secret), endpoints)
        accounts = accounts_service(
            db, Vault(vault_service(profile, sandbox=True), backend=FileKeyring(keyring_file)),
            oauth,
            TikTokApi(http, endpoints), Runtime(), redirect_uri="http://127.0.0.1:*/callback/")
        account = connect_account(accounts, sandbox)
        video = write_video(work / "clip.mp4", 2_000_000)
        posts = PostsRepo(db)
        now = time.time()
        for i in range(args.posts):
            posts.create(NewPost(account_id=account.id, video_path=str(video),
                                 video_size=video.stat().st_size, caption=f"later {i}",
                                 privacy_level="SELF_ONLY",
                                 due_at=int(now) + 86400 + 600 * i), PostState.SCHEDULED)

        # (b) baselines first, on the same database.
        print(f"idle window {args.seconds:.0f} s per process; {args.posts} posts pending",
              flush=True)
        bare_cpu, bare_wake, proc, _ = measure_idle(
            [sys.executable, "-c", SLEEPER], env, args.seconds, lambda s: "ready" in s)
        stop(proc)
        naive_cpu, naive_wake, proc, _ = measure_idle(
            [sys.executable, "-c", NAIVE_LOOP, str(profile.db_file)], env, args.seconds,
            lambda s: "ready" in s)
        stop(proc)

        # (a) + (c): the engine. Posts that fall due after the idle window.
        start = time.time()
        due_times = []
        for i in range(args.due):
            due = int(start + args.seconds + 8 + 3 * i)
            due_times.append(due)
            posts.create(NewPost(account_id=account.id, video_path=str(video),
                                 video_size=video.stat().st_size, caption=f"due {i}",
                                 privacy_level="SELF_ONLY", due_at=due), PostState.SCHEDULED)
        sandbox.control.clear_calls()
        engine_cpu, engine_wake, proc, lines = measure_idle(
            [sys.executable, "-m", "tiktok_desktop", "run", "--sandbox-url", sandbox.base_url],
            env, args.seconds, lambda s: " idle; " in s)
        deadline = time.monotonic() + 60 + 3 * args.due
        published = 0
        while published < args.due:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            if line.rstrip().endswith(": published"):  # the post line, not the notice
                published += 1
        stop(proc)
        db.close()
        # Init time from the publish TikTok created (matched by caption); the first upload
        # byte is the first PUT after that init.
        due_of = {f"due {i}": due for i, due in enumerate(due_times)}
        made = sorted((p.created_at, due_of[p.post_info.get("title", "")])
                      for p in sandbox.control.publishes() if p.post_info.get("title") in due_of)
        puts = sorted(c.at for c in sandbox.control.calls() if c.path.endswith("/upload/video/"))
        init_delays, put_delays = [], []
        for at, due in made:
            init_delays.append((at - due) * 1000)
            first = next((t for t in puts if t >= at), None)
            if first is not None:
                put_delays.append((first - due) * 1000)

    def stats(values: list[float]) -> dict[str, float]:
        if not values:
            return {}
        return {"min": round(min(values), 1), "median": round(statistics.median(values), 1),
                "max": round(max(values), 1)}

    results: dict[str, Any] = {
        "idle_seconds": args.seconds,
        "pending_posts": args.posts,
        "cpu_seconds": {"engine": round(engine_cpu, 4), "bare_python_sleep": round(bare_cpu, 4),
                        "naive_1s_poll": round(naive_cpu, 4)},
        "wakeups": {"engine": engine_wake, "bare_python_sleep": bare_wake,
                    "naive_1s_poll": naive_wake},
        "posts_due_measured": len(put_delays),
        "due_to_init_ms": stats(init_delays),
        "due_to_upload_start_ms": stats(put_delays),
    }
    print()
    print(f"{'process (idle ' + str(int(args.seconds)) + ' s)':<34} {'CPU s':>9} {'CPU %':>7} "
          f"{'wake-ups':>9}")
    print("-" * 62)
    for name, key in (("tiktok-desktop run (engine)", "engine"),
                      ("bare Python, sleeping", "bare_python_sleep"),
                      ("naive 1 s polling loop", "naive_1s_poll")):
        cpu = results["cpu_seconds"][key]
        print(f"{name:<34} {cpu:>9.4f} {100 * cpu / args.seconds:>6.3f}% "
              f"{results['wakeups'][key]:>9}")
    print()
    print(f"punctuality over {len(put_delays)} posts falling due while the engine ran:")
    for label, key in (("due -> init at TikTok", "due_to_init_ms"),
                       ("due -> first upload byte", "due_to_upload_start_ms")):
        s = results[key]
        if s:
            print(f"  {label:<26} min {s['min']:>7.1f} ms   median {s['median']:>7.1f} ms   "
                  f"max {s['max']:>7.1f} ms")
    print(json.dumps(results, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
