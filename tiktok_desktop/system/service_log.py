"""The background service's own log: where it is, its last lines, and what it last did.

The service runs ``tiktok-desktop run --log-file <log dir>/service.log``; ``run`` writes its
lines there as ``2024-05-01 09:00:03,120 INFO    post 12: published`` (the engine logs every
state change, see engine/listener.py). Only the service writes this file, so its tail says
what the service did, not what the window did.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tiktok_desktop import paths

__all__ = ["SERVICE_LOG_NAME", "last_activity", "service_log_files", "service_log_path",
           "tail_lines"]

SERVICE_LOG_NAME = "service.log"
_TAIL_BYTES = 64 * 1024
_LINE = re.compile(r"^(?P<when>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:,\d+)? +(?P<level>[A-Z]+) +"
                   r"(?P<message>.*)$")
# Lines that tell what the engine did, newest wins (not "engine sleeps" debug lines).
_ACTIVITY = re.compile(r"^(post \d+: |account \d+: |idle; |engine (running|stopped)|wall clock"
                       r"|.*TikTok Desktop .* engine running)")


def service_log_path(environ: dict[str, str] | None = None) -> Path:
    return paths.resolve(environ).log_dir / SERVICE_LOG_NAME


def service_log_files(log_file: Path) -> list[Path]:
    """The log and its rotated copies (service.log.1 ...), as far as they exist."""
    found = [log_file] if log_file.exists() else []
    found += sorted(log_file.parent.glob(f"{log_file.name}.[0-9]*"))
    return found


def tail_lines(path: Path, count: int = 20) -> list[str]:
    """The last ``count`` lines of a text file (reads at most its last 64 KiB); [] if none."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - _TAIL_BYTES))
            data = fh.read()
    except OSError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    if size > _TAIL_BYTES and lines:
        lines = lines[1:]  # the first one is probably cut
    return [line for line in lines if line.strip()][-count:]


def last_activity(lines: list[str]) -> str | None:
    """The newest engine line, as "post 12: published (2024-05-01 09:00:03)"."""
    for line in reversed(lines):
        match = _LINE.match(line)
        if match is None:
            continue
        message = match["message"].strip()
        if _ACTIVITY.match(message):
            return f"{message} ({match['when']})"
    return None
