"""A window whose shared schedule went out of reach (issue 20): it stays open and shows the
schedule as it last read it, a banner says what happened and what to do, and what would need
the database is out of use with the reason in its tooltip, until the server answers again
(ui/db_watch.py notices both), when everything comes back by itself.

The actions sit in a disabled QActionGroup meanwhile: a pane that enables an action on a new
selection cannot bring it back early (Qt keeps an action of a disabled group disabled), and
leaving the group restores what the pane last decided.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from tiktok_desktop.store import DatabaseUnreachable
from tiktok_desktop.ui.tones import Tone, set_tone

if TYPE_CHECKING:
    from tiktok_desktop.ui.accounts_pane import AccountsPane
    from tiktok_desktop.ui.db_watch import DatabaseWatch
    from tiktok_desktop.ui.schedule_pane import SchedulePane

__all__ = ["ReadOnlyBanner", "ReadOnlyGuard", "ReadOnlyMode", "banner_text", "reason_text"]

log = logging.getLogger(__name__)

BACK = "The shared schedule is back: changes are on again."

BANNER_TITLE = "The shared schedule cannot be reached"


def banner_text(where: str, problem: str) -> str:
    """The banner's words: what happened, what still works, what to do."""
    return (f"The database server of the shared schedule at {where} does not answer "
            f"({problem}). You see the schedule as it was; changes are off until the server "
            "is back, and this window reconnects by itself. Check that the server runs and "
            "that this computer is online. Nothing you typed is lost: an open post keeps its "
            "form until it can be saved.")


def reason_text(where: str) -> str:
    """A disabled action's tooltip."""
    return (f"Not now: the shared schedule at {where} cannot be reached. It comes back by "
            "itself when its server answers.")


class ReadOnlyBanner(QFrame):
    """The strip above the schedule while the database cannot be reached."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readOnlyBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(f"<b>{BANNER_TITLE}</b>")
        set_tone(self.title, Tone.ERROR)
        self.body = QLabel()
        self.body.setObjectName("readOnlyText")
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title)
        text.addWidget(self.body)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addLayout(text, 1)
        self.hide()

    def say(self, text: str) -> None:
        self.body.setText(text)
        self.show()


class ReadOnlyGuard(QObject):
    """Puts actions out of use with a reason, and back. ``buttons``: widgets that show an
    action's tooltip as their own (they follow its enabled state already); ``widgets``:
    controls that would read the database (the schedule's filters, its views), disabled."""

    def __init__(self, banner: ReadOnlyBanner, actions: Iterable[QAction],
                 buttons: Iterable[QWidget] = (), widgets: Iterable[QWidget] = (),
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.banner = banner
        self.actions = list(actions)
        self.buttons = list(buttons)
        self.widgets = list(widgets)
        self._enabled: dict[int, bool] = {}
        self.reason = ""
        self._group: QActionGroup | None = None
        self._tips: dict[int, str] = {}

    @property
    def active(self) -> bool:
        return bool(self.reason)

    def enter(self, where: str, problem: str) -> None:
        """The server went away (or said why again): say so, keep everything unchanged."""
        self.banner.say(banner_text(where, problem))
        if self.active:
            return
        self.reason = reason_text(where)
        group = QActionGroup(self)
        group.setExclusionPolicy(QActionGroup.ExclusionPolicy.None_)
        for act in self.actions:
            self._tips[id(act)] = act.toolTip()
            group.addAction(act)
            act.setToolTip(self.reason)
        group.setEnabled(False)
        self._group = group
        for widget in self.buttons + self.widgets:
            self._tips[id(widget)] = widget.toolTip()
            widget.setToolTip(self.reason)
        for widget in self.widgets:
            self._enabled[id(widget)] = widget.isEnabled()
            widget.setEnabled(False)

    def leave(self) -> None:
        """The server answers again: everything as the panes last decided."""
        if not self.active:
            return
        self.reason = ""
        self.banner.hide()
        group, self._group = self._group, None
        if group is not None:
            group.setEnabled(True)  # each action back to its own last setting
            for act in self.actions:
                group.removeAction(act)
                act.setToolTip(self._tips.get(id(act), act.toolTip()))
            group.deleteLater()
        for widget in self.buttons + self.widgets:
            widget.setToolTip(self._tips.get(id(widget), widget.toolTip()))
        for widget in self.widgets:
            widget.setEnabled(self._enabled.get(id(widget), True))
        self._tips.clear()
        self._enabled.clear()


class ReadOnlyMode(ReadOnlyGuard):
    """The main window's side: its watch says the server went away or came back, and the
    panes, the banner and ``actions`` (the window's own that need the database) follow;
    ``catch_up`` reads what changed meanwhile, ``say`` puts a line in the status bar."""

    def __init__(self, banner: ReadOnlyBanner, watch: DatabaseWatch, schedule: SchedulePane,
                 accounts: AccountsPane, actions: Iterable[QAction], *,
                 catch_up: Callable[[], None], say: Callable[[str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(
            banner, [*actions, *accounts.actions_for_menu(),
                     *schedule.actions.writing_actions()],
            accounts.buttons(),
            [schedule.filters, *schedule.mode_buttons.values(), schedule.calendar.prev_button,
             schedule.calendar.today_button, schedule.calendar.next_button], parent)
        self.watch = watch
        self.schedule = schedule
        self.accounts = accounts
        self._catch_up = catch_up
        self._say = say
        watch.changed.connect(self.catch_up)
        watch.lost.connect(self.lost)
        watch.back.connect(self.back)

    def lost(self, problem: str) -> None:
        self.enter(self.watch.where, problem)
        self.schedule.actions.read_only = self.reason
        self.accounts.read_only = self.reason
        self.accounts.update_details()

    def back(self) -> None:
        self.leave()
        self.schedule.actions.read_only = ""
        self.accounts.read_only = ""
        self.schedule.actions.update(self.schedule.current_post())
        self.catch_up()  # whatever happened meanwhile
        self._say(BACK)

    def catch_up(self) -> None:
        try:
            self._catch_up()
        except DatabaseUnreachable as exc:  # gone again between the signal and the read
            log.info("could not catch up with the database: %s", exc)
