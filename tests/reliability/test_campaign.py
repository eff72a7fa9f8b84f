"""The short fault campaign (CI): 21 posts on 3 accounts, a fixed seed of faults at about 20% of
requests, SIGKILLs of the headless engine at random points, restarts until every post is
final; then the sandbox's records decide. The long version: ``python -m
tests.reliability.campaign --long`` (see campaign.py).

RELIABILITY_SEED=n picks another seed for the faults and kills.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from tests.reliability.campaign import Campaign, CampaignConfig, Report
from tests.reliability.chaos import KINDS

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(os.name != "posix", reason="POSIX signals (SIGKILL)"),
]

# A guard against a hang, not a speed check: alone it takes ~45 s; on a machine busy with
# other work the killed and restarted engine children start slower, and 100 s was too tight.
SHORT = CampaignConfig(timeout=300.0)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    config = replace(SHORT, seed=int(os.environ.get("RELIABILITY_SEED", SHORT.seed)))
    done = Campaign(config, Path(tmp_path_factory.mktemp("campaign"))).run()
    print(done.table())
    return done


def test_each_post_is_published_exactly_once_or_honestly_not(report: Report) -> None:
    o = report.outcome
    assert (o.duplicated, o.lost, o.untracked, o.unlinked) == (0, 0, 0, 0), report.table()
    assert o.exactly_once + o.unconfirmed + o.failed_total == report.config.posts
    assert o.exactly_once >= report.config.posts // 2, report.table()
    # A post fails with one of TikTok's final reasons only where the sandbox was told to give
    # that reason (the others are the engine giving up after its retries, with TikTok's code).
    for reason in ("spam_risk_text", "file_format_check_failed"):
        assert o.failed[reason] <= report.fail_reasons[reason], report.table()


def test_request_rates_stay_within_tiktoks_limits(report: Report) -> None:
    assert all(p.calls > 0 for p in report.peaks)  # every limited endpoint was exercised
    over = [f"{p.path}: {p.peak} per 60 s per token (limit {p.limit}; at most "
            f"{p.peak_one_run} within one engine run)" for p in report.peaks if not p.within]
    assert not over, "\n".join(over) + "\n" + report.table()


def test_the_campaign_did_what_it_claims(report: Report) -> None:
    d = report.drive
    assert d.kills >= 5, report.table()
    assert {k for k in KINDS if report.injected[k] == 0} == set(), report.table()
    assert 0.12 <= sum(report.injected.values()) / report.requests <= 0.3, report.table()
    assert d.unexpected_exits == [], d.unexpected_exits
    assert d.engine_errors == [], "".join(d.engine_errors[:40])
