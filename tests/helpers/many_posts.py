"""Many posts in a real database at once (one executemany), for the list's tests at 100k.

PostsRepo.create would take minutes for 100,000 posts; this writes the same columns,
including the listing keys the repository computes (store/post_keys.py), and the triggers
keep the counts and the search index as they would for create().
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from tiktok_desktop.store import Database, PostState
from tiktok_desktop.store.post_keys import listing_keys

COLUMNS = ("account_id", "video_path", "video_size", "video_meta", "caption", "privacy_level",
           "due_at", "due_tz", "state", "consent_at", "created_at", "updated_at", "video_name",
           "name_fold", "caption_line", "caption_fold")
WORDS = ("pancakes", "Studio", "tour", "sourdough", "Straße", "recipe", "behind", "scenes",
         "ÉCLAIR", "friday", "vegan", "quick", "tip", "knife", "skills", "")
PRIVACIES = ("PUBLIC_TO_EVERYONE", "PUBLIC_TO_EVERYONE", "FOLLOWER_OF_CREATOR",
             "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY", None)


@dataclass(frozen=True)
class Spec:
    account_id: int
    video_path: str
    meta: dict[str, str]
    caption: str
    privacy: str | None
    due_at: int | None
    state: PostState


def random_specs(count: int, accounts: list[int], start: int, *, seed: int = 3,
                 span_days: int = 400) -> list[Spec]:
    """Posts with ties on purpose: shared names, captions, due minutes and undated drafts."""
    rng = random.Random(seed)
    states = [s for s in PostState]
    out = []
    for _i in range(count):
        state = rng.choice(states)
        due = None if state is PostState.DRAFT or rng.random() < 0.05 else \
            start + rng.randrange(span_days * 288) * 300
        words = [rng.choice(WORDS) for _ in range(rng.randrange(0, 6))]
        caption = " ".join(words)
        if rng.random() < 0.1:
            caption = caption + "\nsecond line " + rng.choice(WORDS)
        name = f"clip_{rng.randrange(count // 2 + 1):05d}.{rng.choice(['mp4', 'MOV'])}"
        meta = {"original_path": f"/home/me/{rng.choice(['Tour', 'tour', 'ab'])}_{name}"} \
            if rng.random() < 0.3 else {}
        out.append(Spec(rng.choice(accounts), f"/videos/{name}", meta, caption,
                        rng.choice(PRIVACIES), due, state))
    return out


def insert(db: Database, specs: list[Spec], now: int) -> None:
    rows = []
    for s in specs:
        keys = listing_keys(s.caption, s.video_path, s.meta)
        rows.append((s.account_id, s.video_path, 1000, json.dumps(s.meta), s.caption, s.privacy,
                     s.due_at, "Europe/Berlin", s.state.value, now, now, now, keys["video_name"],
                     keys["name_fold"], keys["caption_line"], keys["caption_fold"]))
    marks = ", ".join("?" * len(COLUMNS))
    with db.transaction() as c:
        c.executemany(f"INSERT INTO posts ({', '.join(COLUMNS)}) VALUES ({marks})",  # noqa: S608
                      rows)
