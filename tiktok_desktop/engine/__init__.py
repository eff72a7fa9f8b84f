"""Due-time scheduling and the publish state machine (no Qt: the GUI bridge is ui/worker.py).

Entry points: Engine (scheduler.py) built from EngineParts (parts.py) by the composition root,
HeadlessRunner (runner.py), and the listener protocol (listener.py).

Names load with their module when first used (lazy_exports.py): the window imports the
listener's Notice long before the engine itself is needed.
"""

from typing import TYPE_CHECKING

from tiktok_desktop.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from tiktok_desktop.engine.config import DEFAULT_GRACE_SECONDS, EngineConfig
    from tiktok_desktop.engine.listener import (
        EngineListener,
        HeadlessListener,
        Notice,
        NoticeKind,
        NullListener,
    )
    from tiktok_desktop.engine.parts import EngineParts, OwnFiles, VideoCheck, VideoFiles
    from tiktok_desktop.engine.runner import HeadlessRunner
    from tiktok_desktop.engine.scheduler import Engine
else:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "config": ("DEFAULT_GRACE_SECONDS", "EngineConfig"),
        "listener": ("EngineListener", "HeadlessListener", "Notice", "NoticeKind",
                     "NullListener"),
        "parts": ("EngineParts", "OwnFiles", "VideoCheck", "VideoFiles"),
        "runner": ("HeadlessRunner",),
        "scheduler": ("Engine",),
    })

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
    "OwnFiles",
    "VideoCheck",
    "VideoFiles",
]
