"""Issue 20's campaign: three runners on one PostgreSQL schedule, SIGKILLed at many points.

The fault campaign of campaign.py (a batch of posts, Chaos on TikTok's side, the sandbox's
records decide) with the engine as three runners (``tiktok-desktop run --database URL``)
sharing one PostgreSQL schedule, which also holds the videos (each runner fetches them into
its cache) and the accounts' tokens sealed with the team key (SharedVault), and one sandbox:
each is killed at points killpoints.py names (TikTok calls, upload chunks, waits for a post's
row, log lines) and restarted, while the database drops runners' connections. The verdict:
every post published exactly once on TikTok's side (or honestly failed/unconfirmed), none
twice, none lost; the database's final state says the same (every post final, no lease left,
the publish TikTok completed is the one the database names, a post that may be posted again
still has its stored video).

Quick version: tests/reliability/test_fleet.py (CI). Long version, from the repository root:

    .venv/bin/python -m tests.reliability.fleet --long

Prints a table and, as its last line, one JSON object. Exit status 0 when the verdict holds.
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from tests.helpers.postgres import PgServer, start_server, stop_server
from tests.reliability.campaign import POST_LINE, Campaign, CampaignConfig, Drive, Report
from tests.reliability.chaos import Chaos
from tests.reliability.killpoints import RUNNER_APP, DbFaults, KillSwitch
from tests.reliability.timebase import Timebase
from tests.reliability.verdict import classify, peak_rates
from tests.reliability.world import EngineRun, World, open_world, sandbox_options
from tiktok_desktop.domain import lifecycle
from tiktok_desktop.domain.lifecycle import VIDEO_SPENT
from tiktok_desktop.store import Post

# Pauses after a log line before its kill (seconds): where exactly the kill lands.
PAUSES = (0.0, 0.001, 0.005, 0.02, 0.05)
# Runner lines other than post states worth a kill just after (the point's name, a pattern).
OTHER_LINES = (
    ("its 'engine running' line (start-up done)", re.compile(r"INFO .*engine running against ")),
    ("its 'idle' line", re.compile(r"INFO +idle; ")),
    ("a token refresh stored", re.compile(r"INFO +account \d+ token refreshed")),
    ("an upload chunk retry line", re.compile(r"INFO +upload: chunk \d+ .* failed")),
    ("an upload resume line", re.compile(r"INFO +upload: TikTok has \d+ of")),
    ("a failed status check line", re.compile(r"INFO +post \d+: status check \d+ failed")),
)


@dataclass(frozen=True)
class FleetConfig:
    campaign: CampaignConfig
    runners: int = 3
    kill_gap: float = 0.35  # real seconds between two kills at least
    max_kills: int = 90  # then the runners may finish the batch
    per_point: int = 2  # kills at one point at most
    chance: float = 0.3  # of a kill at an armed point on TikTok's side
    log_kill_rate: float = 0.12  # chance of a kill after each post state line
    db_every: tuple[float, float] = (0.4, 1.5)  # real seconds between database faults


QUICK = FleetConfig(CampaignConfig(posts=24, accounts=3, big_every=3, kill_rate=0.0,
                                   timeout=600.0), max_kills=75, per_point=1)
LONG = FleetConfig(CampaignConfig(posts=120, accounts=5, big_every=4, kill_rate=0.0,
                                  timeout=3600.0), max_kills=400, per_point=8)


@dataclass
class FleetReport:
    base: Report
    runners: int
    points: Counter[str]  # kill point -> kills
    db_dropped: Counter[str]  # runner connections dropped, by the backend's state
    db_locks: int
    db_fault_errors: list[str]
    exits: list[str]  # runner exits nobody caused (no kill, no SIGTERM)
    state_problems: list[str]  # the database's final state against TikTok's
    videos_stored: int = 0  # videos left in the database at the end
    videos_unneeded: int = 0  # of those, ones only published posts name

    @property
    def ok(self) -> bool:
        o = self.base.outcome
        return (o.duplicated == 0 and o.lost == 0 and o.untracked == 0 and o.unlinked == 0
                and not self.state_problems)

    def figures(self) -> dict[str, Any]:
        return {**self.base.figures(), "runners": self.runners, "ok": self.ok,
                "kill_points": len(self.points), "kills_by_point": dict(sorted(
                    self.points.items())),
                "db_connections_dropped": dict(self.db_dropped), "db_row_locks": self.db_locks,
                "runner_exits_uncaused": len(self.exits),
                "videos_stored_at_end": self.videos_stored,
                "videos_only_published_posts_name": self.videos_unneeded,
                "state_problems": len(self.state_problems)}

    def table(self) -> str:
        lines = [f"Three-runner campaign: {self.runners} runners on one PostgreSQL schedule",
                 self.base.table(), "",
                 f"Kill points: {len(self.points)} distinct, {sum(self.points.values())} kills",
                 *(f"  {n:>3}  {point}" for point, n in sorted(self.points.items())),
                 f"Database: {sum(self.db_dropped.values())} runner connections dropped "
                 f"({', '.join(f'{k} {v}' for k, v in sorted(self.db_dropped.items()))})"
                 f", {self.db_locks} post rows locked",
                 f"Videos in the database at the end: {self.videos_stored} ({self.videos_unneeded} "
                 "only published posts name)",
                 f"Runner exits nobody caused: {len(self.exits)}",
                 *(f"  {e[:300]}" for e in self.exits[:10]),
                 f"Database's final state vs TikTok: "
                 f"{'matches' if not self.state_problems else 'PROBLEMS'}",
                 *(f"  {p}" for p in self.state_problems[:20]),
                 f"Verdict (three runners): {'OK' if self.ok else 'FAILED'}"]
        return "\n".join(lines)


class Fleet(Campaign):
    """Campaign's set-up and verdict, with runners on ``url`` (a migrated database)."""

    def __init__(self, fleet: FleetConfig, root: Path, url: str, runner_url: str,
                 progress: Any = None) -> None:
        super().__init__(fleet.campaign, root, progress)
        self.fleet = fleet
        self.url = url
        self.runner_url = runner_url  # the same database, named as the runners' application
        self._rng = random.Random(f"{fleet.campaign.seed}:fleet")
        self.switch = KillSwitch(fleet.campaign.seed, gap=fleet.kill_gap,
                                 per_point=fleet.per_point, chance=fleet.chance,
                                 max_kills=fleet.max_kills)

    def run_fleet(self) -> FleetReport:
        c = self.config
        timebase = Timebase.starting_now(c.scale)
        options = sandbox_options(c.processing_seconds, int(c.engine.get(
            "upload_url_lifetime", 3600)), c.moderation_seconds)
        with open_world(self.root, timebase, options, c.engine, database=self.url) as world:
            batch = self._prepare(world)
            self.switch.install(world.sandbox)
            chaos = Chaos(c.seed, c.fault_rate)
            chaos.install(world.sandbox)
            db_faults = DbFaults(self.url, self.switch, c.seed, timebase.wall,
                                 every=self.fleet.db_every)
            scaled_start = timebase.wall()
            db_faults.start()
            try:
                drive, exits = self._drive_fleet(world, batch, chaos, db_faults)
            finally:
                db_faults.stop()
            scaled = timebase.wall() - scaled_start
            with chaos.paused():
                posts = [world.posts.get(p.id) or p for p in batch]
                publishes = world.sandbox.control.publishes()
                outcome = classify(posts, publishes)
                calls = world.sandbox.control.calls()
                problems = self._final_state(world, posts, publishes)
                unneeded = self._unneeded_videos(world, posts)
                stored = len(world.library.store.all()) if world.library is not None else 0
        peaks = peak_rates(calls, drive.spans)
        over = {p.path: sum(1 for call in calls if call.path == p.path and call.status == 429)
                - chaos.by_path[("429", p.path)] for p in peaks}
        inits = sum(1 for call in calls if call.path == "/v2/post/publish/video/init/")
        base = Report(c, drive, outcome, peaks, chaos.injected,
                      Counter(chaos.fail_reasons.values()), sum(chaos.eligible.values()),
                      over, inits, scaled, self.root)
        return FleetReport(base, self.fleet.runners, Counter(drive.landed),
                           db_faults.terminated, db_faults.locks, db_faults.errors, exits,
                           problems, stored, unneeded)

    # -- the drive -----------------------------------------------------------------------------

    def _drive_fleet(self, world: World, batch: list[Post], chaos: Chaos,
                     db_faults: DbFaults) -> tuple[Drive, list[str]]:
        c, d = self.config, Drive()
        exits: list[str] = []
        slots: list[_Slot | None] = [None] * self.fleet.runners
        started = next_check = next_report = time.monotonic()
        while True:
            now = time.monotonic()
            if now - started > c.timeout:
                for slot in slots:
                    if slot is not None:
                        slot.run.proc.kill()
                raise AssertionError(self._stuck(world, batch))
            if now >= next_check:
                next_check = now + 0.5
                with chaos.paused():
                    d.reconnects += world.reconnect_where_needed()
                if self._all_final(world, batch):
                    break
            for n in range(len(slots)):
                slot = slots[n]
                if slot is None:
                    run = world.start_runner(self.runner_url)
                    self.switch.started(run.proc.pid)
                    slots[n] = slot = _Slot(run, world.timebase.wall(), self._log_plan())
                    d.runs += 1
                if self._pump(slot, d):
                    self._ended(world, slot, d, exits)
                    slots[n] = None
            if self.switch.done:
                db_faults.dropping = False  # the batch finishes on steady connections
            if self.progress is not None and now >= next_report:
                next_report = now + 15
                done = sum((world.posts.get(p.id) or p).state in lifecycle.FINAL for p in batch)
                print(f"[{now - started:6.0f} s] {done}/{len(batch)} final, {d.kills} kills at "
                      f"{len(d.landed)} points, {sum(chaos.injected.values())} faults, "
                      f"{sum(db_faults.terminated.values())} connections dropped",
                      file=self.progress, flush=True)
            threading.Event().wait(0.02)
        for slot in slots:  # everything final: stop the runners cleanly
            if slot is not None:
                slot.run.proc.terminate()
        for slot in slots:
            if slot is not None:
                code = slot.run.proc.wait(timeout=60)
                while (rest := slot.run.lines.get(timeout=60)) is not None:
                    self._scan(rest, d)
                self.switch.ended(slot.run.proc.pid)
                d.spans.append((slot.began, world.timebase.wall()))
                up = any(" engine running " in line for line in slot.run.output)
                # A runner still starting has no signal handler yet: SIGTERM ends it at once.
                if code == 0 or (code == -15 and not up):
                    d.clean_stops += 1
                else:
                    exits.append(f"pid {slot.run.proc.pid} exit {code} on SIGTERM")
        d.seconds = time.monotonic() - started
        return d, exits

    def _log_plan(self) -> int | None:
        """After how many post state lines this run is killed (None: not by its log)."""
        rate = self.fleet.log_kill_rate
        if rate <= 0:
            return None
        n = 1
        while self._rng.random() >= rate:
            n += 1
        return n

    def _pump(self, slot: _Slot, d: Drive) -> bool:
        """Read what the runner printed; kill it at its log point. True once it has ended."""
        while True:
            try:
                line = slot.run.lines.get_nowait()
            except queue.Empty:
                return False
            if line is None:
                return True
            self._scan(line, d)
            match = POST_LINE.search(line)
            pause = self._rng.choice(PAUSES)
            if match is not None:
                slot.seen += 1
                if slot.plan is None or slot.seen < slot.plan:
                    continue
                slot.plan = None
                point = f"after a post's '{match.group(2)}' line, +{pause * 1000:g} ms"
            else:
                what = next((name for name, pattern in OTHER_LINES if pattern.search(line)), "")
                if not what or self._rng.random() >= 0.3:
                    continue
                point = f"after {what}, +{pause * 1000:g} ms"
            if self.switch.armed(point, chance=1.0):
                if pause:
                    threading.Event().wait(pause)
                self.switch.kill(slot.run.proc.pid, point)

    def _ended(self, world: World, slot: _Slot, d: Drive, exits: list[str]) -> None:
        code = slot.run.proc.wait(timeout=60)
        d.spans.append((slot.began, world.timebase.wall()))
        point = self.switch.ended(slot.run.proc.pid)
        if point is not None:
            d.kills += 1
            d.landed[point] += 1
            with world.engine_log.open("a", encoding="utf-8") as log:
                log.write(f"--- SIGKILL of pid {slot.run.proc.pid} at: {point}\n")
        else:
            exits.append(f"pid {slot.run.proc.pid} exit {code}: "
                         f"{''.join(slot.run.output[-6:])}")

    @staticmethod
    def _final_state(world: World, posts: list[Post], publishes: list[Any]) -> list[str]:
        """The database's final state against TikTok's records (beyond classify's checks)."""
        problems = []
        complete = {p.publish_id for p in publishes if p.status == "PUBLISH_COMPLETE"}
        for post in posts:
            if post.state not in lifecycle.FINAL:
                problems.append(f"post {post.id} ended {post.state.value}, not final")
            if post.lease_owner is not None:
                problems.append(f"post {post.id} ({post.state.value}) still leased by "
                                f"{post.lease_owner}")
            if post.state.value == "published" and post.publish_id not in complete:
                problems.append(f"post {post.id} names publish {post.publish_id}, which TikTok "
                                "did not complete")
        if world.library is not None:
            # A post that may be posted again (failed, unconfirmed) keeps its stored video.
            stored = {v.ref for v in world.library.store.all()}
            problems += [f"post {p.id} ({p.state.value}) lost its stored video"
                         for p in posts if p.state not in VIDEO_SPENT
                         and p.video_path not in stored]
        return problems

    @staticmethod
    def _unneeded_videos(world: World, posts: list[Post]) -> int:
        """Stored videos only published posts name (released when the next post is
        published: a runner killed between publishing and releasing leaves them till then)."""
        if world.library is None:
            return 0
        needed = {p.video_path for p in posts if p.state not in VIDEO_SPENT}
        return sum(v.ref not in needed for v in world.library.store.all())


