"""What the main window is given besides its services: its settings (and what the Settings
dialog needs to edit them) and the facts the About box and the File menu show.

app.py builds these from the composition root's graph; tests build them the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tiktok_desktop.config import Credentials, Settings, SettingsStore
from tiktok_desktop.credentials import Vault
from tiktok_desktop.system import SystemParts

if TYPE_CHECKING:  # the check itself (httpx, the TikTok client) loads when Settings tests
    from tiktok_desktop.services.credentials import CredentialCheck
    from tiktok_desktop.services.shared import SharedSchedule

log = logging.getLogger(__name__)

# (client key, client secret or "" for the saved one, redirect URI) -> verdict; blocking.
Tester = Callable[[str, str, str], "CredentialCheck"]


@dataclass(frozen=True)
class Preferences:
    store: SettingsStore
    settings: Settings  # the live object: the window and the engine read it as it changes
    app_vault: Vault  # the real TikTok app's client secret
    credentials: Callable[[], Credentials]  # the real TikTok app's, as configured now
    tester: Tester | None = None
    # This OS's service, start at login and wake timer (Settings' "Posting while the app is
    # closed"), with the ``run`` arguments a service installed from here gets.
    system: SystemParts | None = None
    service_args: tuple[str, ...] = ()
    # Settings → Shared schedule's service (bootstrap.shared_schedule), made when it opens.
    shared: Callable[[], SharedSchedule] | None = None

    def save(self) -> None:
        try:
            self.store.save(self.settings)
        except OSError as exc:
            log.error("could not save the settings: %s", exc)


def own_path(path: str) -> str:
    """A local schedule's video_path is the file itself."""
    return path


@dataclass(frozen=True)
class AppFacts:
    data_dir: Path
    log_file: Path | None
    sandbox: bool
    notes: list[str] = field(default_factory=list)  # said quietly (status bar, panes)
    # A post's video_path -> a local file to look at (blocking: worker threads only). A path
    # stays itself; on a shared schedule a ``shared-video:`` reference is fetched into the
    # cache folder (bootstrap's AppGraph.view_video: SharedLibrary.view_copy).
    local_video: Callable[[str], str] = own_path
