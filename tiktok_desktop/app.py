"""The GUI's entry: the Qt application, the object graph from bootstrap.py, the main window
with the services it uses, the engine on its worker thread, and the event loop.

Start-up order (issue 16): the window is built on a graph with only what it shows (the
database, opened without its integrity check when that can wait, and the services it reads)
and painted; then, off the GUI thread, the check runs on its own thread while TikTok is
reached (the built-in sandbox started), the keyring decided and the engine made, and the
engine starts once the check has passed. A damaged database found then is refused as at the
start: the window closes, and the user chooses between an empty database and quitting."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSocketNotifier, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from tiktok_desktop import APP_DISPLAY_NAME, APP_ID, APP_NAME, ORG_DOMAIN, ORG_NAME, __version__
from tiktok_desktop import paths as app_paths
from tiktok_desktop.bootstrap import (
    STARTUP_ERRORS,
    AppGraph,
    Mode,
    build,
    decide_mode,
    shared_schedule,
)
from tiktok_desktop.logging_setup import setup_logging
from tiktok_desktop.store import Database, DatabaseCorrupt
from tiktok_desktop.ui.crash import CrashHandler, route_qt_messages
from tiktok_desktop.ui.first_paint import AfterFirstPaint
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.single_instance import InstanceServer, hand_off, server_name
from tiktok_desktop.ui.window_deps import AppFacts, Preferences, own_path
from tiktok_desktop.ui.worker import EngineWorker

log = logging.getLogger(__name__)

# Hidden, for benchmarks/bench_startup.py only: when set to 1, the app prints when its first
# frame is painted and quits (see _FirstPaintProbe). Not an option users see.
FIRST_PAINT_ENV = "TIKTOK_DESKTOP_BENCH_FIRST_PAINT"


@dataclass
class GuiOptions:
    video_paths: list[str] = field(default_factory=list)
    self_test: bool = False
    debug: bool = False
    sandbox: bool = False
    screenshot: Path | None = None  # hidden --screenshot PNG: packaging's visual check
    hidden: bool = False  # start in the tray (start at login)


def icon_path() -> Path | None:
    """The app icon, from a source checkout or from a PyInstaller bundle."""
    bases = [Path(getattr(sys, "_MEIPASS", "")) / "resources",
             Path(__file__).resolve().parent.parent / "resources"]
    for base in bases:
        candidate = base / "icons" / "tiktok-desktop.svg"
        if candidate.is_file():
            return candidate
    return None


# How long a thread may keep the GIL while another waits (Python's default: 5 ms). Every call
# from Qt into Python (a paint asking a model for data, a timer, a queued signal) waits for
# it behind the worker threads (probing videos, checking a batch), so at 5 ms a busy window
# stalls for tens of ms; 1 ms keeps it responsive (benchmarks/bulk_window.py).
GIL_SWITCH_INTERVAL = 0.001


def create_application(argv: list[str]) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    QApplication.setOrganizationName(ORG_NAME)
    QApplication.setOrganizationDomain(ORG_DOMAIN)
    QApplication.setApplicationName(APP_NAME)
    QApplication.setApplicationDisplayName(APP_DISPLAY_NAME)
    QApplication.setApplicationVersion(__version__)
    QApplication.setDesktopFileName(APP_ID)
    app = QApplication(argv)
    icon = icon_path()
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))
    return app


def open_graph(mode: Mode, log_file: Path | None, interactive: bool,
               defer: bool = False) -> AppGraph | None:
    """Open the data; on a damaged database, ask (or, headless, refuse) before going on.

    ``defer``: build what the first paint needs now, the rest after it (bootstrap.build)."""
    try:
        return build(mode, log_file=log_file, defer=defer)
    except DatabaseCorrupt as exc:
        if not interactive:
            raise
        return start_empty(exc, mode, log_file, defer)
    except STARTUP_ERRORS as exc:
        if interactive:
            QMessageBox.critical(None, APP_DISPLAY_NAME, str(exc))
        raise


def start_empty(exc: DatabaseCorrupt, mode: Mode, log_file: Path | None,
                defer: bool = False) -> AppGraph | None:
    """Ask what to do about a damaged database: a graph on an empty one, or None to quit."""
    box = QMessageBox(QMessageBox.Icon.Critical, APP_DISPLAY_NAME, str(exc))
    fresh = box.addButton("Start with an empty database", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if box.clickedButton() is not fresh:
        return None
    Database.discard_damaged(exc.path)
    log.warning("damaged database set aside; its copy is %s", exc.backup)
    try:
        return build(mode, log_file=log_file, defer=defer)
    except STARTUP_ERRORS as error:
        QMessageBox.critical(None, APP_DISPLAY_NAME, str(error))
        raise


def run_gui(options: GuiOptions) -> int:
    app = create_application(sys.argv[:1])
    check_run = options.self_test or options.screenshot is not None
    try:
        mode = decide_mode(app_paths.resolve(), force_sandbox=options.sandbox)
    except STARTUP_ERRORS as exc:
        return _cannot_start(exc, interactive=not check_run)
    paths = mode.paths

    # A running instance takes our videos and comes forward; we are done.
    name = server_name(paths.data_dir)
    # Self-test and screenshot runs are checks: no hand-off, no listening, no dialogs.
    if not check_run and hand_off(name, options.video_paths):
        print("TikTok Desktop is already running; handed over to it.", file=sys.stderr)
        return 0

    try:
        paths.ensure()
        log_file = setup_logging(paths.log_dir, console=options.debug,
                                 level=logging.DEBUG if options.debug else logging.INFO)
    except STARTUP_ERRORS as exc:
        return _cannot_start(exc, interactive=not check_run)
    log.info("%s %s starting (data: %s, %s)", APP_DISPLAY_NAME, __version__, paths.data_dir,
             "sandbox" if mode.sandbox else "TikTok")
    route_qt_messages()
    crash = CrashHandler(paths.log_dir, show_dialogs=not check_run)
    crash.install()
    # Check runs (self-test, screenshot) open everything first, as the CLI does: they look.
    defer = not check_run
    try:
        graph = open_graph(mode, log_file, interactive=not check_run, defer=defer)
        while graph is not None:
            run = WindowRun(app, graph, options, name, check_run)
            code = run.exec()
            if run.damaged is None:
                return code
            # The integrity check that ran after the first paint refused the file: the
            # same question as at the start, then a new window on an empty database.
            graph = start_empty(run.damaged, mode, log_file, defer)
        return 1
    except STARTUP_ERRORS as exc:
        return _cannot_start(exc, interactive=False)  # open_graph showed it already
    finally:
        crash.uninstall()


class WindowRun:
    """One window on one graph, from its construction to the end of its event loop.

    Only what the first paint shows runs before it; after it, ``_prepare`` (on the window's
    task pool) starts the database's integrity check, reaches TikTok, waits for the check and
    makes the engine, and ``_prepared`` (back on the GUI thread) starts the engine and shows
    the notes that came with it, or says why the app cannot go on.
    """

    def __init__(self, app: QApplication, graph: AppGraph, options: GuiOptions, name: str,
                 check_run: bool) -> None:
        self.app = app
        self.graph = graph
        self.options = options
        self.name = name
        self.check_run = check_run
        self.damaged: DatabaseCorrupt | None = None  # found after the first paint
        self.code = 0  # the exit code when the start could not finish
        self.started = False  # the engine
        self.ended = False
        # The publishing engine runs on its own thread; check runs only look, never post.
        self.engine = None if check_run else EngineWorker(graph.engine)
        self.window: MainWindow | None = None

    def exec(self) -> int:
        graph, options, app = self.graph, self.options, self.app
        server = InstanceServer(self.name, app)
        if not self.check_run:
            server.listen()
        try:
            try:
                window = self.window = main_window(graph, self.engine)
            except sqlite3.DatabaseError:
                # A page the window could not read before the integrity check answered:
                # the check tells a damaged file (refused as at the start) from the rest.
                graph.db.start_check()
                problem = graph.db.integrity.exception()
                if not isinstance(problem, DatabaseCorrupt):
                    raise
                self.damaged = problem
                return 1
            server.activated.connect(window.open_videos)
            if not (options.hidden and window.tray.available):  # hidden needs a tray
                window.show()
            if not self.check_run:
                # The window is painted first; TikTok, the engine and its thread come after
                # (issue 16: the first paint waits for nothing it does not show).
                AfterFirstPaint(window, self._after_paint)
            if os.environ.get(FIRST_PAINT_ENV) == "1":
                # Installed last, its filter sees the paint first: the frame is reported
                # before the work queued for after the paint.
                _FirstPaintProbe(window)
            for problem_text in graph.problems:
                QMessageBox.warning(window, APP_DISPLAY_NAME, problem_text)
            if options.video_paths:
                QTimer.singleShot(0, lambda: window.open_videos(options.video_paths))
            if options.self_test:
                return _self_test(app, window, graph)
            if options.screenshot is not None:
                return _screenshot(app, window, graph, options.screenshot)
            # SIGTERM (logout, systemctl, kill) and Ctrl-C quit like Quit: the engine stops at
            # its next block, a chunk in flight is cut, and the next start resumes from what
            # was committed.
            signals = SignalQuit(window.shutdown, app) if not self.check_run else None
            log.info("%s is ready", APP_DISPLAY_NAME)
            try:
                code = app.exec()
            finally:
                if signals is not None:
                    signals.restore()
            return self.code or code
        finally:
            self.ended = True  # a late answer from the task pool finds nothing to start
            if self.started:
                graph.system.sleep_watcher.stop()
            if self.engine is not None:
                self.engine.stop()  # a post mid-upload resumes from TikTok's progress
            server.close()
            graph.close()
            if self.window is not None:
                self.window.deleteLater()
            if self.damaged is None:
                log.info("%s stopped", APP_DISPLAY_NAME)

    def _after_paint(self) -> None:
        assert self.window is not None
        self.window.runner.submit(self._prepare, self._prepared, self._failed,
                                  owner=self.window)

    def _prepare(self) -> list[str] | Exception:
        """Off the GUI thread: what the first paint did not wait for."""
        try:
            notes = self.graph.reach()
        except STARTUP_ERRORS as exc:
            return exc
        if self.graph.db.integrity.exception() is None and self.engine is not None:
            self.engine.engine  # noqa: B018 - made here, not on the GUI thread
        return notes

    def _prepared(self, result: list[str] | Exception) -> None:
        window = self.window
        if self.ended or window is None:
            return
        if isinstance(result, Exception):
            self._cannot_go_on(result)
            return
        problem = self.graph.db.integrity.exception()
        if isinstance(problem, DatabaseCorrupt):
            self.damaged = problem
            window.shutdown()  # the engine never started on it
            return
        if problem is not None:
            self._cannot_go_on(problem)  # not the file's fault: a full disk, say
            return
        for note in result:
            window.accounts_pane.add_note(note)
            window.statusBar().showMessage(note, 30000)
        if self.engine is not None:
            self.engine.start()
            self.started = True
            # Woken from sleep: refresh tokens, publish what is due, apply the grace rule.
            self.graph.system.sleep_watcher.start(self.engine.engine.resumed)

    def _failed(self, exc: BaseException) -> None:
        # A user error the start cannot get past (OSError: the sandbox's port...), or a bug
        # (already logged and handed to the crash handler): either way the app stops, as when
        # the start failed before the window.
        if not self.ended:
            self._cannot_go_on(exc)

    def _cannot_go_on(self, exc: BaseException) -> None:
        assert self.window is not None
        log.error("cannot start: %s", exc)
        print(f"error: {exc}", file=sys.stderr)
        QMessageBox.critical(self.window, APP_DISPLAY_NAME, str(exc))
        self.code = 2
        self.window.shutdown()


def _cannot_start(exc: Exception, *, interactive: bool) -> int:
    """A start-up failure the user can fix: said in a dialog (and on stderr), exit code 2."""
    log.error("cannot start: %s", exc)
    print(f"error: {exc}", file=sys.stderr)
    if interactive:
        QMessageBox.critical(None, APP_DISPLAY_NAME, str(exc))
    return 2


class SignalQuit(QObject):
    """Turns SIGTERM and SIGINT into ``quit`` on the GUI thread, without polling: Python's
    signal wake-up byte lands on a socket that a QSocketNotifier watches, so the handler runs
    even while Qt's event loop is waiting."""

    def __init__(self, quit_: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._quit = quit_
        self.received: int | None = None
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)
        self._write.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._write.fileno())
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._previous = {sig: signal.signal(sig, self._handle)
                          for sig in (signal.SIGINT, signal.SIGTERM)}

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signum  # the wake-up byte below is what acts; this keeps it alive

    def _drain(self) -> None:
        data = b""
        with contextlib.suppress(OSError):
            data = self._read.recv(64)  # one byte per signal: its number
        for signum in data:
            if signum in (signal.SIGINT, signal.SIGTERM):
                log.info("%s received: quitting", signal.Signals(signum).name)
                self._quit()
                return

    def restore(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._old_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._read.close()
        self._write.close()


def main_window(graph: AppGraph, engine: EngineWorker | None = None,
                **extra: Any) -> MainWindow:
    """The main window on the graph's services (tests build it the same way)."""
    def tester(client_key: str, client_secret: str, redirect_uri: str) -> Any:
        # The Settings dialog's Test is made when first used: it needs TikTok reached.
        return graph.tester(client_key, client_secret, redirect_uri)

    prefs = Preferences(graph.settings_store, graph.settings, graph.app_vault,
                        graph.credentials, tester, graph.system_later(),
                        tuple(graph.service_args()),
                        shared=lambda: shared_schedule(graph.mode, graph.runtime))
    facts = AppFacts(graph.paths.data_dir, graph.log_file, graph.sandbox, graph.notes,
                     local_video=graph.view_video or own_path)
    return MainWindow(accounts=graph.accounts, posts=graph.posts, avatars=graph.avatars,
                      prefs=prefs, facts=facts, engine=engine, standing=graph.standing,
                      bulk=graph.bulk, snippets=graph.snippets, stats=graph.stats, **extra)


class _FirstPaintProbe(QObject):
    """Benchmark hook: print ``first-paint <paint_ns> <frame_ns>`` and quit the app.

    paint_ns is when the window's first paint event arrives, frame_ns when control is back
    in the event loop after it (children painted, frame flushed); both time.monotonic_ns(),
    which is system-wide, so the benchmark compares them with its own clock.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.paint_ns = 0
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.paint_ns:
            self.paint_ns = time.monotonic_ns()
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self._report)
        return False

    def _report(self) -> None:
        print(f"first-paint {self.paint_ns} {time.monotonic_ns()}", flush=True)
        self.window.shutdown()  # quitting without the question about posts to come


def _self_test(app: QApplication, window: MainWindow, graph: AppGraph) -> int:
    """Start-up smoke test for packaging: the window shows and the database answers."""
    app.processEvents()
    ok = window.isVisible() and graph.db.schema_version > 0
    graph.db.conn().execute("SELECT COUNT(*) FROM posts").fetchone()
    # What loads when first opened (issue 16) is in the bundle too: statistics, the bulk
    # window, settings.
    opened = [window.open_stats(), window.open_bulk([]), window.settings_dialog()]
    app.processEvents()
    ok = ok and all(w is not None for w in opened)
    for other in opened:
        if other is not None:
            other.close()
    window.close()
    graph.close()
    print(f"self-test {'ok' if ok else 'FAILED'}: {APP_DISPLAY_NAME} {__version__}, "
          f"Qt platform {app.platformName()}, database {graph.paths.db_file}")
    return 0 if ok else 1


def _screenshot(app: QApplication, window: MainWindow, graph: AppGraph, target: Path) -> int:
    """Show the window as a user sees it, save the screen to ``target`` (PNG) and exit.

    CI runs the installed package this way under Xvfb. On X11 the whole screen is grabbed
    from the X server (what is really on display); platforms that cannot grab the screen
    (offscreen, Wayland) fall back to rendering the window itself.
    """
    result: dict[str, object] = {}

    def grab() -> None:
        shot = window.screen().grabWindow(0) if app.platformName() == "xcb" else window.grab()
        result["size"] = f"{shot.width()}x{shot.height()}"
        result["ok"] = window.isVisible() and not shot.isNull() and shot.save(str(target), "PNG")
        app.quit()

    def settle() -> None:
        handle = window.windowHandle()
        if handle is not None and handle.isExposed():
            QTimer.singleShot(500, grab)  # exposed: give it time to paint fully
        else:
            QTimer.singleShot(50, settle)

    QTimer.singleShot(0, settle)
    QTimer.singleShot(10_000, app.quit)  # never hang a CI job on a window that never shows
    app.exec()
    window.close()
    graph.close()
    ok = result.get("ok") is True
    print(f"screenshot {'saved' if ok else 'FAILED'}: {target} ({result.get('size', 'none')}, "
          f"Qt platform {app.platformName()})")
    return 0 if ok else 1
