"""The question asked before quitting would leave scheduled posts unsent.

TikTok has no scheduling of its own: posts go out only while this app runs. Quitting (Ctrl+Q,
the tray's Quit, closing the window when it does not stay in the tray) with posts to come
asks first, and offers to keep the app running in the tray instead.

The box is built in one function, ``quit_box``, with one choice per button, so another way
to keep posting (installing the background service) is one more button here.
"""

from __future__ import annotations

import enum

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from tiktok_desktop.domain.words import count

__all__ = ["QuitChoice", "quit_box"]


class QuitChoice(enum.Enum):
    KEEP_IN_TRAY = "keep running in the tray"
    QUIT = "quit anyway"
    CANCEL = "cancel"


def quit_box(parent: QWidget, due: int, next_due: str, *,
             tray: bool) -> tuple[QMessageBox, dict[QAbstractButton, QuitChoice]]:
    """The box (not shown yet) and what each of its buttons means.

    ``due``: posts that would go out while the app is closed; ``next_due``: the first one's
    time as the window shows it; ``tray``: the desktop has a tray to keep running in.
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Posts are scheduled")
    box.setText(f"You have {count(due, 'scheduled post')}; the next is due {next_due}.")
    box.setInformativeText(
        "They go out only while TikTok Desktop is running: TikTok has no scheduling of its "
        "own. While the app is closed, nothing is posted"
        + (" — keep it running in the tray and they go out on time." if tray else "."))
    choices: dict[QAbstractButton, QuitChoice] = {}
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
