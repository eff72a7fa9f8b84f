"""Captions the command line cannot trust (docs/bad-inputs.md): bytes that are not UTF-8 in
argv or in a caption file, and no caption at all. In-process on the sandbox-mode context,
with a real video and a real connected account, like tests/cli/test_cli_posts.py."""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from pathlib import Path

import pytest

from tests.helpers.browser import play_consent
from tests.helpers.videos import VideoFactory, VideoSpec
from tiktok_desktop import cli
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.cli import posts as cli_posts
from tiktok_desktop.store import Account

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
BROKEN = ("The caption contains a broken character (half of an emoji?). Delete it and type "
          "it again.")


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> VideoFactory:
    return VideoFactory(tmp_path_factory.mktemp("videos"))


@pytest.fixture
def clip(videos: VideoFactory, tmp_path: Path) -> Path:
    return videos.copy_to(tmp_path / "originals", "clip.mp4", VideoSpec(seconds=3.0, fps=24))


@pytest.fixture
def account(graph: AppGraph) -> Account:
    attempt = graph.accounts.start_connect()
    play_consent(attempt.authorize_url)
    return graph.accounts.finish_connect(attempt).account


def add(graph: AppGraph, capsys: pytest.CaptureFixture[str], clip: Path,
        *caption: str) -> tuple[int, list[str]]:
    day = dt.datetime.now(BERLIN).date() + dt.timedelta(days=2)
    args = cli.build_command_parser().parse_args([
        "posts", "add", str(clip), "--account", "@sandbox_creator", "--at",
        f"{day:%Y-%m-%d} 09:00", "--zone", "Europe/Berlin", "--privacy", "everyone", *caption])
    capsys.readouterr()
    code = cli_posts.run(args, graph)
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines()
                  if line and not line.startswith(("(sandbox mode", "warning:", "note:"))]


def test_argv_bytes_that_are_not_utf8_are_refused(graph: AppGraph, account: Account,
                                                  clip: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # What Python makes of `--caption $'Dinner \xf0\x9f'` (half an emoji's bytes) in argv.
    caption = os.fsdecode(b"Dinner \xf0\x9f")
    assert "\udcf0" in caption  # a lone surrogate, as the terminal's bytes arrive
    code, problems = add(graph, capsys, clip, "--caption", caption)
    assert (code, problems) == (2, [BROKEN])
    assert graph.posts.list_posts() == []


def test_a_caption_file_that_is_not_utf8_is_refused(graph: AppGraph, account: Account,
                                                    clip: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    latin1 = tmp_path / "caption.txt"
    latin1.write_bytes("Café #paris".encode("latin-1"))
    code, problems = add(graph, capsys, clip, "--caption-file", str(latin1))
    assert (code, problems) == (
        2, [f"The caption file {latin1} is not UTF-8 text: save it as UTF-8."])
    assert graph.posts.list_posts() == []


def test_no_caption_is_allowed(graph: AppGraph, account: Account, clip: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    code, problems = add(graph, capsys, clip)
    assert (code, problems) == (0, [])
    (post,) = graph.posts.list_posts()
    assert post.caption == ""
