"""`python -m tiktok_desktop.sandbox [--port N] [--state-dir DIR]`."""

from __future__ import annotations

import logging
import sys

from .cli import serve_forever_cli

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sys.exit(serve_forever_cli(prog="python -m tiktok_desktop.sandbox"))
