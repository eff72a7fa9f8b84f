"""Where the three-runner campaign (fleet.py) SIGKILLs a runner, and the database faults.

A kill point is named by what the victim was doing when it died, and each is found the same
way: the campaign sees the runner at that point, then kills exactly that runner.

- TikTok's side (the sandbox runs in the campaign's process): a request to init, creator_info,
  status/fetch, the token endpoint, or an upload chunk ``k`` of ``n`` is traced to the runner
  that sent it (its TCP port, through /proc: ``sender_pid``), which is killed before TikTok
  handles the request, halfway through a chunk's bytes, or after TikTok handled it and before
  the runner read the answer (after init: TikTok has the publish, the runner's ledger does not).
- The database: the campaign locks a post's row; a runner that then waits for it (a claim, a
  step's ledger commit) is found in pg_stat_activity (its backend's client port, the same
  /proc lookup) and killed while it waits inside its transaction.
- Its log (fleet.py): after the n-th post state line, after a pause of 0-20 ms.

Faults beside the kills: Chaos (chaos.py) on TikTok's side, and dropped database connections
(``pg_terminate_backend`` of a runner's backend, idle or mid-statement).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.sandbox.posting import UPLOAD_PATH
from tiktok_desktop.sandbox.wire import Request, Response
from tiktok_desktop.tiktok import plan_chunks

RUNNER_APP = "tiktok-runner"  # the runners' application_name: the only backends faulted
NAMED_PATHS = {
    "/v2/post/publish/video/init/": "init",
    "/v2/post/publish/creator_info/query/": "creator_info",
    "/v2/post/publish/status/fetch/": "status/fetch",
    "/v2/oauth/token/": "token refresh",
}
# A refresh whose answer is lost needs the user to reconnect (TikTok rotates refresh tokens;
# chaos.py says why it is not injected either): the token endpoint is killed before only.
ANSWER_LOST = {"init", "creator_info", "status/fetch"}
_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def socket_inode(port: int) -> str | None:
    """The inode of this machine's TCP socket bound to 127.0.0.1:``port`` (the client end)."""
    want = f"0100007F:{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1] == want or fields[1].endswith(f"0100007F:{port:04X}"):
                    return fields[9]
    return None


