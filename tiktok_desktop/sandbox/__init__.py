"""Local TikTok emulator ("sandbox"): a real HTTP server speaking TikTok's v2 API on 127.0.0.1.

Stand-alone on purpose: it imports nothing from the rest of tiktok_desktop, so the client cannot
lean on shared code. Contract: /work/notes/SANDBOX_API.md; behaviour: TIKTOK_API.md.
"""

from __future__ import annotations

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


def __getattr__(name: str) -> object:
    # The CLI (argparse, signal handling) loads only for 'sandbox serve' and its tests, not
    # with the app's built-in sandbox (issue 16).
    if name == "serve_forever_cli":
        from .cli import serve_forever_cli  # noqa: PLC0415

        return serve_forever_cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
