"""App settings and TikTok app credentials.

Settings are a small typed object saved as JSON in the config dir. Credentials come from, in
order: the environment, a ``.env`` file in the working directory, then the settings (the client
secret entered in the app lives in the OS keyring, never in a file; the caller hands us a
function that reads it so this module stays free of keyring details).
"""

from __future__ import annotations

import dataclasses
import glob
import json
import logging
import math
import os
import shutil
import stat
import time
import urllib.parse
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tiktok_desktop.paths import write_private_atomic

log = logging.getLogger(__name__)

ENV_CLIENT_KEY = "TIKTOK_CLIENT_KEY"
ENV_CLIENT_SECRET = "TIKTOK_CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret
ENV_REDIRECT_URI = "TIKTOK_REDIRECT_URI"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:*/callback/"

SETTINGS_VERSION = 1
# The settings file is a few hundred bytes; anything far bigger is not ours to parse.
MAX_SETTINGS_BYTES = 1024 * 1024
# The late-post grace: from "only on time" to a day late (the Settings dialog's range).
MAX_GRACE_MINUTES = 24 * 60
_MAX_INT_DIGITS = 18  # longer integer literals are not read as ints (10**400 must not crash)


@dataclass(frozen=True)
class SettingRule:
    """What a setting may hold, in the words the user sees."""

    label: str  # as the Settings dialog names it
    kind: type
    must: str  # "must be ..." in plain words
    check: Callable[[Any], bool] = lambda _value: True
    shown: Callable[[Any], str] | None = None  # how a refused value is quoted back


def _printable_text(limit: int) -> Callable[[Any], bool]:
    return lambda value: len(value) <= limit and value.isprintable()


def _known_zone(name: str) -> bool:
    if not name:
        return True  # the system's zone
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _shared_address(text: str) -> bool:
    """A PostgreSQL URL with no password in it (the password lives in the OS keyring)."""
    if not text:
        return True
    if len(text) > 1000 or not text.isprintable():
        return False
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme not in ("postgresql", "postgres"):
        return False
    query = urllib.parse.parse_qs(parsed.query)
    return parsed.password is None and "password" not in query


def _no_password(text: str) -> str:
    """``text`` with any password in it masked (a refused address is quoted back)."""
    try:
        parsed = urllib.parse.urlsplit(text)
        query = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        netloc = parsed.netloc
        if parsed.password is not None:
            user, _, host = netloc.rpartition("@")
            netloc = f"{user.partition(':')[0]}:***@{host}"
        masked = [(k, "***" if k == "password" else v) for k, v in query]
        return urllib.parse.urlunsplit(parsed._replace(
            netloc=netloc, query=urllib.parse.urlencode(masked, safe="*")))
    except ValueError:
        return "an address that could not be read"


RULES: dict[str, SettingRule] = {
    "client_key": SettingRule("Client key", str, "be text of at most 200 characters, without "
                              "line breaks or control characters", _printable_text(200)),
    "redirect_uri": SettingRule("Redirect URI", str, "be a URI of at most 512 characters, "
                                "without line breaks or control characters",
                                _printable_text(512)),
    "late_grace_minutes": SettingRule(
        "Post late for up to", int,
        f"be a whole number of minutes from 0 to {MAX_GRACE_MINUTES}",
        lambda value: 0 <= value <= MAX_GRACE_MINUTES),
    "timezone": SettingRule("Time zone", str, "be a time zone from the list in Settings "
                            "(e.g. Europe/Berlin), or empty for the system's", _known_zone),
    "keep_video_copy": SettingRule("Keep a copy of each scheduled video", bool,
                                   "be true or false"),
    "keep_running_in_tray": SettingRule("Keep running in the system tray", bool,
                                        "be true or false"),
    "tray_explained": SettingRule("tray_explained", bool, "be true or false"),
    "shared_database": SettingRule(
        "Shared schedule", str, "be a PostgreSQL address (postgresql://user@host/database) "
        "without a password, or empty for this computer's own schedule", _shared_address,
        lambda value: _shown(_no_password(value) if isinstance(value, str) else value)),
    "window_geometry": SettingRule("window_geometry", str, "be text the app wrote",
                                   _printable_text(65536)),
    "window_state": SettingRule("window_state", str, "be text the app wrote",
                                _printable_text(65536)),
}


