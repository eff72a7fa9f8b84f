"""A real PostgreSQL server for the tests: Debian's `postgresql` package, started once per test
session in a temporary folder by PostgreSQL's own initdb and pg_ctl, listening on 127.0.0.1
only, and removed at the end. Each test gets a database of its own.

Why not pytest-postgresql: its postgresql_proc runs initdb and pg_ctl as the user running
pytest, and PostgreSQL refuses to run as root ("cannot be run as root"), which is how these
tests run here and in CI; it has no setting for another user (its issues 341 and 455). Here
the server runs as the unprivileged `postgres` user the package creates (or `nobody`) when
the tests run as root, and as the tester otherwise: the same two commands either way.

No fsync (the data is thrown away) and a data folder in /tmp: quick to start (about a second)
and quick per test (a database copied from a migrated template, about 50 ms).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HOST = "127.0.0.1"  # tests reach nothing else (tests/conftest.py); libpq is told so here
APT_HINT = "apt-get install postgresql"


def server_bin() -> Path | None:
    """The folder of initdb and pg_ctl: TIKTOK_TEST_PG_BIN, PATH, or Debian's newest."""
    given = os.environ.get("TIKTOK_TEST_PG_BIN")
    if given:
        return Path(given)
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                      key=lambda p: int(Path(p).parent.parent.name)
                      if Path(p).parent.parent.name.isdigit() else 0)
    return Path(versions[-1]).parent if versions else None


def _server_user() -> str | None:
    """Who runs the server when the tests run as root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("no unprivileged user to run PostgreSQL as (postgres or nobody)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running test server; ``url(name)`` is how to reach one of its databases."""

    folder: Path
    bindir: Path
    port: int
    user: str = "tester"
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lifeline: int = -1  # the watchdog's pipe: closed when this process ends, however
    _watchdog: subprocess.Popen[bytes] | None = None

    def url(self, dbname: str, **extra: str) -> str:
        query = "".join(f"&{k}={v}" for k, v in extra.items())
        return f"postgresql://{self.user}@{HOST}:{self.port}/{dbname}?connect_timeout=10{query}"

    def admin(self, sql: str) -> None:
        """One statement as the server's superuser, outside any transaction."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as c:
            c.execute(sql)

    def new_database(self, template: str = "template1") -> str:
        """A new, empty (or ``template``'s copy) database's name."""
        name = f"t{next(self._names)}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as(user: str | None, cmd: list[str]) -> list[str]:
    return cmd if user is None else ["runuser", "-u", user, "--", *cmd]


def _run(cmd: list[str], user: str | None) -> None:
    subprocess.run(_as(user, cmd), check=True, capture_output=True, text=True, timeout=120,
                   cwd="/")


# Waits for the end of its pipe (the test process gone: finished, killed, timed out), then
# stops the server and removes its folder, so a killed test run leaves no server behind.
_WATCHDOG = ("import os, shutil, subprocess, sys\n"
             "os.read(int(sys.argv[1]), 1)\n"
             "subprocess.run(sys.argv[3:], capture_output=True, timeout=120)\n"
             "shutil.rmtree(sys.argv[2], ignore_errors=True)\n")


def _watchdog(folder: Path, stop: list[str]) -> tuple[int, subprocess.Popen[bytes]]:
    read, write = os.pipe()
    dog = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(read), str(folder), *stop],
                           pass_fds=(read,), start_new_session=True, cwd="/",
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    os.close(read)
    return write, dog


def start_server() -> PgServer:
    bindir = server_bin()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip(f"needs PostgreSQL's server ({APT_HINT})")
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="tiktok-desktop-pg-"))
    if user is not None:
        shutil.chown(folder, user)
    data = folder / "data"
    try:
        _run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "tester",
              "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], user)
        for attempt in range(3):  # the free port may be taken between asking and starting
            port = _free_port()
            options = (f"-c listen_addresses={HOST} -p {port} -k {folder} -F "
                       "-c full_page_writes=off -c synchronous_commit=off "
                       "-c max_connections=300")
            try:
                _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                      "-l", str(folder / "server.log"), "-w", "-t", "60", "start"], user)
                break
            except subprocess.CalledProcessError:
                if attempt == 2:
                    raise
    except subprocess.CalledProcessError as exc:
        log = folder / "server.log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{detail}") from exc
    stop = _as(user, [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    lifeline, dog = _watchdog(folder, stop)
    return PgServer(folder, bindir, port, _lifeline=lifeline, _watchdog=dog)


def stop_server(server: PgServer) -> None:
    with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
        _run([str(server.bindir / "pg_ctl"), "-D", str(server.folder / "data"), "-m",
              "immediate", "-w", "stop"], _server_user())
    shutil.rmtree(server.folder, ignore_errors=True)
    if server._lifeline >= 0:
        os.close(server._lifeline)  # the watchdog wakes and finds nothing left to do
        server._lifeline = -1
    if server._watchdog is not None:
        server._watchdog.wait(timeout=60)
        server._watchdog = None
