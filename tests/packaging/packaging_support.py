"""Paths for the packaging tests, and the packaging helpers put on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "resources"
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"

# app_metadata, bundle_common, make_icons and build_installer are scripts, not a package.
for _path in (PACKAGING / "pyinstaller", PACKAGING, PACKAGING / "windows"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
