"""Size and start-up time of the frozen app against a bare PySide6 "hello window" bundle.

Both are built by PyInstaller with the same settings (packaging/pyinstaller/bundle_common.py),
so the difference is what the app itself brings. Start time is the median wall time of
`<exe> --self-test` offscreen (start, show the window, open the database, exit) over several
runs, after one untimed warm-up run.

    .venv/bin/python benchmarks/bench_bundle.py             # build what is missing, measure
    .venv/bin/python benchmarks/bench_bundle.py --rebuild   # rebuild both bundles first
    .venv/bin/python benchmarks/bench_bundle.py --runs 9

Prints a table, then as the very last line one JSON object. Target: app size <= 1.6x bare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING / "pyinstaller"))

import app_metadata as meta  # noqa: E402 - needs the path set up above
import bundle_common as common  # noqa: E402

SIZE_TARGET = 1.6
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""


def build(spec: Path, dist: Path, work: Path) -> float:
    """Run PyInstaller on spec; returns the build time in seconds."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
                    "--log-level", "WARN", "--distpath", str(dist), "--workpath", str(work),
                    str(spec)], check=True, cwd=ROOT)
    return time.perf_counter() - started


def app_paths(dist: Path) -> tuple[Path, Path]:
    """(folder to measure, executable) of the app bundle on this OS."""
    if sys.platform == "darwin":
        app = dist / f"{meta.DISPLAY_NAME}.app"
        return app, app / "Contents" / "MacOS" / meta.APP_NAME
    exe_name = meta.WINDOWS_CLI_EXE if sys.platform == "win32" else meta.APP_NAME
    return dist / meta.APP_NAME, dist / meta.APP_NAME / f"{exe_name}{EXE_SUFFIX}"


def time_self_test(exe: Path, runs: int) -> list[float]:
    """Wall times of `exe --self-test` (offscreen); the first, warm-up run is not counted."""
    times = []
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TIKTOK_DESKTOP_HOME=home,
                   PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
        for i in range(runs + 1):
            started = time.perf_counter()
            result = subprocess.run([str(exe), "--self-test"], capture_output=True, text=True,
                                    env=env, timeout=120, check=False)
            elapsed = time.perf_counter() - started
            if result.returncode != 0 or "self-test ok" not in result.stdout:
                raise SystemExit(f"{exe} --self-test failed:\n{result.stdout}{result.stderr}")
            if i > 0:
                times.append(elapsed)
    return times


def largest_extras(app: Path, bare: Path, top: int = 5) -> list[tuple[str, int]]:
    """The biggest top-level parts of the app bundle that the bare bundle does not have."""
    def files(base: Path) -> dict[str, int]:
        found = {}
        for root, _dirs, names in os.walk(base):
            for name in names:
                path = Path(root) / name
                found[str(path.relative_to(base))] = path.lstat().st_size
        return found

    app_files, bare_files = files(app), files(bare)
    groups: dict[str, int] = {}
    for rel, size in app_files.items():
        if rel in bare_files:
            continue
        parts = Path(rel).parts
        if len(parts) == 1 or "MacOS" in parts:
            key = "executable (bootloader + all Python code)"
        else:  # _internal/<package>/... -> <package>; Contents/Frameworks/<package> likewise
            key = next((p for p in parts if p not in ("_internal", "Contents", "Frameworks",
                                                      "Resources")), rel)
        groups[key] = groups.get(key, 0) + size
    return sorted(groups.items(), key=lambda kv: -kv[1])[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per bundle (median)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild even if present")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench",
                        help="where the bundles are built (default: build/bench)")
    args = parser.parse_args(argv)
    dist, work = args.workdir / "dist", args.workdir / "work"

    app_dir, app_exe = app_paths(dist)
    bare_dir = dist / "hello-window"
    bare_exe = bare_dir / f"hello-window{EXE_SUFFIX}"
    build_s: dict[str, float | None] = {"app": None, "bare": None}
    if args.rebuild or not app_exe.is_file():
        build_s["app"] = build(PACKAGING / "tiktok_desktop.spec", dist, work / "app")
    if args.rebuild or not bare_exe.is_file():
        build_s["bare"] = build(PACKAGING / "pyinstaller" / "hello_window.spec", dist,
                                work / "bare")

    app_size, app_files = common.tree_size(app_dir)
    bare_size, bare_files = common.tree_size(bare_dir)
    app_times = time_self_test(app_exe, args.runs)
    bare_times = time_self_test(bare_exe, args.runs)
    app_start, bare_start = statistics.median(app_times), statistics.median(bare_times)
    size_ratio, start_ratio = app_size / bare_size, app_start / bare_start
    met = size_ratio <= SIZE_TARGET
    extras = largest_extras(app_dir, bare_dir)

    print()
    print(f"Bundles on {platform.system()} {platform.machine()}, Python "
          f"{platform.python_version()}; start = median of {args.runs} runs of --self-test "
          "(offscreen), after one warm-up run")
    print(f"{'bundle':<18}{'size MB':>10}{'files':>8}{'start s':>10}   {'runs (s)'}")
    for name, size, count, start, times in (
            ("hello-window", bare_size, bare_files, bare_start, bare_times),
            (meta.APP_NAME, app_size, app_files, app_start, app_times)):
        runs = " ".join(f"{t:.2f}" for t in times)
        print(f"{name:<18}{size / 1e6:>10.1f}{count:>8}{start:>10.3f}   {runs}")
    print(f"{'ratio app/bare':<18}{size_ratio:>9.2f}x{'':>8}{start_ratio:>9.2f}x")
    print(f"size target app <= {SIZE_TARGET}x bare: {'met' if met else 'MISSED'} "
          f"(the target allows {bare_size * SIZE_TARGET / 1e6:.1f} MB)")
    print("largest parts only the app has: "
          + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in extras))
    print(json.dumps({
        "bench": "bundle", "platform": f"{sys.platform}-{platform.machine()}",
        "app_size_bytes": app_size, "bare_size_bytes": bare_size,
        "size_ratio": round(size_ratio, 3), "size_target_ratio": SIZE_TARGET,
        "size_target_met": met,
        "app_start_median_s": round(app_start, 4), "bare_start_median_s": round(bare_start, 4),
        "start_ratio": round(start_ratio, 3), "runs": args.runs,
        "app_files": app_files, "bare_files": bare_files,
        "app_only_largest_mb": {name: round(size / 1e6, 1) for name, size in extras},
        "build_s": {k: (round(v, 1) if v is not None else None) for k, v in build_s.items()},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
