"""Light and dark palettes (issue 13, item 12): the form's notes, the caption counter, the
zone, the problems and Settings' test result stay readable; contrast is measured on what the
widgets paint (WCAG AA: 4.5:1 for text)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from tests.helpers.palettes import app_palette, contrast, painted_contrast
from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import connect, open_ready, open_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.domain.compose import PROCESSING_NOTICE
from tiktok_desktop.services.credentials import CredentialCheck
from tiktok_desktop.store import AccountStatus
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.settings_dialog import SettingsDialog

AA = 4.5
PALETTES = ("light", "dark")


@pytest.fixture(params=PALETTES)
def palette(request: pytest.FixtureRequest) -> Iterator[str]:
    with app_palette(request.param):
        yield request.param


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph, palette: str) -> Iterator[MainWindow]:
    connect(graph)
    with open_window(qtbot, graph, active=False) as win:
        win.show()
        yield win


def _readable(widget: QWidget) -> float:
    assert widget.isVisible(), widget.objectName()
    return painted_contrast(widget)


def test_the_forms_notes_read_in_both_palettes(qtbot: QtBot, window: MainWindow,
                                               videos: VideoFactory, palette: str) -> None:
    c = open_ready(qtbot, window, videos.get())
    c.disclose.setChecked(True)  # shows the disclosure hints, and a problem
    assert c.notice.text().startswith(PROCESSING_NOTICE)
    assert c.problems.text()
    for widget in (c.notice, c.caption.counter, c.at_edit.zone_label, c.problems):
        assert _readable(widget) >= AA, (palette, widget.objectName(), widget.text())
    hints = [w for w in c.disclosure_box.findChildren(QWidget)
             if w.isVisible() and "labeled as" in getattr(w, "text", lambda: "")()]
    assert len(hints) == 2
    for hint in hints:
        assert _readable(hint) >= AA, (palette, hint.text())  # type: ignore[attr-defined]
    c.caption.setText("x" * 2300)  # over the limit: the counter says so in the error tone
    assert _readable(c.caption.counter) >= AA


def test_settings_test_result_reads_in_both_palettes(qtbot: QtBot, window: MainWindow,
                                                     palette: str) -> None:
    prefs = window.prefs
    dialog = SettingsDialog(prefs.store, prefs.settings, prefs.app_vault, prefs.credentials(),
                            window, tester=lambda *_a: CredentialCheck(True, "ok"),
                            runner=window.runner)
    qtbot.addWidget(dialog)
    dialog.show()
    for check in (CredentialCheck(True, "TikTok accepts this client key."),
                  CredentialCheck(False, "TikTok does not know this client key.")):
        dialog._tested(check)
        assert _readable(dialog.test_result) >= AA, (palette, check)


def test_account_status_colours_read_in_both_palettes(window: MainWindow, graph: AppGraph,
                                                      palette: str) -> None:
    from PySide6.QtCore import Qt

    account = graph.accounts.list_accounts()[0]
    base = window.accounts_pane.view.palette().color(QPalette.ColorRole.Base)
    for status in (AccountStatus.NEEDS_RECONNECT, AccountStatus.DISCONNECTED):
        graph.accounts.repo.set_status(account.id, status)
        window.refresh()
        colour = window.accounts_model.index(0, 1).data(Qt.ItemDataRole.ForegroundRole)
        assert contrast(colour, base) >= AA, (palette, status, colour.name())
