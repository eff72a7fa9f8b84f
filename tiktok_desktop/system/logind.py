"""Linux: systemd-logind over the system D-Bus (jeepney): a sleep inhibitor and the
PrepareForSleep signal.

Inhibit("sleep", who, why, "block") returns a file descriptor; the inhibitor lasts while that
descriptor is open (closing it releases it, and so does the process ending). logind sends
PrepareForSleep(true) just before the computer sleeps and PrepareForSleep(false) right after
it resumes. ``bus`` is "SYSTEM" (DBUS_SYSTEM_BUS_ADDRESS or the standard socket) or an
address such as ``unix:path=/tmp/x/system_bus_socket`` (tests).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

from jeepney import DBusAddress, MatchRule, MessageType, message_bus, new_method_call
from jeepney.io.blocking import DBusConnection, Proxy, open_dbus_connection

from tiktok_desktop import APP_DISPLAY_NAME

__all__ = ["LOGIND", "LogindInhibitor", "LogindSleepWatcher"]

log = logging.getLogger(__name__)

LOGIND = DBusAddress("/org/freedesktop/login1", bus_name="org.freedesktop.login1",
                     interface="org.freedesktop.login1.Manager")
_CALL_TIMEOUT = 5.0


class LogindInhibitor:
    def __init__(self, bus: str = "SYSTEM", who: str = APP_DISPLAY_NAME) -> None:
        self._bus = bus
        self._who = who
        self._fd: Any = None  # jeepney.FileDescriptor while held
        self._lock = threading.Lock()
        self._told = False

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, why: str) -> None:
        with self._lock:
            if self._fd is not None:
                return
            try:
                with open_dbus_connection(self._bus, enable_fds=True) as conn:
                    reply = conn.send_and_get_reply(
                        new_method_call(LOGIND, "Inhibit", "ssss",
                                        ("sleep", self._who, why, "block")),
                        timeout=_CALL_TIMEOUT)
            except (OSError, RuntimeError, KeyError, TimeoutError) as exc:
                self._say_once(f"no system D-Bus to ask logind ({exc})")
                return
            if reply.header.message_type is MessageType.error:
                said = reply.body[0] if reply.body else "no reason given"
                self._say_once(f"logind refused the sleep inhibitor: {said}")
                return
            self._fd = reply.body[0]

    def release(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
            if fd is not None:
                fd.close()

    def _say_once(self, why: str) -> None:
        if not self._told:
            self._told = True
            log.info("cannot keep the computer awake: %s", why)


class LogindSleepWatcher:
    """A thread that listens for PrepareForSleep and calls ``on_resume`` after a resume.

    ``fallback`` (the clock watchdog) takes over when the system bus cannot be reached.
    """

    how = "logind PrepareForSleep"

    def __init__(self, bus: str = "SYSTEM", fallback: Any = None,
                 on_sleep: Callable[[], None] | None = None) -> None:
        self._bus = bus
        self._fallback = fallback
        self._on_sleep = on_sleep
        self._conn: DBusConnection | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.listening = threading.Event()  # set once the match rule is in place

    def start(self, on_resume: Callable[[], None]) -> None:
        if self._thread is not None:
            return
        try:
            conn = open_dbus_connection(self._bus)
            on_bus = MatchRule(type="signal", sender=LOGIND.bus_name, interface=LOGIND.interface,
                               member="PrepareForSleep", path=LOGIND.object_path)
            Proxy(message_bus, conn, timeout=_CALL_TIMEOUT).AddMatch(on_bus)
            # Here the signals arrive from logind's unique name (":1.4"), which jeepney's own
            # matching would compare literally with the well-known one: match without it (the
            # bus delivers only logind's signals, by the rule above).
            rule = MatchRule(type="signal", interface=LOGIND.interface,
                             member="PrepareForSleep", path=LOGIND.object_path)
        except (OSError, RuntimeError, KeyError, TimeoutError) as exc:
            if self._fallback is None:
                log.info("not watching for sleep: no system D-Bus (%s)", exc)
                return
            log.info("no system D-Bus (%s): noticing sleep with the %s instead", exc,
                     self._fallback.how)
            self.how = self._fallback.how
            self._fallback.start(on_resume)
            return
        self._conn = conn
        self._stopping.clear()
        self._thread = threading.Thread(target=self._listen, args=(conn, rule, on_resume),
                                        name="sleep-watcher", daemon=True)
        self._thread.start()

    def _listen(self, conn: DBusConnection, rule: MatchRule,
                on_resume: Callable[[], None]) -> None:
        self.listening.set()
        try:
            with conn.filter(rule, bufsize=16) as signals:
                while not self._stopping.is_set():
                    message = conn.recv_until_filtered(signals)
                    going_to_sleep = bool(message.body[0])
                    if going_to_sleep:
                        log.info("the computer is going to sleep")
                        if self._on_sleep is not None:
                            self._on_sleep()
                    else:
                        log.info("the computer woke up: re-planning")
                        on_resume()
        except (OSError, ValueError):
            if not self._stopping.is_set():
                log.info("lost the system D-Bus: no longer watching for sleep")
        except Exception:
            log.exception("the sleep watcher stopped")

    def stop(self) -> None:
        if self._fallback is not None:
            self._fallback.stop()
        thread, conn = self._thread, self._conn
        if thread is None or conn is None:
            return
        self._stopping.set()
        # Wakes the blocking receive: it reads end-of-file and the thread returns.
        with contextlib.suppress(OSError):
            conn.sock.shutdown(socket.SHUT_RDWR)
        thread.join(timeout=10)
        conn.close()
        self._thread = self._conn = None
