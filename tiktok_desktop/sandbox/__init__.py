"""Local TikTok emulator ("sandbox"): a real HTTP server speaking TikTok's v2 API on 127.0.0.1.

Stand-alone on purpose: it imports nothing from the rest of tiktok_desktop, so the client cannot
lean on shared code. Contract: /work/notes/SANDBOX_API.md; behaviour: TIKTOK_API.md.
"""

from __future__ import annotations

from .cli import serve_forever_cli
from .control import SandboxControl
from .faults import FAULT_KINDS
from .models import (
    ALL_SCOPES,
    App,
    Call,
    PublishInfo,
    Received,
    SandboxOptions,
    User,
)
from .oauth import SandboxAuthorizeError
from .posting import UPLOAD_PATH
from .server import SandboxServer

__all__ = [
    "ALL_SCOPES",
    "FAULT_KINDS",
    "UPLOAD_PATH",
    "App",
    "Call",
    "PublishInfo",
    "Received",
    "SandboxAuthorizeError",
    "SandboxControl",
    "SandboxOptions",
    "SandboxServer",
    "User",
    "serve_forever_cli",
]
