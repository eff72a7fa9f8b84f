"""The loopback receiver's errors, apart from it (loopback.py brings http.server and the
TikTok client): services/errors.py collects them for every window, which must not wait for
those before its first paint."""

from __future__ import annotations

__all__ = ["LoopbackCancelled", "LoopbackError", "LoopbackTimeout", "PortInUse"]


class LoopbackError(Exception):
    """The sign-in did not complete; the message says why in plain words."""


class LoopbackTimeout(LoopbackError):
    pass


class LoopbackCancelled(LoopbackError):
    pass


class PortInUse(LoopbackError):
    pass
