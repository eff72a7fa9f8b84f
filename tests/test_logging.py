"""logging_setup: redaction of secrets, the private log file, the in-memory tail."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.other_user import OtherUserError, as_other_user, needs_root, shared_dir
from tiktok_desktop import logging_setup
from tiktok_desktop.logging_setup import (
    MASK,
    REDACTOR,
    TAIL,
    RedactingFilter,
    Redactor,
    TailHandler,
    setup_logging,
)

NOISY = ("httpx", "httpcore", "hpack", "PIL", "urllib3", "keyring")
# Shaped like TikTok's: long, with the characters its tokens use.
ACCESS = "act.1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuV!4731.va"
REFRESH = "rft.ZyXwVuTsRqPoNmLkJiHgFeDcBa98765!4731.e1"
CLIENT_SECRET = "cs_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
AUTH_CODE = "Hx7Kq*2mZp!4731.e1"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk~v.Q"
ALL_SECRETS = (ACCESS, REFRESH, CLIENT_SECRET, AUTH_CODE, VERIFIER)


@pytest.fixture(autouse=True)
def restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """setup_logging changes process-wide state; put all of it back after each test."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    level = root.level
    noisy = {n: logging.getLogger(n).level for n in NOISY}
    tail_filters = list(TAIL.filters)
    # Registered secrets must not leak from one test into the next.
    monkeypatch.setattr(REDACTOR, "_known", set())
    TAIL.lines.clear()
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
            if h is not TAIL:
                h.close()
    root.setLevel(level)
    for name, lvl in noisy.items():
        logging.getLogger(name).setLevel(lvl)
    TAIL.filters[:] = tail_filters
    TAIL.lines.clear()
    logging.captureWarnings(False)


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


# --- Redactor ----------------------------------------------------------------------------------


def assert_clean(text: str) -> None:
    for s in ALL_SECRETS:
        assert s not in text, f"{s!r} leaked in {text!r}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            f"GET http://127.0.0.1:5000/callback/?code={AUTH_CODE}&scopes=user.info.basic"
            "&state=st4te",
            "GET http://127.0.0.1:5000/callback/?code=***&scopes=user.info.basic&state=st4te",
        ),
        (
            f"client_key=ck1&client_secret={CLIENT_SECRET}&code={AUTH_CODE}"
            f"&grant_type=authorization_code&code_verifier={VERIFIER}",
            "client_key=ck1&client_secret=***&code=***&grant_type=authorization_code"
            "&code_verifier=***",
        ),
        (
            f"grant_type=refresh_token&refresh_token={REFRESH}&client_key=ck1",
            "grant_type=refresh_token&refresh_token=***&client_key=ck1",
        ),
        (
            f'{{"access_token": "{ACCESS}", "expires_in": 86400, "open_id": "u-1", '
            f'"refresh_token":"{REFRESH}", "scope": "video.publish", "token_type": "Bearer"}}',
            '{"access_token": "***", "expires_in": 86400, "open_id": "u-1", '
            '"refresh_token":"***", "scope": "video.publish", "token_type": "Bearer"}',
        ),
        (
            f"{{'client_secret': '{CLIENT_SECRET}', 'code_verifier': '{VERIFIER}'}}",
            "{'client_secret': '***', 'code_verifier': '***'}",
        ),
        (f"Authorization: Bearer {ACCESS}", "Authorization: Bearer ***"),
        (f"{{'authorization': 'bearer {ACCESS}'}}", "{'authorization': 'bearer ***'}"),
        (
            f"token refreshed: {ACCESS} then {REFRESH} end",
            "token refreshed: act.*** then rft.*** end",
        ),
        (f"access_token : {ACCESS}", "access_token : ***"),
    ],
    ids=["redirect-query", "token-form", "refresh-form", "json", "dict-repr", "bearer",
         "bearer-dict", "bare-tokens", "key-colon-value"],
)
def test_redacts_secret_shapes(redactor: Redactor, raw: str, expected: str) -> None:
    assert redactor.redact(raw) == expected
    assert_clean(redactor.redact(raw))


@pytest.mark.parametrize(
    "text",
    [
        "token expired",
        "the code is wrong",
        "refresh_token expired; reconnect the account",
        "state=abc",
        "open_id=u-123 scope=video.publish",
        "uploaded chunk 3/7 (bytes 0-10485759)",
        "act.short",  # shorter than any real token
        "secret sauce",
        "TikTokError(code='rate_limit_exceeded', http_status=429)",
    ],
)
def test_leaves_ordinary_text_alone(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text) == text


def test_registered_secrets_are_masked_anywhere(redactor: Redactor) -> None:
    redactor.add_secret("plainsecret-7781")
    redactor.add_secret("plainsecret-7781-longer")  # longest first: no half-masked leftover
    assert redactor.redact("x plainsecret-7781-longer y plainsecret-7781z") == "x *** y ***z"


def test_short_and_empty_values_are_not_registered(redactor: Redactor) -> None:
    redactor.add_secret("abc12")
    redactor.add_secret("")
    redactor.add_secret(None)
    assert redactor.redact("abc12 stays") == "abc12 stays"


