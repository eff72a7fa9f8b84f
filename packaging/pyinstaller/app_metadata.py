"""The app's identity for packaging, read from the package so it lives in one place.

The spec, the installer scripts (through the values they are given) and tests/packaging all
use this module; tiktok_desktop/__init__.py stays the single source of the version and app id.
"""

from __future__ import annotations

import os
import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import tiktok_desktop  # noqa: E402 - needs ROOT on sys.path first (the spec runs from anywhere)

VERSION: str = tiktok_desktop.__version__
APP_ID: str = tiktok_desktop.APP_ID
APP_NAME: str = tiktok_desktop.APP_NAME  # also the Linux executable and /opt folder name
DISPLAY_NAME: str = tiktok_desktop.APP_DISPLAY_NAME
# Apple allows only letters, digits, '-' and '.' in bundle ids; freedesktop ids prefer '_'
# over '-'. Same id otherwise.
MACOS_BUNDLE_ID: str = APP_ID.replace("_", "-")
# Windows: a windowed exe for the Start menu, a console twin for the CLI and smoke tests
# (a windowed exe has no stdout). Names differ beyond case: NTFS is case-insensitive.
WINDOWS_GUI_EXE = "TikTokDesktop"
WINDOWS_CLI_EXE = APP_NAME
COPYRIGHT = "TikTok Desktop contributors"
DEFAULT_MACOS_MINIMUM = "12.0"


def numeric_version(version: str = VERSION) -> tuple[int, int, int, int]:
    """'1.2.3' / '1.2.3rc1' / '1.2' -> (1, 2, 3, 0): Windows version resources need 4 ints."""
    parts = [int(p) for p in re.findall(r"\d+", version.split("+", maxsplit=1)[0])[:3]]
    parts += [0] * (4 - len(parts))
    return parts[0], parts[1], parts[2], parts[3]


def windows_version_info(version: str = VERSION) -> str:
    """The text PyInstaller's EXE(version=...) reads (a VSVersionInfo expression)."""
    nums = numeric_version(version)
    strings = {
        "CompanyName": COPYRIGHT,
        "FileDescription": DISPLAY_NAME,
        "FileVersion": version,
        "InternalName": APP_NAME,
        "LegalCopyright": f"\u00a9 {COPYRIGHT}",
        "OriginalFilename": f"{WINDOWS_GUI_EXE}.exe",
        "ProductName": DISPLAY_NAME,
        "ProductVersion": version,
    }
    string_structs = ",\n          ".join(f"StringStruct({k!r}, {v!r})" for k, v in strings.items())
    return f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={nums}, prodvers={nums}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([
      StringTable('040904B0', [
          {string_structs}])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


def macos_minimum_version() -> str:
    """MACOSX_DEPLOYMENT_TARGET if set, else what the installed PySide6 wheel was built for."""
    env = os.environ.get("MACOSX_DEPLOYMENT_TARGET", "").strip()
    if env:
        return env
    for dist in ("PySide6-Essentials", "PySide6"):
        try:
            wheel = metadata.distribution(dist).read_text("WHEEL") or ""
        except metadata.PackageNotFoundError:
            continue
        match = re.search(r"macosx_(\d+)_(\d+)", wheel)
        if match:
            return f"{match[1]}.{match[2]}"
    return DEFAULT_MACOS_MINIMUM


def info_plist(version: str = VERSION) -> dict[str, object]:
    """Extra Info.plist keys for BUNDLE (PyInstaller adds CFBundleExecutable and friends)."""
    return {
        "CFBundleName": DISPLAY_NAME,
        "CFBundleDisplayName": DISPLAY_NAME,
        "CFBundleIdentifier": MACOS_BUNDLE_ID,
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "CFBundlePackageType": "APPL",
        "NSHighResolutionCapable": True,
        # False lets the app follow the system's dark mode (True would force light).
        "NSRequiresAquaSystemAppearance": False,
        "LSMinimumSystemVersion": macos_minimum_version(),
        "LSApplicationCategoryType": "public.app-category.social-networking",
        "NSHumanReadableCopyright": f"\u00a9 {COPYRIGHT}",
    }
