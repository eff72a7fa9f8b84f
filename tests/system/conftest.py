"""Fixtures for the OS-integration tests: the fake command runner (tests/helpers/commands.py)
standing in for systemctl, launchctl and schtasks (the ``logind`` fixture is
tests/helpers/logind.py's, for every folder)."""

from __future__ import annotations

from tests.helpers.commands import FakeRunner, failed, ok

__all__ = ["FakeRunner", "failed", "ok"]