def test_redaction_is_idempotent(redactor: Redactor) -> None:
    once = redactor.redact(f"code={AUTH_CODE} Bearer {ACCESS}")
    assert redactor.redact(once) == once == f"code={MASK} Bearer {MASK}"


def test_quoted_key_equals_value_is_masked(redactor: Redactor) -> None:
    # The shape of a dataclass/kwargs repr: a secret field rendered with !r.
    text = redactor.redact(
        f"exchange(client_secret='{CLIENT_SECRET}', code=\"{AUTH_CODE}\", "
        f"code_verifier='{VERIFIER}')"
    )
    assert_clean(text)


# --- RedactingFilter ---------------------------------------------------------------------------


def make_record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, exc_info)


def test_filter_renders_args_then_redacts() -> None:
    r = make_record("posting with %s and %d chunks", f"access_token={ACCESS}", 3)
    assert RedactingFilter(Redactor()).filter(r) is True
    assert r.args is None
    assert r.getMessage() == "posting with access_token=*** and 3 chunks"


def test_filter_does_not_raise_on_a_bad_format_call() -> None:
    # A wrong %-argument count is a logging bug, not an application crash: without the filter
    # the stdlib reports it via handleError; with it, the TypeError must not escape either.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(Redactor()))
    handler.handleError = lambda record: None  # type: ignore[method-assign]
    handler.handle(make_record("two %s %s", "only-one"))


# --- setup_logging -----------------------------------------------------------------------------


