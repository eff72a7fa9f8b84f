"""Self-contained HTML pages (consent, error, profile, index): templates beside this file.

Every value is HTML-escaped here; the templates use ``string.Template`` placeholders and the CSS is
inlined so a page needs nothing but itself (a headless browser can drive it offline).
"""

from __future__ import annotations

import colorsys
import time
from collections.abc import Iterable, Sequence
from functools import cache
from html import escape
from importlib import resources
from string import Template

from ..models import App, PublishInfo, User

__all__ = ["SCOPE_DESCRIPTIONS", "render_consent", "render_error", "render_index", "render_profile"]

SCOPE_DESCRIPTIONS: dict[str, str] = {
    "user.info.basic": "Read your profile info (avatar, display name)",
    "user.info.profile": "Read your profile details (username, bio, verification)",
    "user.info.stats": "Read your statistics (likes, followers, following, videos)",
    "video.publish": "Post content to TikTok on your behalf",
    "video.upload": "Upload content to your TikTok inbox as a draft",
    "video.list": "Read your public videos",
}
# Not toggleable on the consent page (TikTok always grants it when asked).
FIXED_SCOPES = frozenset({"user.info.basic"})


@cache
def _template(name: str) -> Template:
    return Template(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


def _page(title: str, content: str) -> str:
    css = resources.files(__package__).joinpath("style.css").read_text(encoding="utf-8")
    return _template("base.html").substitute(title=escape(title), css=css, content=content)


def avatar_svg(user: User, size: int = 56) -> str:
    """An inline avatar: the nickname's initials on a colour derived from the open_id.

    The colour is written as #rrggbb: SVG Tiny (what apps' image decoders such as Qt's
    implement) has no hsl(), which painted every avatar black; and two letters, because the
    seeded users' nicknames all start with "Sandbox"."""
    hue = sum(user.open_id.encode()) % 360
    red, green, blue = (round(c * 255) for c in colorsys.hls_to_rgb(hue / 360, 0.55, 0.7))
    words = (user.nickname or user.username or "?").split()
    initials = escape("".join(w[:1] for w in words[-2:]).upper() or "?")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 56 56" role="img" aria-label="avatar">'
        f'<circle cx="28" cy="28" r="28" fill="#{red:02x}{green:02x}{blue:02x}"/>'
        f'<text x="28" y="36" font-size="22" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif" font-weight="700">{initials}</text></svg>'
    )


def render_consent(
    app: App, users: Sequence[User], scopes: Iterable[str], action: str, redirect_uri: str
) -> str:
    options = "\n".join(
        f'      <option value="{escape(u.open_id)}"{" selected" if i == 0 else ""}>'
        f"{escape(u.nickname)} (@{escape(u.username)})</option>"
        for i, u in enumerate(users)
    )
    rows = []
    for scope in scopes:
        element_id = "scope-" + scope.replace(".", "-")
        text = escape(SCOPE_DESCRIPTIONS.get(scope, scope))
        if scope in FIXED_SCOPES:
            # A disabled checkbox is not submitted: a hidden input carries the fixed scope.
            box = (
                f'<input type="checkbox" id="{element_id}" checked disabled>'
                f'<input type="hidden" name="scope" value="{escape(scope)}">'
            )
        else:
            box = (
                f'<input type="checkbox" id="{element_id}" name="scope" '
                f'value="{escape(scope)}" checked>'
            )
        rows.append(
            f'      <label class="scope" for="{element_id}">{box}'
            f"<span>{text}<br><code>{escape(scope)}</code></span></label>"
        )
    content = _template("consent.html").substitute(
        app_name=escape(app.name),
        action=escape(action),
        user_options=options,
        scope_rows="\n".join(rows),
        redirect_uri=escape(redirect_uri),
    )
    return _page(f"Authorize {app.name}", content)


def render_error(error: str, description: str) -> str:
    content = _template("error.html").substitute(
        error=escape(error), description=escape(description)
    )
    return _page("Something went wrong", content)


def _utc(at: float | None) -> str:
    if at is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))


def _draft_buttons(p: PublishInfo, page_token: str, action: str) -> str:
    """Buttons that play the creator in the TikTok app (a form: the page has no script)."""
    hidden = (f'<input type="hidden" name="page_token" value="{escape(page_token)}">'
              f'<input type="hidden" name="publish_id" value="{escape(p.publish_id)}">')
    return (f'<form method="post" action="{escape(action)}" class="draft">{hidden}'
            '<button type="submit" name="action" value="finish" class="primary small">'
            "Finish in TikTok app</button> "
            '<button type="submit" name="action" value="expire" class="secondary small">'
            "Let it expire</button></form>")


