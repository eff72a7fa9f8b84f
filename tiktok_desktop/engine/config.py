"""The engine's tunables, in one place (named, with the reason for each value)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_GRACE_SECONDS = 2 * 3600


@dataclass(frozen=True)
class EngineConfig:
    # Accounts published in parallel; each account runs one post at a time.
    max_parallel_accounts: int = 3
    # A claim lasts this long unless renewed (every step and upload checkpoint renews it). A
    # lease of a process that is provably dead (same host, pid gone) is taken over at once.
    lease_seconds: int = 120
    # Transient failures: exponential backoff from retry_base, capped, with jitter of
    # +-retry_jitter (a fraction), for at most max_attempts tries; then failed (or
    # unconfirmed when TikTok may already have the post).
    retry_base: float = 30.0
    retry_cap: float = 1800.0
    retry_jitter: float = 0.25
    max_attempts: int = 5
    # status/fetch after the upload: waits between checks (the last repeats), bounded by
    # both a count and a total time (Postiz: every 20 s, up to 90 checks, about 30 min).
    poll_delays: tuple[float, ...] = (0.0, 3.0, 5.0, 10.0, 15.0, 20.0)
    poll_max_checks: int = 90
    poll_max_seconds: float = 1800.0
    # An upload_url is used only while it has at least this long left (TikTok: 1 h).
    upload_url_lifetime: int = 3600
    upload_url_margin: int = 120
    # After a crash with the last chunk possibly sent, a new init needs TikTok to report an
    # incomplete upload this long after the link expired (by our clock): a chunk still in
    # flight when the process died, or a clock that differs from TikTok's, has landed by then.
    link_expiry_settle: int = 600
    # The scheduler never sleeps longer than this, to notice suspend/resume and clock changes
    # (monotonic time stops while a laptop sleeps; wall time does not). Such a wake does one
    # indexed query; it is not a work-polling loop.
    watchdog_seconds: float = 60.0
    # Wall and monotonic time disagreeing by more than this means the clock jumped.
    jump_tolerance: float = 30.0
    # Posts TikTok has but has not finished with are followed by planned checks (no worker or
    # lease is held between them). In review: TikTok gives a public post's ID after moderation,
    # "usually within one minute, in some cases a few hours" (TIKTOK_API.md 4.5): checks after
    # these waits (the last repeats), for at most review_seconds after PUBLISH_COMPLETE; then
    # the post stays published without a link. In the inbox: TikTok documents no lifetime for
    # a draft and no status for one that lapsed, so the wait is bounded by inbox_seconds.
    review_delays: tuple[float, ...] = (30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
    review_seconds: float = 24 * 3600.0
    inbox_delays: tuple[float, ...] = (60.0, 300.0, 900.0, 1800.0, 3600.0)
    inbox_seconds: float = 7 * 24 * 3600.0
    # Status requests per minute and token the checks of followed posts leave unused, so a
    # post being published always gets its status read (TikTok allows 30 a minute).
    follow_status_reserve: int = 10
    # video/query and user/info requests per minute and token the statistics readings leave
    # unused (TikTok allows 600 of each): the window's own reads (accounts' info, links)
    # always find a place.
    stats_reserve: int = 100
    # A statistics request TikTok refused for good (not a 429, 5xx or network failure) is
    # asked again after this long, not at every retry.
    stats_refused_wait: float = 3600.0
    # TikTok counts requests in its one-minute window when they arrive; the budget counts them
    # when they leave. A request spends its place for the window plus this long, so one that
    # took longer on the way than the next cannot put a 7th init (21st creator_info...) into
    # TikTok's minute.
    rate_margin: float = 2.0
    # Token refresh ahead of need: this long before a due post or retry whose time the access
    # token would not outlive (TikTok's access tokens last 2 h), so the post starts on time and
    # a computer that slept through it refreshes on waking. A failed proactive refresh is tried
    # again after refresh_retry.
    refresh_lead: float = 120.0
    refresh_retry: float = 300.0
    # Waiting for another engine's token refresh (the named lease), at most this long.
    refresh_lease_wait: float = 30.0
    # Upload progress reaches the listener at most this often (seconds).
    progress_interval: float = 0.2
