"""Due-time scheduling and the publish state machine (no Qt: the GUI bridge is ui/worker.py).

Entry points: Engine (scheduler.py), HeadlessRunner (runner.py), the listener protocol
(listener.py) and the user actions for posts handed back (actions.py).
"""

from tiktok_desktop.engine.actions import check_again, post_now, reschedule
from tiktok_desktop.engine.config import DEFAULT_GRACE_SECONDS, EngineConfig
from tiktok_desktop.engine.listener import (
    EngineListener,
    LoggingListener,
    Notice,
    NoticeKind,
    NullListener,
)
from tiktok_desktop.engine.runner import HeadlessRunner
from tiktok_desktop.engine.scheduler import Engine

__all__ = [
    "DEFAULT_GRACE_SECONDS",
    "Engine",
    "EngineConfig",
    "EngineListener",
    "HeadlessRunner",
    "LoggingListener",
    "Notice",
    "NoticeKind",
    "NullListener",
    "check_again",
    "post_now",
    "reschedule",
]
