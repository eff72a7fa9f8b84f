"""Window titles that name the app once.

On Linux and Windows Qt appends " — <application display name>" to every window title that
does not already end with it, so "TikTok Desktop — Sandbox" became "TikTok Desktop — Sandbox
— TikTok Desktop". A title built here ends with the name itself: the same on every platform.
"""

from __future__ import annotations

from tiktok_desktop import APP_DISPLAY_NAME

SEPARATOR = " — "


def window_title(*parts: str) -> str:
    """ "pasta night.mp4 — New post — TikTok Desktop"; just the app's name without parts."""
    return SEPARATOR.join([*(p for p in parts if p), APP_DISPLAY_NAME])