def owner_of_socket(inode: str, pids: list[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                        return pid
    return None


class KillSwitch:
    """One SIGKILL at a time, at points not hit often yet; thread-safe (the sandbox's handler
    threads, the database fault thread and the driver all call it)."""

    def __init__(self, seed: int, *, gap: float, per_point: int, chance: float,
                 max_kills: int) -> None:
        self.gap = gap  # real seconds between kills at least: runners must get work done
        self.per_point = per_point
        self.chance = chance  # of killing at an armed point seen on TikTok's side
        self.max_kills = max_kills
        self.hits: Counter[str] = Counter()
        self.killed: dict[int, str] = {}  # pid -> the point it died at
        self._pids: list[int] = []
        self._rng = random.Random(f"{seed}:points")
        self._lock = threading.Lock()
        self._last = 0.0

    # -- runners -------------------------------------------------------------------------------

    def started(self, pid: int) -> None:
        with self._lock:
            self._pids.append(pid)

    def ended(self, pid: int) -> str | None:
        """The runner ``pid`` is gone: the point it was killed at, or None."""
        with self._lock:
            if pid in self._pids:
                self._pids.remove(pid)
            return self.killed.pop(pid, None)

    @property
    def done(self) -> bool:
        return sum(self.hits.values()) >= self.max_kills

    # -- killing -------------------------------------------------------------------------------

    def armed(self, point: str, chance: float | None = None) -> bool:
        """Whether to kill at ``point`` now (then the caller finds the victim and kill()s)."""
        with self._lock:
            return (not self.done and self.hits[point] < self.per_point
                    and time.monotonic() - self._last >= self.gap
                    and self._rng.random() < (self.chance if chance is None else chance))

    def kill(self, pid: int | None, point: str) -> bool:
        with self._lock:
            if pid is None or pid not in self._pids or pid in self.killed or self.done:
                return False
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                self.killed[pid] = point
                self.hits[point] += 1
                self._last = time.monotonic()
                return True
            return False

    def kill_port(self, port: int, point: str) -> bool:
        inode = socket_inode(port)
        with self._lock:
            pids = list(self._pids)
        return inode is not None and self.kill(owner_of_socket(inode, pids), point)

    def kill_sender(self, point: str) -> bool:
        """Kill the runner that sent the request this sandbox handler thread serves."""
        # socketserver.ThreadingMixIn starts one thread per connection with these arguments.
        args = getattr(threading.current_thread(), "_args", ())
        if len(args) != 2 or not isinstance(args[1], tuple):
            return False
        return self.kill_port(int(args[1][1]), point)

    # -- TikTok's side -------------------------------------------------------------------------

    def install(self, sandbox: SandboxServer) -> None:
        """Before chaos.install (its wrappers go around these)."""
        for path, name in NAMED_PATHS.items():
            sandbox.routes[("POST", path)] = self._wrap(name, sandbox.routes[("POST", path)])
        upload = sandbox.stream_routes[("PUT", UPLOAD_PATH)]
        sandbox.stream_routes[("PUT", UPLOAD_PATH)] = self._wrap_upload(upload)

    def _wrap(self, name: str, route: Callable[[Request], Response]
              ) -> Callable[[Request], Response | None]:
        def wrapped(request: Request) -> Response | None:
            before = f"{name}: before TikTok handles it"
            # Refreshes are rare (an access token lasts hours): each is a chance.
            chance = 1.0 if name == "token refresh" else None
            if self.armed(before, chance) and self.kill_sender(before):
                return None
            response = route(request)
            after = f"{name}: TikTok handled it, the runner died before the answer"
            if name in ANSWER_LOST and self.armed(after) and self.kill_sender(after):
                return None
            return response

        return wrapped

    def _wrap_upload(self, route: Callable[..., Response | None]) -> Callable[..., Response | None]:
        def wrapped(request: Request, conn: Any, reset_after: int | None) -> Response | None:
            match = _RANGE.fullmatch(request.header("Content-Range") or "")
            if match is None:
                return route(request, conn, reset_after)
            first, total = int(match.group(1)), int(match.group(3))
            plan = plan_chunks(total)
            k = min(first // plan.chunk_size, plan.total_chunk_count - 1) + 1
            where = f"upload chunk {k} of {plan.total_chunk_count}"
            before, half = f"{where}: before its bytes", f"{where}: halfway through its bytes"
            if self.armed(before) and self.kill_sender(before):
                return route(request, conn, 0)  # nothing of it arrives
            if self.armed(half) and self.kill_sender(half):
                length = int(request.header("Content-Length") or 0)
                return route(request, conn, length // 2)
            response = route(request, conn, reset_after)
            stored = f"{where}: stored, the runner died before the answer"
            if response is not None and self.armed(stored) and self.kill_sender(stored):
                conn.drop()
                return None
            return response

        return wrapped


class DbFaults:
    """A thread that drops runners' database connections and kills runners waiting for a post
    row the campaign holds locked. ``url``: the schedule's address, as the campaign's own."""

    def __init__(self, url: str, switch: KillSwitch, seed: int, clock: Callable[[], float],
                 every: tuple[float, float] = (0.4, 1.5), lock_share: float = 0.5) -> None:
        self.url = url
        self.clock = clock  # the campaign's scaled clock (due times are on it)
        self.switch = switch
        self.every = every
        self.lock_share = lock_share
        self.terminated: Counter[str] = Counter()  # by the backend's state when dropped
        self.locks = 0  # rows locked to catch a waiting runner
        self.errors: list[str] = []
        self.dropping = True
        self._rng = random.Random(f"{seed}:database")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="db-faults", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        import psycopg

        while not self._stop.wait(self._rng.uniform(*self.every)):
            try:
                with psycopg.connect(self.url, autocommit=True) as c:
                    if self._rng.random() < self.lock_share and not self.switch.done:
                        self._lock_and_kill(c)
                    elif self.dropping:
                        self._drop_one(c)
            except psycopg.Error as exc:
                self.errors.append(str(exc).splitlines()[0])

    def _drop_one(self, c: Any) -> None:
        rows = c.execute("SELECT pid, state FROM pg_stat_activity WHERE datname = "
                         "current_database() AND application_name = %s", (RUNNER_APP,)
                         ).fetchall()
        if rows:
            pid, state = self._rng.choice(rows)
            if c.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]:
                self.terminated[str(state)] += 1

    def _lock_and_kill(self, c: Any) -> None:
        point = ""
        with c.transaction():
            row = c.execute(
                "SELECT id, state FROM posts WHERE state IN ('preparing', 'uploading', "
                "'processing', 'retry_wait', 'in_review') OR (state = 'scheduled' AND due_at <= "
                "%s) ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED",
                (int(self.clock()),)).fetchone()
            if row is None:
                return
            self.locks += 1
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline and not self._stop.is_set():
                waiting = c.execute(
                    "SELECT client_port, query FROM pg_stat_activity WHERE application_name = "
                    "%s AND pg_backend_pid() = ANY(pg_blocking_pids(pid))", (RUNNER_APP,)
                ).fetchall()
                if waiting:
                    port, query = waiting[0]
                    point = f"database: waiting for the post's row ({row[1]}) in {_what(query)}"
                    if self.switch.armed(point, chance=1.0):
                        self.switch.kill_port(int(port), point)
                    return
                self._stop.wait(0.01)


def _what(query: str) -> str:
    """Which of the runner's transactions waits, from its statement."""
    text = " ".join(query.split())
    if text.startswith("SELECT state, lease_owner, lease_expires_at, due_at"):
        return "a claim"
    if text.startswith("UPDATE posts SET lease_owner"):
        return "claim_due"
    if text.startswith("SELECT"):
        return "a step's commit (reading the row)"
    if text.startswith("UPDATE"):
        return "a step's commit (writing the row)"
    return text.split(" ", 1)[0].lower() or "a transaction between statements"


def tail(path: Path, lines: int = 20) -> str:
    return "".join(path.read_text(encoding="utf-8", errors="replace").splitlines(True)[-lines:])
