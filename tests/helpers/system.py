"""This OS's parts for tests that build the whole graph: the real service, start-at-login,
sleep watcher and wake timer objects, but an inhibitor that holds nothing, so a test never
keeps the developer's computer awake (tests/engine/test_power.py tests the real one)."""

from __future__ import annotations

import dataclasses

from tiktok_desktop.system import NoInhibitor, SystemParts, for_this_os


def quiet_system() -> SystemParts:
    return dataclasses.replace(for_this_os(), inhibitor=NoInhibitor())
