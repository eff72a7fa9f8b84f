"""The keep-awake policy: held while an upload runs or a post is due within 10 minutes,
released right after, and it tells its driver when to ask again (no polling)."""

from __future__ import annotations

import pytest

from tiktok_desktop.system.keepawake import WINDOW_SECONDS, KeepAwake, NoInhibitor

NOW = 1_700_000_000.0


class RecordingInhibitor:
    def __init__(self, refuses: bool = False) -> None:
        self.refuses = refuses
        self.held = False
        self.calls: list[str] = []

    def acquire(self, why: str) -> None:
        self.calls.append(f"acquire: {why}")
        self.held = not self.refuses

    def release(self) -> None:
        self.calls.append("release")
        self.held = False


class World:
    def __init__(self) -> None:
        self.now = NOW
        self.due: float | None = None
        self.uploading = False
        self.inhibitor = RecordingInhibitor()
        self.keep = KeepAwake(self.inhibitor, next_due=lambda: self.due,
                              uploading=lambda: self.uploading, clock=lambda: self.now)


@pytest.fixture
def world() -> World:
    return World()


def test_nothing_planned_holds_nothing_and_needs_no_timer(world: World) -> None:
    assert world.keep.update() is None
    assert world.inhibitor.calls == [] and not world.keep.held


def test_a_post_due_later_asks_to_be_called_ten_minutes_before(world: World) -> None:
    world.due = NOW + 3600
    assert world.keep.update() == NOW + 3600 - WINDOW_SECONDS
    assert not world.keep.held


def test_held_from_ten_minutes_before_until_the_upload_ends(world: World) -> None:
    world.due = NOW + 3600
    world.now = world.keep.update() or 0.0  # the driver's timer fires then
    assert world.keep.update() == NOW + 3600 + WINDOW_SECONDS
    assert world.keep.held and world.keep.reason == "A TikTok post is due within 10 minutes"
    world.now, world.uploading = NOW + 3600, True  # due: the engine starts the upload
    assert world.keep.update() is None  # the upload finishing calls again
    assert world.keep.reason == "A TikTok post is uploading"
    world.uploading, world.due = False, None  # done, nothing else planned
    assert world.keep.update() is None
    assert not world.keep.held
    assert world.inhibitor.calls == ["acquire: A TikTok post is due within 10 minutes",
                                     "release", "acquire: A TikTok post is uploading",
                                     "release"]


def test_an_upload_holds_even_with_nothing_due(world: World) -> None:
    world.uploading = True
    world.keep.update()
    assert world.keep.held
    world.uploading = False
    world.keep.update()
    assert not world.keep.held


def test_a_post_overdue_beyond_the_window_and_not_started_lets_go(world: World) -> None:
    world.due = NOW - 60
    assert world.keep.update() == NOW - 60 + WINDOW_SECONDS
    assert world.keep.held  # about to go out
    world.now = NOW - 60 + WINDOW_SECONDS + 1  # the engine never started it (e.g. offline)
    assert world.keep.update() is None
    assert not world.keep.held


def test_the_next_post_after_an_upload(world: World) -> None:
    world.uploading, world.due = True, NOW + 120
    world.keep.update()
    world.uploading = False
    world.keep.update()
    assert world.keep.reason == "A TikTok post is due within 10 minutes"  # still held
    world.due = NOW + 7200
    assert world.keep.update() == NOW + 7200 - WINDOW_SECONDS
    assert not world.keep.held


def test_repeated_updates_do_not_retake_it(world: World) -> None:
    world.due = NOW + 60
    for _ in range(5):
        world.keep.update()
    assert world.inhibitor.calls == ["acquire: A TikTok post is due within 10 minutes"]


def test_a_refusing_os_is_asked_once_per_reason(world: World) -> None:
    world.inhibitor.refuses = True
    world.due = NOW + 60
    world.keep.update()
    world.keep.update()
    assert world.inhibitor.calls == ["acquire: A TikTok post is due within 10 minutes"]
    assert not world.keep.held


def test_close_releases(world: World) -> None:
    world.uploading = True
    world.keep.update()
    world.keep.close()
    assert not world.keep.held and world.inhibitor.calls[-1] == "release"


def test_no_inhibitor_holds_nothing() -> None:
    keep = KeepAwake(NoInhibitor(), next_due=lambda: NOW, uploading=lambda: True,
                     clock=lambda: NOW)
    assert keep.update() is None
    assert not keep.held
