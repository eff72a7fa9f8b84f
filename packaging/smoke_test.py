"""Smoke test of a frozen build on any OS: --version, --self-test offscreen, then the shared
schedule's PostgreSQL client against a port where no server listens.

    python packaging/smoke_test.py dist/tiktok-desktop/tiktok-desktop
    python packaging/smoke_test.py dist\\tiktok-desktop\\tiktok-desktop.exe      (Windows)
    python packaging/smoke_test.py "dist/TikTok Desktop.app/Contents/MacOS/tiktok-desktop"

Fails when either command fails or when stderr shows what a broken bundle prints (a missing
module, library or Qt plugin), even if the exit code was 0 (qutebrowser's smoke test checks
stderr the same way). Runs on a throwaway data folder and never touches the OS keyring.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "pyinstaller"))

import app_metadata as meta

BROKEN_BUNDLE = re.compile(
    r"Traceback \(most recent call last\)|ModuleNotFoundError|ImportError"
    r"|cannot open shared object|Library not loaded|DLL load failed"
    r"|Could not (load|find) the Qt platform plugin|Failed to execute script",
)
TIMEOUT_S = 120


def run(exe: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env,
                            timeout=TIMEOUT_S, check=False)
    print(f"$ {exe.name} {' '.join(args)}  -> exit {result.returncode}")
    for stream in (result.stdout, result.stderr):
        if stream.strip():
            print("  " + stream.strip().replace("\n", "\n  "))
    return result


def check(exe: Path) -> list[str]:
    problems = []
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, TIKTOK_DESKTOP_HOME=home, QT_QPA_PLATFORM="offscreen",
                   PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
        version = run(exe, "--version", env=env)
        expected = f"{meta.APP_NAME} {meta.VERSION}"
        if version.returncode != 0 or version.stdout.strip() != expected:
            problems.append(f"--version printed {version.stdout.strip()!r}, want {expected!r}")
        selftest = run(exe, "--self-test", env=env)
        if selftest.returncode != 0 or "self-test ok" not in selftest.stdout:
            problems.append(f"--self-test failed (exit {selftest.returncode})")
        # A shared schedule's client (psycopg over libpq) loads and says plainly that a
        # server is not there: no server is needed to prove the pieces are in the bundle.
        shared = run(exe, "shared", "test", "postgresql://nobody@127.0.0.1:1/smoke", env=env)
        if shared.returncode != 1 or "cannot be reached" not in shared.stdout + shared.stderr:
            problems.append(f"shared test failed (exit {shared.returncode}): the PostgreSQL "
                            "client did not load or did not answer as expected")
        for result in (version, selftest, shared):
            match = BROKEN_BUNDLE.search(result.stderr)
            if match:
                problems.append(f"stderr shows a broken bundle: {match[0]!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    exe = Path(args[0])
    if not exe.is_file():
        print(f"smoke test: {exe} does not exist", file=sys.stderr)
        return 2
    problems = check(exe)
    for problem in problems:
        print(f"smoke test FAILED: {problem}", file=sys.stderr)
    if not problems:
        print(f"smoke test ok: {exe}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