def read_log(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_setup_logging_creates_private_file_in_log_dir(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    log_file = setup_logging(log_dir)
    assert log_file == log_dir / "tiktok-desktop.log"
    assert log_file.is_file()
    logging.getLogger("tiktok_desktop.test").info("hello file")
    assert "tiktok_desktop.test: hello file" in read_log(log_file)
    assert " INFO " in read_log(log_file)
    if os.name == "posix":
        assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(log_dir.stat().st_mode) == 0o700


def test_setup_logging_without_dir_writes_no_file(tmp_path: Path) -> None:
    assert setup_logging(None) is None
    logging.getLogger("tiktok_desktop.test").info("tail only %d", 7)
    assert TAIL.lines[-1].endswith("tiktok_desktop.test: tail only 7")


def test_secrets_never_reach_the_file_or_tail(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log_file = setup_logging(tmp_path / "logs")
    assert log_file is not None
    REDACTOR.add_secret(CLIENT_SECRET)
    log = logging.getLogger("tiktok_desktop.test")
    log.info("token response %s", {"access_token": ACCESS, "refresh_token": REFRESH})
    log.info(f"loaded client secret {CLIENT_SECRET} from keyring")
    log.info("exchanging code=%s verifier=%s", AUTH_CODE, f"code_verifier={VERIFIER}")
    try:
        raise RuntimeError(f"refresh failed for Authorization: Bearer {ACCESS} ({CLIENT_SECRET})")
    except RuntimeError:
        log.exception("could not refresh %s", REFRESH)
    assert [r.levelname for r in caplog.records] == ["INFO", "INFO", "INFO", "ERROR"]
    caplog.clear()

    text = read_log(log_file)
    assert_clean(text)
    assert_clean(TAIL.text())
    # The lines are there, only masked.
    assert "token response {'access_token': '***', 'refresh_token': '***'}" in text
    assert "loaded client secret *** from keyring" in text
    assert "exchanging code=*** verifier=code_verifier=***" in text
    assert "could not refresh rft.***" in text
    assert "Traceback (most recent call last):" in text
    assert "RuntimeError: refresh failed for Authorization: Bearer *** (***)" in text
    assert "RuntimeError: refresh failed" in TAIL.text()


def test_secret_in_chained_exception_is_masked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log_file = setup_logging(tmp_path / "logs")
    assert log_file is not None
    try:
        try:
            raise ValueError(f"bad body client_secret={CLIENT_SECRET}")
        except ValueError as inner:
            raise RuntimeError("token call failed") from inner
    except RuntimeError:
        logging.getLogger("tiktok_desktop.test").exception("oops")
    caplog.clear()
    text = read_log(log_file)
    assert "ValueError: bad body client_secret=***" in text
    assert_clean(text)


def test_control_characters_reach_the_log_only_as_escapes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    """A TikTok name or a caption with escape sequences, a forged line, a carriage return: in
    the file, the tail and on the console they are visible escapes; a traceback keeps its
    line breaks."""
    log_file = setup_logging(tmp_path / "logs", console=True)
    assert log_file is not None
    log = logging.getLogger("tiktok_desktop.test")
    name = "\x1b]0;owned\x07Mia\x1b[2J\u202egnp.exe"
    log.info("connected %s", name)
    log.info("caption %s", "fine\n2026-01-01 00:00:00 INFO    root: forged\rover\x00")
    try:
        raise ValueError("bad \x1b[31mred\x1b[0m")
    except ValueError:
        log.exception("failed for %s", name)
    caplog.clear()
    for text in (read_log(log_file), TAIL.text(), capsys.readouterr().err):
        assert not any(ch in text for ch in "\x1b\x07\x00\r\u202e"), repr(text)
        assert "connected \\x1b]0;owned\\x07Mia\\x1b[2J\\u202egnp.exe" in text
        # The caption's newline did not start a line of its own.
        assert "\n2026-01-01 00:00:00 INFO    root: forged" not in text
        assert "caption fine\\n2026-01-01 00:00:00 INFO    root: forged\\rover\\x00" in text
        assert "Traceback (most recent call last):\n" in text
        assert "ValueError: bad \\x1b[31mred\\x1b[0m" in text


def test_setup_logging_twice_does_not_duplicate_lines(tmp_path: Path) -> None:
    setup_logging(tmp_path / "logs")
    log_file = setup_logging(tmp_path / "logs")
    assert log_file is not None
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_tiktok_desktop", False)]
    assert len(ours) == 2  # the tail and one file handler
    logging.getLogger("tiktok_desktop.test").info("exactly once")
    assert read_log(log_file).count("exactly once") == 1
    assert sum("exactly once" in line for line in TAIL.lines) == 1


def test_log_file_stays_private_after_rotation(tmp_path: Path) -> None:
    log_file = setup_logging(tmp_path / "logs")
    assert log_file is not None
    (fh,) = [h for h in logging.getLogger().handlers
             if isinstance(h, logging.handlers.RotatingFileHandler)]
    logging.getLogger("tiktok_desktop.test").info("before rotation")
    fh.doRollover()
    logging.getLogger("tiktok_desktop.test").info("after rotation")
    rotated = log_file.with_name(log_file.name + ".1")
    assert "before rotation" in read_log(rotated)
    assert "after rotation" in read_log(log_file)
    if os.name == "posix":
        assert stat.S_IMODE(rotated.stat().st_mode) == 0o600
        assert stat.S_IMODE(log_file.stat().st_mode) == 0o600


def test_noisy_libraries_are_turned_down(tmp_path: Path) -> None:
    logging.getLogger("httpx").setLevel(logging.NOTSET)
    log_file = setup_logging(tmp_path / "logs", level=logging.DEBUG)
    assert log_file is not None
    for name in NOISY:
        assert logging.getLogger(name).level == logging.WARNING, name
    logging.getLogger("httpx").info("HTTP Request: PUT https://upload.example/?signature=zzz")
    logging.getLogger("httpcore.http11").debug("send_request_headers.started")
    logging.getLogger("tiktok_desktop.test").debug("our debug line")
    text = read_log(log_file)
    assert "signature=zzz" not in text
    assert "send_request_headers" not in text
    assert "our debug line" in text


def test_console_handler_respects_level(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    setup_logging(None, console=True, level=logging.ERROR)
    log = logging.getLogger("tiktok_desktop.test")
    log.info("info-not-on-console")
    log.error("error on console with code=%s", AUTH_CODE)
    caplog.clear()
    err = capsys.readouterr().err
    assert "info-not-on-console" not in err
    assert "ERROR   tiktok_desktop.test: error on console with code=***" in err
    assert AUTH_CODE not in err
    # INFO still reaches the tail: the root stays at INFO whatever the console shows.
    assert "info-not-on-console" in TAIL.text()


# --- TailHandler -------------------------------------------------------------------------------


def test_tail_keeps_the_last_lines() -> None:
    tail = TailHandler(capacity=3)
    for i in range(5):
        tail.handle(make_record("line %d", i))
    assert len(tail.lines) == 3
    assert [line.rsplit(" ", 1)[-1] for line in tail.lines] == ["2", "3", "4"]
    assert tail.text().count("\n") == 2
    assert tail.text().endswith("t: line 4")


def test_tail_is_the_module_singleton_used_by_setup(tmp_path: Path) -> None:
    setup_logging(None)
    assert logging_setup.TAIL in logging.getLogger().handlers
    logging.getLogger("tiktok_desktop.test").info("in the tail")
    assert TAIL.text().endswith("tiktok_desktop.test: in the tail")


@needs_root
def test_a_log_file_root_made_in_a_sudo_run_is_explained() -> None:
    """Before: PermissionError from the file handler, before any window or message."""
    with shared_dir() as folder:
        logs = folder / "logs"
        logs.mkdir()
        (logs / "tiktok-desktop.log").write_text("root's lines\n")
        os.chown(logs, 65534, 65534)  # the folder is the user's, the file root's
        with pytest.raises(OtherUserError) as info:
            as_other_user(setup_logging, logs)
    assert info.value.kind == "PathsError"
    assert info.value.text == (
        f"TikTok Desktop may not use the log file {logs / 'tiktok-desktop.log'}: "
        f"{logs / 'tiktok-desktop.log'} belongs to root, not to you (was the app run once "
        f"with sudo?). Give it back with: sudo chown -R nobody {logs / 'tiktok-desktop.log'}")
