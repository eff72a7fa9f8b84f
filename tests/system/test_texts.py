"""The window's words about the service."""

from __future__ import annotations

from tiktok_desktop.system.texts import SERVICE_TOGGLE, quit_prompt, service_toggle_tip


def test_toggle_names_the_kind_of_service_per_os() -> None:
    assert SERVICE_TOGGLE == "Post even when the app is closed"
    assert "systemd user service" in service_toggle_tip("linux")
    assert "launchd agent" in service_toggle_tip("darwin")
    assert "Task Scheduler task" in service_toggle_tip("win32")


def test_quit_prompt_counts_and_names_the_next_post() -> None:
    one = quit_prompt(1, "today 18:30 CET")
    assert "You have 1 scheduled post; the next is due today 18:30 CET." in one.text
    assert "3 scheduled posts" in quit_prompt(3, "tomorrow 09:00 CET").text
    assert (one.install, one.quit, one.cancel) == ("Install the service and quit",
                                                   "Quit anyway", "Cancel")
