"""Videos through a shared schedule (issue 20): VideoStore.put and export of one file vs a
plain `cp` of the same file, in the same run, and how much the process's peak memory grew.

put = hash the file, then stream it into a PostgreSQL large object in chunks; export = stream
it back out into a .part file, fsync, check its SHA-256, rename. The baseline is `cp` of the
same file on the same disk (what the local media library's copy costs at best). The server is
a throwaway one on 127.0.0.1 (tests/helpers/postgres.py: Debian's postgresql package, no
fsync): the figures are the client's and the protocol's, not a production server's disk or
network. Memory: ru_maxrss before and after (it only grows), beside the file's size.
Prints a table, then as the very last line one JSON object.

    .venv/bin/python benchmarks/bench_videos.py [--mib 256] [--chunk-kib 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.helpers.postgres import start_server, stop_server  # noqa: E402


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def write_random(path: Path, size: int) -> None:
    with path.open("wb") as f:
        left = size
        while left:
            n = min(4 << 20, left)
            f.write(os.urandom(n))
            left -= n


def timed(fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--chunk-kib", type=int, default=1024)
    args = parser.parse_args()
    size = args.mib << 20
    from tiktok_desktop.store.postgres import PgDatabase
    from tiktok_desktop.store.videos import VideoStore

    server = start_server()
    try:
        name = server.new_database()
        db = PgDatabase.open(server.url(name))
        store = VideoStore(db, chunk=args.chunk_kib << 10)
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "video.mp4"
            write_random(src, size)
            cp_s = timed(lambda: subprocess.run(["cp", str(src), str(Path(tmp) / "cp.mp4")],
                                                check=True))
            os.unlink(Path(tmp) / "cp.mp4")
            rss0 = maxrss_mib()
            refs: list[str] = []
            put_s = timed(lambda: refs.append(store.put(src)))
            rss_put = maxrss_mib()
            again_s = timed(lambda: store.put(src))  # stored before: hashed, not sent
            export_s = timed(lambda: store.export(refs[0], Path(tmp) / "out.mp4"))
            rss_export = maxrss_mib()
            assert (Path(tmp) / "out.mp4").stat().st_size == size
        db.close()
        server.drop_database(name)
    finally:
        stop_server(server)

    mb = size / 1e6
    rows = [("cp (baseline)", cp_s), ("put (hash + send)", put_s),
            ("put again (dedup: hash only)", again_s), ("export (fetch + fsync + check)", export_s)]
    print(f"{args.mib} MiB file, chunk {args.chunk_kib} KiB")
    print(f"{'operation':<34}{'seconds':>9}{'MB/s':>9}{'vs cp':>8}")
    for label, seconds in rows:
        print(f"{label:<34}{seconds:>9.2f}{mb / seconds:>9.0f}{seconds / cp_s:>7.1f}x")
    print(f"peak RSS: {rss0:.0f} MiB before, {rss_put:.0f} after put, {rss_export:.0f} after "
          f"export (file: {args.mib} MiB)")
    print(json.dumps({
        "mib": args.mib, "chunk_kib": args.chunk_kib,
        "cp": {"seconds": cp_s, "mb_per_s": mb / cp_s},
        "put": {"seconds": put_s, "mb_per_s": mb / put_s, "vs_cp": put_s / cp_s},
        "put_again": {"seconds": again_s, "mb_per_s": mb / again_s},
        "export": {"seconds": export_s, "mb_per_s": mb / export_s, "vs_cp": export_s / cp_s},
        "maxrss_mib": {"before": rss0, "after_put": rss_put, "after_export": rss_export},
    }))


if __name__ == "__main__":
    main()
