"""Numbered schema migrations. Entry N (1-based) moves ``PRAGMA user_version`` from N-1 to N.

Append only: never edit a migration that has shipped; add the next one instead. Each runs in
one transaction together with its user_version bump (see db.Database._migrate).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence

from tiktok_desktop.store.post_keys import BIG_DUE, listing_keys

# A migration is a list of steps: SQL statements, or a function for work SQL cannot do (it
# gets the migrating connection, inside the migration's transaction).
Step = str | Callable[[sqlite3.Connection], None]

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

# As TikTok is today (issue 15):
# - two post states: 'in_review' (TikTok published the post; its ID and link come after
#   moderation, so the engine asks again) and 'draft_lapsed' (an inbox draft the creator did
#   not finish). SQLite cannot change a CHECK constraint in place, so posts is rebuilt. Its
#   child post_events is rebuilt with it: with foreign keys on (always, here), dropping or
#   renaming posts alone would cascade into the history or repoint its REFERENCES clause.
#   The copy keeps every id, so history and foreign keys line up as before.
# - posts.sent_at: when TikTok accepted the init (its caps count inits per rolling 24 h).
# - posts.follow_until: when the engine stops asking about a post in review or in the inbox.
# - accounts.reconnect_reason: why the account needs reconnecting, in the user's words.
# - accounts.refresh_unanswered_at: a refresh went out and no answer came back; TikTok may
#   have rotated the refresh token, so a later invalid_grant is explained by this.
# - client_status: what TikTok said about the TikTok app itself (by client key): unaudited.
POST_STATES_V5 = (*POST_STATES, "in_review", "draft_lapsed")
_STATES_V5_SQL = ", ".join(f"'{s}'" for s in POST_STATES_V5)
_POST_COLUMNS = (
    "id, account_id, video_path, video_size, video_sha256, video_meta, caption, privacy_level, "
    "allow_comment, allow_duet, allow_stitch, disclose_commercial, brand_organic, "
    "brand_content, is_aigc, cover_time_ms, mode, due_at, due_tz, state, retry_state, "
    "attempt_count, next_attempt_at, publish_id, bytes_uploaded, post_ids, share_url, "
    "last_error_code, last_error_message, consent_at, published_at, created_at, updated_at, "
    "step, upload_expires_at, lease_owner, lease_expires_at"
)
V5_AS_TIKTOK_IS_TODAY = [
    f"""
    CREATE TABLE posts_v5 (
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
        state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ({_STATES_V5_SQL})),
        retry_state TEXT CHECK (retry_state IS NULL OR retry_state IN ({_STATES_V5_SQL})),
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
        updated_at INTEGER NOT NULL,
        step TEXT CHECK (step IS NULL OR step IN ('init', 'upload', 'final', 'poll')),
        upload_expires_at INTEGER,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        sent_at INTEGER,
        follow_until INTEGER
    )
    """,
    f"INSERT INTO posts_v5 ({_POST_COLUMNS}) SELECT {_POST_COLUMNS} FROM posts",  # noqa: S608
    # Posts that went out before: their init was accepted about when they were published.
    "UPDATE posts_v5 SET sent_at = COALESCE(published_at, updated_at) "
    "WHERE publish_id IS NOT NULL OR state IN ('published', 'in_inbox')",
    """
    CREATE TABLE post_events_v5 (
        id INTEGER PRIMARY KEY,
        post_id INTEGER NOT NULL REFERENCES posts_v5(id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        state TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    )
    """,
    "INSERT INTO post_events_v5 (id, post_id, at, state, detail) "
    "SELECT id, post_id, at, state, detail FROM post_events",
    # Child first: dropping it fires no triggers; then nothing references the old posts.
    "DROP TABLE post_events",
    "DROP TABLE posts",
    # Renaming repoints post_events_v5's REFERENCES to the new name (foreign keys are on).
    "ALTER TABLE posts_v5 RENAME TO posts",
    "ALTER TABLE post_events_v5 RENAME TO post_events",
    # Triggers and indexes went with the old tables: the same again (see V1, V2).
    """
    CREATE TRIGGER post_events_append_only BEFORE UPDATE ON post_events
    BEGIN SELECT RAISE(ABORT, 'post_events is append-only'); END
    """,
    """
    CREATE TRIGGER post_events_keep_history BEFORE DELETE ON post_events
    WHEN EXISTS (SELECT 1 FROM posts WHERE id = OLD.post_id)
    BEGIN SELECT RAISE(ABORT, 'post_events is append-only'); END
    """,
    "CREATE INDEX posts_state_due ON posts(state, due_at)",
    "CREATE INDEX posts_next_attempt ON posts(next_attempt_at) WHERE next_attempt_at IS NOT NULL",
    "CREATE INDEX posts_account_due ON posts(account_id, due_at)",
    "CREATE INDEX post_events_post ON post_events(post_id, id)",
    "CREATE INDEX posts_lease ON posts(lease_owner) WHERE lease_owner IS NOT NULL",
    # Per-account counts of the last 24 h (TikTok's caps).
    "CREATE INDEX posts_account_sent ON posts(account_id, sent_at) WHERE sent_at IS NOT NULL",
    "ALTER TABLE accounts ADD COLUMN reconnect_reason TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE accounts ADD COLUMN refresh_unanswered_at INTEGER",
    """
    CREATE TABLE client_status (
        client_key TEXT PRIMARY KEY,
        unaudited_at INTEGER,
        updated_at INTEGER NOT NULL
    )
    """,
]


def _fill_listing_keys(c: sqlite3.Connection) -> None:
    """The listing columns of posts written before V6 (post_keys.py computes them)."""
    rows = c.execute("SELECT id, caption, video_path, video_meta FROM posts").fetchall()
    updates = []
    for post_id, caption, video_path, meta in rows:
        try:
            parsed = json.loads(meta)
        except ValueError:
            parsed = {}
        keys = listing_keys(caption, video_path, parsed if isinstance(parsed, dict) else {})
        updates.append((keys["video_name"], keys["name_fold"], keys["caption_line"],
                        keys["caption_fold"], post_id))
    c.executemany("UPDATE posts SET video_name = ?, name_fold = ?, caption_line = ?, "
                  "caption_fold = ? WHERE id = ?", updates)


# The schedule list in SQL (issue 16): the window asks for the rows it shows, sorted, filtered
# and counted by the database, instead of holding every post.
# - Listing columns (post_keys.py): the file name the user chose, the caption's first line,
#   and both casefolded for the search. PostsRepo writes them with every change.
# - due_key: the due time with undated posts last, as one sortable number (a virtual column:
#   SQLite computes it, the indexes store it).
# - One index per sort column. Each is (sort key, due_key, id) - the list's order, ties by due
#   time then id - followed by the columns the filters test (account, state, privacy), so a
#   filtered walk reads the index alone. id is named although SQLite appends it anyway: after
#   the filter columns it would no longer follow due_key in the index's order.
# - post_counts: posts per (account, state, privacy), kept by triggers, so every count the
#   window shows (filter bar, status bar, list length) is a sum over a few rows, not a scan.
# A later migration that rebuilds posts (as V5 does) must create these indexes and the
# triggers again.
V6_SCHEDULE_LIST: list[Step] = [
    "ALTER TABLE posts ADD COLUMN video_name TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE posts ADD COLUMN name_fold TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE posts ADD COLUMN caption_line TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE posts ADD COLUMN caption_fold TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE posts ADD COLUMN due_key INTEGER "
    f"GENERATED ALWAYS AS (COALESCE(due_at, {BIG_DUE:d})) VIRTUAL",
    _fill_listing_keys,
    "CREATE INDEX posts_list_due ON posts(due_key, id, account_id, state, privacy_level)",
    "CREATE INDEX posts_list_account ON posts(account_id, due_key, id, state, privacy_level)",
    "CREATE INDEX posts_list_state ON posts(state, due_key, id, account_id, privacy_level)",
    "CREATE INDEX posts_list_account_state "
    "ON posts(account_id, state, due_key, id, privacy_level)",
    "CREATE INDEX posts_list_video "
    "ON posts(video_name, due_key, id, account_id, state, privacy_level)",
    "CREATE INDEX posts_list_name "
    "ON posts(name_fold, due_key, id, account_id, state, privacy_level)",
    "CREATE INDEX posts_list_caption "
    "ON posts(caption_line, due_key, id, account_id, state, privacy_level)",
    """
    CREATE TABLE post_counts (
        account_id INTEGER NOT NULL,
        state TEXT NOT NULL,
        privacy TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (account_id, state, privacy)
    ) WITHOUT ROWID
    """,
    "INSERT INTO post_counts (account_id, state, privacy, n) "
    "SELECT account_id, state, COALESCE(privacy_level, ''), COUNT(*) FROM posts "
    "GROUP BY account_id, state, COALESCE(privacy_level, '')",
    """
    CREATE TRIGGER post_counts_insert AFTER INSERT ON posts BEGIN
        INSERT INTO post_counts (account_id, state, privacy, n)
            VALUES (NEW.account_id, NEW.state, COALESCE(NEW.privacy_level, ''), 1)
            ON CONFLICT (account_id, state, privacy) DO UPDATE SET n = n + 1;
    END
    """,
    """
    CREATE TRIGGER post_counts_delete AFTER DELETE ON posts BEGIN
        UPDATE post_counts SET n = n - 1 WHERE account_id = OLD.account_id
            AND state = OLD.state AND privacy = COALESCE(OLD.privacy_level, '');
    END
    """,
    """
    CREATE TRIGGER post_counts_update AFTER UPDATE OF account_id, state, privacy_level ON posts
    BEGIN
        UPDATE post_counts SET n = n - 1 WHERE account_id = OLD.account_id
            AND state = OLD.state AND privacy = COALESCE(OLD.privacy_level, '');
        INSERT INTO post_counts (account_id, state, privacy, n)
            VALUES (NEW.account_id, NEW.state, COALESCE(NEW.privacy_level, ''), 1)
            ON CONFLICT (account_id, state, privacy) DO UPDATE SET n = n + 1;
    END
    """,
]

# Caption templates and hashtag sets (issue 18): text the user keeps per account and inserts
# into a caption (composer, bulk table). kind: 'template' (a caption to start from) or
# 'hashtags' (a set added to the caption). Names are unique per account and kind. Number 7,
# after issue 16's schedule list (6).
V7_SNIPPETS: list[Step] = [
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

# Issue 19: counts read from TikTok over time (number 8, after issue 18's snippets).
V8_STATS: list[Step] = [
    # One reading of one TikTok post (a post from an inbox draft can have several IDs) at one
    # slot of domain/stats_plan.py. NULL counts: TikTok no longer shows the post (deleted,
    # made private), so the plan stops for it.
    """
    CREATE TABLE post_stats (
        post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        tiktok_id TEXT NOT NULL,
        slot INTEGER NOT NULL CHECK (slot >= 0),
        taken_at INTEGER NOT NULL,
        view_count INTEGER,
        like_count INTEGER,
        comment_count INTEGER,
        share_count INTEGER,
        PRIMARY KEY (post_id, tiktok_id, slot)
    ) WITHOUT ROWID
    """,
    # One slot of every post (the best-time heatmap reads the 24-hour one).
    "CREATE INDEX post_stats_slot ON post_stats(slot, post_id, view_count)",
    # Posts TikTok gave an ID, by when they were published: what the plan walks.
    "CREATE INDEX posts_published ON posts(published_at) WHERE post_ids <> '[]'",
    """
    CREATE TABLE account_stats (
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        day INTEGER NOT NULL,
        taken_at INTEGER NOT NULL,
        follower_count INTEGER NOT NULL,
        following_count INTEGER,
        likes_count INTEGER NOT NULL,
        video_count INTEGER,
        PRIMARY KEY (account_id, day)
    ) WITHOUT ROWID
    """,
]

# Issue 20: a shared schedule's secrets (number 9). On PostgreSQL, tokens and the client
# secret live here sealed with the team key (credentials/shared_vault.py); a local schedule
# keeps them in the OS keyring, so on SQLite shared_secrets stays empty. shared_meta names
# the schedule with a random id made here (the team key's keyring entry and every sealed
# value are bound to it) and holds the key check (a sealed known value).
V9_SHARED_SECRETS: list[Step] = [
    """
    CREATE TABLE shared_meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
    "INSERT INTO shared_meta (name, value) VALUES ('schedule_id', lower(hex(randomblob(16))))",
    """
    CREATE TABLE shared_secrets (
        name TEXT PRIMARY KEY,
        nonce BLOB NOT NULL,
        sealed BLOB NOT NULL,
        key_id TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    )
    """,
]

# Issue 20: the videos of a shared schedule, kept in its PostgreSQL database as large objects
# (store/videos.py), one row per distinct video (by content). Number 10 (9 is the shared
# schedule's meta and secrets). A local schedule keeps its videos in the media folder: here the
# table exists, for the same schema on both backends, and stays empty.
V10_SHARED_VIDEOS: list[Step] = [
    """
    CREATE TABLE stored_videos (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL CHECK (size >= 0),
        lo_oid INTEGER NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        touched_at INTEGER NOT NULL
    ) WITHOUT ROWID
    """,
    # Which posts name a video: the library asks before releasing one (video_in_use), and a
    # shared schedule before releasing a stored video.
    "CREATE INDEX posts_video_path ON posts(video_path)",
]

MIGRATIONS: list[Sequence[Step]] = [V1_INITIAL, V2_ENGINE, V3_QUEUE, V4_RATE_SPEND,
                                    V5_AS_TIKTOK_IS_TODAY, V6_SCHEDULE_LIST, V7_SNIPPETS,
                                    V8_STATS, V9_SHARED_SECRETS,
                                    V10_SHARED_VIDEOS]
SCHEMA_VERSION = len(MIGRATIONS)
