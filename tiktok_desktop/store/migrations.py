"""Numbered schema migrations. Entry N (1-based) moves ``PRAGMA user_version`` from N-1 to N.

Append only: never edit a migration that has shipped; add the next one instead. Each runs in
one transaction together with its user_version bump (see db.Database._migrate).
"""

from __future__ import annotations

POST_STATES = (
    "draft", "scheduled", "preparing", "uploading", "processing", "published", "in_inbox",
    "unconfirmed", "needs_review", "needs_reconnect", "retry_wait", "failed", "missed",
)
_STATES_SQL = ", ".join(f"'{s}'" for s in POST_STATES)

V1_INITIAL = [
    """
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        open_id TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL DEFAULT '',
        username TEXT NOT NULL DEFAULT '',
        avatar_url TEXT NOT NULL DEFAULT '',
        granted_scopes TEXT NOT NULL DEFAULT '',
        access_expires_at INTEGER,
        refresh_expires_at INTEGER,
        status TEXT NOT NULL DEFAULT 'connected'
            CHECK (status IN ('connected', 'needs_reconnect', 'disconnected')),
        creator_info TEXT,
        creator_info_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    )
    """,
    f"""
    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE RESTRICT,
        video_path TEXT NOT NULL,
        video_size INTEGER NOT NULL CHECK (video_size >= 0),
        video_sha256 TEXT NOT NULL DEFAULT '',
        video_meta TEXT NOT NULL DEFAULT '{{}}',
        caption TEXT NOT NULL DEFAULT '',
        privacy_level TEXT,
        allow_comment INTEGER NOT NULL DEFAULT 0,
        allow_duet INTEGER NOT NULL DEFAULT 0,
        allow_stitch INTEGER NOT NULL DEFAULT 0,
        disclose_commercial INTEGER NOT NULL DEFAULT 0,
        brand_organic INTEGER NOT NULL DEFAULT 0,
        brand_content INTEGER NOT NULL DEFAULT 0,
        is_aigc INTEGER NOT NULL DEFAULT 0,
        cover_time_ms INTEGER,
        mode TEXT NOT NULL DEFAULT 'direct' CHECK (mode IN ('direct', 'inbox')),
        due_at INTEGER,
        due_tz TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ({_STATES_SQL})),
        retry_state TEXT CHECK (retry_state IS NULL OR retry_state IN ({_STATES_SQL})),
        attempt_count INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        publish_id TEXT,
        bytes_uploaded INTEGER NOT NULL DEFAULT 0,
        post_ids TEXT NOT NULL DEFAULT '[]',
        share_url TEXT,
        last_error_code TEXT,
        last_error_message TEXT,
        consent_at INTEGER,
        published_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE post_events (
        id INTEGER PRIMARY KEY,
        post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        state TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    )
    """,
    # The history is evidence (exactly-once proofs, support questions): never rewritten.
    """
    CREATE TRIGGER post_events_append_only BEFORE UPDATE ON post_events
    BEGIN SELECT RAISE(ABORT, 'post_events is append-only'); END
    """,
    # Deleting history is only possible together with its post (the cascade runs after the
    # post row is gone, so the check lets it through).
    """
    CREATE TRIGGER post_events_keep_history BEFORE DELETE ON post_events
    WHEN EXISTS (SELECT 1 FROM posts WHERE id = OLD.post_id)
    BEGIN SELECT RAISE(ABORT, 'post_events is append-only'); END
    """,
    # "What is due next": scheduled posts by due time.
    "CREATE INDEX posts_state_due ON posts(state, due_at)",
    # Retries waiting for their time.
    "CREATE INDEX posts_next_attempt ON posts(next_attempt_at) WHERE next_attempt_at IS NOT NULL",
    # Per-account time ranges (calendar, daily caps).
    "CREATE INDEX posts_account_due ON posts(account_id, due_at)",
    "CREATE INDEX post_events_post ON post_events(post_id, id)",
]

# Engine bookkeeping (issue 6): where a publish stands and who is working on it.
# - step: how far the publish got: 'init' (an init may be in flight, no publish_id yet),
#   'upload' (publish_id stored, only non-final chunks can have been sent), 'final' (the last
#   chunk may have been sent: TikTok may have accepted it, so init is never called again),
#   'poll' (TikTok has every byte; only status/fetch remains).
# - upload_expires_at: when TikTok's upload_url stops working (the URL itself is a credential
#   and lives in the keyring, never here).
# - lease_owner / lease_expires_at: the engine instance that claimed the post (compare-and-set
#   claims, so a GUI and a headless engine on one database never work on the same post).
# - leases: named cross-process locks (e.g. one token refresh per account at a time, since
#   refresh tokens rotate and a second concurrent refresh would be refused).
V2_ENGINE = [
    "ALTER TABLE posts ADD COLUMN step TEXT "
    "CHECK (step IS NULL OR step IN ('init', 'upload', 'final', 'poll'))",
    "ALTER TABLE posts ADD COLUMN upload_expires_at INTEGER",
    "ALTER TABLE posts ADD COLUMN lease_owner TEXT",
    "ALTER TABLE posts ADD COLUMN lease_expires_at INTEGER",
    "CREATE INDEX posts_lease ON posts(lease_owner) WHERE lease_owner IS NOT NULL",
    """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    )
    """,
]

# Queue slots (issue 5): each account's recurring weekly posting times; "Add to queue" takes
# the next one no post occupies. minute = minutes after local midnight in the slot's zone.
V3_QUEUE = [
    """
    CREATE TABLE queue_slots (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
        minute INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 1439),
        zone TEXT NOT NULL DEFAULT '',
        UNIQUE (account_id, weekday, minute)
    )
    """,
]

# Rate budgets (issue 8's fault campaign): TikTok counts requests per access token per minute,
# and a restarted engine (or a second one on the same data) must not start with a fresh budget.
# One row per request spent; rows older than the window are deleted as budgets are checked.
V4_RATE_SPEND = [
    """
    CREATE TABLE rate_spend (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL,
        budget TEXT NOT NULL,
        at REAL NOT NULL
    )
    """,
    "CREATE INDEX rate_spend_key ON rate_spend(account_id, budget, at)",
]

# Caption templates and hashtag sets (issue 18): text the user keeps per account and inserts
# into a caption (composer, bulk table). kind: 'template' (a caption to start from) or
# 'hashtags' (a set added to the caption). Names are unique per account and kind. Numbered 7
# in the plan of issues 15 to 18 (5 and 6 are issue 15's and 16's): it is appended after
# whatever migrations main has when this lands.
V7_SNIPPETS = [
    """
    CREATE TABLE caption_snippets (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('template', 'hashtags')),
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (account_id, kind, name)
    )
    """,
]

MIGRATIONS: list[list[str]] = [V1_INITIAL, V2_ENGINE, V3_QUEUE, V4_RATE_SPEND, V7_SNIPPETS]
SCHEMA_VERSION = len(MIGRATIONS)
