"""Runners publishing from one queue (issue 20): posts started per second and due-to-init
latency by 1, 3 and 10 runner processes on one PostgreSQL schedule, against one on SQLite.

Every post of the batch is due at the same second (a backlog: the worst minute of a shared
schedule). Each runner process takes posts as the engine does and sends each to TikTok (the
sandbox, in this process, over loopback HTTP) up to its init:

  claim_due (FOR UPDATE SKIP LOCKED) -> claim to preparing (the engine's first commit)
  -> creator_info/query and video/init with the app's TikTokApi client and the account's
  access token -> the publish_id committed (uploading, step final; the ledger's commit).

Due-to-init is the sandbox's arrival time of the init (its own clock) minus the post's due
time; claim-to-init the same from the moment the runner took the post (what one post due on
an idle runner waits, less the runner's wake-up, which bench_idle measures). Included: the
database round trips, the HTTP calls, the sandbox's handling. Not included: the upload and
everything after init, the engine's tick and dispatch, token refreshes, and TikTok's rate
limits (the sandbox's are off: TikTok allows 6 inits a minute per account, so 10,000 inits
take 1,667 account-minutes however fast the runners are; README "Runners" counts with both).
The server is a throwaway one on 127.0.0.1 without fsync, on the same cores as the runners
and the sandbox: the figures are the client's and the locking's, not a production server's.
Each measurement has a sandbox of its own (with 20 connected accounts): at each init the
sandbox looks through the creator's publishes of the day (TikTok's daily cap), a cost that
grows with the batch and is included.

    .venv/bin/python benchmarks/bench_runners.py [--posts 10000] [--runners 1,3,10]
                                                 [--accounts 20]

Prints a table, then as the very last line one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.helpers import many_posts  # noqa: E402
from tests.helpers.postgres import start_server, stop_server  # noqa: E402
from tiktok_desktop.sandbox import SandboxOptions, SandboxServer  # noqa: E402
from tiktok_desktop.store import AccountsRepo, Database, PostsRepo, PostState  # noqa: E402
from tiktok_desktop.store.backend import Backend  # noqa: E402
from tiktok_desktop.tiktok import ClientCredentials, Endpoints, OAuthClient  # noqa: E402

VIDEO_SIZE = 1000  # one chunk; the upload is not part of the measurement


def open_db(where: str) -> Backend:
    if where.startswith("postgresql://"):
        from tiktok_desktop.store.postgres import PgDatabase

        return PgDatabase.open(where)
    return Database.open(Path(where))


def connect_accounts(sandbox: SandboxServer, count: int) -> list[tuple[str, str]]:
    """(open_id, access token) of ``count`` sandbox users, by TikTok's OAuth code flow."""
    from tiktok_desktop.tiktok.auth import new_pkce

    out = []
    with httpx.Client(trust_env=False) as http:
        oauth = OAuthClient(http, ClientCredentials(sandbox.app.client_key,
                                                    sandbox.app.client_secret),
                            Endpoints.single(sandbox.base_url))
        for n in range(count):
            user = sandbox.control.add_user(f"bench_{n}")
            pkce = new_pkce()
            redirect = "http://127.0.0.1:1/callback/"
            url = oauth.authorize_url(("user.info.basic", "video.publish", "video.upload"),
                                      redirect, f"state{n}", pkce.challenge)
            answer = sandbox.control.approve(url, open_id=user.open_id)
            code = httpx.URL(answer).params["code"]
            tokens = oauth.exchange_code(code, redirect, pkce.verifier)
            out.append((user.open_id, tokens.access_token))
    return out


