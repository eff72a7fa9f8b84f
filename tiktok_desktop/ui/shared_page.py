"""Settings → Shared schedule (issue 20): the database's address, Test, Create new, Join with the
team key, Move my schedule there and Move it back, over services.shared.SharedSchedule.

Every step reaches a database server (seconds; a move copies every post and video), so each
runs off the GUI thread through the window's TaskRunner, with a busy bar and the step named;
the buttons wait meanwhile. The team key made by Create is shown once, with a Copy button;
nothing else keeps it but this computer's keyring. The database password typed in the address
goes to the keyring too (the service's doing); the page never shows it back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.domain.words import count
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.tones import Tone, set_tone

if TYPE_CHECKING:
    from tiktok_desktop.services.shared import (
        Joined,
        Moved,
        Probe,
        SharedSchedule,
        SharedStatus,
    )

log = logging.getLogger(__name__)

INTRO = ("A shared schedule lives in a PostgreSQL database that your team's computers and "
         "runners reach: every window sees every change, and any runner publishes. Sign-ins "
         "and videos travel through it; secrets only sealed with the team key.")
ADDRESS_HINT = "postgresql://user:password@host:5432/database"
NEEDS_ADDRESS = "Type the database's address first."
NEEDS_KEY = "Paste the team key you were given first."
RESTART = "Restart TikTok Desktop to open it; until then this window shows the schedule it had."


def _key_lines(text: str) -> str:
    """The key's groups on two lines (it is long); copied as one."""
    groups = text.split("-")
    half = (len(groups) + 1) // 2
    return "-".join(groups[:half]) + "-\n" + "-".join(groups[half:])


def _counts(counts: dict[str, int]) -> str:
    """ "2 accounts and 1 post" (the tables a person knows)."""
    return (f"{count(counts.get('accounts', 0), 'account')} and "
            f"{count(counts.get('posts', 0), 'post')}")