def _shown(value: Any) -> str:
    """A value from the file, short and safe to show."""
    if isinstance(value, float) and not math.isfinite(value):
        return "not a number" if math.isnan(value) else "a number too large to use"
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "\u2026"


def setting_problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be setting ``name`` (plain words), or None if it can."""
    rule = RULES[name]
    ok = isinstance(value, rule.kind) and not (rule.kind is not bool and isinstance(value, bool))
    if ok and rule.check(value):
        return None
    shown = rule.shown(value) if rule.shown is not None else _shown(value)
    return f"\u201c{rule.label}\u201d must {rule.must}, not {shown}."


@dataclass
class Settings:
    """User-editable preferences. Unknown keys in the file are kept, not dropped."""

    client_key: str = ""
    redirect_uri: str = ""
    # Minutes after its due time that an overdue post (app was closed) may still go out.
    late_grace_minutes: int = 120
    # IANA zone the schedule is shown and entered in; "" means the system's zone.
    timezone: str = ""
    # Keep a copy of each scheduled video in the app's media folder, so moving or deleting
    # the original does not break the post. Off: the original is re-checked at due time.
    keep_video_copy: bool = True
    # Closing the window keeps the app in the system tray so posts still go out on time.
    keep_running_in_tray: bool = True
    tray_explained: bool = False  # the first close to the tray says what happened, once
    # A shared schedule's PostgreSQL address (issue 20), without its password (kept in the
    # OS keyring); "" for the schedule in this computer's own SQLite file.
    shared_database: str = ""
    window_geometry: str = ""
    window_state: str = ""
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_json(self) -> str:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        del data["extra"]
        return json.dumps({"version": SETTINGS_VERSION, **self.extra, **data}, indent=2) + "\n"

    def problems(self) -> list[str]:
        """Every setting that is out of its type or range (for the Settings dialog's save)."""
        found = (setting_problem(name, getattr(self, name)) for name in RULES)
        return [p for p in found if p is not None]

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> tuple[Settings, list[str]]:
        """Build settings from parsed JSON; returns the settings and a list of problems found.

        A value of the wrong type or out of range falls back to its default (and is
        reported) instead of failing the whole file, so one bad hand edit does not lose every
        other preference.
        """
        problems: list[str] = []
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        defaults = cls()
        for key, value in raw.items():
            if key == "version":
                continue
            if key not in RULES:
                extra[key] = value
                continue
            problem = setting_problem(key, value)
            if problem is None:
                values[key] = value
            else:
                problems.append(f"{problem} The default, {_shown(getattr(defaults, key))}, "
                                "is used.")
        return cls(**values, extra=extra), problems


def _bounded_int(text: str) -> int | float:
    """json's parse_int: an integer too long to be any setting becomes a float (refused by
    the rules) instead of an int Python may refuse to build or the engine cannot use."""
    digits = text.lstrip("-")
    return int(text) if len(digits) <= _MAX_INT_DIGITS else float(text)


class SettingsStore:
    """Loads and saves :class:`Settings` at one path.

    ``load`` never raises for what is in (or at) the path: a file it cannot read at all is
    moved aside (kept, never overwritten) and defaults are used; a file with some bad values
    keeps its good ones, and a copy of it as it was is kept before the next save rewrites it.
    Each problem is in ``load_problems``, in plain words with what to do.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.load_problems: list[str] = []

    def load(self) -> Settings:
        self.load_problems = []
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return Settings()
        except OSError as exc:
            return self._unusable(f"cannot be reached ({exc.strerror or exc})", move=False)
        if stat.S_ISDIR(st.st_mode):
            return self._unusable("is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            return self._unusable("is not a regular file")
        if st.st_size > MAX_SETTINGS_BYTES:
            return self._unusable(f"is far too large ({st.st_size:,} bytes) to be settings")
        try:
            data = self.path.read_bytes()
        except PermissionError:
            return self._unusable("may not be read by you (was the app run once with sudo?)")
        except OSError as exc:
            return self._unusable(f"could not be read ({exc.strerror or exc})")
        try:
            raw = json.loads(data.decode("utf-8"), parse_int=_bounded_int)
        except UnicodeDecodeError:
            return self._unusable("is not UTF-8 text")
        except RecursionError:
            return self._unusable("is nested too deeply to be settings")
        except ValueError as exc:
            return self._unusable(f"is not valid JSON ({exc})")
        if not isinstance(raw, dict):
            return self._unusable("does not hold a JSON object")
        settings, problems = Settings.from_mapping(raw)
        if problems:
            copy = self._keep_copy()
            for problem in problems:
                text = f"Settings file {self.path}: {problem}{copy}"
                log.warning("%s", text)
                self.load_problems.append(text)
        return settings

    def _unusable(self, why: str, *, move: bool = True) -> Settings:
        """Defaults, with the file (or folder) moved aside so a save cannot overwrite it."""
        where = ""
        if move:
            backup = self._unused_name("unreadable")
            try:
                os.replace(self.path, backup)
                where = (f" It was moved to {backup}; copy values back from it if you need "
                         "them.")
            except OSError as exc:
                where = (f" It could not be moved aside ({exc.strerror or exc}), so settings "
                         "cannot be saved until you move or fix it.")
        msg = f"The settings file {self.path} {why}. Default settings are used.{where}"
        self.load_problems.append(msg)
        log.warning("%s", msg)
        return Settings()

    def _keep_copy(self) -> str:
        """Copy the file as it is before a save rewrites it without its bad values (once:
        each start reads the same file until a save rewrites it)."""
        try:
            current = self.path.read_bytes()
            for earlier in self.path.parent.glob(f"{glob.escape(self.path.name)}.invalid-*"):
                if earlier.stat().st_size == len(current) and earlier.read_bytes() == current:
                    return f" (The file as it was is kept as {earlier}.)"
            backup = self._unused_name("invalid")
            shutil.copy2(self.path, backup)
        except OSError as exc:
            return f" (No copy of the file could be kept: {exc.strerror or exc}.)"
        return f" (The file as it was is kept as {backup}.)"

    def _unused_name(self, tag: str) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for n in range(1000):
            suffix = f"-{n}" if n else ""
            candidate = self.path.with_name(f"{self.path.name}.{tag}-{stamp}{suffix}")
            if not candidate.exists():
                return candidate
        raise OSError(f"too many {tag} copies of {self.path}")

    def save(self, settings: Settings) -> None:
        write_private_atomic(self.path, settings.to_json())


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a ``.env`` file: ``KEY=value`` lines, optional ``export``, quotes, ``#`` comments."""
    result: dict[str, str] = {}
    try:
        # utf-8-sig: editors on Windows save a BOM that would otherwise glue onto the first key.
        lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return result
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.replace("_", "").isalnum():
            continue
        value = value.strip()
        if value[:1] in ("'", '"') and value.find(value[0], 1) > 0:
            # Quoted: the value ends at the closing quote; a comment may follow it.
            value = value[1 : value.find(value[0], 1)]
        else:
            # An unquoted value ends at an inline comment.
            value = value.split(" #", 1)[0].rstrip()
        result[key] = value
    return result


@dataclass(frozen=True)
class Credentials:
    """A TikTok app's credentials and where each value came from."""

    client_key: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return bool(self.client_key and self.client_secret)


def resolve_credentials(
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    keyring_secret: Callable[[], str | None] | None = None,
) -> Credentials:
    """Resolve each credential from environment, then ``.env``, then the app's own settings."""
    env = os.environ if environ is None else environ
    dotenv = read_dotenv((cwd or Path.cwd()) / ".env")
    sources: dict[str, str] = {}

    def pick(name: str, env_var: str, fallback: Callable[[], str | None], fb_source: str) -> str:
        for source, mapping in (("environment", env), (".env", dotenv)):
            value = (mapping.get(env_var) or "").strip()
            if value:
                sources[name] = source
                return value
        value = (fallback() or "").strip()
        if value:
            sources[name] = fb_source
        return value

    key = pick("client_key", ENV_CLIENT_KEY, lambda: settings.client_key, "settings")
    secret = pick("client_secret", ENV_CLIENT_SECRET, keyring_secret or (lambda: None), "keyring")
    redirect = pick("redirect_uri", ENV_REDIRECT_URI, lambda: settings.redirect_uri, "settings")
    if not redirect:
        redirect = DEFAULT_REDIRECT_URI
        sources["redirect_uri"] = "default"
    return Credentials(key, secret, redirect, sources)
