"""The question asked before quitting would leave scheduled posts unsent.

TikTok has no scheduling of its own: posts go out only while this app runs. Quitting (Ctrl+Q,
the tray's Quit, closing the window when it does not stay in the tray) with posts to come
asks first, and offers to keep the app running in the tray instead.

The box is built in one function, ``quit_box``, with one choice per button; where the OS
has a background service (system/) that is not installed, one of them installs it and then
quits. While the service runs, quitting asks nothing: it posts them.
"""

from __future__ import annotations

import enum

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from tiktok_desktop.domain.words import count
from tiktok_desktop.system.texts import quit_prompt

__all__ = ["QuitChoice", "quit_box"]


class QuitChoice(enum.Enum):
    INSTALL_SERVICE = "install the background service, then quit"
    KEEP_IN_TRAY = "keep running in the tray"
    QUIT = "quit anyway"
    CANCEL = "cancel"


def quit_box(parent: QWidget, due: int, next_due: str, *, tray: bool,
             service: bool = False) -> tuple[QMessageBox, dict[QAbstractButton, QuitChoice]]:
    """The box (not shown yet) and what each of its buttons means.

    ``due``: posts that would go out while the app is closed; ``next_due``: the first one's
    time as the window shows it; ``tray``: the desktop has a tray to keep running in;
    ``service``: a background service can be installed here (and is not).
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Posts are scheduled")
    box.setText(f"You have {count(due, 'scheduled post')}; the next is due {next_due}.")
    box.setInformativeText(
        "They go out only while TikTok Desktop is running: TikTok has no scheduling of its "
        "own. While the app is closed, nothing is posted"
        + (" — keep it running in the tray and they go out on time." if tray else ".")
        + (" Or install the background service: it posts them even when the app is closed, "
           "and starts at every login." if service else ""))
    choices: dict[QAbstractButton, QuitChoice] = {}
    if service:
        install = box.addButton(quit_prompt(due, next_due).install,
                                QMessageBox.ButtonRole.AcceptRole)
        choices[install] = QuitChoice.INSTALL_SERVICE  # never the default: it changes the OS
    if tray:
        keep = box.addButton("Keep running in the tray", QMessageBox.ButtonRole.AcceptRole)
        choices[keep] = QuitChoice.KEEP_IN_TRAY
        box.setDefaultButton(keep)
    quit_ = box.addButton("Quit anyway", QMessageBox.ButtonRole.DestructiveRole)
    choices[quit_] = QuitChoice.QUIT
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    choices[cancel] = QuitChoice.CANCEL
    box.setEscapeButton(cancel)
    if not tray:
        box.setDefaultButton(cancel)
    return box, choices
