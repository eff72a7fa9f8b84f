"""A runner with nothing but the shared schedule's database (issue 20): the video a window
stored there is fetched into the runner's own cache, checked, posted through the real sandbox
and its copy dropped; the database's copy goes once the post is published. The schedule is a
real PostgreSQL database (this module's ``db``), the engine the one bootstrap builds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import Recorder, calls_to, follow_until, sha256_of
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import INIT, reread
from tests.helpers.postgres import PgServer
from tiktok_desktop.engine import Engine
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.services.shared_library import SharedLibrary
from tiktok_desktop.store import (
    Account,
    AccountsRepo,
    DatabaseUnreachable,
    NewPost,
    Post,
    PostsRepo,
    PostState,
)
from tiktok_desktop.store.postgres import PgDatabase
from tiktok_desktop.store.queue import QueueRepo
from tiktok_desktop.store.video_refs import is_video_ref
from tiktok_desktop.store.videos import VideoStore


@pytest.fixture
def schedule_url(pg_server: PgServer, pg_template: str) -> Iterator[str]:
    name = pg_server.new_database(pg_template)
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture
def db(schedule_url: str, clock: FakeClock) -> Iterator[PgDatabase]:  # type: ignore[override]
    """The window's connection to the shared schedule (replaces the SQLite file)."""
    database = PgDatabase.open(schedule_url, clock=clock)
    yield database
    database.close()


@pytest.fixture
def runner_db(schedule_url: str, clock: FakeClock) -> Iterator[PgDatabase]:
    """The runner's own connection: another computer, the same database."""
    database = PgDatabase.open(schedule_url, clock=clock)
    yield database
    database.close()


@pytest.fixture
def window_posts(db: PgDatabase, tmp_path: Path, clock: FakeClock) -> PostsService:
    library = SharedLibrary(VideoStore(db), tmp_path / "window-cache", clock=clock)
    return PostsService(PostsRepo(db), AccountsRepo(db), QueueRepo(db), clock=clock,
                        library=library)


@pytest.fixture
def runner_cache(tmp_path: Path) -> Path:
    return tmp_path / "runner" / "cache"  # a fresh folder: nothing fetched yet


def scheduled_from_a_window(posts: PostsService, account: Account, video: Path,
                            clock: FakeClock) -> Post:
    return posts.schedule_video(NewPost(
        account_id=account.id, video_path=str(video), video_size=video.stat().st_size,
        caption="From the shared schedule", privacy_level="PUBLIC_TO_EVERYONE",
        due_at=int(clock.now) + 60, due_tz="UTC"))


def test_a_runner_with_only_the_database_publishes_the_video(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    window_posts: PostsService, runner_db: PgDatabase, runner_cache: Path, video: Path,
    sandbox: SandboxServer, posts: PostsRepo, recorder: Recorder, clock: FakeClock,
) -> None:
    account = connect()
    post = scheduled_from_a_window(window_posts, account, video, clock)
    assert is_video_ref(post.video_path)
    sent_sha = sha256_of(video)
    video.unlink()  # the runner cannot reach the window's files anyway
    # hold=0: the stored video may go as soon as no post needs it.
    library = SharedLibrary(VideoStore(runner_db, chunk=64 * 1024, hold=0), runner_cache,
                            clock=clock)
    engine = make_engine(database=runner_db, videos=library, check_video=library.verify)
    clock.advance(61)

    engine.run_once()

    review = reread(posts, post)
    assert review.state is PostState.IN_REVIEW
    assert sandbox.control.received(review.publish_id).sha256 == sent_sha
    assert list(runner_cache.iterdir()) == []  # the fetched copy went with the run
    assert VideoStore(runner_db).all() != []  # in review: TikTok may still fail it
    follow_until(engine, clock, lambda: reread(posts, post).state is not PostState.IN_REVIEW)
    done = reread(posts, post)
    assert done.state is PostState.PUBLISHED and done.share_url
    assert len(calls_to(sandbox, INIT)) == 1
    assert recorder.progress[-1] == (post.id, post.video_size, post.video_size)
    assert list(runner_cache.iterdir()) == []
    assert VideoStore(runner_db).all() == []  # published: its stored video was released


def test_a_video_changed_in_the_database_is_never_sent(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    window_posts: PostsService, runner_db: PgDatabase, runner_cache: Path, video: Path,
    sandbox: SandboxServer, posts: PostsRepo, clock: FakeClock,
) -> None:
    account = connect()
    post = scheduled_from_a_window(window_posts, account, video, clock)
    oid = runner_db.conn().execute("SELECT lo_oid FROM stored_videos").fetchone()[0]
    runner_db.conn().execute("SELECT lo_put(?, ?, ?)", (oid, 1000, b"tampered"))
    library = SharedLibrary(VideoStore(runner_db), runner_cache, clock=clock)
    engine = make_engine(database=runner_db, videos=library)
    clock.advance(61)

    engine.run_once()

    failed = reread(posts, post)
    assert failed.state is PostState.FAILED
    assert failed.last_error_code == "video_damaged"
    assert "choose the video file again" in (failed.last_error_message or "")
    assert calls_to(sandbox, INIT) == []
    assert list(runner_cache.iterdir()) == []


def test_a_database_that_cannot_be_reached_for_the_video_retries_later(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    window_posts: PostsService, runner_db: PgDatabase, runner_cache: Path, video: Path,
    sandbox: SandboxServer, posts: PostsRepo, clock: FakeClock,
) -> None:
    """The fetch fails the way an unreachable server does (the store's own error): the post
    waits and tries again, nothing sent; the next try fetches and posts it."""
    account = connect()
    post = scheduled_from_a_window(window_posts, account, video, clock)
    library = SharedLibrary(VideoStore(runner_db), runner_cache, clock=clock)
    real_export = library.store.export
    failures = [1]

    def export(ref: str, dest: Path) -> object:
        if failures:
            failures.pop()
            raise DatabaseUnreachable("The shared schedule at x cannot be reached (test).")
        return real_export(ref, dest)

    library.store.export = export  # type: ignore[method-assign]
    engine = make_engine(database=runner_db, videos=library)
    clock.advance(61)

    engine.run_once()

    waiting = reread(posts, post)
    assert waiting.state is PostState.RETRY_WAIT
    assert waiting.last_error_code == "database_unreachable"
    assert "cannot be reached" in (waiting.last_error_message or "")
    assert calls_to(sandbox, INIT) == []
    follow_until(engine, clock, lambda: reread(posts, post).state in
                 (PostState.IN_REVIEW, PostState.PUBLISHED))
    sent = reread(posts, post)
    assert sandbox.control.received(sent.publish_id).sha256 == sent.video_sha256
    assert len(calls_to(sandbox, INIT)) == 1
    assert list(runner_cache.iterdir()) == []
