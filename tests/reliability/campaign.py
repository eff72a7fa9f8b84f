"""Issue 8's fault campaign: a batch of posts over several accounts, published by the headless
engine (``tiktok-desktop run`` in a child process) against the sandbox while a seeded share of
requests fails (chaos.py) and the engine is SIGKILLed at random points and restarted until
every post is final. Then the sandbox's records decide (verdict.py): exactly once, duplicated,
lost, unconfirmed, failed; and the peak request rate per endpoint per access token against
TikTok's limits.

Short version: tests/reliability/test_campaign.py (CI). Long version, from the repository root:

    .venv/bin/python -m tests.reliability.campaign --long
    .venv/bin/python -m tests.reliability.campaign --posts 200 --accounts 5 --seed 7 \\
        --fault-rate 0.2 --kill-rate 0.05

It prints a table and, as its last line, one JSON object with the figures. Exit status 0 when
nothing was duplicated or lost and every rate stayed within TikTok's limits, else 1.
"""

from __future__ import annotations

import argparse
import json
import math
import queue
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers.videos import padded_video
from tests.reliability.chaos import KINDS, Chaos
from tests.reliability.timebase import Timebase
from tests.reliability.verdict import SHORT_NAMES, Outcome, Peak, classify, peak_rates
from tests.reliability.world import EngineRun, World, open_world, sandbox_options
from tiktok_desktop.domain import lifecycle
from tiktok_desktop.store import Post

# A post's state change ("post 7: uploading (upload)"), not a notice ("post 7: late: ...").
# Scheduled is left out: every start re-notes all overdue posts, and a kill plan counting
# those lines would kill each start before it did any work.
POST_LINE = re.compile(r"INFO +post (\d+): (?!scheduled\b)(\w+)(?: \(\w+\))?\s*$")
# Real videos (a small clip padded to size: TikTok's processing decodes it and skips the pad).
BIG_SIZE = 65_000_000  # seven chunks: faults and kills land between and inside chunks
SMALL_SIZE = 1_500_000  # one chunk: its only PUT is the final one
# Engine tunables shortened for the campaign (scaled seconds; see EngineConfig for each):
# upload links that live 10 min instead of 1 h (the sandbox is told the same), so a dead link
# is waited out in 2 min of scaled time; a 2 min poll budget, so a publish that never
# finishes processing ends as unconfirmed in reasonable time; and a rate margin of 10 scaled
# seconds (0.5 s real): on a clock 20 times faster, 50 ms of thread scheduling on the way to
# the sandbox is a scaled second, more than the 2 s the real network needs. Everything else
# is the default.
ENGINE_OVERRIDES: dict[str, Any] = {
    "upload_url_lifetime": 600, "upload_url_margin": 60, "link_expiry_settle": 120,
    "poll_max_seconds": 120.0, "rate_margin": 10.0,
}


@dataclass(frozen=True)
class CampaignConfig:
    posts: int = 21  # 7 per account: more inits than one token may send in a minute
    accounts: int = 3
    seed: int = 7
    fault_rate: float = 0.2  # share of requests to the engine's endpoints that get a fault
    kill_rate: float = 0.08  # chance of a SIGKILL after each post state change the engine logs
    max_kills: int = 1_000_000  # after this many kills the engine may run to the end
    scale: float = 20.0  # scaled seconds per real second (timebase.py)
    big_every: int = 4  # every n-th post is a seven-chunk video
    spacing: float = 3.0  # scaled seconds between due times of one account's posts
    processing_seconds: float = 3.0  # sandbox: from the last chunk to PUBLISH_COMPLETE
    moderation_seconds: float = 90.0  # sandbox: from PUBLISH_COMPLETE to the post's ID
    timeout: float = 900.0  # real seconds for the whole drive
    engine: dict[str, Any] = field(default_factory=lambda: dict(ENGINE_OVERRIDES))


@dataclass
class Drive:
    runs: int = 0
    kills: int = 0
    clean_stops: int = 0
    reconnects: int = 0
    unexpected_exits: list[str] = field(default_factory=list)
    landed: Counter[str] = field(default_factory=Counter)  # last post state seen before a kill
    engine_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    spans: list[tuple[float, float]] = field(default_factory=list)  # each run, scaled time


