"""What the shared-schedule tests share: one sandbox every member reaches (as a team's would
be, 'sandbox serve' on a computer everyone reaches), members as data folders of their own,
and a whole schedule read out of a database to compare it after a move."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.postgres import HOST, PgServer, _as, _server_user
from tests.helpers.system import quiet_system
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import SANDBOX_TOKEN_ENV, AppGraph, build, decide_mode
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.store.backend import Backend

SECRET = "pa55-w0rd-of-the-db"

# Every table a schedule is made of, with the columns that say which row is which.
TABLES = {"accounts": "id", "posts": "id", "post_events": "id", "queue_slots": "id",
          "caption_snippets": "id", "post_stats": "post_id, tiktok_id, slot",
          "account_stats": "account_id, day", "client_status": "client_key",
          "rate_spend": "id"}


def use_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """From now on this test is the member whose data folder is ``home``."""
    monkeypatch.setenv(paths.HOME_ENV, str(home))


def member(sandbox: SandboxServer, database: str = "") -> AppGraph:
    """The app of the member whose data folder is TIKTOK_DESKTOP_HOME now: the team's sandbox,
    and the shared schedule its settings name (or ``database``)."""
    return build(decide_mode(paths.resolve(), sandbox_url=sandbox.base_url,
                             database=database), system=quiet_system())


def with_token(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer) -> None:
    monkeypatch.setenv(SANDBOX_TOKEN_ENV, sandbox.control_token)


def rows(db: Backend, *, skip: tuple[str, ...] = ()) -> dict[str, list[dict[str, Any]]]:
    """Every row of every schedule table, by table, in key order (``skip``: columns left
    out, e.g. what a move changes on purpose)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table, key in TABLES.items():
        found = db.conn().execute(f"SELECT * FROM {table} ORDER BY {key}").fetchall()  # noqa: S608
        out[table] = [{k: r[k] for k in r.keys()  # noqa: SIM118 - rows are not dicts
                       if k not in skip and k != "due_key"} for r in found]
    return out


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- stopping and starting the test server, its data kept -----------------------------------

def _pg_ctl(server: PgServer, *args: str) -> None:
    subprocess.run(_as(_server_user(), [str(server.bindir / "pg_ctl"), "-D",
                                        str(server.folder / "data"), *args]),
                   check=True, capture_output=True, text=True, timeout=120, cwd="/")


def pause(server: PgServer) -> None:
    """Stop the server (fast: its clients are cut off), keeping its databases."""
    _pg_ctl(server, "-m", "fast", "-w", "stop")


def resume(server: PgServer) -> None:
    """Start it again where it was, on the same port."""
    options = (f"-c listen_addresses={HOST} -p {server.port} -k {server.folder} -F "
               "-c full_page_writes=off -c synchronous_commit=off -c max_connections=300")
    _pg_ctl(server, "-o", options, "-l", str(server.folder / "server.log"), "-w", "-t", "60",
            "start")


def private_file(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    return path
