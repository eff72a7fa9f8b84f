"""macOS: keep the computer awake with ``caffeinate -i -w <our pid>``.

caffeinate holds an IOKit "prevent idle sleep" power assertion while it runs; ``-w`` ties it
to this process, so the assertion ends even if the app crashes without releasing it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading

__all__ = ["CaffeinateInhibitor"]

log = logging.getLogger(__name__)


class CaffeinateInhibitor:
    def __init__(self, program: str = "/usr/bin/caffeinate", pid: int | None = None) -> None:
        self._program = program
        self._pid = os.getpid() if pid is None else pid
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._told = False

    @property
    def held(self) -> bool:
        proc = self._proc
        return proc is not None and proc.poll() is None

    def acquire(self, why: str) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return
            try:
                self._proc = subprocess.Popen(
                    [self._program, "-i", "-w", str(self._pid)],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)
            except OSError as exc:
                self._proc = None
                if not self._told:
                    self._told = True
                    log.info("cannot keep the computer awake: %s (%s)", self._program,
                             exc.strerror)

    def release(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is None:
                return
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
