"""``tiktok-desktop accounts …``: the same account services as the GUI, from a terminal."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
import webbrowser

from tiktok_desktop import paths
from tiktok_desktop.bootstrap import AppContext, build_context, decide_mode
from tiktok_desktop.credentials.vault import VaultError
from tiktok_desktop.logging_setup import setup_logging
from tiktok_desktop.services.accounts import AccountError, AccountsService
from tiktok_desktop.services.loopback import LoopbackError
from tiktok_desktop.store import Account, StoreError
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


def _find(service: AccountsService, key: str) -> Account:
    for account in service.list_accounts():
        if key in (str(account.id), account.open_id, f"@{account.username}", account.username):
            return account
    raise AccountError(f"No account matches {key!r}; 'tiktok-desktop accounts list' shows them.")


def run(args: argparse.Namespace) -> int:
    base = paths.resolve()
    mode = decide_mode(base, force_sandbox=args.sandbox)
    setup_logging(mode.paths.log_dir)
    try:
        ctx = build_context(mode)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return _dispatch(ctx, args)
    except (AccountError, LoopbackError, VaultError, TikTokError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
    finally:
        ctx.close()


def _dispatch(ctx: AppContext, args: argparse.Namespace) -> int:
    service = ctx.accounts
    if ctx.sandbox:
        print("(sandbox mode: the built-in TikTok emulator, not real TikTok)", file=sys.stderr)
    for note in ctx.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.action == "list":
        rows = service.list_accounts()
        if not rows:
            print("No accounts yet: 'tiktok-desktop accounts connect' adds one.")
            return 0
        print(f"{'id':>3}  {'account':<36} {'status':<16} {'token valid until':<17}  scopes")
        for a in rows:
            print(f"{a.id:>3}  {a.label[:36]:<36} {a.status.value:<16} "
                  f"{_when(a.access_expires_at):<17}  {','.join(sorted(a.granted_scopes))}")
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
    account = _find(service, args.account)
    if args.action == "disconnect":
        warning = service.disconnect(account.id)
        print(warning or f"Disconnected {account.label}; its posts are kept, unsent.")
        return 0
    if args.action == "refresh":
        service.refresh(account.id)
        updated = service.refresh_info(account.id)
        print(f"Refreshed {updated.label}: token valid until "
              f"{_when(updated.access_expires_at)}.")
        return 0
    raise AssertionError(args.action)
