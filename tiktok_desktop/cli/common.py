"""What the ``posts`` commands share: exit codes, refusals, account and zone look-ups."""

from __future__ import annotations

import zoneinfo

from tiktok_desktop.bootstrap import AppContext
from tiktok_desktop.services.library import MediaLibrary
from tiktok_desktop.services.schedule import system_zone_name
from tiktok_desktop.store import Account

# 0 done; 2 refused as asked (bad input: fix the command); 1 anything else.
EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2

# The words people use, and TikTok's values (both accepted on the command line).
PRIVACY_ARGS = {
    "everyone": "PUBLIC_TO_EVERYONE",
    "friends": "MUTUAL_FOLLOW_FRIENDS",
    "followers": "FOLLOWER_OF_CREATOR",
    "only-me": "SELF_ONLY",
}
PRIVACY_WORDS = {v: k for k, v in PRIVACY_ARGS.items()}


class Refused(Exception):
    """The command cannot be done as asked; each line of `problems` is said to the user."""

    def __init__(self, *problems: str, code: int = EXIT_REFUSED) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)
        self.code = code


def find_account(ctx: AppContext, key: str) -> Account:
    for account in ctx.accounts.list_accounts():
        if key in (str(account.id), account.open_id, f"@{account.username}", account.username):
            return account
    raise Refused(f"No account matches {key!r}; 'tiktok-desktop accounts list' shows them.")


def app_zone(ctx: AppContext, override: str | None = None) -> str:
    """The zone a command works in: --zone, else the app's setting, else the system's."""
    name = override if override is not None else ctx.settings.timezone
    return name or system_zone_name()


def check_zone(name: str) -> str | None:
    """A plain problem when `name` is not an IANA zone ("" = the app's zone is fine)."""
    if not name:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return (f"Unknown time zone {name!r}: use an IANA name such as Europe/Berlin or "
                "America/New_York.")
    return None


def reconnect_message(account: Account) -> str:
    return (f"{account.label} needs to be reconnected: run 'tiktok-desktop accounts connect' "
            "and sign in to this account again. Its posts are kept.")


def release_video(ctx: AppContext, video_path: str) -> None:
    """Remove the library copy once no post uses it (the user's originals are never touched)."""
    def still_used(path: str) -> bool:
        return any(p.video_path == path for p in ctx.posts.repo.query())

    MediaLibrary(ctx.paths.media_dir).release(video_path, still_used)
