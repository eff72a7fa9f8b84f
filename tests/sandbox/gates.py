"""A SHA-256 that the test holds back, to make the sandbox's hash lag behind its reads."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

GATE_TIMEOUT = 10.0  # a bound, not a synchronisation: a stuck gate fails instead of hanging


class Gate:
    """Shared by a GatedHasher and all its copies."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.entered = threading.Event()  # an update is waiting at the closed gate
        self._lock = threading.Lock()
        self.hashed = 0  # bytes hashed so far, over all copies

    def open(self) -> None:
        self.opened.set()

    def add(self, n: int) -> None:
        with self._lock:
            self.hashed += n


class GatedHasher:
    """A real SHA-256 whose update() waits until the gate is open."""

    def __init__(self, gate: Gate, inner: Any = None) -> None:
        self.gate = gate
        self.inner = inner if inner is not None else hashlib.sha256()

    def update(self, data: Any, /) -> None:
        self.gate.entered.set()
        if not self.gate.opened.wait(GATE_TIMEOUT):
            raise TimeoutError("the test never opened the gate")
        self.inner.update(data)
        self.gate.add(memoryview(data).nbytes)

    def copy(self) -> GatedHasher:
        return GatedHasher(self.gate, self.inner.copy())

    def hexdigest(self) -> str:
        return str(self.inner.hexdigest())
