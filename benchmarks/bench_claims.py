"""Claims per second: engines taking due posts from one queue (issue 20, the shared schedule).

N claimer processes (1, 3, 10), each with its own PostgreSQL connection pool, take due posts
from one shared schedule until none is left: PostsRepo.claim_due (FOR UPDATE SKIP LOCKED)
for one post, then claim() as its owner to start it (scheduled -> preparing, with its event)
- the two commits an engine makes before it calls TikTok. The baseline is one claimer doing
the same on a SQLite file. Every post must be started exactly once (checked).

The due-to-init latency of runners, which also call TikTok, is bench_runners.py's. The
server is a throwaway one on 127.0.0.1 (tests/helpers/postgres.py: Debian's postgresql
package, no fsync), so the figures are the client's and the locking's, not a
production server's disk. Prints a table, then as the very last line one JSON object.

    .venv/bin/python benchmarks/bench_claims.py [--posts 10000] [--claimers 1,3,10]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.helpers import many_posts  # noqa: E402
from tests.helpers.postgres import start_server, stop_server  # noqa: E402
from tiktok_desktop.store import AccountsRepo, Database, PostsRepo, PostState  # noqa: E402
from tiktok_desktop.store.backend import Backend  # noqa: E402

T0 = 1_767_225_600


def clock() -> float:
    return float(T0)


def fill(db: Backend, posts: int) -> None:
    account = AccountsRepo(db).upsert_connected(
        open_id="bench", display_name="Bench", username="", avatar_url="", granted_scopes=[],
        access_expires_at=None, refresh_expires_at=None).id
    specs = [many_posts.Spec(account, f"/v/{i}.mp4", {}, f"post {i}", "SELF_ONLY",
                             T0 - posts + i, PostState.SCHEDULED) for i in range(posts)]
    many_posts.insert(db, specs, T0)  # type: ignore[arg-type]  # any Backend will do


def claim_all(db: Backend, me: str) -> int:
    """Claim and start posts one by one until none is due; how many this claimer started."""
    posts, started = PostsRepo(db), 0
    while True:
        got = posts.claim_due(me, T0 + 600)
        if not got:
            return started
        if posts.claim(got[0].id, me, T0 + 600, expect=[PostState.SCHEDULED],
                       state=PostState.PREPARING, detail="Due: starting.") is None:
            raise AssertionError("a claimed post was taken from its claimer")
        started += 1


def _claimer(url: str, me: str, barrier: Any, out: Any) -> None:
    from tiktok_desktop.store.postgres import PgDatabase

    db = PgDatabase.open(url, clock=clock)
    try:
        barrier.wait()
        out.put((me, claim_all(db, me), time.perf_counter()))
    finally:
        db.close()


def run_postgres(url: str, claimers: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(claimers + 1), ctx.Queue()
    procs = [ctx.Process(target=_claimer, args=(url, f"runner-{n}", barrier, out))
             for n in range(claimers)]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    results = [out.get(timeout=3600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    end = max(r[2] for r in results)
    return {"claimers": claimers, "seconds": end - start,
            "per_claimer": sorted(r[1] for r in results)}


def check_once(db: Backend, posts: int) -> None:
    c = db.conn()
    started = c.execute("SELECT COUNT(*) FROM posts WHERE state = 'preparing'").fetchone()[0]
    events = c.execute("SELECT COUNT(*) FROM post_events WHERE state = 'preparing'"
                       ).fetchone()[0]
    assert started == events == posts, (started, events, posts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--claimers", default="1,3,10")
    args = parser.parse_args()
    counts = [int(x) for x in args.claimers.split(",")]
    from tiktok_desktop.store.postgres import PgDatabase

    with tempfile.TemporaryDirectory() as tmp:
        lite = Database.open(Path(tmp) / "bench.sqlite3", clock=clock)
        fill(lite, args.posts)
        t = time.perf_counter()
        assert claim_all(lite, "engine") == args.posts
        sqlite_s = time.perf_counter() - t
        check_once(lite, args.posts)
        lite.close()

    server = start_server()
    runs = []
    try:
        for n in counts:
            name = server.new_database()
            db = PgDatabase.open(server.url(name), clock=clock)
            fill(db, args.posts)
            run = run_postgres(server.url(name), n)
            check_once(db, args.posts)
            assert sum(run["per_claimer"]) == args.posts
            db.close()
            server.drop_database(name)
            runs.append(run)
    finally:
        stop_server(server)

    base = args.posts / sqlite_s
    print(f"{'claimers':<28}{'posts':>8}{'seconds':>10}{'claims/s':>10}{'vs SQLite':>11}")
    print(f"{'SQLite, 1 engine (baseline)':<28}{args.posts:>8,}{sqlite_s:>10.2f}{base:>10.0f}"
          f"{1.0:>10.2f}x")
    for run in runs:
        rate = args.posts / run["seconds"]
        run["claims_per_s"] = rate
        run["ratio_vs_sqlite"] = rate / base
        print(f"{'PostgreSQL, ' + str(run['claimers']) + ' claimers':<28}{args.posts:>8,}"
              f"{run['seconds']:>10.2f}{rate:>10.0f}{rate / base:>10.2f}x")
    print(json.dumps({"posts": args.posts, "sqlite": {"seconds": sqlite_s,
                                                       "claims_per_s": base},
                      "postgresql": runs}))


if __name__ == "__main__":
    main()
