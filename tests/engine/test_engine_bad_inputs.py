"""Bad conditions met at due time, end to end on the real sandbox (docs/bad-inputs.md): a
locked keyring, an account the user disconnected with posts still waiting, an empty caption,
a video moved after it was scheduled."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keyring
import pytest

from tests.engine.conftest import Recorder, calls_to, connect_account, write_video
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import INIT, reread
from tests.helpers.lockable_keyring import LOCKED, LockableKeyring
from tiktok_desktop.domain.lifecycle import POSTED
from tiktok_desktop.engine import Engine, NoticeKind
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.services.library import MediaLibrary
from tiktok_desktop.services.posts import PostsService, ScheduleRefused
from tiktok_desktop.store import (
    Account,
    AccountsRepo,
    AccountStatus,
    Database,
    NewPost,
    Post,
    PostsRepo,
    PostState,
)
from tiktok_desktop.store.queue import QueueRepo


def test_a_locked_keyring_at_due_time_waits_and_posts_once_unlocked(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, accounts: AccountsService, recorder: Recorder,
) -> None:
    lockable = LockableKeyring()
    keyring.set_keyring(lockable)
    account = connect()
    post = schedule(account, video)
    lockable.locked = True  # e.g. the session was locked overnight
    engine = make_engine()
    engine.run_once()
    waiting = reread(posts, post)
    assert waiting.state is PostState.RETRY_WAIT
    assert waiting.last_error_code == "token_unavailable"
    assert waiting.last_error_message == f"Reading from the system keyring failed: {LOCKED}"
    assert calls_to(sandbox, INIT) == []
    # A locked keyring is not a lost sign-in: the account is not sent to Reconnect.
    assert accounts.get(account.id).status is AccountStatus.CONNECTED
    assert NoticeKind.NEEDS_RECONNECT not in recorder.kinds()
    lockable.locked = False
    assert waiting.next_attempt_at is not None
    clock.now = float(waiting.next_attempt_at)
    engine.run_once()
    assert reread(posts, post).state in POSTED
    assert len(calls_to(sandbox, INIT)) == 1


def test_a_keyring_that_stays_locked_fails_the_post_after_the_retries(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, recorder: Recorder,
) -> None:
    lockable = LockableKeyring()
    keyring.set_keyring(lockable)
    account = connect()
    post = schedule(account, video)
    lockable.locked = True  # and it stays locked (nobody logs in to the desktop)
    engine = make_engine()
    waits = []
    for _ in range(10):
        engine.run_once()
        now = reread(posts, post)
        if now.state is not PostState.RETRY_WAIT:
            break
        waits.append((now.next_attempt_at or 0) - int(clock.now))
        clock.now = float(now.next_attempt_at or 0)
    assert waits == [30, 60, 120, 240]  # about 7.5 minutes in all
    failed = reread(posts, post)
    assert failed.state is PostState.FAILED
    assert failed.last_error_message == (
        f"Gave up after 5 tries. Reading from the system keyring failed: {LOCKED}")
    assert recorder.kinds() == [NoticeKind.FAILED]
    assert calls_to(sandbox, INIT) == []


def test_posts_of_an_account_the_user_disconnected_wait_for_a_reconnect(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    accounts: AccountsService, recorder: Recorder, db: Database, clock: FakeClock,
) -> None:
    account = connect()
    pending = schedule(account, video, caption="pending", due_in=3600)
    due = schedule(account, video, caption="due now")
    assert accounts.disconnect(account.id) is None  # TikTok was told; tokens forgotten
    # Scheduling more for it is refused at once, with what to do.
    service = PostsService(PostsRepo(db), AccountsRepo(db), QueueRepo(db), clock=clock)
    with pytest.raises(ScheduleRefused) as refused:
        service.schedule(NewPost(account_id=account.id, video_path=str(video),
                                 video_size=video.stat().st_size, privacy_level="SELF_ONLY",
                                 due_at=int(clock.now) + 7200, due_tz="UTC"))
    assert refused.value.problems == [
        "Sandbox Creator (@sandbox_creator) was disconnected: select it under Accounts and "
        "click Reconnect first."]
    engine = make_engine()
    engine.run_once()
    parked = reread(posts, due)
    assert parked.state is PostState.NEEDS_RECONNECT
    assert parked.last_error_message == (
        "TikTok no longer accepts the sign-in for Sandbox Creator (@sandbox_creator). Reconnect "
        "the account (Accounts → Reconnect, or 'tiktok-desktop accounts connect'); its "
        "scheduled posts are kept and go out once it is back.")
    assert reread(posts, pending).state is PostState.SCHEDULED  # not due yet: untouched
    assert calls_to(sandbox, INIT) == []
    assert recorder.kinds() == [NoticeKind.NEEDS_RECONNECT]
    # Reconnected: the parked post goes out, and the later one when it is due.
    connect_account(accounts, sandbox)
    engine.run_once()
    assert reread(posts, due).state in POSTED
    clock.advance(3600)
    engine.run_once()
    assert reread(posts, pending).state in POSTED
    assert len(sandbox.control.publishes(account.open_id)) == 2


def test_an_empty_caption_is_posted_with_an_empty_title(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    recorder: Recorder,
) -> None:
    account = connect()
    post = schedule(account, video, caption="")
    make_engine().run_once()
    assert reread(posts, post).state in POSTED
    (published,) = sandbox.control.publishes(account.open_id)
    assert published.post_info["title"] == ""
    # The app's own messages name the video by its file instead of the (empty) caption.
    (notice,) = [n for n in recorder.notices if n.kind is NoticeKind.PUBLISHED]
    assert "clip.mp4" in notice.message


@pytest.mark.parametrize("keep_copy", [True, False])
def test_a_video_moved_after_scheduling(
    make_engine: Callable[..., Engine], connect: Callable[..., Account], video: Path,
    posts: PostsRepo, sandbox: SandboxServer, db: Database, clock: FakeClock, tmp_path: Path,
    keep_copy: bool,
) -> None:
    account = connect()
    service = PostsService(posts, AccountsRepo(db), QueueRepo(db), clock=clock,
                           library=MediaLibrary(tmp_path / "media"))
    post = service.schedule_video(
        NewPost(account_id=account.id, video_path=str(video), video_size=video.stat().st_size,
                caption="moved", privacy_level="SELF_ONLY", due_at=int(clock.now) + 60,
                due_tz="UTC"),
        keep_copy=keep_copy)
    elsewhere = tmp_path / "Archive"
    elsewhere.mkdir()
    video.rename(elsewhere / video.name)  # the user tidies up their Videos folder
    clock.advance(120)
    make_engine().run_once()
    after = reread(posts, post)
    if keep_copy:  # the default: the app's own copy goes out
        assert after.state in POSTED
        assert len(calls_to(sandbox, INIT)) == 1
    else:
        assert after.state is PostState.FAILED
        assert after.last_error_message == (
            f"The video file “clip.mp4” is gone: it was moved, renamed or deleted from "
            f"{video.parent}. Put it back or choose the video again.")
        assert calls_to(sandbox, INIT) == []


def test_a_video_changed_while_it_uploads_is_never_published(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], tmp_path: Path, posts: PostsRepo, sandbox: SandboxServer,
    recorder: Recorder,
) -> None:
    """The file is overwritten in place while its chunks go out (a hard-linked library copy,
    `cp edited.mp4 clip.mp4`): the uploader's running hash differs from the scheduled one, the
    last chunk is held back, and the post fails saying why; TikTok never has the video."""
    account = connect()
    video = write_video(tmp_path / "clip.mp4", 25_000_000)  # three chunks
    post = schedule(account, video)
    edited = False

    class Editor(Recorder):
        def upload_progress(self, post_id: int, sent: int, total: int) -> None:
            nonlocal edited
            super().upload_progress(post_id, sent, total)
            if 0 < sent < total and not edited:  # the first chunk is on its way
                edited = True
                with video.open("r+b") as f:  # same size, other bytes, in place
                    f.seek(20_000_000)
                    f.write(b"edited" * 1000)

    make_engine(listener=Editor()).run_once()
    assert edited
    failed = reread(posts, post)
    assert failed.state is PostState.FAILED
    assert failed.last_error_code == "video_file_changed"
    assert failed.last_error_message == (
        "The video file “clip.mp4” changed after the post was scheduled, so it was not sent "
        "to TikTok. Check it is the video you want and schedule it again.")
    [publish] = sandbox.control.publishes(account.open_id)
    assert publish.uploaded_bytes < publish.video_size  # the last chunk never arrived
    assert publish.status != "PUBLISH_COMPLETE"
