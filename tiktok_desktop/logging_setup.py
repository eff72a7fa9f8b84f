"""Logging: a rotating file in the log dir, console in development, and redaction.

Every handler carries the redaction filter, so a token that slips into a message (an httpx
error quoting a URL, a JSON body in a debug line) is masked before it is written anywhere.
The same filter neutralises control characters: a TikTok name, a callback's error text or a
caption can carry terminal escape sequences (run in the terminal of whoever reads the log) or a
newline (a forged log line), so they are written as visible escapes (safetext.neutralise);
tracebacks keep their line breaks.
A bounded in-memory tail feeds the "View log" window and crash reports.
"""

from __future__ import annotations

import collections
import io
import logging
import logging.handlers
import re
import sys
import threading
from pathlib import Path

from tiktok_desktop.paths import (
    PathsError,
    ensure_private_dir,
    explain_os_error,
    private_opener,
    touch_private,
)
from tiktok_desktop.safetext import neutralise

MASK = "***"
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"

# Names whose values are secrets, in query strings, form bodies, JSON and "key: value" text.
# "code" is masked only as code=… (URLs, forms, reprs): as "code": it is mostly TikTok's error
# code ("code":"ok"), which support needs to see.
_SENSITIVE_NAMES = (
    r"access_token|refresh_token|client_secret|code_verifier|token|secret|password"
    r"|authorization_code|id_token"
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # "key": "value", key='value', key="value"
    (re.compile(rf"""(["']?(?:{_SENSITIVE_NAMES})["']?\s*[:=]\s*["'])([^"']+)(["'])""", re.I),
     rf"\g<1>{MASK}\g<3>"),
    # code='…' in reprs, unless it is a snake_case error code like 'rate_limit_exceeded'
    (re.compile(r"""(?<![A-Za-z0-9_])(code\s*=\s*["'])(?![a-z_]+["'])([^"']+)(["'])"""),
     rf"\g<1>{MASK}\g<3>"),
    # key=value in URLs, forms, and key: value in plain text (stops at a delimiter)
    (re.compile(rf"(?<![A-Za-z0-9_])((?:{_SENSITIVE_NAMES})\s*[=:]\s*)([^\s&,;\"'<>)\]}}]+)", re.I),
     rf"\g<1>{MASK}"),
    (re.compile(r"(?<![A-Za-z0-9_])(code=)([^\s&,;\"'<>)\]}]+)", re.I), rf"\g<1>{MASK}"),
    # Authorization: Bearer <token>
    (re.compile(r"(Bearer\s+)([A-Za-z0-9._~+/=\-!*%]+)", re.I), rf"\g<1>{MASK}"),
    # TikTok's token shapes even without a key next to them (act.xxx, rft.xxx)
    (re.compile(r"\b(act|rft|clt)\.[A-Za-z0-9._\-!*%]{8,}"), rf"\g<1>.{MASK}"),
]


class Redactor:
    """Masks secret-looking values, plus any exact secret values registered at run time."""

    def __init__(self) -> None:
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def add_secret(self, value: str | None) -> None:
        """Mask this exact value wherever it appears (e.g. the client secret once loaded)."""
        if value and len(value) >= 6:  # short values would mask ordinary words
            with self._lock:
                self._known.add(value)

    def redact(self, text: str) -> str:
        with self._lock:
            known = sorted(self._known, key=len, reverse=True)
        for secret in known:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, repl in _PATTERNS:
            text = pattern.sub(repl, text)
        return text


REDACTOR = Redactor()


class RedactingFilter(logging.Filter):
    """Renders the record's message (and traceback) once, redacted and with control characters
    neutralised, so no handler sees raw text."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad %-format must not raise into the caller
            message = f"{record.msg!s} {record.args!r}"
        record.msg = neutralise(self.redactor.redact(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = neutralise(self.redactor.redact(record.exc_text),
                                         keep_newlines=True)
        if record.stack_info:
            record.stack_info = neutralise(self.redactor.redact(record.stack_info),
                                           keep_newlines=True)
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Rotation reopens the file: keep it 0600 every time, not just the first."""

    def _open(self) -> io.TextIOWrapper:
        stream = open(  # noqa: SIM115 - the handler owns and closes the stream
            self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors,
            opener=private_opener,
        )
        assert isinstance(stream, io.TextIOWrapper)
        return stream


class TailHandler(logging.Handler):
    """Keeps the last N formatted lines in memory for the log viewer and crash reports."""

    def __init__(self, capacity: int = 2000) -> None:
        super().__init__()
        self.lines: collections.deque[str] = collections.deque(maxlen=capacity)
        self.setFormatter(logging.Formatter(LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a logging failure must never take the app down
            self.handleError(record)

    def text(self) -> str:
        return "\n".join(self.lines)


TAIL = TailHandler()


def setup_logging(log_dir: Path | None, *, console: bool = False,
                  level: int = logging.INFO) -> Path | None:
    """Configure the root logger once; returns the log file path (None when file logging is off).

    Raises PathsError (nothing configured yet) when the log file cannot be opened.
    """
    handlers: list[logging.Handler] = [TAIL]
    log_file: Path | None = None
    if log_dir is not None:
        target = log_dir / "tiktok-desktop.log"
        try:
            ensure_private_dir(log_dir)
            log_file = touch_private(target)
            fh = PrivateRotatingFileHandler(
                log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
            )
        except OSError as exc:  # e.g. a log folder root owns since a sudo run
            raise PathsError(explain_os_error(target, exc, "the log file"), target) from None
        fh.setFormatter(logging.Formatter(LOG_FORMAT))
        handlers.append(fh)
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_tiktok_desktop", False):
            root.removeHandler(h)
            h.close()
    root.setLevel(min(level, logging.INFO))
    redact = RedactingFilter()
    if console:
        ch = logging.StreamHandler(sys.stderr)
        ch.setFormatter(logging.Formatter("%(levelname)-7s %(name)s: %(message)s"))
        ch.setLevel(level)
        handlers.append(ch)
    for h in handlers:
        for old in [f for f in h.filters if isinstance(f, RedactingFilter)]:
            h.removeFilter(old)  # TAIL is shared: do not stack filters on repeated set-up
        h.addFilter(redact)
        h._tiktok_desktop = True  # type: ignore[attr-defined]
        root.addHandler(h)
    # httpx logs every request URL at INFO (upload URLs carry signatures): keep it quiet.
    for noisy in ("httpx", "httpcore", "hpack", "PIL", "urllib3", "keyring"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return log_file
