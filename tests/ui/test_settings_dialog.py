"""The Settings dialog refuses values the settings file could not be read back with."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.config import MAX_GRACE_MINUTES, SettingsStore
from tiktok_desktop.ui.settings_dialog import SettingsDialog


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from PySide6.QtWidgets import QMessageBox

    texts: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: texts.append(text))
    return texts


def dialog_for(qtbot: QtBot, graph: AppGraph) -> SettingsDialog:
    dialog = SettingsDialog(graph.settings_store, graph.settings, graph.app_vault,
                            graph.credentials())
    qtbot.addWidget(dialog)
    return dialog


def test_the_grace_field_offers_only_the_range_the_file_accepts(qtbot: QtBot,
                                                                graph: AppGraph) -> None:
    dialog = dialog_for(qtbot, graph)
    assert (dialog.grace.minimum(), dialog.grace.maximum()) == (0, MAX_GRACE_MINUTES)
    dialog.grace.setValue(10**6)
    assert dialog.grace.value() == MAX_GRACE_MINUTES


@pytest.mark.parametrize("field, text, words", [
    ("client_key", "ck-1\u001b[2J", "\u201cClient key\u201d must be text of at most 200"),
    ("client_key", "k" * 201, "\u201cClient key\u201d must be text of at most 200"),
    ("client_secret", "secret\u0000part", "\u201cClient secret\u201d must be the secret"),
])
def test_values_the_file_would_refuse_are_refused_with_a_message(
        qtbot: QtBot, graph: AppGraph, shown: list[str], field: str, text: str,
        words: str) -> None:
    dialog = dialog_for(qtbot, graph)
    getattr(dialog, field).setText(text)
    dialog.save()
    [message] = shown
    assert message.startswith(words) and message.endswith("Correct it and save again.")
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert not graph.settings_store.path.exists()  # nothing saved
    assert graph.settings.client_key == ""  # nor changed in memory


def test_what_the_dialog_saves_loads_back_without_problems(qtbot: QtBot,
                                                           graph: AppGraph) -> None:
    dialog = dialog_for(qtbot, graph)
    dialog.client_key.setText("ck-2")
    dialog.grace.setValue(MAX_GRACE_MINUTES)
    dialog.timezone.setCurrentIndex(dialog.timezone.findData("Pacific/Apia"))
    dialog.save()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    again = SettingsStore(graph.settings_store.path)
    loaded = again.load()
    assert again.load_problems == []
    assert (loaded.client_key, loaded.late_grace_minutes, loaded.timezone) == (
        "ck-2", MAX_GRACE_MINUTES, "Pacific/Apia")