class SharedSchedulePage(QWidget):
    """``switched(url)``: the settings' shared_database changed ("" : this computer's own)."""

    switched = Signal(str)
    finished = Signal(str)  # a step ended: what the page says about it (tests wait on it)

    def __init__(self, service: SharedSchedule, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        # (title, text) -> go ahead? Tests replace it.
        self.confirm: Callable[[str, str], bool] = self._ask
        self._busy = False
        self._uses_shared = bool(service.configured)
        layout = QVBoxLayout(self)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.status = QLabel("Reading how this computer stands…")
        self.status.setObjectName("sharedStatus")
        self.status.setWordWrap(True)
        set_tone(self.status, Tone.MUTED)
        layout.addWidget(self.status)

        where = QGroupBox("Database")
        form = QFormLayout(where)
        self.address = QLineEdit()
        self.address.setPlaceholderText(ADDRESS_HINT)
        self.address.setToolTip("The password you type here is kept in the system keyring, "
                                "never in a file; the address without it in the settings.")
        self.address.textChanged.connect(self._update)
        form.addRow("Address:", self.address)
        first = QHBoxLayout()
        self.test_button = QPushButton("Test")
        self.test_button.setToolTip("Reach the server and check that it can hold a shared "
                                    "schedule; changes nothing")
        self.create_button = QPushButton("Create new")
        self.create_button.setToolTip("Make a new shared schedule in this (empty) database, "
                                      "with a new team key for your team")
        for b in (self.test_button, self.create_button):
            first.addWidget(b)
        first.addStretch(1)
        form.addRow("", first)
        self.key = QLineEdit()
        self.key.setPlaceholderText("XXXXX-XXXXX-… (from whoever created the schedule)")
        self.key.textChanged.connect(self._update)
        form.addRow("Team key:", self.key)
        second = QHBoxLayout()
        self.join_button = QPushButton("Join")
        self.join_button.setToolTip("Use the shared schedule at this address from this "
                                    "computer, with its team key")
        second.addWidget(self.join_button)
        second.addStretch(1)
        form.addRow("", second)
        layout.addWidget(where)

        move = QGroupBox("This computer's schedule")
        mform = QVBoxLayout(move)
        note = QLabel("Move copies everything (accounts, posts and their history, queues, "
                      "templates, statistics, videos and sign-ins) in one step; the copy left "
                      "behind is never deleted.")
        note.setWordWrap(True)
        set_tone(note, Tone.MUTED)
        mform.addWidget(note)
        row = QHBoxLayout()
        self.move_here_button = QPushButton("Move my schedule there")
        self.move_here_button.setToolTip("Copy this computer's own schedule into the shared "
                                         "schedule at this address (it must be empty)")
        self.move_back_button = QPushButton("Move it back")
        self.move_back_button.setToolTip("Copy the shared schedule into a new schedule on "
                                         "this computer and use that again; the shared one "
                                         "stays for the others")
        row.addWidget(self.move_here_button)
        row.addWidget(self.move_back_button)
        row.addStretch(1)
        mform.addLayout(row)
        layout.addWidget(move)

        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the steps cannot tell how far they are
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.result = QLabel()
        self.result.setObjectName("sharedResult")
        self.result.setWordWrap(True)
        self.result.hide()
        layout.addWidget(self.result)
        self.key_box = self._key_box()
        layout.addWidget(self.key_box)
        layout.addStretch(1)

        self.test_button.clicked.connect(self.test)
        self.create_button.clicked.connect(self.create)
        self.join_button.clicked.connect(self.join)
        self.move_here_button.clicked.connect(self.move_here)
        self.move_back_button.clicked.connect(self.move_back)
        self._update()
        self._run("Reading how this computer stands…", service.status, self._status_read,
                  quiet=True)

    def _key_box(self) -> QFrame:
        box = QFrame()
        box.setObjectName("teamKeyBox")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        inner = QVBoxLayout(box)
        title = QLabel("<b>Your team key — shown only this once</b>")
        inner.addWidget(title)
        self.key_text = QLabel()
        self.key_text.setObjectName("teamKey")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.key_text.setFont(mono)
        self.key_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        inner.addWidget(self.key_text)
        self.key_note = QLabel()
        self.key_note.setWordWrap(True)
        inner.addWidget(self.key_note)
        copy_row = QHBoxLayout()
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the team key to the clipboard")
        self.copy_button.clicked.connect(self.copy_key)
        copy_row.addWidget(self.copy_button)
        copy_row.addStretch(1)
        inner.addLayout(copy_row)
        box.hide()
        self._key = ""
        return box

    # -- state ----------------------------------------------------------------------------

    def _update(self) -> None:
        has_url = bool(self.address.text().strip())
        has_key = bool(self.key.text().strip())
        idle = not self._busy
        for button in (self.test_button, self.create_button, self.move_here_button):
            button.setEnabled(idle and has_url)
            self._why(button, "" if has_url else NEEDS_ADDRESS)
        self.join_button.setEnabled(idle and has_url and has_key)
        self._why(self.join_button, NEEDS_ADDRESS if not has_url else
                  NEEDS_KEY if not has_key else "")
        self.move_back_button.setEnabled(idle and self._uses_shared)
        self._why(self.move_back_button, "" if self._uses_shared else
                  "This computer uses its own schedule: there is nothing to move back.")

    @staticmethod
    def _why(button: QPushButton, reason: str) -> None:
        """A disabled button's tooltip says why; its own tip comes back once it can act."""
        own = button.property("ownTip")
        if own is None:
            own = button.toolTip()
            button.setProperty("ownTip", own)
        button.setToolTip(reason or str(own))

    def _status_read(self, status: SharedStatus) -> None:
        self._uses_shared = bool(status.where)
        if not status.where:
            text = f"This computer uses its own schedule ({status.local_file})."
            if self.service.target is None:
                text += (" It posts to the built-in sandbox, which only this app reaches: "
                         "to share a schedule, set up your TikTok app above first, or start "
                         "with --sandbox-url at a sandbox everyone reaches.")
        elif status.reachable and status.joined:
            text = (f"This computer uses the shared schedule at {status.where} ("
                    f"{_counts(status.counts)}; team key {status.fingerprint}).")
        else:
            text = f"This computer uses the shared schedule at {status.where}. {status.problem}"
        if status.where and not self.address.text():
            self.address.setText(self.service.configured)
        self.status.setText(text)
        self._update()

    # -- the steps ----------------------------------------------------------------------------

    def _url(self) -> str:
        return self.address.text().strip()

    def test(self) -> None:
        url = self._url()
        self._run("Testing the address…", lambda: self.service.test(url), self._tested)

    def _tested(self, probe: Probe) -> None:
        self._say(probe.message, probe.ok)

    def create(self) -> None:
        url = self._url()
        self._run("Creating the shared schedule…", lambda: self.service.init(url),
                  self._created)

    def _created(self, joined: Joined) -> None:
        assert joined.key is not None
        self._show_key(joined.key.text(), joined.fingerprint)
        self._switched()
        self._say(f"Created the shared schedule at {joined.where}; it talks to "
                  f"{joined.target.words}. {RESTART}", True)

    def join(self) -> None:
        url, key = self._url(), self.key.text().strip()
        self._run("Joining the shared schedule…", lambda: self.service.join(url, key),
                  self._joined)

    def _joined(self, joined: Joined) -> None:
        self.key.clear()  # the key is in the keyring now; not left in a field
        self._switched()
        self._say(f"Joined the shared schedule at {joined.where} (team key "
                  f"{joined.fingerprint}; compare it with whoever gave it to you). {RESTART}",
                  True)

    def move_here(self) -> None:
        url = self._url()
        if not self.confirm("Move my schedule there",
                            "Copy this computer's schedule into the shared schedule at this "
                            "address, and use the shared one from now on?\n\nQuit anything "
                            "else that posts from this computer first (a background service)."
                            " The schedule on this computer is kept as it is."):
            return
        self._run("Moving this computer's schedule there (videos too: this can take a "
                  "while)…", lambda: self.service.move_here(url), self._moved_here)

    def _moved_here(self, moved: Moved) -> None:
        self._switched()
        self._say(f"Moved {_counts(moved.counts)} with {count(moved.videos, 'video')} into the "
                  f"shared schedule at {moved.where}. Your schedule on this computer is "
                  f"still in {moved.local_file}. {RESTART}", True)

    def move_back(self) -> None:
        if not self.confirm("Move it back",
                            "Copy the shared schedule into a new schedule on this computer "
                            "and use that from now on?\n\nThe shared schedule stays as it is "
                            "for the others; an earlier schedule on this computer is set "
                            "aside, not deleted."):
            return
        self._run("Moving the shared schedule back to this computer…", self.service.move_back,
                  self._moved_back)

    def _moved_back(self, moved: Moved) -> None:
        self._switched()
        aside = f" The earlier one was set aside as {moved.set_aside}." if moved.set_aside \
            else ""
        self._say(f"Copied {_counts(moved.counts)} with {count(moved.videos, 'video')} from "
                  f"{moved.where} into {moved.local_file}.{aside} Restart TikTok Desktop to "
                  "use it.", True)

    def _switched(self) -> None:
        configured = self.service.configured
        self._uses_shared = bool(configured)
        if configured:  # the address as kept: its password went to the keyring
            self.address.setText(configured)
        self._update()
        self.switched.emit(configured)
        self._run("Reading how this computer stands…", self.service.status,
                  self._status_read, quiet=True)

    # -- running a step -----------------------------------------------------------------------

    def _run(self, step: str, work: Callable[[], Any], done: Callable[[Any], None], *,
             quiet: bool = False) -> None:
        """``work`` off the GUI thread; ``quiet``: no busy bar, the buttons stay."""
        if not quiet:
            self._busy = True
            self._update()
            self.progress.show()
            self._say(step, None)
        self.runner.submit(work, lambda value: self._done(done, value, quiet),
                           lambda exc: self._failed(exc, quiet), owner=self)

    def _done(self, done: Callable[[Any], None], value: Any, quiet: bool) -> None:
        if not quiet:
            self._stop()
        done(value)
        if not quiet:
            self.finished.emit(self.result.text())

    def _failed(self, exc: BaseException, quiet: bool) -> None:
        if quiet:
            self.status.setText(str(exc))
            return
        self._stop()
        self._say(str(exc), False)
        self.finished.emit(self.result.text())

    def _stop(self) -> None:
        self._busy = False
        self.progress.hide()
        self._update()

    def _say(self, text: str, ok: bool | None) -> None:
        set_tone(self.result, {True: Tone.OK, False: Tone.ERROR, None: Tone.MUTED}[ok])
        self.result.setText(("✔ " if ok else "✘ " if ok is False else "") + text)
        self.result.show()

    # -- the team key -------------------------------------------------------------------------

    def _show_key(self, text: str, fingerprint: str) -> None:
        self._key = text
        self.key_text.setText(_key_lines(text))
        self.key_note.setText(
            "Give it to every member and runner of your team (they join with it); keep it "
            "like a password. This computer keeps it in the system keyring; no window shows "
            f"it again. Its fingerprint, to compare aloud: {fingerprint}.")
        self.key_box.show()

    def copy_key(self) -> None:
        QGuiApplication.clipboard().setText(self._key)
        self.copy_button.setText("Copied")

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes
