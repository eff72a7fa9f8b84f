"""Due-time scheduling and the publish state machine (no Qt: the GUI bridge is ui/worker.py).

Entry points: Engine (scheduler.py) built from EngineParts (parts.py) by the composition root,
HeadlessRunner (runner.py), and the listener protocol (listener.py).
"""

from tiktok_desktop.engine.config import DEFAULT_GRACE_SECONDS, EngineConfig
from tiktok_desktop.engine.listener import (
    EngineListener,
    HeadlessListener,
    Notice,
    NoticeKind,
    NullListener,
)
from tiktok_desktop.engine.parts import EngineParts, VideoCheck
from tiktok_desktop.engine.runner import HeadlessRunner
from tiktok_desktop.engine.scheduler import Engine

__all__ = [
    "DEFAULT_GRACE_SECONDS",
    "Engine",
    "EngineConfig",
    "EngineListener",
    "EngineParts",
    "HeadlessListener",
    "HeadlessRunner",
    "Notice",
    "NoticeKind",
    "NullListener",
    "VideoCheck",
]
