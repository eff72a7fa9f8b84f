"""``tiktok-desktop accounts …``: the same account services as the GUI, from a terminal."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
import webbrowser

from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.cli.common import EXIT_FAILED, find_account, run_on_graph
from tiktok_desktop.credentials import AccountError, VaultError
from tiktok_desktop.services.loopback_errors import LoopbackError
from tiktok_desktop.tiktok import TikTokError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    accounts = sub.add_parser("accounts", help="connect and manage TikTok accounts")
    accounts.add_argument("--sandbox", action="store_true",
                          help="use the built-in TikTok sandbox even if credentials are set")
    actions = accounts.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="show the accounts")
    connect = actions.add_parser("connect", help="connect (or reconnect) an account")
    connect.add_argument("--no-browser", action="store_true",
                         help="print the address to open instead of starting a browser")
    for name, text in (("disconnect", "revoke access and forget the sign-in"),
                       ("refresh", "refresh the sign-in and re-read the profile")):
        p = actions.add_parser(name, help=text)
        p.add_argument("account", help="account id, open_id or @username (see 'list')")


def _when(epoch: int | None) -> str:
    if not epoch:
        return "-"
    return dt.datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M")


def run(args: argparse.Namespace) -> int:
    return run_on_graph(args, _guarded)


def _guarded(graph: AppGraph, args: argparse.Namespace) -> int:
    try:
        return _dispatch(graph, args)
    except (AccountError, LoopbackError, VaultError, TikTokError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _dispatch(graph: AppGraph, args: argparse.Namespace) -> int:
    service = graph.accounts
    if args.action == "list":
        rows = service.list_accounts()
        if not rows:
            print("No accounts yet: 'tiktok-desktop accounts connect' adds one.")
            return 0
        # The sign-in ends with the refresh token (180 days at TikTok); the access token
        # (2 hours) is renewed on the way and not worth a column.
        print(f"{'id':>3}  {'account':<36} {'status':<16} {'signed in until':<17}  scopes")
        for a in rows:
            print(f"{a.id:>3}  {a.label[:36]:<36} {a.status.value:<16} "
                  f"{_when(a.refresh_expires_at):<17}  {','.join(sorted(a.granted_scopes))}")
            if a.reconnect_reason:
                print(f"     reconnect it: {a.reconnect_reason}")
        return 0
    if args.action == "connect":
        attempt = service.start_connect()
        opened = False if args.no_browser else webbrowser.open(attempt.authorize_url)
        verb = "Opened" if opened else "Open"
        print(f"{verb} this address in a browser on this computer and authorize the app:\n\n"
              f"  {attempt.authorize_url}\n\nWaiting for TikTok's answer (Ctrl-C cancels)…",
              flush=True)
        cancel = threading.Event()
        try:
            result = service.finish_connect(attempt, cancel)
        except KeyboardInterrupt:
            cancel.set()
            raise
        print(f"{'Reconnected' if result.reconnected else 'Connected'} {result.account.label}.")
        for warning in result.warnings:
            print(f"warning: {warning}")
        return 0
    account = find_account(service, args.account)
    if args.action == "disconnect":
        revoke_problem = service.disconnect(account.id)
        print(revoke_problem or f"Disconnected {account.label}; its posts are kept, unsent.")
        return 0
    if args.action == "refresh":
        service.refresh(account.id)
        updated = service.refresh_info(account.id)
        print(f"Refreshed {updated.label}: signed in until "
              f"{_when(updated.refresh_expires_at)}.")
        return 0
    raise AssertionError(args.action)
