"""One running app per user and data folder.

The first instance listens on a QLocalServer; a second launch connects, hands over the video
paths from its command line and exits, and the first brings its window forward.

The socket lives in a folder only this user can reach: $XDG_RUNTIME_DIR (the per-user runtime
folder), else a private 0700 folder of ours. A name in shared /tmp let another user listen
there first: the app then never started ("already running") and handed that user the paths of
every video opened. Both ends also check who is on the other end (SO_PEERCRED on Linux,
LOCAL_PEERCRED on macOS and BSD) and talk only to the same user. On Windows the name is a named
pipe, restricted to the user by UserAccessOption.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import stat
import struct
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

_TIMEOUT_MS = 2000
_MAX_MESSAGE = 1_000_000
# sun_path holds 108 bytes on Linux, 104 on macOS (with the terminating NUL).
_MAX_SOCKET_PATH = 100


def _private_dir(path: Path, *, ours: bool) -> bool:
    """Is ``path`` a real folder of this user that no one else can enter? ``ours``: the app's
    own folder, made (0700) if missing and tightened if loose."""
    if ours:
        with contextlib.suppress(OSError):
            path.mkdir(mode=0o700)
    try:
        st = path.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        return False  # a link, a file, or someone else's (another user got there first)
    if st.st_mode & 0o077:
        if not ours:
            return False
        try:
            path.chmod(0o700)
        except OSError:
            return False
    return True


def runtime_dir(data_dir: Path) -> Path:
    """The folder for this user's sockets: $XDG_RUNTIME_DIR/tiktok-desktop when that is the
    user's own private folder, else <tmp>/tiktok-desktop-<uid> when that is ours and private,
    else the (private) data folder itself."""
    uid = os.geteuid()
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    candidates = []
    if xdg and os.path.isabs(xdg) and _private_dir(Path(xdg), ours=False):
        candidates.append(Path(xdg) / "tiktok-desktop")
    candidates.append(Path(tempfile.gettempdir()) / f"tiktok-desktop-{uid}")
    for folder in candidates:
        if _private_dir(folder, ours=True):
            return folder
    log.info("no private runtime folder for the single-instance socket; using %s", data_dir)
    return data_dir


def server_name(data_dir: Path) -> str:
    """A per-user, per-data-folder name (two profiles may run side by side): on POSIX a socket
    path in runtime_dir(), elsewhere a named pipe's name."""
    resolved = data_dir.resolve()
    if os.name != "posix":
        user = os.environ.get("USERNAME") or os.environ.get("USER") or ""
        digest = hashlib.sha256(f"{user}:{resolved}".encode()).hexdigest()[:16]
        return f"tiktok-desktop-{digest}"
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:16]
    folder = runtime_dir(resolved)
    path = folder / f"{digest}.sock"
    if len(os.fsencode(path)) > _MAX_SOCKET_PATH:
        # A deep data folder: fall back to the runtime folder's short name in tmp.
        path = Path(tempfile.gettempdir()) / f"tiktok-desktop-{os.geteuid()}" / f"{digest}.sock"
    return os.fspath(path)


def peer_uid(descriptor: int) -> int | None:
    """The user id of the process at the other end of a local socket; None where the system
    cannot tell (Windows pipes, or the socket went away)."""
    if descriptor < 0 or os.name != "posix":
        return None
    try:
        sock = socket.socket(fileno=os.dup(descriptor))  # a dup: closing it leaves Qt's alone
    except OSError:
        return None
    with sock:
        try:
            if sys.platform.startswith("linux"):
                creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                        struct.calcsize("3i"))
                return int(struct.unpack("3i", creds)[1])  # pid, uid, gid
            peercred = getattr(socket, "LOCAL_PEERCRED", None)
            if peercred is not None:  # macOS, BSD: struct xucred, cr_uid after cr_version
                xucred = sock.getsockopt(0, peercred, struct.calcsize("Ii") + 2 + 16 * 4 + 2)
                return int(struct.unpack_from("I", xucred, 4)[0])
        except OSError:
            return None
    return None


def _same_user(descriptor: int) -> bool:
    uid = peer_uid(descriptor)
    return uid is None or uid == os.geteuid()


def hand_off(name: str, paths: list[str]) -> bool:
    """Give ``paths`` to a running instance. True if one took them (this one should exit).

    Only to an instance of this user: a listener of anyone else gets nothing (False)."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(_TIMEOUT_MS):
        return False
    if not _same_user(int(sock.socketDescriptor())):
        log.warning("another user's program listens at %s; nothing was handed to it", name)
        sock.abort()
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
            if not _same_user(int(sock.socketDescriptor())):
                log.info("ignoring a connection from another user")
                sock.abort()
                sock.deleteLater()
                continue
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
