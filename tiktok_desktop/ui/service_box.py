"""Settings' "Posting while the app is closed": the background service's toggle, its state,
its log, and what the OS allows about waking the computer.

The toggle acts at once (installing or removing an OS service is not a preference to save
later): the service manager is asked on the task pool, never on the GUI thread, and the
line under the toggle says what happened. The same words as the CLI (system/texts.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.system import BackgroundService, ServiceStatus, WakeTimer
from tiktok_desktop.system.service_log import service_log_path
from tiktok_desktop.system.texts import SERVICE_TOGGLE, service_toggle_tip
from tiktok_desktop.ui.first_paint import AfterFirstPaint
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.tones import Tone, set_tone
from tiktok_desktop.ui.widgets.reserved import grow_to_fit

__all__ = ["CHECK_EVERY_MS", "ServiceBox", "ServiceWatch", "status_text"]

log = logging.getLogger(__name__)

CHECK_EVERY_MS = 60_000  # the window's status bar follows the service this closely


def status_text(status: ServiceStatus) -> str:
    """What Settings says under the toggle: the state, what it last did, and the OS's notes."""
    if not status.installed:
        return ("Not installed: scheduled posts go out only while TikTok Desktop runs (in "
                "the window or the tray).")
    lines = [status.summary()]
    lines += status.notes
    return "\n".join(lines)


class ServiceBox(QGroupBox):
    """The toggle, a status line, Show log and the wake-timer sentence."""

    changed = Signal(object)  # ServiceStatus, after every check, install or uninstall

    def __init__(self, service: BackgroundService, wake_timer: WakeTimer, runner: TaskRunner,
                 run_args: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__("Posting while the app is closed", parent)
        self.service = service
        self.runner = runner
        self.run_args = list(run_args)
        self.status: ServiceStatus | None = None
        layout = QVBoxLayout(self)
        self.toggle = QCheckBox(SERVICE_TOGGLE)
        self.toggle.setToolTip(service_toggle_tip())
        self.toggle.setEnabled(False)  # until its state is known
        self.toggle.toggled.connect(self._toggled)
        layout.addWidget(self.toggle)
        self.state_line = QLabel("Checking the background service…")
        self.state_line.setObjectName("serviceState")
        self.state_line.setWordWrap(True)
        set_tone(self.state_line, Tone.MUTED)
        layout.addWidget(self.state_line)
        row = QHBoxLayout()
        self.show_log = QPushButton("Show log")
        self.show_log.setToolTip(f"Open the service's log ({service_log_path()})")
        self.show_log.clicked.connect(self.open_log)
        row.addWidget(self.show_log)
        row.addStretch(1)
        layout.addLayout(row)
        self.wake_line = QLabel(wake_timer.settings_text)
        self.wake_line.setObjectName("wakeTimer")
        self.wake_line.setWordWrap(True)
        set_tone(self.wake_line, Tone.MUTED)
        layout.addWidget(self.wake_line)
        self.check()

    # -- asking the OS ---------------------------------------------------------------------------

    def check(self) -> None:
        self.runner.submit(self.service.status, self._show, self._failed, owner=self)

    def _toggled(self, on: bool) -> None:
        if self.status is not None and on == self.status.installed:
            return  # set from a status, not by the user
        self.toggle.setEnabled(False)
        if on:
            self._say("Installing the background service…", Tone.MUTED)
            args = self.run_args
            self.runner.submit(lambda: self.service.install(args), self._installed,
                               self._failed, owner=self)
        else:
            self._say("Removing the background service…", Tone.MUTED)
            self.runner.submit(self._uninstall, self._show, self._failed, owner=self)

    def _uninstall(self) -> ServiceStatus:
        self.service.uninstall()
        return self.service.status()

    def _installed(self, status: ServiceStatus) -> None:
        log.info("background service installed: %s", status.state.value)
        self._show(status)

    def _show(self, status: ServiceStatus) -> None:
        self.status = status
        self.toggle.blockSignals(True)
        self.toggle.setChecked(status.installed)
        self.toggle.blockSignals(False)
        self.toggle.setEnabled(True)
        self.show_log.setEnabled(service_log_path().exists())
        tone = Tone.ERROR if status.installed and not status.running else Tone.MUTED
        self._say(status_text(status), tone)
        self.changed.emit(status)

    def _failed(self, exc: BaseException) -> None:
        # The toggle goes back to what the OS really has.
        self.toggle.blockSignals(True)
        self.toggle.setChecked(bool(self.status and self.status.installed))
        self.toggle.blockSignals(False)
        self.toggle.setEnabled(True)
        self._say(str(exc), Tone.ERROR)

    def _say(self, text: str, tone: Tone) -> None:
        set_tone(self.state_line, tone)
        self.state_line.setText(text)
        if self.isVisible():
            grow_to_fit(self.window())  # a longer state wraps: the dialog grows for it

    def open_log(self) -> None:
        path = service_log_path()
        if not path.exists():
            self._say("The service has not written its log yet.", Tone.MUTED)
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class ServiceWatch(QObject):
    """The window's view of the background service: asked at start and every minute (off the
    GUI thread), shown in the status bar while installed, and told by Settings at once."""

    changed = Signal(object)  # ServiceStatus

    def __init__(self, service: BackgroundService, runner: TaskRunner, label: QLabel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.label = label
        self.status: ServiceStatus | None = None  # None: not asked yet
        self._asking = False
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_EVERY_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()
        label.setVisible(False)
        # The first answer is asked for once the window has painted: it shows nothing before
        # (and on Linux it loads the D-Bus client for logind with this OS's parts).
        AfterFirstPaint(label.window(), self.check)

    @property
    def running(self) -> bool:
        return self.status is not None and self.status.running

    def check(self) -> None:
        if self._asking:
            return
        self._asking = True
        self.runner.submit(self.service.status, self.show, self._failed, owner=self.label)

    def _failed(self, exc: BaseException) -> None:
        self._asking = False
        log.info("could not ask the background service: %s", exc)

    def show(self, status: ServiceStatus) -> None:
        self._asking = False
        self.status = status
        self.label.setVisible(status.installed)
        if status.installed:
            self.label.setText(status.summary())
            self.label.setToolTip("\n\n".join(
                [f"Defined in {self.service.definition_path()}", *status.notes,
                 "Its log, newest last:\n" + "\n".join(status.last_lines[-5:])
                 if status.last_lines else "Its log is empty: it has not run yet."]))
            set_tone(self.label, Tone.MUTED if status.running else Tone.ERROR)
        self.changed.emit(status)
