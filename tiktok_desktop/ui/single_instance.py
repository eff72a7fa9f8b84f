"""One running app per user and data folder.

The first instance listens on a QLocalServer; a second launch connects, hands over the video
paths from its command line and exits, and the first brings its window forward.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

_TIMEOUT_MS = 2000
_MAX_MESSAGE = 1_000_000


def server_name(data_dir: Path) -> str:
    """A per-user, per-data-folder name (two profiles may run side by side)."""
    user = os.environ.get("USER") or os.environ.get("USERNAME") or str(os.getuid())
    digest = hashlib.sha256(f"{user}:{data_dir.resolve()}".encode()).hexdigest()[:16]
    return f"tiktok-desktop-{digest}"


def hand_off(name: str, paths: list[str]) -> bool:
    """Give ``paths`` to a running instance. True if one took them (this one should exit)."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(_TIMEOUT_MS):
        return False
    payload = json.dumps({"paths": [str(Path(p).resolve()) for p in paths]}).encode() + b"\n"
    sock.write(QByteArray(payload))
    ok = sock.waitForBytesWritten(_TIMEOUT_MS)
    sock.disconnectFromServer()
    if sock.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        sock.waitForDisconnected(_TIMEOUT_MS)
    return ok


class InstanceServer(QObject):
    """Listens for later launches; emits ``activated`` with the paths they handed over."""

    activated = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._buffers: dict[QLocalSocket, bytearray] = {}

    def listen(self) -> bool:
        if self._server.listen(self.name):
            return True
        # A crashed instance can leave its socket file behind; nobody answered on it (the
        # caller tried hand_off first), so it is stale.
        QLocalServer.removeServer(self.name)
        ok = self._server.listen(self.name)
        if not ok:
            log.error("single-instance server could not listen: %s", self._server.errorString())
        return ok

    def close(self) -> None:
        self._server.close()

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            self._buffers[sock] = bytearray()
            # Slots look the socket up via sender(): lambdas holding Python wrappers of
            # sockets Qt deletes itself crash at interpreter teardown.
            sock.readyRead.connect(self._read)
            sock.disconnected.connect(self._closed)

    def _sender(self) -> QLocalSocket | None:
        sock = self.sender()
        return sock if isinstance(sock, QLocalSocket) else None

    @Slot()
    def _read(self) -> None:
        sock = self._sender()
        if sock is None:
            return
        buf = self._buffers.get(sock)
        if buf is None:
            return
        buf.extend(sock.readAll().data())
        if len(buf) > _MAX_MESSAGE:
            log.info("ignoring an oversized message from another launch")
            buf.clear()
            sock.abort()

    @Slot()
    def _closed(self) -> None:
        """The sender hangs up after writing: the whole message is in."""
        sock = self._sender()
        if sock is None:
            return
        buf = self._buffers.pop(sock, None)
        sock.deleteLater()  # deferred: we are inside one of its signals
        if not buf:
            return
        buf.extend(sock.readAll().data())
        try:
            paths = [str(p) for p in json.loads(bytes(buf).decode()).get("paths", [])]
        except (ValueError, AttributeError, UnicodeDecodeError):
            log.info("ignoring a malformed message from another launch")
            return
        self.activated.emit(paths)
