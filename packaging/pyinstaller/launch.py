"""Entry script of the frozen app: PyInstaller starts from a script, not from a module."""

import sys

from tiktok_desktop.__main__ import main

sys.exit(main())
