"""``python -m tiktok_desktop`` and the installed ``tiktok-desktop`` commands."""

from __future__ import annotations

import signal
import sys


def main() -> int:
    from tiktok_desktop.cli import main as cli_main

    # Ctrl-C in a terminal should quit, not be swallowed by Qt's event loop.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    return cli_main(sys.argv[1:])


def gui_main() -> int:
    return main()


if __name__ == "__main__":
    sys.exit(main())