@dataclass
class Report:
    config: CampaignConfig
    drive: Drive
    outcome: Outcome
    peaks: list[Peak]
    injected: Counter[str]
    fail_reasons: Counter[str]  # injected fail_reason faults by reason
    requests: int  # requests to the endpoints faults apply to
    over_limit_429: dict[str, int]  # 429s the sandbox's own limiter gave, per endpoint
    inits: int
    scaled_seconds: float
    root: Path

    @property
    def ok(self) -> bool:
        o = self.outcome
        return (o.duplicated == 0 and o.lost == 0 and o.untracked == 0 and o.unlinked == 0
                and all(p.within for p in self.peaks))

    def figures(self) -> dict[str, Any]:
        o = self.outcome
        return {
            "posts": self.config.posts, "accounts": self.config.accounts,
            "seed": self.config.seed, "fault_rate": self.config.fault_rate,
            "kill_rate": self.config.kill_rate, "time_scale": self.config.scale,
            "moderation_seconds": self.config.moderation_seconds, "media_checks": True,
            "exactly_once": o.exactly_once, "unlinked": o.unlinked,
            "duplicated": o.duplicated, "lost": o.lost,
            "untracked": o.untracked, "unconfirmed": o.unconfirmed,
            "failed": o.failed_total, "failed_by_reason": dict(sorted(o.failed.items())),
            "kills": self.drive.kills, "engine_runs": self.drive.runs,
            "reconnects": self.drive.reconnects,
            "kills_after_state": dict(sorted(self.drive.landed.items())),
            "faults": {k: self.injected[k] for k in KINDS},
            "fail_reasons_injected": dict(sorted(self.fail_reasons.items())),
            "fault_requests": self.requests, "inits": self.inits,
            "peak_per_token_per_60s": {SHORT_NAMES[p.path]: p.peak for p in self.peaks},
            "peak_per_token_per_60s_in_one_engine_run": {
                SHORT_NAMES[p.path]: p.peak_one_run for p in self.peaks},
            "limit_per_token_per_60s": {SHORT_NAMES[p.path]: p.limit for p in self.peaks},
            "over_limit_429": {SHORT_NAMES[k]: v for k, v in self.over_limit_429.items()},
            "engine_errors": len(self.drive.engine_errors),
            "unexpected_engine_exits": len(self.drive.unexpected_exits),
            "real_seconds": round(self.drive.seconds, 1),
            "scaled_seconds": round(self.scaled_seconds), "ok": self.ok,
        }

    def table(self) -> str:
        c, d, o = self.config, self.drive, self.outcome
        lines = [
            f"Fault campaign: {c.posts} posts on {c.accounts} accounts, seed {c.seed}, faults at "
            f"{c.fault_rate:.0%} of requests, kill rate {c.kill_rate} per post step, "
            f"time x{c.scale:g}; real videos, media checks on, moderation "
            f"{c.moderation_seconds:g} s",
            f"Drive: {d.seconds:.1f} s real ({self.scaled_seconds / 60:.0f} min scaled), "
            f"{d.runs} engine runs, {d.kills} SIGKILLs, {d.clean_stops} clean stop(s), "
            f"{d.reconnects} reconnect(s), {len(d.unexpected_exits)} unexpected exit(s), "
            f"{len(d.engine_errors)} engine ERROR line(s)",
            "Kills landed after: " + (", ".join(f"{k} {v}" for k, v in sorted(d.landed.items()))
                                      or "-"),
            "",
            f"{'Posts':<46}{'count':>7}",
            f"{'  published exactly once, with its link':<46}{o.exactly_once:>7}",
            f"{'  published, but without the link TikTok gave':<46}{o.unlinked:>7}",
            f"{'  duplicated':<46}{o.duplicated:>7}",
            f"{'  lost':<46}{o.lost:>7}",
            f"{'  untracked (on TikTok, app says not posted)':<46}{o.untracked:>7}",
            f"{'  unconfirmed (TikTok never completed it)':<46}{o.unconfirmed:>7}",
            f"{'  failed with a reason':<46}{o.failed_total:>7}",
            *(f"{'      ' + reason:<46}{n:>7}" for reason, n in sorted(o.failed.items())),
            "",
            f"{'Faults injected':<46}{'count':>7}",
            *(f"{'  ' + kind:<46}{self.injected[kind]:>7}" for kind in KINDS),
            *(f"{'      ' + reason:<46}{n:>7}" for reason, n in sorted(self.fail_reasons.items())),
            f"{'  total, of ' + str(self.requests) + ' requests':<46}"
            f"{sum(self.injected.values()):>7}",
            "",
            "Peak requests per access token in any 60 s (scaled)",
            f"  {'endpoint':<16}{'peak':>6}{'limit':>7}{'tokens':>8}{'calls':>8}"
            f"{'over-limit 429s':>17}{'peak in one engine run':>24}",
            *(f"  {SHORT_NAMES[p.path]:<16}{p.peak:>6}{p.limit:>7}{p.tokens:>8}{p.calls:>8}"
              f"{self.over_limit_429.get(p.path, 0):>17}{p.peak_one_run:>24}"
              f"{'' if p.within else '  OVER'}"
              for p in self.peaks),
            "",
            f"Verdict: {'OK' if self.ok else 'FAILED'}",
        ]
        lines += [f"  {line}" for line in o.problems[:40]]
        lines += [f"  engine: {line.rstrip()}" for line in d.engine_errors[:20]]
        return "\n".join(lines)


