"""Settings → Shared schedule (issue 20) over the real SharedSchedule, a real PostgreSQL server
and one sandbox every member reaches: Test, Create new (the team key shown once, Copy), Move
my schedule there, Join from a second data folder, Move it back; each step off the GUI thread
with a busy bar, each outcome in words. Pictures of the page in a light and a dark palette at
the dialog's default size go under TIKTOK_SHOTS (default /work/notes/shots)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from tests.helpers.palettes import app_palette
from tests.helpers.postgres import PgServer
from tests.helpers.shared_schedule import SECRET
from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import connect
from tests.ui.shared_support import (
    HOUR,
    add_post,
    member_graph,
    open_window,
    shown,
    team_sandbox_fixture,  # noqa: F401 - the fixture team_sandbox
)
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.config import SettingsStore
from tiktok_desktop.credentials.team_key import TeamKey
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.ui.settings_dialog import SettingsDialog
from tiktok_desktop.ui.shared_page import SharedSchedulePage

SHOTS = Path(os.environ.get("TIKTOK_SHOTS", "/work/notes/shots"))
STEP_MS = 60_000  # a step reaches the server (a move copies videos) on a busy machine


@pytest.fixture
def url(pg_server: PgServer) -> Iterator[str]:
    """An empty database; the address carries the password, as a person pastes it."""
    name = pg_server.new_database()
    yield pg_server.url(name, password=SECRET)
    pg_server.drop_database(name)


def settings_on_shared_tab(qtbot: QtBot, graph: AppGraph) -> tuple[SettingsDialog,
                                                                   SharedSchedulePage]:
    window = open_window(qtbot, graph)
    dialog = window.settings_dialog()
    qtbot.addWidget(dialog)
    assert dialog.tabs is not None and dialog.shared_page is not None
    dialog.tabs.setCurrentWidget(dialog.shared_page)
    dialog.show()
    qtbot.waitExposed(dialog)
    page = dialog.shared_page
    page.confirm = lambda _title, _text: True
    qtbot.waitUntil(lambda: not page.status.text().startswith("Reading"), timeout=STEP_MS)
    return dialog, page


def step(qtbot: QtBot, page: SharedSchedulePage, button_name: str) -> str:
    """Click a step's button: while it runs the bar shows and the buttons wait; its outcome
    is the page's result line."""
    button = getattr(page, button_name)
    assert button.isEnabled(), button.toolTip()
    with qtbot.waitSignal(page.finished, timeout=STEP_MS) as finished:
        button.click()
        assert page.progress.isVisible() and not page.test_button.isEnabled()
    assert not page.progress.isVisible()
    return str(finished.args[0])


def test_create_move_join_and_back_from_the_settings(
        qtbot: QtBot, tmp_path: Path, url: str, team_sandbox: SandboxServer,
        videos: VideoFactory) -> None:
    alice_home, bob_home = tmp_path / "alice", tmp_path / "bob"
    alice = member_graph(alice_home, team_sandbox)
    try:
        account = connect(alice)
        post = add_post(alice, account, videos.get(), int(time.time()) + 2 * HOUR,
                        caption="moved along")
        dialog, page = settings_on_shared_tab(qtbot, alice)
        assert "uses its own schedule" in page.status.text()
        # Nothing to do without an address; a disabled button says why.
        assert not page.create_button.isEnabled()
        assert page.create_button.toolTip() == "Type the database's address first."
        assert not page.move_back_button.isEnabled()

        page.address.setText("postgresql://tester@127.0.0.1:1/nowhere")
        said = step(qtbot, page, "test_button")
        assert said.startswith("✘") and "127.0.0.1:1" in said

        page.address.setText(url)
        said = step(qtbot, page, "test_button")
        assert said.startswith("✔"), said
        said = step(qtbot, page, "create_button")
        assert said.startswith("✔ Created the shared schedule") and "Restart" in said
        assert page.key_box.isVisible()
        shown_key = page.key_text.text().replace("\n", "")
        key = TeamKey.parse(shown_key)  # the key shown is a whole, valid key
        page.copy_button.click()
        assert QGuiApplication.clipboard().text() == key.text() == shown_key
        assert key.fingerprint() in page.key_note.text()
        # The password typed went to the keyring: the field shows the address as kept.
        assert SECRET not in page.address.text() + page.result.text() + page.status.text()
        assert page.address.text().startswith("postgresql://tester@127.0.0.1:")

        said = step(qtbot, page, "move_here_button")
        assert said.startswith("✔ Moved 1 account and 1 post with 1 video"), said
        # The address is in the settings without its password (the keyring has that), and
        # the dialog's Save keeps it there.
        assert dialog.settings.shared_database and SECRET not in dialog.settings.shared_database
        dialog.save()
        saved = SettingsStore(paths.resolve({paths.HOME_ENV: str(alice_home)})
                              .settings_file).load()
        assert saved.shared_database == dialog.settings.shared_database
    finally:
        alice.close()

    # Bob, another data folder, joins with the key Alice gave him.
    bob = member_graph(bob_home, team_sandbox)
    try:
        _dialog, page = settings_on_shared_tab(qtbot, bob)
        page.address.setText(url)
        assert not page.join_button.isEnabled()  # no key yet: it says so
        assert page.join_button.toolTip() == "Paste the team key you were given first."
        page.key.setText(shown_key[:-1] + ("A" if shown_key[-1] != "A" else "B"))
        said = step(qtbot, page, "join_button")
        assert said.startswith("✘") and "typo" in said, said
        page.key.setText(shown_key)
        said = step(qtbot, page, "join_button")
        assert said.startswith("✔ Joined the shared schedule") and key.fingerprint() in said
        assert page.key.text() == ""  # not left lying in a field
    finally:
        bob.close()
    bob = member_graph(bob_home, team_sandbox)  # his app, started again, opens it
    try:
        window = open_window(qtbot, bob)
        assert [p.caption for p in shown(window).values()] == ["moved along"]
        assert post.id in shown(window)
        _dialog, page = settings_on_shared_tab(qtbot, bob)
        assert "uses the shared schedule" in page.status.text()
        assert key.fingerprint() in page.status.text()
        said = step(qtbot, page, "move_back_button")
        assert said.startswith("✔ Copied 1 account and 1 post with 1 video"), said
        assert not page.move_back_button.isEnabled()  # his own schedule again
    finally:
        bob.close()


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_the_page_after_create_reads_in_the_palette(
        qtbot: QtBot, tmp_path: Path, url: str, team_sandbox: SandboxServer,
        palette: str) -> None:
    with app_palette(palette):
        graph = member_graph(tmp_path / "alice", team_sandbox)
        try:
            dialog, page = settings_on_shared_tab(qtbot, graph)
            page.address.setText(url)
            step(qtbot, page, "create_button")
            qtbot.waitUntil(lambda: "shared schedule at" in page.status.text(),
                            timeout=STEP_MS)
            SHOTS.mkdir(parents=True, exist_ok=True)
            assert dialog.grab().save(str(SHOTS / f"settings-shared-{palette}.png"))
            # The key's two lines fit their label; the texts are whole, nothing clipped.
            metrics = page.key_text.fontMetrics()
            assert all(metrics.horizontalAdvance(line) <= page.key_text.width()
                       for line in page.key_text.text().splitlines())
            for label in (page.result, page.status, page.key_note):
                assert label.height() >= label.heightForWidth(label.width()), label.text()
        finally:
            graph.close()
