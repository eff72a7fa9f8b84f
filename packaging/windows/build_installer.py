"""Build the Windows installer (NSIS) around the PyInstaller onedir bundle.

    python packaging/windows/build_installer.py [--dist dist/tiktok-desktop] [--out dist]

Reads the version, app id and names from the package (packaging/pyinstaller/app_metadata.py)
and hands them to makensis as /D defines. makensis also runs on Linux (Debian's `nsis`),
which is how tests/packaging compiles the script on every CI run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "pyinstaller"))

import app_metadata as meta  # noqa: E402 - path set up above


def installer_name(version: str = meta.VERSION) -> str:
    return f"{meta.WINDOWS_GUI_EXE}-{version}-setup.exe"


def makensis_command(makensis: str, dist: Path, out: Path) -> list[str]:
    nums = ".".join(str(n) for n in meta.numeric_version())
    defines = {
        "VERSION": meta.VERSION,
        "VERSION_NUMERIC": nums,
        "APP_ID": meta.APP_ID,
        "DISPLAY_NAME": meta.DISPLAY_NAME,
        "GUI_EXE": f"{meta.WINDOWS_GUI_EXE}.exe",
        "CLI_EXE": f"{meta.WINDOWS_CLI_EXE}.exe",
        "DIST": str(dist),
        "OUTFILE": str(out / installer_name()),
        "ICON": str(ROOT / "resources" / "icons" / "tiktok-desktop.ico"),
    }
    # makensis takes /X style options on Windows and -X on other systems (both accept -).
    return [makensis, "-INPUTCHARSET", "UTF8", "-V2",
            *(f"-D{key}={value}" for key, value in defines.items()),
            str(HERE / "installer.nsi")]


def find_makensis() -> str | None:
    found = shutil.which("makensis")
    if found:
        return found
    # os.environ is case-insensitive on Windows, where this matters.
    for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        if base and (Path(base) / "NSIS" / "makensis.exe").is_file():
            return str(Path(base) / "NSIS" / "makensis.exe")
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist" / meta.APP_NAME,
                        help="the onedir bundle (default: dist/tiktok-desktop)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder")
    args = parser.parse_args(argv)
    makensis = find_makensis()
    if makensis is None:
        print("makensis not found: install NSIS (https://nsis.sourceforge.io, "
              "choco install nsis, apt-get install nsis)", file=sys.stderr)
        return 2
    dist = args.dist.resolve()
    for exe in (meta.WINDOWS_GUI_EXE, meta.WINDOWS_CLI_EXE):
        if not (dist / f"{exe}.exe").is_file():
            print(f"{dist / (exe + '.exe')} is missing: build the bundle first "
                  "(pyinstaller packaging/tiktok_desktop.spec)", file=sys.stderr)
            return 2
    args.out.mkdir(parents=True, exist_ok=True)
    subprocess.run(makensis_command(makensis, dist, args.out.resolve()), check=True)
    target = args.out / installer_name()
    print(f"INSTALLER {target}: {target.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
