"""The errors whose messages are written for users: a window shows them inline as they are.

Anything else reaching a window is a bug: the UI's task boundary (ui/tasks.py) logs it with
its traceback and hands it to the crash handler instead of printing it as if it were advice.
"""

from __future__ import annotations

from tiktok_desktop.credentials import AccountError, VaultError
from tiktok_desktop.services.loopback_errors import LoopbackError
from tiktok_desktop.services.posts import ScheduleRefused
from tiktok_desktop.services.posts_csv import CsvError
from tiktok_desktop.services.schedule import ScheduleError
from tiktok_desktop.services.stats import ExportError
from tiktok_desktop.services.videofile import VideoFileError
from tiktok_desktop.store import StoreError
from tiktok_desktop.system import ServiceError
from tiktok_desktop.tiktok import TikTokError

USER_ERRORS: tuple[type[Exception], ...] = (
    AccountError, VaultError, LoopbackError, TikTokError, StoreError, ScheduleRefused,
    ScheduleError, CsvError,
    VideoFileError,  # the media probe's and the library's (MediaError, LibraryError)
    ServiceError,  # the OS refused to install or remove the background service
    ExportError,  # the statistics' CSV could not be written there
    # The user's files and disk: a moved video, a full disk, a folder without permission.
    OSError,
)
