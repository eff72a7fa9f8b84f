"""Add account in the GUI against the in-process sandbox: the test plays the browser."""

from __future__ import annotations

import httpx
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from tests.helpers.browser import play_consent
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import AccountStatus
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.models import ROW_ROLE


def _window(qtbot: QtBot, graph: AppGraph, opened: list[str]) -> MainWindow:
    window = main_window(graph, open_url=lambda url: opened.append(url) or False)
    qtbot.addWidget(window)
    window.show()
    return window


def _connect_through_gui(qtbot: QtBot, window: MainWindow, **browser: object) -> None:
    qtbot.mouseClick(window.accounts_pane.add_button, Qt.MouseButton.LeftButton)
    dialog = window.accounts_pane.dialog
    assert dialog is not None and dialog.isVisible()
    url = dialog.url.text()
    with qtbot.waitSignal(dialog.connected, timeout=20000):
        page = play_consent(url, **browser)  # type: ignore[arg-type]
        assert "close this tab" in page.text
    assert not dialog.isVisible()


def test_add_account_end_to_end(qtbot: QtBot, graph: AppGraph) -> None:
    opened: list[str] = []
    window = _window(qtbot, graph, opened)
    _connect_through_gui(qtbot, window)
    assert opened and opened[0].startswith(graph.endpoints.auth_base)
    dialog = window.accounts_pane.dialog
    assert dialog is not None
    assert "Could not open a browser" in dialog.status.text()  # open_url said no
    creator = graph.sandbox_server.users[0] if graph.sandbox_server else None
    assert creator is not None
    model = window.accounts_model
    assert model.rowCount() == 1
    assert model.index(0, 0).data() == f"{creator.nickname}\n@{creator.username}"
    status = model.index(0, 1).data()
    assert status.startswith("Connected\nuntil ")
    # What the account may do is in the tooltip; nothing is missing, so the status says so.
    assert "Allowed: Post, Inbox, Videos, Profile, @name" in model.index(0, 1).data(
        Qt.ItemDataRole.ToolTipRole)
    # The picture was fetched during the connect and is drawn from the cache, not initials.
    assert graph.avatars.cached(creator.open_id) is not None
    picture = model.index(0, 0).data(Qt.ItemDataRole.DecorationRole)
    account = graph.accounts.list_accounts()[0]
    assert picture.cacheKey() == window.pictures.picture(account).cacheKey()  # decoded once
    assert not picture.toImage().isNull()
    assert window.accounts_pane.view.isVisible()
    assert "Connected" in window.statusBar().currentMessage()


