"""The post form's rules: TikTok's Direct Post UX checklist (TIKTOK_API.md 7) as a pure function.

The composer widget copies the user's choices into a `PostForm`, asks `evaluate()` what the
form may offer and allow, and shows exactly that. Keeping the rules here (no Qt) lets the
tests check every audit item without a window, and lets the CLI apply the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tiktok_desktop.domain.words import count
from tiktok_desktop.store import PostMode
from tiktok_desktop.tiktok import CreatorInfo

__all__ = [
    "BRANDED_PRIVATE_HINT",
    "DISCLOSURE_HINT",
    "MAX_CAPTION_UNITS",
    "MUSIC_URL",
    "POLICY_URL",
    "PRIVACY_LABELS",
    "PROCESSING_NOTICE",
    "WAITING_FOR_CREATOR",
    "FormState",
    "PostForm",
    "PrivacyChoice",
    "caption_control_problem",
    "caption_units",
    "evaluate",
    "highlight_spans",
]

MAX_CAPTION_UNITS = 2200
MUSIC_URL = "https://www.tiktok.com/legal/page/global/music-usage-confirmation/en"
POLICY_URL = "https://www.tiktok.com/legal/page/global/bc-policy/en"
# TikTok's own wording (UX-08, UX-09): auditors look for these texts.
DISCLOSURE_HINT = ("You need to indicate if your content promotes yourself, a third party, "
                   "or both.")
BRANDED_PRIVATE_HINT = "Branded content visibility cannot be set to private."
PROCESSING_NOTICE = ("After the video is sent, TikTok may take a few minutes to process it "
                     "before it is visible on the profile. Its status shows in the schedule.")
INBOX_NOTICE = ("The video goes to the creator's TikTok inbox. Open the notification in the "
                "TikTok app to edit and post it there.")
WAITING_FOR_CREATOR = "Waiting for the account's current settings from TikTok."
PRIVACY_LABELS = {
    "PUBLIC_TO_EVERYONE": "Everyone",
    "MUTUAL_FOLLOW_FRIENDS": "Friends",
    "FOLLOWER_OF_CREATOR": "Followers",
    "SELF_ONLY": "Only me",
}
SELF_ONLY = "SELF_ONLY"
_TAG_RE = re.compile(r"(?<![\w#@])([#@])[\w.]+", re.UNICODE)


def caption_units(text: str) -> int | None:
    """UTF-16 code units TikTok counts, or None when the text has a broken (lone) surrogate."""
    try:
        return len(text.encode("utf-16-le")) // 2
    except UnicodeEncodeError:
        return None


# Allowed in a caption: line breaks and tabs. Refused: the other C0 controls (NUL, ESC, ...),
# DEL and the C1 controls. They are invisible, TikTok shows them as boxes if at all, and in a
# terminal or a log they are escape sequences.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_NAMES = {0x00: "NUL", 0x0D: "carriage return", 0x1B: "ESC", 0x7F: "DEL"}


def caption_control_problem(text: str) -> str | None:
    """Why the caption may not go out as typed: a control character, or None.

    Also for the command line's --caption and caption files (pasted terminal text, a file
    saved with odd bytes), so every way in says the same.
    """
    found = _CONTROL.search(text)
    if found is None:
        return None
    code = ord(found.group())
    name = f"U+{code:04X}" + (f", {_CONTROL_NAMES[code]}" if code in _CONTROL_NAMES else "")
    count = len(_CONTROL.findall(text))
    more = f" and {count - 1} more after it" if count > 1 else ""
    return (f"The caption contains an invisible control character ({name}) at character "
            f"{found.start() + 1}{more}, probably from pasted text. Delete it and type that "
            "part again.")


def highlight_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, length, "#" or "@") for each hashtag and mention, in str indices."""
    return [(m.start(), m.end() - m.start(), m.group(1)) for m in _TAG_RE.finditer(text)]


@dataclass
class PostForm:
    """What the user has entered so far; None means "not chosen yet"."""

    caption: str = ""
    privacy_level: str | None = None
    allow_comment: bool = False
    allow_duet: bool = False
    allow_stitch: bool = False
    disclose: bool = False
    brand_organic: bool = False
    brand_content: bool = False
    is_aigc: bool = False
    mode: PostMode = PostMode.DIRECT


@dataclass(frozen=True)
class PrivacyChoice:
    value: str
    label: str
    enabled: bool
    tooltip: str = ""


@dataclass(frozen=True)
class FormState:
    """What the form shows and allows for the current input."""

    privacy_choices: tuple[PrivacyChoice, ...]
    comment_enabled: bool
    duet_enabled: bool
    stitch_enabled: bool
    interaction_tooltips: dict[str, str]
    brand_organic_enabled: bool
    brand_content_enabled: bool
    brand_content_tooltip: str
    label_text: str  # what TikTok will label the post, "" for none
    declaration_html: str
    notice: str
    caption_units: int | None
    publish_enabled: bool
    publish_tooltip: str  # why the publish button is disabled ("" when enabled)
    problems: tuple[str, ...] = field(default=())  # blocking, plain words, in order
    # What each of `problems` is about, in the same order: "account", "video", "caption",
    # "privacy" or "disclosure" (the bulk table and CSV import mark that cell).
    problem_fields: tuple[str, ...] = field(default=())