class CampaignTimeout(AssertionError):
    pass


class Campaign:
    def __init__(self, config: CampaignConfig, root: Path,
                 progress: Any = None) -> None:
        self.config = config
        self.root = root
        self.progress = progress  # a file for progress lines, or None
        self._kill_rng = random.Random(f"{config.seed}:kills")

    def run(self) -> Report:
        c = self.config
        timebase = Timebase.starting_now(c.scale)
        options = sandbox_options(c.processing_seconds, int(c.engine.get(
            "upload_url_lifetime", 3600)), c.moderation_seconds)
        with open_world(self.root, timebase, options, c.engine) as world:
            batch = self._prepare(world)
            chaos = Chaos(c.seed, c.fault_rate)
            chaos.install(world.sandbox)
            scaled_start = timebase.wall()
            drive = self._drive(world, batch, chaos)
            scaled = timebase.wall() - scaled_start
            with chaos.paused():
                posts = [world.posts.get(p.id) or p for p in batch]
                outcome = classify(posts, world.sandbox.control.publishes())
                calls = world.sandbox.control.calls()
        peaks = peak_rates(calls, drive.spans)
        over = {p.path: sum(1 for call in calls if call.path == p.path and call.status == 429)
                - chaos.by_path[("429", p.path)] for p in peaks}
        inits = sum(1 for call in calls if call.path == "/v2/post/publish/video/init/")
        return Report(c, drive, outcome, peaks, chaos.injected,
                      Counter(chaos.fail_reasons.values()), sum(chaos.eligible.values()),
                      over, inits, scaled, self.root)

    # -- set-up --------------------------------------------------------------------------------

    def _prepare(self, world: World) -> list[Post]:
        c = self.config
        names = ["sandbox_creator", "sandbox_quiet"][: c.accounts]
        for n in range(len(names), c.accounts):
            world.sandbox.control.add_user(f"reliability_{n}")
            names.append(f"reliability_{n}")
        accounts = [world.connect(name) for name in names]
        small = padded_video(self.root / "small.mp4", SMALL_SIZE)
        big = padded_video(self.root / "big.mp4", BIG_SIZE)
        start = world.timebase.wall()
        batch = []
        for i in range(c.posts):
            due = int(start + (i // c.accounts) * c.spacing)
            video = big if c.big_every and i % c.big_every == 0 else small
            batch.append(world.schedule(accounts[i % c.accounts], video,
                                        f"reliability post {i} #seed{c.seed}", due))
        return batch

    # -- the drive -----------------------------------------------------------------------------

    def _all_final(self, world: World, batch: list[Post]) -> bool:
        return all((world.posts.get(p.id) or p).state in lifecycle.FINAL for p in batch)

    def _kill_plan(self) -> tuple[float, float] | None:
        """(post lines, real seconds) until this run's SIGKILL, whichever comes first."""
        c, rng = self.config, self._kill_rng
        if c.kill_rate <= 0:
            return None
        lines = 1.0 if c.kill_rate >= 1 else 1 + math.floor(
            math.log(1.0 - rng.random()) / math.log(1.0 - c.kill_rate))
        # Some kills land on a timer instead: mid-wait, between steps, at start-up.
        seconds = rng.uniform(0.3, 6.0) if rng.random() < 0.25 else math.inf
        return lines, seconds

    def _drive(self, world: World, batch: list[Post], chaos: Chaos) -> Drive:
        c, d = self.config, Drive()
        started = time.monotonic()
        next_report = started
        while not self._all_final(world, batch):
            if time.monotonic() - started > c.timeout:
                raise CampaignTimeout(self._stuck(world, batch))
            with chaos.paused():
                d.reconnects += world.reconnect_where_needed()
            plan = self._kill_plan() if d.kills < c.max_kills else None
            d.runs += 1
            began = world.timebase.wall()
            self._watch(world, batch, world.start_engine(), plan, d, started)
            d.spans.append((began, world.timebase.wall()))
            if self.progress is not None and time.monotonic() >= next_report:
                next_report = time.monotonic() + 15
                done = sum((world.posts.get(p.id) or p).state in lifecycle.FINAL for p in batch)
                print(f"[{time.monotonic() - started:6.0f} s] {done}/{len(batch)} final, "
                      f"{d.kills} kills, {sum(chaos.injected.values())} faults",
                      file=self.progress, flush=True)
        d.seconds = time.monotonic() - started
        return d

    def _watch(self, world: World, batch: list[Post], run: EngineRun,
               plan: tuple[float, float] | None, d: Drive, started: float) -> None:
        t0 = time.monotonic()
        seen, last, check_at = 0, "start", t0
        killed = ""
        try:
            while True:
                try:
                    line = run.lines.get(timeout=0.1)
                except queue.Empty:
                    line = ""
                if line is None:  # the engine ended by itself: it should not
                    code = run.proc.wait(timeout=30)
                    d.unexpected_exits.append(f"exit {code}: {''.join(run.output[-5:])}")
                    return
                self._scan(line, d)
                if match := POST_LINE.search(line):
                    seen += 1
                    last = match.group(2)
                now = time.monotonic()
                if plan is not None and (seen >= plan[0] or now - t0 >= plan[1]):
                    pause = self._kill_rng.choice((0.0, 0.0, 0.001, 0.005, 0.02))
                    if pause:
                        threading.Event().wait(pause)  # where exactly the kill lands
                    run.proc.kill()
                    d.kills += 1
                    d.landed[last] += 1
                    killed = f"--- SIGKILL (last state seen: {last})\n"
                    return
                if now >= check_at:
                    check_at = now + 0.5
                    if self._all_final(world, batch):
                        run.proc.terminate()
                        code = run.proc.wait(timeout=60)
                        if code != 0:
                            d.unexpected_exits.append(f"exit {code} on SIGTERM")
                        d.clean_stops += 1
                        return
                if now - started > self.config.timeout:
                    run.proc.kill()
                    return
        finally:
            run.proc.wait(timeout=60)
            while (rest := run.lines.get(timeout=60)) is not None:  # drained and closed
                self._scan(rest, d)
            if killed:
                with world.engine_log.open("a", encoding="utf-8") as log:
                    log.write(killed)

    @staticmethod
    def _scan(line: str, d: Drive) -> None:
        if " ERROR " in line or "Traceback" in line:
            d.engine_errors.append(line)

    def _stuck(self, world: World, batch: list[Post]) -> str:
        lines = [f"campaign timed out after {self.config.timeout:.0f} s; not final:"]
        for post in batch:
            now = world.posts.get(post.id) or post
            if now.state not in lifecycle.FINAL:
                events = [(e.state.value, e.detail[:70]) for e in world.posts.events(post.id)]
                lines.append(f"  post {post.id} {now.state.value}: {events[-4:]}")
        return "\n".join(lines[:60])


# -- command line ------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> tuple[CampaignConfig, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.campaign",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--long", action="store_true",
                        help="the long campaign: 200 posts on 5 accounts, kill rate 0.05")
    parser.add_argument("--posts", type=int)
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--kill-rate", type=float,
                        help="chance of a SIGKILL after each post step the engine logs")
    parser.add_argument("--max-kills", type=int, default=1_000_000)
    parser.add_argument("--scale", type=float, default=20.0, help="time acceleration")
    parser.add_argument("--spacing", type=float, default=3.0,
                        help="scaled seconds between due times of one account's posts")
    parser.add_argument("--moderation-seconds", type=float, default=90.0,
                        help="scaled seconds from a post's completion to its ID (TikTok's "
                        "review)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="real seconds")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    base = CampaignConfig(posts=200, accounts=5, kill_rate=0.05) if args.long \
        else CampaignConfig()
    config = CampaignConfig(
        posts=args.posts or base.posts, accounts=args.accounts or base.accounts,
        seed=args.seed, fault_rate=args.fault_rate,
        kill_rate=base.kill_rate if args.kill_rate is None else args.kill_rate,
        max_kills=args.max_kills, scale=args.scale, spacing=args.spacing, timeout=args.timeout,
        moderation_seconds=args.moderation_seconds)
    return config, args


def main(argv: list[str] | None = None) -> int:
    config, args = parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="tiktok-reliability-"))
    print(f"work folder: {root}", file=sys.stderr, flush=True)
    report = Campaign(config, root, progress=sys.stderr).run()
    print(report.table())
    print(json.dumps({**report.figures(), "config": {
        k: v for k, v in asdict(config).items() if k != "timeout"}}))
    if not args.keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