def test_disconnect_from_the_pane(qtbot: QtBot, graph: AppGraph) -> None:
    window = _window(qtbot, graph, [])
    _connect_through_gui(qtbot, window)
    pane = window.accounts_pane
    pane.view.selectionModel().select(
        pane.view.model().index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    assert pane.disconnect_button.isEnabled()
    asked: list[str] = []
    pane.confirm = lambda text: asked.append(text) or True
    with qtbot.waitSignal(pane.changed, timeout=10000):
        qtbot.mouseClick(pane.disconnect_button, Qt.MouseButton.LeftButton)
    assert "scheduled posts stay" in asked[0]
    assert graph.accounts.list_accounts()[0].status is AccountStatus.DISCONNECTED
    assert window.accounts_model.index(0, 1).data() == "Disconnected"
    assert window.accounts_model.index(0, 1).data(Qt.ItemDataRole.ForegroundRole) is not None


def test_cancel_stops_listening(qtbot: QtBot, graph: AppGraph) -> None:
    window = _window(qtbot, graph, [])
    qtbot.mouseClick(window.accounts_pane.add_button, Qt.MouseButton.LeftButton)
    dialog = window.accounts_pane.dialog
    assert dialog is not None and dialog.attempt is not None
    redirect = dialog.attempt.redirect_uri
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()

    def closed() -> bool:
        try:
            httpx.get(redirect, timeout=1)
        except httpx.ConnectError:
            return True  # nobody listens any more
        except httpx.TransportError:
            return False  # reset while the receiver was closing: look again
        return False

    qtbot.waitUntil(closed, timeout=5000)
    assert graph.accounts.list_accounts() == []


def _select_first(window: MainWindow) -> None:
    pane = window.accounts_pane
    pane.view.selectionModel().select(
        pane.view.model().index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)


def test_reconnect_that_signs_in_another_user_says_which_came_back(
        qtbot: QtBot, graph: AppGraph) -> None:
    window = _window(qtbot, graph, [])
    _connect_through_gui(qtbot, window)
    assert graph.sandbox_server is not None
    creator, other = graph.sandbox_server.users[:2]
    _select_first(window)
    pane = window.accounts_pane
    qtbot.mouseClick(pane.reconnect_button, Qt.MouseButton.LeftButton)
    dialog = pane.dialog
    assert dialog is not None and dialog.windowTitle() == f"Reconnect {creator.nickname} " \
        f"(@{creator.username})"
    assert f"Sign in as {creator.nickname}" in dialog.hint.text()
    with qtbot.waitSignal(dialog.connected, timeout=20000):
        page = play_consent(dialog.url.text(), user=other.open_id)  # the browser's choice
    said = f"Connected {other.nickname} (@{other.username}), not {creator.nickname} " \
        f"(@{creator.username})."
    assert window.statusBar().currentMessage() == said
    assert said in page.text.replace("&#x27;", "'")
    assert pane.note is not None and pane.note.isVisible()
    assert pane.note.windowTitle().endswith("was not reconnected")
    assert "is still not connected" in pane.note.text() and "Reconnect again" in pane.note.text()
    pane.note.close()
    assert window.accounts_model.rowCount() == 2


def test_a_locked_keyring_at_connect_is_not_called_connected(
        qtbot: QtBot, graph: AppGraph) -> None:
    import keyring

    from tests.helpers.lockable_keyring import LOCKED, LockableKeyring

    lockable = LockableKeyring()
    keyring.set_keyring(lockable)
    window = _window(qtbot, graph, [])
    qtbot.mouseClick(window.accounts_pane.add_button, Qt.MouseButton.LeftButton)
    dialog = window.accounts_pane.dialog
    assert dialog is not None
    lockable.locked = True  # the unlock prompt was dismissed while the browser was open
    qtbot.waitUntil(lambda: dialog.attempt is not None and dialog.attempt.receiver.waiting())
    page = play_consent(dialog.url.text())
    assert "<h1>Not connected</h1>" in page.text and LOCKED in page.text
    qtbot.waitUntil(dialog.retry_button.isVisible)
    assert LOCKED in dialog.status.text() and "!." not in dialog.status.text()
    assert dialog.isVisible() and graph.accounts.list_accounts() == []


def test_each_account_shows_its_own_coloured_picture(qtbot: QtBot, graph: AppGraph) -> None:
    """The sandbox's pictures are SVG; Qt's decoder knows no hsl(), which made every account
    a black "S" (all the seeded nicknames start with "Sandbox")."""
    assert graph.sandbox_server is not None
    first, second = graph.sandbox_server.users[:2]
    window = _window(qtbot, graph, [])
    _connect_through_gui(qtbot, window)
    _connect_through_gui(qtbot, window, user=second.open_id)
    model = window.accounts_model
    assert model.rowCount() == 2
    images = {}
    for row in range(2):
        index = model.index(row, 0)
        account = index.data(ROW_ROLE)
        assert graph.avatars.cached(account.open_id) is not None  # the sandbox's, not initials
        image = index.data(Qt.ItemDataRole.DecorationRole).toImage()
        # Inside the circle, left of the letters: the account's colour, not black.
        colour = image.pixelColor(image.width() // 8, image.height() // 2)
        assert colour.alpha() > 200 and colour.lightness() > 60, colour.name()
        images[account.open_id] = image
    assert images[first.open_id] != images[second.open_id]


def test_with_no_account_the_title_stays_on_top_and_the_empty_state_takes_the_height(
        qtbot: QtBot, graph: AppGraph) -> None:
    window = _window(qtbot, graph, [])
    qtbot.waitExposed(window)
    pane = window.accounts_pane
    assert pane.empty.isVisible()
    title = pane._layout.itemAt(0).widget()
    # The title is the first row, at the pane's top margin, not pushed down by spread space;
    # the empty state holds what the title, notes and buttons leave.
    assert title.geometry().top() <= pane._layout.contentsMargins().top() + 2
    assert pane.empty.height() > pane.height() // 2
    assert pane.empty.geometry().top() - title.geometry().bottom() < title.height() * 4