def _declaration(form: PostForm) -> str:
    music = f'<a href="{MUSIC_URL}">Music Usage Confirmation</a>'
    if form.disclose and form.brand_content:
        policy = f'<a href="{POLICY_URL}">Branded Content Policy</a>'
        return f"By posting, you agree to TikTok's {policy} and {music}."
    return f"By posting, you agree to TikTok's {music}."


def _label(form: PostForm) -> str:
    if not form.disclose:
        return ""
    if form.brand_content:
        return "Your video will be labeled as 'Paid partnership'."
    if form.brand_organic:
        return "Your video will be labeled as 'Promotional content'."
    return ""


def evaluate(form: PostForm, creator: CreatorInfo | None, *,
             creator_problem: str | None = None,
             media_problems: tuple[str, ...] = (),
             direct_allowed: bool = True) -> FormState:
    """Apply TikTok's rules to the form.

    `creator` is the fresh creator_info (None while loading or when it could not be read);
    `creator_problem` is TikTok's reason the creator cannot post now (UX-02);
    `media_problems` are the video's problems against TikTok's limits (UX-03 included).
    """
    direct = form.mode is PostMode.DIRECT
    options = creator.privacy_level_options if creator else ()
    branded = form.disclose and form.brand_content
    privacy_choices = tuple(
        PrivacyChoice(
            value=o, label=PRIVACY_LABELS.get(o, o.replace("_", " ").capitalize()),
            # UX-09: with branded content chosen first, "Only me" is not offered.
            enabled=not (branded and o == SELF_ONLY),
            tooltip=BRANDED_PRIVATE_HINT if branded and o == SELF_ONLY else "",
        )
        for o in options
    )
    tips: dict[str, str] = {}
    for name, disabled in (("comment", creator.comment_disabled if creator else False),
                           ("duet", creator.duet_disabled if creator else False),
                           ("stitch", creator.stitch_disabled if creator else False)):
        if disabled:
            tips[name] = (f"The creator turned {name}s off for this account in TikTok's "
                          "privacy settings.")
    private = form.privacy_level == SELF_ONLY
    found: list[tuple[str, str]] = []  # (field, problem)
    if creator_problem:
        found.append(("account", creator_problem))
    elif creator is None and direct:
        found.append(("account", WAITING_FOR_CREATOR))
    found.extend(("video", p) for p in media_problems)
    units = caption_units(form.caption)
    control = caption_control_problem(form.caption)
    if control is not None:
        found.append(("caption", control))
    if units is None:
        found.append(("caption", "The caption contains a broken character (half of an "
                      "emoji?). Delete it and type it again."))
    elif units > MAX_CAPTION_UNITS:
        found.append(("caption", f"The caption is {count(units - MAX_CAPTION_UNITS, 'character')} "
                      f"too long (TikTok counts {units} of {MAX_CAPTION_UNITS})."))
    if direct and not direct_allowed:
        found.append(("account", "This account did not allow direct posting: reconnect it and "
                      "keep 'video.publish' ticked, or send the video to the TikTok inbox."))
    if direct:
        # Disclosure first: its hover text is TikTok's exact wording (UX-08).
        if form.disclose and not (form.brand_organic or form.brand_content):
            found.append(("disclosure", DISCLOSURE_HINT))
        if form.privacy_level is None:
            found.append(("privacy", "Choose who can view this video."))
        elif form.privacy_level not in options and creator is not None:
            found.append(("privacy", "That privacy choice is no longer offered for this "
                          "account: choose again."))
        if branded and private:
            found.append(("privacy", BRANDED_PRIVATE_HINT))
    problems = [text for _field, text in found]
    interactions_open = creator is not None and direct
    return FormState(
        privacy_choices=privacy_choices,
        comment_enabled=interactions_open and "comment" not in tips,
        duet_enabled=interactions_open and "duet" not in tips,
        stitch_enabled=interactions_open and "stitch" not in tips,
        interaction_tooltips=tips,
        brand_organic_enabled=form.disclose and direct,
        # UX-09: with "Only me" chosen, branded content is not offered.
        brand_content_enabled=form.disclose and direct and not private,
        brand_content_tooltip=BRANDED_PRIVATE_HINT if private else "",
        label_text=_label(form) if direct else "",
        declaration_html=_declaration(form),
        notice=PROCESSING_NOTICE if direct else INBOX_NOTICE,
        caption_units=units,
        publish_enabled=not problems,
        publish_tooltip=problems[0] if problems else "",
        problems=tuple(problems),
        problem_fields=tuple(name for name, _text in found),
    )
