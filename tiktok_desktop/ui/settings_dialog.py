"""Settings: the TikTok app's credentials (secret to the keyring), scheduling preferences, and
(a tab of its own) the shared schedule (ui/shared_page.py)."""

from __future__ import annotations

import dataclasses
import logging
import zoneinfo
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.config import (
    DEFAULT_REDIRECT_URI,
    MAX_GRACE_MINUTES,
    Credentials,
    Settings,
    SettingsStore,
)
from tiktok_desktop.credentials.vault import Vault, VaultError
from tiktok_desktop.services.credentials import CredentialCheck
from tiktok_desktop.services.loopback import LoopbackError, RedirectTemplate
from tiktok_desktop.system import SystemParts, autostart
from tiktok_desktop.ui.service_box import ServiceBox
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.tones import Tone, set_tone
from tiktok_desktop.ui.widgets.reserved import grow_to_fit

if TYPE_CHECKING:  # the page and its service load when Settings opens on a shared set-up
    from tiktok_desktop.services.shared import SharedSchedule
    from tiktok_desktop.ui.shared_page import SharedSchedulePage

# (client key, client secret or "" for the saved one, redirect URI) -> verdict; blocking.
Tester = Callable[[str, str, str], CredentialCheck]

log = logging.getLogger(__name__)

_SOURCE_NOTE = {
    "environment": "Set by the environment variable {var}; it overrides this field.",
    ".env": "Set in the .env file of the working folder ({var}); it overrides this field.",
}


