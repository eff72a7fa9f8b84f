"""``tiktok-desktop service install|status|uninstall``: the background service that publishes
scheduled posts while the window is closed (a systemd user unit on Linux, a launchd agent on
macOS, a Task Scheduler task on Windows). It runs ``tiktok-desktop run`` on the same data.

Exit codes: install/uninstall: 0 done; 1 the OS refused (the message says why and what to do).
status (as init scripts do): 0 running; 3 installed but not running; 4 not installed;
1 the service manager could not be asked.
"""

from __future__ import annotations

import argparse
import json
import sys

from tiktok_desktop.cli.common import EXIT_FAILED, EXIT_OK
from tiktok_desktop.system import BackgroundService, ServiceError, ServiceState, ServiceStatus

EXIT_NOT_RUNNING, EXIT_NOT_INSTALLED = 3, 4
_STATUS_EXIT = {ServiceState.RUNNING: EXIT_OK, ServiceState.STOPPED: EXIT_NOT_RUNNING,
                ServiceState.NOT_INSTALLED: EXIT_NOT_INSTALLED,
                ServiceState.UNKNOWN: EXIT_FAILED}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    service = sub.add_parser(
        "service", help="the background service that posts while the app is closed",
        description="Publish scheduled posts even when the window is closed: a background "
        "service runs 'tiktok-desktop run' on the same data and starts at every login.")
    actions = service.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = actions.add_parser("install", help="install and start it (again: replace it)")
    install.add_argument("--sandbox", action="store_true",
                         help="the service uses the built-in TikTok sandbox even if "
                         "credentials are set")
    status = actions.add_parser("status", help="is it installed and running, what it last did")
    status.add_argument("--lines", type=int, default=10, metavar="N",
                        help="how many lines of its log to show (default 10)")
    status.add_argument("--json", action="store_true", help="print JSON")
    actions.add_parser("uninstall", help="stop it and remove everything it wrote")


def _service() -> BackgroundService:
    from tiktok_desktop.system import for_this_os  # noqa: PLC0415 - only this OS's modules

    return for_this_os().service


def run(args: argparse.Namespace, service: BackgroundService | None = None) -> int:
    service = service or _service()
    if args.action == "install":
        return _install(service, ["--sandbox"] if args.sandbox else [])
    if args.action == "status":
        return _status(service, max(0, args.lines), args.json)
    if args.action == "uninstall":
        return _uninstall(service)
    raise AssertionError(args.action)


def _install(service: BackgroundService, run_args: list[str]) -> int:
    try:
        status = service.install(run_args)
    except (ServiceError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Installed the background service ({service.definition_path()}).")
    if status.running:
        print("It is running: your scheduled posts go out even when the window is closed, "
              "and it starts again at every login.")
    else:
        print(status.summary())
    for note in status.notes:
        print(f"note: {note}")
    return EXIT_OK


def _status_json(status: ServiceStatus) -> str:
    return json.dumps({"state": status.state.value, "installed": status.installed,
                       "running": status.running, "detail": status.detail,
                       "last_activity": status.last_activity,
                       "last_lines": list(status.last_lines), "notes": list(status.notes)},
                      indent=2, ensure_ascii=False)


def _status(service: BackgroundService, lines: int, as_json: bool) -> int:
    status = service.status()
    if as_json:
        print(_status_json(status))
        return _STATUS_EXIT[status.state]
    if not status.installed:
        print("The background service is not installed: posts go out only while the app "
              "runs. 'tiktok-desktop service install' installs it.")
        return EXIT_NOT_INSTALLED
    print(status.summary())
    print(f"Definition: {service.definition_path()}")
    shown = status.last_lines[-lines:] if lines else ()
    if shown:
        print("Its log, newest last:")
        for line in shown:
            print(f"  {line}")
    elif lines:
        print("Its log is empty: it has not run yet.")
    for note in status.notes:
        print(f"note: {note}")
    return _STATUS_EXIT[status.state]


def _uninstall(service: BackgroundService) -> int:
    try:
        removed = service.uninstall()
    except (ServiceError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if removed:
        print("Removed the background service and its log. Posts now go out only while the "
              "app runs.")
    else:
        print("The background service was not installed: nothing to remove.")
    return EXIT_OK