@dataclass
class _Slot:
    run: EngineRun
    began: float  # scaled time
    plan: int | None
    seen: int = 0


def run_on_server(fleet: FleetConfig, root: Path, server: PgServer, template: str,
                  progress: Any = None) -> FleetReport:
    name = server.new_database(template)
    try:
        return Fleet(fleet, root, server.url(name),
                     server.url(name, application_name=RUNNER_APP), progress).run_fleet()
    finally:
        server.drop_database(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.fleet",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--long", action="store_true", help="120 posts on 5 accounts, 400 "
                        "kills")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    base = LONG if args.long else QUICK
    fleet = replace(base, campaign=replace(base.campaign, seed=args.seed))
    root = Path(tempfile.mkdtemp(prefix="tiktok-fleet-"))
    print(f"work folder: {root}", file=sys.stderr, flush=True)
    from tiktok_desktop.store.postgres import PgDatabase

    server = start_server()
    try:
        template = server.new_database()
        PgDatabase.open(server.url(template)).close()
        report = run_on_server(fleet, root, server, template, progress=sys.stderr)
    finally:
        stop_server(server)
    print(report.table())
    print(json.dumps({**report.figures(), "config": {
        k: v for k, v in asdict(fleet.campaign).items() if k != "timeout"}}))
    if not args.keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