class SettingsDialog(QDialog):
    tested = Signal(object)  # the CredentialCheck shown

    def __init__(self, store: SettingsStore, settings: Settings, vault: Vault,
                 credentials: Credentials, parent: QWidget | None = None, *,
                 tester: Tester | None = None, runner: TaskRunner | None = None,
                 sandbox: bool = False, audit_note: str = "",
                 system: SystemParts | None = None, service_args: Sequence[str] = (),
                 shared: SharedSchedule | None = None) -> None:
        super().__init__(parent)
        self.tester = tester
        self.runner = runner
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.store = store
        self.settings = settings
        self.vault = vault
        outer = QVBoxLayout(self)
        general = QWidget()
        layout = QVBoxLayout(general)

        app_box = QGroupBox("TikTok app")
        form = QFormLayout(app_box)
        intro = QLabel(
            "Use the client key and secret of your own app from developers.tiktok.com. "
            "Leave them empty to use the built-in sandbox."
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.client_key = QLineEdit(settings.client_key)
        self.client_key.setPlaceholderText("e.g. aw1b2c3d4e5f6g7h")
        form.addRow("Client key:", self.client_key)
        self._note(form, credentials, "client_key", "TIKTOK_CLIENT_KEY")
        self.client_secret = QLineEdit()
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self._secret_saved = False
        try:
            self._secret_saved = bool(vault.client_secret())
            self.client_secret.setPlaceholderText(
                "Saved in the system keyring; type to replace" if self._secret_saved
                else "Stored in the system keyring, never in a file"
            )
        except VaultError as exc:
            self.client_secret.setEnabled(False)
            self.client_secret.setPlaceholderText("No secure keyring available")
            self.client_secret.setToolTip(str(exc))
        form.addRow("Client secret:", self.client_secret)
        self._note(form, credentials, "client_secret", "TIKTOK_CLIENT_SECRET")
        self.redirect_uri = QLineEdit(settings.redirect_uri)
        self.redirect_uri.setPlaceholderText(DEFAULT_REDIRECT_URI)
        self.redirect_uri.setToolTip(
            "Register this exact URI in your TikTok app. The * port lets the app pick a free "
            "port each time."
        )
        form.addRow("Redirect URI:", self.redirect_uri)
        self._note(form, credentials, "redirect_uri", "TIKTOK_REDIRECT_URI")
        test_row = QHBoxLayout()
        self.test_button = QPushButton("Test")
        self.test_button.setToolTip(
            "Ask the built-in sandbox whether it accepts these values" if sandbox else
            "Ask TikTok whether it accepts this client key and secret")
        self.test_button.clicked.connect(self.test)
        self.test_button.setVisible(tester is not None and runner is not None)
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        form.addRow("", test_row)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setVisible(False)
        form.addRow("", self.test_result)
        # What TikTok said about this app (services.standing.Standing.settings_note).
        self.audit_note = QLabel(audit_note)
        self.audit_note.setObjectName("auditNote")
        self.audit_note.setWordWrap(True)
        self.audit_note.setVisible(bool(audit_note))
        form.addRow("", self.audit_note)
        layout.addWidget(app_box)

        sched_box = QGroupBox("Scheduling")
        sform = QFormLayout(sched_box)
        self.timezone = QComboBox()
        self.timezone.addItem("System time zone", "")
        for name in sorted(zoneinfo.available_timezones()):
            self.timezone.addItem(name, name)
        self.timezone.setCurrentIndex(max(0, self.timezone.findData(settings.timezone)))
        sform.addRow("Time zone:", self.timezone)
        self.grace = QSpinBox()
        # The same range the settings file is checked against (config.RULES).
        self.grace.setRange(0, MAX_GRACE_MINUTES)
        self.grace.setSuffix(" min")
        self.grace.setValue(settings.late_grace_minutes)
        self.grace.setToolTip(
            "If the app was closed at a post's due time, it still posts it this long afterwards; "
            "later than that the post is marked missed for you to reschedule. From 0 to "
            f"{MAX_GRACE_MINUTES} minutes (a day)."
        )
        sform.addRow("Post late for up to:", self.grace)
        self.keep_copy = QCheckBox("Keep a copy of each scheduled video")
        self.keep_copy.setChecked(settings.keep_video_copy)
        self.keep_copy.setToolTip(
            "The copy lives in the app's data folder, so moving or deleting the original does "
            "not break the post. Off: the original is checked again at posting time.")
        sform.addRow("", self.keep_copy)
        self.tray = QCheckBox("Keep running in the system tray when the window is closed")
        self.tray.setChecked(settings.keep_running_in_tray)
        self.tray.setToolTip("Posts are sent by this app: while it is not running, nothing "
                             "goes out.")
        sform.addRow("", self.tray)
        self.login = system.autostart if system is not None else autostart.for_platform()
        self.autostart = QCheckBox("Start at login (in the tray)")
        self.autostart.setChecked(self.login.is_enabled())
        if not self.login.supported():
            self.autostart.setEnabled(False)
            self.autostart.setToolTip("Not available on this system.")
        sform.addRow("", self.autostart)
        layout.addWidget(sched_box)
        self.service_box: ServiceBox | None = None
        if system is not None and runner is not None:
            self.service_box = ServiceBox(system.service, system.wake_timer, runner,
                                          service_args, self)
            layout.addWidget(self.service_box)
        # Settings → Shared schedule (issue 20), when the app can set one up.
        self.shared_page: SharedSchedulePage | None = None
        self.tabs: QTabWidget | None = None
        if shared is not None and runner is not None:
            from tiktok_desktop.ui.shared_page import SharedSchedulePage  # noqa: PLC0415

            self.shared_page = SharedSchedulePage(shared, runner)
            # Save writes these settings whole: the address the page stored stays in them.
            self.shared_page.switched.connect(self._shared_switched)
            self.tabs = QTabWidget()
            self.tabs.addTab(general, "General")
            self.tabs.addTab(self.shared_page, "Shared schedule")
            outer.addWidget(self.tabs)
        else:
            layout.setContentsMargins(0, 0, 0, 0)
            outer.addWidget(general)
        layout = outer

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _shared_switched(self, url: str) -> None:
        self.settings.shared_database = url

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        grow_to_fit(self)  # Qt sizes a dialog without its wrapped texts' heights

    @staticmethod
    def _note(form: QFormLayout, creds: Credentials, field: str, var: str) -> None:
        template = _SOURCE_NOTE.get(creds.sources.get(field, ""))
        if template:
            note = QLabel(template.format(var=var))
            note.setWordWrap(True)
            set_tone(note, Tone.MUTED)
            form.addRow("", note)

    def test(self) -> None:
        if self.tester is None or self.runner is None:
            return
        tester = self.tester
        key = self.client_key.text()
        secret = self.client_secret.text() if self.client_secret.isEnabled() else ""
        redirect = self.redirect_uri.text()
        self.test_button.setEnabled(False)
        self._show_result("Testing…", None)
        self.runner.submit(lambda: tester(key, secret, redirect), self._tested,
                           lambda exc: self._tested(CredentialCheck(False, str(exc))))

    def _tested(self, result: CredentialCheck) -> None:
        self.test_button.setEnabled(True)
        self._show_result(("✔ " if result.ok else "✘ ") + result.message, result.ok)
        self.tested.emit(result)

    def _show_result(self, text: str, ok: bool | None) -> None:
        set_tone(self.test_result, {True: Tone.OK, False: Tone.ERROR, None: Tone.MUTED}[ok])
        self.test_result.setText(text)
        self.test_result.setVisible(True)
        grow_to_fit(self)  # a long verdict wraps onto more lines: the dialog grows for it

    def save(self) -> None:
        redirect = self.redirect_uri.text().strip()
        try:
            if redirect:
                RedirectTemplate.parse(redirect)
        except LoopbackError as exc:
            QMessageBox.warning(self, "Redirect URI",
                                f"{exc} Register the same URI in your TikTok app.")
            return
        candidate = dataclasses.replace(
            self.settings, client_key=self.client_key.text().strip(), redirect_uri=redirect,
            timezone=str(self.timezone.currentData() or ""),
            late_grace_minutes=self.grace.value(), keep_video_copy=self.keep_copy.isChecked(),
            keep_running_in_tray=self.tray.isChecked())
        secret = self.client_secret.text().strip()
        # The same rules the settings file is read with: what is refused here could not be
        # read back at the next start either.
        problems = candidate.problems()
        if secret and not secret.isprintable():
            problems.append("\u201cClient secret\u201d must be the secret as TikTok shows it, "
                            "without line breaks or control characters.")
        if problems:
            QMessageBox.warning(self, "Settings not saved",
                                "\n\n".join([*problems, "Correct it and save again."]))
            return
        if secret:
            try:
                self.vault.set_client_secret(secret)
            except VaultError as exc:
                QMessageBox.warning(self, "Client secret not saved", str(exc))
                return
        for f in dataclasses.fields(Settings):
            setattr(self.settings, f.name, getattr(candidate, f.name))
        if self.autostart.isEnabled() and self.autostart.isChecked() != self.login.is_enabled():
            try:
                self.login.set_enabled(self.autostart.isChecked())
            except OSError as exc:
                QMessageBox.warning(self, "Start at login", f"Could not change it: {exc}")
                return
        try:
            self.store.save(self.settings)
        except OSError as exc:
            QMessageBox.warning(self, "Settings not saved",
                                f"Could not write {self.store.path}: {exc}")
            return
        log.info("settings saved")
        self.accept()
