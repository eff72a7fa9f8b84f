"""Another process writing the app's database, as a second window or a headless ``run``
would: ``python -m tests.helpers.other_process DB add ACCOUNT_ID DUE CAPTION`` or
``... DB reschedule POST_ID DUE``. It prints the post's id. (The CLI's own ``posts add``
needs the account's tokens, which live in the test's in-memory keyring.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tiktok_desktop.store import Database, NewPost, PostsRepo, PostState

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str | int | Path) -> str:
    """Run a command in a process of its own (from the repository's root); its stdout."""
    done = subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def write(db_path: Path, action: str, *args: str | int) -> int:
    """This module in another process; the post's id."""
    return int(run("-m", "tests.helpers.other_process", db_path, action, *args).split()[-1])


def main(argv: list[str]) -> int:
    db = Database.open(Path(argv[0]))
    repo = PostsRepo(db)
    try:
        if argv[1] == "add":
            account, due, caption = int(argv[2]), int(argv[3]), argv[4]
            post = repo.create(NewPost(account_id=account, video_path=f"/videos/{caption}.mp4",
                                       video_size=1000, caption=caption,
                                       privacy_level="PUBLIC_TO_EVERYONE", due_at=due,
                                       due_tz="Europe/Berlin", consent_at=due - 3600),
                               PostState.SCHEDULED)
        elif argv[1] == "reschedule":
            post = repo.transition(int(argv[2]), PostState.SCHEDULED, "rescheduled elsewhere",
                                   due_at=int(argv[3]))
        else:
            raise SystemExit(f"unknown action {argv[1]!r}")
    finally:
        db.close()
    print(post.id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
