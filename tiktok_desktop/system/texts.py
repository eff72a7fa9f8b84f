"""What the window says about the background service, in one place (plain strings, no Qt),
so Settings, the status bar and the quit prompt use the same words as the CLI."""

from __future__ import annotations

import sys
from dataclasses import dataclass

__all__ = ["SERVICE_TOGGLE", "QuitPrompt", "quit_prompt", "service_toggle_tip"]

SERVICE_TOGGLE = "Post even when the app is closed"

_KIND = {
    "win32": "a Task Scheduler task",
    "darwin": "a launchd agent",
}


def service_toggle_tip(platform: str | None = None) -> str:
    platform = sys.platform if platform is None else platform
    kind = _KIND.get(platform, "a systemd user service")
    return (f"Installs a background service ({kind}) that publishes your scheduled posts "
            "with the same data as this window, starts at every login and keeps running "
            "when you quit the app. Turning it off removes it and its log. Same as "
            "'tiktok-desktop service install' / 'uninstall'.")


@dataclass(frozen=True)
class QuitPrompt:
    title: str
    text: str
    install: str  # button: install the service, then quit
    quit: str  # button: quit anyway (the posts wait, late or missed)
    cancel: str  # button: stay open


def quit_prompt(due_count: int, next_due: str) -> QuitPrompt:
    """Asked when the user quits while posts are scheduled and no background service runs.
    ``next_due`` is the next post's time as the window shows it ("today 18:30 CET")."""
    posts = "1 scheduled post" if due_count == 1 else f"{due_count} scheduled posts"
    return QuitPrompt(
        title="Posts are scheduled",
        text=(f"You have {posts}; the next is due {next_due}. Once the app is closed nothing "
              "publishes them: TikTok has no server-side scheduling, so the app has to be "
              "running at the due time.\n\nInstall the background service to post even when "
              "the app is closed?"),
        install="Install the service and quit",
        quit="Quit anyway",
        cancel="Cancel",
    )
