"""A private system bus with python-dbusmock's logind, as a pytest fixture for every test
folder (registered in tests/conftest.py): the OS tests and the engine's power tests use it."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Logind:
    address: str
    mock: Any  # dbus proxy of the mock object (org.freedesktop.DBus.Mock)
    main: Any  # dbus proxy of org.freedesktop.login1.Manager

    def inhibitors(self) -> list[tuple[str, ...]]:
        return [tuple(str(x) for x in row) for row in self.main.ListInhibitors()]

    def emit_prepare_for_sleep(self, going_to_sleep: bool) -> None:
        import dbus

        self.mock.EmitSignal("org.freedesktop.login1.Manager", "PrepareForSleep", "b",
                             [dbus.Boolean(going_to_sleep)])


@pytest.fixture
def logind(monkeypatch: pytest.MonkeyPatch) -> Iterator[Logind]:
    """python-dbusmock's logind template on a private system bus of its own.

    PrivateDBus.start() sets DBUS_SYSTEM_BUS_ADDRESS in os.environ (the spawned mock finds its
    bus through it) and never restores it: monkeypatch puts the old value back afterwards, so
    only this test sees the private bus.
    """
    if not sys.platform.startswith("linux") or shutil.which("dbus-daemon") is None:
        pytest.skip("needs Linux and dbus-daemon (apt-get install dbus-daemon)")
    dbusmock = pytest.importorskip("dbusmock")
    pytest.importorskip("gi")
    monkeypatch.delenv("DBUS_SYSTEM_BUS_ADDRESS", raising=False)
    with dbusmock.PrivateDBus(dbusmock.BusType.SYSTEM) as bus:
        assert bus.address.startswith("unix:path=")
        with dbusmock.SpawnedMock.spawn_with_template("logind") as server:
            import dbus

            main = dbus.Interface(server.obj, "org.freedesktop.login1.Manager")
            mock = dbus.Interface(server.obj, "org.freedesktop.DBus.Mock")
            yield Logind(bus.address, mock, main)
