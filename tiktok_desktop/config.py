"""App settings and TikTok app credentials.

Settings are a small typed object saved as JSON in the config dir. Credentials come from, in
order: the environment, a ``.env`` file in the working directory, then the settings (the client
secret entered in the app lives in the OS keyring, never in a file; the caller hands us a
function that reads it so this module stays free of keyring details).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
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
    window_geometry: str = ""
    window_state: str = ""
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_json(self) -> str:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        del data["extra"]
        return json.dumps({"version": SETTINGS_VERSION, **self.extra, **data}, indent=2) + "\n"

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> tuple[Settings, list[str]]:
        """Build settings from parsed JSON; returns the settings and a list of problems found.

        A wrong-typed value falls back to its default (and is reported) instead of failing the
        whole file, so one bad hand edit does not lose every other preference.
        """
        problems: list[str] = []
        known = {f.name: f for f in dataclasses.fields(cls) if f.name != "extra"}
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in raw.items():
            if key == "version":
                continue
            f = known.get(key)
            if f is None:
                extra[key] = value
                continue
            expected = type(getattr(cls(), key))
            if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
                values[key] = value
            else:
                problems.append(f"setting {key!r} should be {expected.__name__}; using the default")
        return cls(**values, extra=extra), problems


class SettingsStore:
    """Loads and saves :class:`Settings` at one path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.load_problems: list[str] = []

    def load(self) -> Settings:
        self.load_problems = []
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("top level is not an object")
        except FileNotFoundError:
            return Settings()
        except ValueError as exc:  # includes UnicodeDecodeError
            # Keep the unreadable file for the user instead of overwriting it on next save.
            backup = self._unused_name("unreadable")
            os.replace(self.path, backup)
            msg = (
                f"The settings file could not be read ({exc}). It was moved to {backup} and "
                "default settings are used; copy values back from it if you need them."
            )
            self.load_problems.append(msg)
            log.warning("%s", msg)
            return Settings()
        settings, problems = Settings.from_mapping(raw)
        for p in problems:
            log.warning("settings file %s: %s", self.path, p)
        self.load_problems.extend(problems)
        return settings

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
