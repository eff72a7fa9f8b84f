"""Read a child process's output line by line on a thread, so callers can wait with timeouts."""

from __future__ import annotations

import queue
import subprocess
import threading

__all__ = ["lines_of"]


def lines_of(proc: subprocess.Popen[str],
             transcript: list[str] | None = None) -> queue.Queue[str | None]:
    """A queue of the process's stdout lines, then None when it closes (also kept in
    `transcript` when given, for error reports)."""
    out: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                if transcript is not None:
                    transcript.append(line)
                out.put(line)
        finally:
            proc.stdout.close()
            out.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return out