def fill(db: Backend, accounts: list[tuple[str, str]], posts: int, due: int, tag: str
         ) -> dict[int, str]:
    """The batch (captions start with ``tag``: one per run, as the sandbox keeps every run's
    publishes), every post due at ``due``; account id -> its access token."""
    repo, tokens = AccountsRepo(db), {}
    for open_id, token in accounts:
        account = repo.upsert_connected(open_id=open_id, display_name=open_id, username="",
                                        avatar_url="", granted_scopes=[],
                                        access_expires_at=None, refresh_expires_at=None)
        tokens[account.id] = token
    ids = sorted(tokens)
    specs = [many_posts.Spec(ids[i % len(ids)], f"/v/{i}.mp4", {}, f"{tag} post {i}",
                             "SELF_ONLY", due, PostState.SCHEDULED) for i in range(posts)]
    many_posts.insert(db, specs, due - 60)  # type: ignore[arg-type]  # any Backend will do
    with db.transaction() as c:
        c.execute("UPDATE posts SET video_size = ?", (VIDEO_SIZE,))
    return tokens


def run_batch(db: Backend, me: str, tokens: dict[int, str], base_url: str
              ) -> list[tuple[int, float]]:
    """Take and start posts until none is due; (post id, when it was claimed) of each."""
    from tiktok_desktop.store import PostStep
    from tiktok_desktop.tiktok import NO_RETRY, PostInfo, TikTokApi, plan_chunks

    posts, taken = PostsRepo(db), []
    with httpx.Client(trust_env=False) as http:
        api = TikTokApi(http, Endpoints.single(base_url))
        while True:
            got = posts.claim_due(me, int(time.time()) + 600)
            if not got:
                return taken
            at = time.time()
            post = posts.claim(got[0].id, me, int(at) + 600, expect=[PostState.SCHEDULED],
                               state=PostState.PREPARING, detail="Due: starting.")
            if post is None:
                raise AssertionError("a claimed post was taken from its claimer")
            token = tokens[post.account_id]
            api.creator_info(token, retry=NO_RETRY)
            info = PostInfo(privacy_level="SELF_ONLY", disable_comment=False,
                            disable_duet=False, disable_stitch=False, title=post.caption)
            ticket = api.init_direct_post(token, info, plan_chunks(post.video_size))
            posts.transition(post.id, PostState.UPLOADING, "TikTok is ready for the video.",
                             expect=[PostState.PREPARING], owner=me,
                             publish_id=ticket.publish_id, step=PostStep.FINAL)
            taken.append((post.id, at))


def _runner(where: str, me: str, tokens: dict[int, str], base_url: str, start: Any,
            barrier: Any, out: Any) -> None:
    db = open_db(where)
    try:
        barrier.wait()  # every runner is up (imports, pool open)
        barrier.wait()  # and the start time is set
        time.sleep(max(0.0, start.value - time.time()))
        taken = run_batch(db, me, tokens, base_url)
        out.put((me, taken, time.time()))
    finally:
        db.close()


