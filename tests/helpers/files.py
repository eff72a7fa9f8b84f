"""Files of random bytes for tests that move large data (uploads, the shared schedule's
videos), written and hashed a block at a time so a test's memory does not grow with them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

BLOCK = 1 << 20


def random_file(path: Path, size: int) -> Path:
    """``size`` random bytes at ``path`` (no two files alike)."""
    with path.open("wb") as f:
        left = size
        while left:
            n = min(BLOCK, left)
            f.write(os.urandom(n))
            left -= n
    return path


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            h.update(block)
    return h.hexdigest()