def _status_cell(p: PublishInfo, base_url: str, username: str, page_token: str,
                 action: str) -> str:
    css = {"PUBLISH_COMPLETE": "ok", "SEND_TO_USER_INBOX": "ok", "FAILED": "bad"}.get(
        p.status, "wait"
    )
    cell = f'<span class="pill {css}">{escape(p.status)}</span>'
    if p.fail_reason:
        cell += f"<br>{escape(p.fail_reason)}"
    for post_id in p.post_ids:
        url = f"{base_url}/@{username}/video/{post_id}"
        cell += f'<br><a href="{escape(url)}">{post_id}</a>'
    if p.status == "PUBLISH_COMPLETE" and not p.post_ids and p.moderation_due_at is not None:
        cell += f'<br><span class="fine">in moderation until {_utc(p.moderation_due_at)}</span>'
    if p.finished_at is not None:
        cell += f"<br>{_utc(p.finished_at)}"
    if p.draft == "pending":
        cell += "<br>" + _draft_buttons(p, page_token, action)
    elif p.draft == "expired":
        cell += '<br><span class="fine">draft expired unfinished</span>'
    elif p.draft == "finished":
        cell += '<br><span class="fine">finished in the TikTok app</span>'
    return cell


def _profile_row(p: PublishInfo, base_url: str, username: str, page_token: str,
                 action: str) -> str:
    info = p.post_info
    caption = escape(str(info.get("title", ""))) or '<span class="fine">(none)</span>'
    privacy = escape(str(info.get("privacy_level", "-"))) if p.mode == "direct" else (
        "inbox" + (f"<br>{escape(str(info['privacy_level']))}"
                   if "privacy_level" in info else ""))
    if p.mode == "direct":
        interactions = "<br>".join(
            f"{name} {'off' if info.get(key) else 'on'}"
            for name, key in (
                ("comments", "disable_comment"),
                ("duet", "disable_duet"),
                ("stitch", "disable_stitch"),
            )
        )
        flags = [
            label
            for label, key in (
                ("Branded content", "brand_content_toggle"),
                ("Your brand", "brand_organic_toggle"),
                ("AI-generated", "is_aigc"),
            )
            if info.get(key)
        ]
        disclosure = ", ".join(flags) or "none"
    else:
        interactions = disclosure = "-"
    size = (f"{p.video_size:,} B" if p.uploaded_bytes == p.video_size
            else f"{p.uploaded_bytes:,} of {p.video_size:,} B")
    cells = [
        _utc(p.created_at),
        escape(p.mode),
        caption,
        privacy,
        interactions,
        escape(disclosure),
        _status_cell(p, base_url, username, page_token, action),
        size,
        f'<span title="{escape(p.sha256)}">{escape(p.sha256[:12])}&hellip;</span>',
    ]
    classes = ["nowrap", "", "caption", "", "nowrap", "", "nowrap", "nowrap", "hash"]
    tds = "".join(
        f'<td class="{cls}">{cell}</td>' if cls else f"<td>{cell}</td>"
        for cls, cell in zip(classes, cells, strict=True)
    )
    return f'      <tr id="{escape(p.publish_id)}">{tds}</tr>'


def render_profile(user: User, publishes: Sequence[PublishInfo], base_url: str,
                   page_token: str, action: str) -> str:
    rows = [_profile_row(p, base_url, user.username, page_token, action) for p in publishes]
    if not rows:
        rows = ['      <tr><td colspan="9" class="empty">Nothing posted yet.</td></tr>']
    content = _template("profile.html").substitute(
        avatar=avatar_svg(user),
        nickname=escape(user.nickname),
        username=escape(user.username),
        account="private account" if user.is_private else "public account",
        count=len(publishes),
        rows="\n".join(rows),
    )
    return _page(f"@{user.username}", content)


def render_index(users: Sequence[User], apps: Sequence[App]) -> str:
    items = "\n".join(
        f"    <li>{avatar_svg(u, 40)}<div><a href=\"/@{escape(u.username)}\">"
        f"{escape(u.nickname)}</a> <span class=\"fine\">@{escape(u.username)} &middot; "
        f"{'private' if u.is_private else 'public'}"
        f"{' &middot; cannot post: ' + escape(u.can_post) if u.can_post else ''}</span></div></li>"
        for u in users
    )
    app_rows = "\n".join(
        f"    <dt>{escape(a.name)}</dt><dd>client key <code>{escape(a.client_key)}</code> &middot; "
        f"{'audited' if a.audited else 'unaudited'}</dd>"
        for a in apps
    )
    content = _template("index.html").substitute(users=items, apps=app_rows)
    return _page("TikTok sandbox", content)
