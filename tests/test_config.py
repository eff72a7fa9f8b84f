"""config: settings file round trip and repair, .env parsing, credential precedence."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.other_user import NOBODY, as_other_user, needs_root, shared_dir
from tiktok_desktop.config import (
    DEFAULT_REDIRECT_URI,
    MAX_GRACE_MINUTES,
    MAX_SETTINGS_BYTES,
    RULES,
    Credentials,
    Settings,
    SettingsStore,
    read_dotenv,
    resolve_credentials,
)

# --- settings ----------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> SettingsStore:
    return SettingsStore(tmp_path / "config" / "settings.json")


def test_missing_file_gives_defaults(store: SettingsStore) -> None:
    assert store.load() == Settings()
    assert store.load_problems == []
    assert not store.path.exists()


def test_round_trip_and_private_file(store: SettingsStore) -> None:
    s = Settings(
        client_key="ck-123",
        redirect_uri="http://127.0.0.1:8765/callback/",
        late_grace_minutes=15,
        timezone="Europe/Berlin",
        window_geometry="AdnQywADAAA=",
        window_state="AAAA/wAAAAD9",
    )
    store.save(s)
    assert store.load() == s
    assert store.load_problems == []
    if os.name == "posix":
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    on_disk = json.loads(store.path.read_text(encoding="utf-8"))
    assert on_disk["version"] == 1
    assert on_disk["late_grace_minutes"] == 15
    assert "extra" not in on_disk


def test_unknown_keys_survive_load_and_save(store: SettingsStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(
        json.dumps({
            "version": 1,
            "client_key": "ck",
            "future_feature": {"nested": [1, 2]},
            "another": "kept",
        }),
        encoding="utf-8",
    )
    s = store.load()
    assert s.client_key == "ck"
    assert s.extra == {"future_feature": {"nested": [1, 2]}, "another": "kept"}
    s.timezone = "Asia/Tokyo"
    store.save(s)
    on_disk = json.loads(store.path.read_text(encoding="utf-8"))
    assert on_disk["future_feature"] == {"nested": [1, 2]}
    assert on_disk["another"] == "kept"
    assert on_disk["timezone"] == "Asia/Tokyo"
    assert store.load() == s


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("late_grace_minutes", "60"),
        ("late_grace_minutes", True),  # bool is an int subclass: still wrong
        ("late_grace_minutes", 1.5),
        ("timezone", 3),
        ("client_key", None),
        ("late_grace_minutes", -5),
        ("late_grace_minutes", 10**400),
        ("late_grace_minutes", MAX_GRACE_MINUTES + 1),
        ("timezone", "Mars/Olympus"),
        ("client_key", "ck\u001b[2J"),
        ("keep_video_copy", 1),
    ],
)
def test_wrong_typed_value_falls_back_to_default_and_is_reported(
    store: SettingsStore, caplog: pytest.LogCaptureFixture, key: str, bad: object
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(
        json.dumps({"client_key": "kept-key", "late_grace_minutes": 30, "timezone": "UTC",
                    key: bad}),
        encoding="utf-8",
    )
    s = store.load()
    assert getattr(s, key) == getattr(Settings(), key)
    # The other values are still read.
    others = {"client_key": "kept-key", "late_grace_minutes": 30, "timezone": "UTC"}
    others.pop(key, None)
    for name, value in others.items():
        assert getattr(s, name) == value
    [problem] = store.load_problems
    label = RULES[key].label
    assert problem.startswith(f"Settings file {store.path}: \u201c{label}\u201d must ")
    assert f"The default, {json.dumps(getattr(Settings(), key))}, is used." in problem
    # What the file held is kept for the user before a save rewrites it.
    [copy] = [p for p in store.path.parent.iterdir() if ".invalid-" in p.name]
    assert f"(The file as it was is kept as {copy}.)" in problem
    assert copy.read_bytes() == store.path.read_bytes()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [w.getMessage() for w in warnings] == [problem]
    caplog.clear()


def test_load_problems_reset_on_next_load(
    store: SettingsStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text('{"late_grace_minutes": "x"}', encoding="utf-8")
    store.load()
    assert store.load_problems
    caplog.clear()
    store.path.write_text('{"late_grace_minutes": 5}', encoding="utf-8")
    assert store.load().late_grace_minutes == 5
    assert store.load_problems == []


@pytest.mark.parametrize(
    "content",
    [b'{"client_key": "ck", ', b"[1, 2, 3]", b"", b"null"],
    ids=["truncated", "not-an-object", "empty", "null"],
)
def test_unreadable_file_is_moved_aside_and_defaults_used(
    store: SettingsStore, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(content)
    assert store.load() == Settings()
    assert not store.path.exists()
    backups = [p for p in store.path.parent.iterdir() if ".unreadable-" in p.name]
    assert len(backups) == 1
    assert backups[0].name.startswith("settings.json.unreadable-")
    assert backups[0].read_bytes() == content
    assert len(store.load_problems) == 1
    assert str(backups[0]) in store.load_problems[0]
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert str(backups[0]) in caplog.records[0].getMessage()
    caplog.clear()
    # Saving now writes a fresh file; the moved-aside copy stays for the user.
    store.save(Settings(client_key="new"))
    assert store.load().client_key == "new"
    assert backups[0].read_bytes() == content


def test_non_utf8_settings_file_is_moved_aside_too(
    store: SettingsStore, caplog: pytest.LogCaptureFixture
) -> None:
    # A crash or an editor saving in a legacy encoding leaves bytes that are not UTF-8: the app
    # must still start with defaults, not die with UnicodeDecodeError.
    content = b'{"timezone": "Europe/Z\xfcrich"}'
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(content)
    assert store.load() == Settings()
    backups = [p for p in store.path.parent.iterdir() if ".unreadable-" in p.name]
    assert [b.read_bytes() for b in backups] == [content]
    assert store.load_problems
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    caplog.clear()


def test_from_mapping_reports_without_logging(caplog: pytest.LogCaptureFixture) -> None:
    s, problems = Settings.from_mapping({"late_grace_minutes": [], "x": 1, "version": 7})
    assert s.late_grace_minutes == 120  # two hours, as the publishing design says
    assert s.extra == {"x": 1}
    assert problems == ["\u201cPost late for up to\u201d must be a whole number of minutes "
                        "from 0 to 1440, not []. The default, 120, is used."]
    assert caplog.records == []


def _moved_aside(store: SettingsStore) -> list[Path]:
    return [p for p in store.path.parent.iterdir() if ".unreadable-" in p.name]


@pytest.mark.parametrize("make, why", [
    (lambda p: p.mkdir(), "is a folder, not a file"),
    (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "is nested too deeply"),
    (lambda p: p.write_text('{"a": ' * 100_000 + "1" + "}" * 100_000), "is nested too deeply"),
    (lambda p: p.write_bytes(b" " * (MAX_SETTINGS_BYTES + 1)), "is far too large"),
    (lambda p: p.write_text("client_key = ck\n"), "is not valid JSON"),
    (os.mkfifo, "is not a regular file"),
], ids=["folder", "deep-array", "deep-object", "huge", "not-json", "fifo"])
def test_a_settings_file_that_cannot_be_read_never_stops_the_start(
        store: SettingsStore, caplog: pytest.LogCaptureFixture,
        make: Callable[[Path], None], why: str) -> None:
    """Before: a folder or a FIFO raised, deep nesting raised RecursionError (the GUI exited
    1 with no window and no log). Now: defaults, the thing moved aside, one plain message."""
    store.path.parent.mkdir(parents=True)
    make(store.path)
    assert store.load() == Settings()
    [kept] = _moved_aside(store)
    [problem] = store.load_problems
    assert problem == (f"The settings file {store.path} {why}" + problem.split(why, 1)[1])
    assert f"Default settings are used. It was moved to {kept}" in problem
    caplog.clear()
    store.save(Settings(client_key="fresh"))  # a save works again, the old one stays
    assert store.load().client_key == "fresh" and kept.exists()


@needs_root
def test_a_settings_file_root_owns_is_moved_aside_not_lost() -> None:
    """After one `sudo tiktok-desktop`: settings.json belongs to root (0600)."""
    with shared_dir() as folder:
        path = folder / "config" / "settings.json"
        path.parent.mkdir()
        os.chown(path.parent, NOBODY, NOBODY)
        SettingsStore(path).save(Settings(client_key="from-sudo"))

        def load_as_user() -> tuple[str, list[str], list[str]]:
            store = SettingsStore(path)
            settings = store.load()
            return settings.client_key, store.load_problems, sorted(
                p.name for p in path.parent.iterdir())

        logging.disable(logging.WARNING)  # the child's warning is the test's subject
        try:
            key, problems, names = as_other_user(load_as_user)
        finally:
            logging.disable(logging.NOTSET)
    assert key == ""
    [problem] = problems
    assert "may not be read by you (was the app run once with sudo?)" in problem
    assert [n for n in names if n.startswith("settings.json.unreadable-")]


def test_one_copy_of_a_file_with_bad_values_however_often_it_is_read(
        store: SettingsStore, caplog: pytest.LogCaptureFixture) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text('{"late_grace_minutes": -5, "client_key": "kept"}')
    for _ in range(3):
        assert store.load().client_key == "kept"
    assert len([p for p in store.path.parent.iterdir() if ".invalid-" in p.name]) == 1
    caplog.clear()


def test_settings_problems_names_every_bad_value() -> None:
    bad = Settings(late_grace_minutes=-5, timezone="Nowhere/Town", client_key="a\tb")
    assert bad.problems() == [
        "\u201cClient key\u201d must be text of at most 200 characters, without line breaks "
        "or control characters, not \"a\\tb\".",
        "\u201cPost late for up to\u201d must be a whole number of minutes from 0 to 1440, "
        "not -5.",
        "\u201cTime zone\u201d must be a time zone from the list in Settings (e.g. "
        "Europe/Berlin), or empty for the system's, not \"Nowhere/Town\".",
    ]
    assert Settings().problems() == []


# --- .env --------------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_dotenv_syntax(tmp_path: Path) -> None:
    env = write(
        tmp_path / ".env",
        "\n".join([
            "# a comment line",
            "",
            "   ",
            "PLAIN=value",
            "  SPACED  =  padded value  ",
            "export EXPORTED=yes",
            'DOUBLE="quoted # not a comment"',
            "SINGLE='single quoted'",
            "INLINE=value # trailing comment",
            "HASH_NO_SPACE=abc#def",
            "EMPTY=",
            'EMPTY_QUOTED=""',
            "EQUALS=a=b=c",
            "malformed line without equals",
            "=no key",
            "BAD-KEY=dash",
            "BAD KEY=space",
            "   # indented comment",
            "URL=http://127.0.0.1:8080/callback/?a=1&b=2",
            "LAST=wins",
            "LAST=really",
        ]),
    )
    assert read_dotenv(env) == {
        "PLAIN": "value",
        "SPACED": "padded value",
        "EXPORTED": "yes",
        "DOUBLE": "quoted # not a comment",
        "SINGLE": "single quoted",
        "INLINE": "value",
        "HASH_NO_SPACE": "abc#def",
        "EMPTY": "",
        "EMPTY_QUOTED": "",
        "EQUALS": "a=b=c",
        "URL": "http://127.0.0.1:8080/callback/?a=1&b=2",
        "LAST": "really",
    }


def test_read_dotenv_missing_or_directory_is_empty(tmp_path: Path) -> None:
    assert read_dotenv(tmp_path / "nope.env") == {}
    (tmp_path / "dir.env").mkdir()
    assert read_dotenv(tmp_path / "dir.env") == {}


def test_read_dotenv_quoted_value_with_inline_comment(tmp_path: Path) -> None:
    # `KEY="value" # note` is common in .env files; the quotes must not end up in the secret.
    env = write(tmp_path / ".env", 'TIKTOK_CLIENT_SECRET="s3cr3t-value"  # from the portal\n')
    assert read_dotenv(env) == {"TIKTOK_CLIENT_SECRET": "s3cr3t-value"}


def test_read_dotenv_utf8_bom(tmp_path: Path) -> None:
    # Windows Notepad writes a BOM; the first key must not be silently dropped.
    env = tmp_path / ".env"
    env.write_bytes(b"\xef\xbb\xbfTIKTOK_CLIENT_KEY=ck\nOTHER=1\n")
    assert read_dotenv(env) == {"TIKTOK_CLIENT_KEY": "ck", "OTHER": "1"}


def test_read_dotenv_non_utf8_file_does_not_crash(tmp_path: Path) -> None:
    # The .env comes from whatever folder the app was started in; a Latin-1 file there must not
    # stop the app from starting.
    env = tmp_path / ".env"
    env.write_bytes(b"# Z\xfcrich\nTIKTOK_CLIENT_KEY=ck\n")
    result = read_dotenv(env)
    assert result.get("TIKTOK_CLIENT_KEY") in (None, "ck")
    assert all(k.isascii() for k in result)


# --- credentials -------------------------------------------------------------------------------


class SecretSource:
    """The keyring callable: records whether it was consulted."""

    def __init__(self, value: str | None) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> str | None:
        self.calls += 1
        return self.value


def test_nothing_configured(tmp_path: Path) -> None:
    c = resolve_credentials(Settings(), environ={}, cwd=tmp_path)
    assert c.client_key == ""
    assert c.client_secret == ""
    assert c.redirect_uri == DEFAULT_REDIRECT_URI == "http://127.0.0.1:*/callback/"
    assert dict(c.sources) == {"redirect_uri": "default"}
    assert not c.configured


def test_settings_and_keyring_are_the_fallback(tmp_path: Path) -> None:
    secret = SecretSource("  kr-secret  ")
    c = resolve_credentials(
        Settings(client_key=" set-key ", redirect_uri="http://127.0.0.1:9000/cb/"),
        environ={}, cwd=tmp_path, keyring_secret=secret,
    )
    assert (c.client_key, c.client_secret, c.redirect_uri) == (
        "set-key", "kr-secret", "http://127.0.0.1:9000/cb/"
    )
    assert dict(c.sources) == {
        "client_key": "settings", "client_secret": "keyring", "redirect_uri": "settings"
    }
    assert c.configured
    assert secret.calls == 1


def test_dotenv_beats_settings_and_keyring(tmp_path: Path) -> None:
    write(tmp_path / ".env", "TIKTOK_CLIENT_KEY=env-file-key\nTIKTOK_CLIENT_SECRET=file-secret\n"
                             "TIKTOK_REDIRECT_URI=http://127.0.0.1:1/dotenv/\n")
    secret = SecretSource("kr-secret")
    c = resolve_credentials(
        Settings(client_key="set-key", redirect_uri="http://127.0.0.1:2/set/"),
        environ={}, cwd=tmp_path, keyring_secret=secret,
    )
    assert (c.client_key, c.client_secret, c.redirect_uri) == (
        "env-file-key", "file-secret", "http://127.0.0.1:1/dotenv/"
    )
    assert set(c.sources.values()) == {".env"}
    assert secret.calls == 0  # no keyring prompt when the value is already known


def test_environment_beats_dotenv(tmp_path: Path) -> None:
    write(tmp_path / ".env", "TIKTOK_CLIENT_KEY=file-key\nTIKTOK_CLIENT_SECRET=file-secret\n")
    c = resolve_credentials(
        Settings(client_key="set-key"),
        environ={"TIKTOK_CLIENT_KEY": "env-key", "TIKTOK_CLIENT_SECRET": "env-secret",
                 "TIKTOK_REDIRECT_URI": "http://127.0.0.1:3/env/"},
        cwd=tmp_path, keyring_secret=SecretSource("kr"),
    )
    assert (c.client_key, c.client_secret, c.redirect_uri) == (
        "env-key", "env-secret", "http://127.0.0.1:3/env/"
    )
    assert set(c.sources.values()) == {"environment"}


def test_precedence_is_per_field(tmp_path: Path) -> None:
    write(tmp_path / ".env", "TIKTOK_CLIENT_SECRET=file-secret\n")
    c = resolve_credentials(
        Settings(client_key="set-key", redirect_uri="http://127.0.0.1:4/set/"),
        environ={"TIKTOK_CLIENT_KEY": "env-key"},
        cwd=tmp_path, keyring_secret=SecretSource("kr"),
    )
    assert (c.client_key, c.client_secret, c.redirect_uri) == (
        "env-key", "file-secret", "http://127.0.0.1:4/set/"
    )
    assert dict(c.sources) == {
        "client_key": "environment", "client_secret": ".env", "redirect_uri": "settings"
    }


def test_blank_values_fall_through(tmp_path: Path) -> None:
    write(tmp_path / ".env", "TIKTOK_CLIENT_KEY=\nTIKTOK_CLIENT_SECRET='  '\n")
    c = resolve_credentials(
        Settings(client_key="set-key"),
        environ={"TIKTOK_CLIENT_KEY": "   ", "TIKTOK_CLIENT_SECRET": ""},
        cwd=tmp_path, keyring_secret=SecretSource("kr"),
    )
    assert c.client_key == "set-key"
    assert c.client_secret == "kr"
    assert dict(c.sources) == {
        "client_key": "settings", "client_secret": "keyring", "redirect_uri": "default"
    }


def test_dotenv_is_read_from_the_working_directory_by_default() -> None:
    # conftest chdir'ed into a fresh directory for this test.
    write(Path.cwd() / ".env", "TIKTOK_CLIENT_KEY=cwd-key\n")
    c = resolve_credentials(Settings(), environ={})
    assert c.client_key == "cwd-key"
    assert c.sources["client_key"] == ".env"


def test_configured_needs_key_and_secret(tmp_path: Path) -> None:
    only_key = resolve_credentials(Settings(client_key="k"), environ={}, cwd=tmp_path)
    assert not only_key.configured
    only_secret = resolve_credentials(
        Settings(), environ={}, cwd=tmp_path, keyring_secret=SecretSource("s")
    )
    assert not only_secret.configured
    none_secret = resolve_credentials(
        Settings(client_key="k"), environ={}, cwd=tmp_path, keyring_secret=SecretSource(None)
    )
    assert not none_secret.configured
    assert "client_secret" not in none_secret.sources


def test_credentials_repr_hides_the_secret() -> None:
    c = Credentials("my-client-key", "TOPSECRET-value-42", "http://127.0.0.1:1/cb/",
                    {"client_secret": "keyring"})
    for text in (repr(c), str(c), f"{c}", f"{c!r}"):
        assert "TOPSECRET-value-42" not in text
        assert "my-client-key" in text
