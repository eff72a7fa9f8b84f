"""Engine identities for leases, and telling a dead owner from a live one.

An owner id is ``host:pid:random``. A lease normally ends when it expires; one held by a
process that is provably gone (same host, that pid no longer runs) may be taken over at once,
so a restart after a crash resumes without waiting out the lease. Anything uncertain (another
host, Windows, a pid that runs again) counts as alive: waiting is safe, guessing is not.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading

_live: set[str] = set()  # owners of engines running in this process
_live_lock = threading.Lock()


def new_owner() -> str:
    owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    with _live_lock:
        _live.add(owner)
    return owner


def retire(owner: str) -> None:
    """This process's engine ``owner`` stopped: its leases may be taken over."""
    with _live_lock:
        _live.discard(owner)


def owner_is_dead(owner: str) -> bool:
    """True only when the owner's process has certainly ended (or its engine was retired)."""
    host, _, rest = owner.partition(":")
    pid_text, _, _token = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        with _live_lock:
            return owner not in _live  # an earlier process that had our pid, or a stopped engine
    if os.name != "posix":
        return False  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it runs, as another user
    return False