def measure(where: str, runners: int, tokens: dict[int, str], sandbox: SandboxServer,
            posts: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    barrier, out, start = ctx.Barrier(runners + 1), ctx.Queue(), ctx.Value("d", 0.0)
    procs = [ctx.Process(target=_runner, args=(where, f"runner-{n}", tokens, sandbox.base_url,
                                               start, barrier, out)) for n in range(runners)]
    for p in procs:
        p.start()
    barrier.wait()
    # The batch is due now, with every runner up: a whole second, as due times are.
    due = int(time.time()) + 1
    start.value = float(due)
    with db_session(where) as db, db.transaction() as c:
        c.execute("UPDATE posts SET due_at = ?", (due,))
    barrier.wait()
    results = [out.get(timeout=3600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    claimed = {pid: at for _me, taken, _end in results for pid, at in taken}
    db = open_db(where)
    try:
        by_caption = {r[1]: r[0] for r in db.conn().execute(
            "SELECT id, caption, publish_id FROM posts").fetchall()}
        started = db.conn().execute("SELECT COUNT(*) FROM posts WHERE state = 'uploading' AND "
                                    "publish_id IS NOT NULL").fetchone()[0]
    finally:
        db.close()
    inits = {by_caption[str(p.post_info["title"])]: p.created_at
             for p in sandbox.control.publishes() if str(p.post_info["title"]) in by_caption}
    # Each post started exactly once: one claim, one init on TikTok's side, one publish_id.
    assert len(claimed) == sum(len(r[1]) for r in results) == posts == len(inits) == started, (
        len(claimed), posts, len(inits), started)
    due_to_init = sorted(at - due for at in inits.values())
    claim_to_init = sorted(inits[pid] - at for pid, at in claimed.items())
    last = max(inits.values())
    return {"runners": runners, "seconds": last - due, "posts_per_s": posts / (last - due),
            "per_runner": sorted(len(r[1]) for r in results),
            "due_to_init_s": summary(due_to_init), "claim_to_init_ms": {
                k: v * 1000 for k, v in summary(claim_to_init).items()}}


@contextlib.contextmanager
def db_session(where: str) -> Iterator[Backend]:
    db = open_db(where)
    try:
        yield db
    finally:
        db.close()


def summary(values: list[float]) -> dict[str, float]:
    def q(share: float) -> float:
        return values[min(len(values) - 1, int(share * len(values)))]

    return {"p50": q(0.5), "p95": q(0.95), "max": values[-1], "mean": statistics.fmean(values)}


def batch(tmp: Path, where: str, label: str, runners: int, args: argparse.Namespace
          ) -> dict[str, Any]:
    """One measurement on a sandbox of its own: the sandbox looks through a creator's
    publishes of the day at each init (TikTok's daily cap), so one kept for every run would
    make each run slower than the one before."""
    options = SandboxOptions(rate_limits_enabled=False, daily_post_cap=10_000_000)
    with SandboxServer(tmp / f"sandbox-{label}", options) as sandbox:
        accounts = connect_accounts(sandbox, args.accounts)
        with db_session(where) as db:
            tokens = fill(db, accounts, args.posts, int(time.time()) + 3600, label)
        result = measure(where, runners, tokens, sandbox, args.posts)
    print(f"{label}: {result['posts_per_s']:.0f} posts/s", file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--runners", default="1,3,10")
    parser.add_argument("--accounts", type=int, default=20)
    args = parser.parse_args()
    counts = [int(x) for x in args.runners.split(",")]
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = {**batch(Path(tmp), str(Path(tmp) / "bench.sqlite3"), "sqlite", 1, args),
                  "backend": "SQLite"}
        server = start_server()
        try:
            for n in counts:
                name = server.new_database()
                runs.append({**batch(Path(tmp), server.url(name), f"pg{n}", n, args),
                             "backend": "PostgreSQL"})
                server.drop_database(name)
        finally:
            stop_server(server)

    base = sqlite["posts_per_s"]
    print(f"{'runners':<26}{'posts':>7}{'seconds':>9}{'posts/s':>9}{'vs SQLite':>10}"
          f"{'due-to-init p50':>17}{'p95':>8}{'max':>8}{'claim-to-init p50':>19}{'p95':>8}")
    for run in [sqlite, *runs]:
        d, c = run["due_to_init_s"], run["claim_to_init_ms"]
        run["ratio_vs_sqlite"] = run["posts_per_s"] / base
        label = f"{run['backend']}, {run['runners']} runner{'s' if run['runners'] > 1 else ''}"
        print(f"{label:<26}{args.posts:>7,}{run['seconds']:>9.1f}{run['posts_per_s']:>9.0f}"
              f"{run['ratio_vs_sqlite']:>9.2f}x{d['p50']:>15.1f} s{d['p95']:>6.1f} s"
              f"{d['max']:>6.1f} s{c['p50']:>16.1f} ms{c['p95']:>5.0f} ms")
    print(json.dumps({"posts": args.posts, "accounts": args.accounts, "sqlite": sqlite,
                      "postgresql": runs}))


if __name__ == "__main__":
    main()
