"""paths: where files live, and that everything we create is private to the user."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import platformdirs
import pytest

from tests.helpers.other_user import NOBODY, OtherUserError, as_other_user, needs_root, shared_dir
from tiktok_desktop import APP_NAME, paths
from tiktok_desktop.paths import (
    AppPaths,
    PathsError,
    ensure_private_dir,
    resolve,
    touch_private,
    write_private_atomic,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- resolve -----------------------------------------------------------------------------------


def test_home_override_puts_every_dir_under_it(tmp_path: Path) -> None:
    home = tmp_path / "portable"
    p = resolve({"TIKTOK_DESKTOP_HOME": str(home)})
    assert p == AppPaths(
        data_dir=home / "data",
        config_dir=home / "config",
        cache_dir=home / "cache",
        log_dir=home / "logs",
        namespace=p.namespace,
    )
    assert p.profile == ""
    # A data folder of one's own keeps its keyring entries apart from other copies'.
    assert len(p.namespace) == 12
    assert resolve({"TIKTOK_DESKTOP_HOME": str(tmp_path / "other")}).namespace != p.namespace
    assert p.for_profile("sandbox").namespace == p.namespace
    assert p.db_file == home / "data" / "tiktok-desktop.sqlite3"
    assert p.settings_file == home / "config" / "settings.json"
    assert p.log_file == home / "logs" / "tiktok-desktop.log"
    assert p.crash_file == home / "logs" / "crash.log"
    assert p.sandbox_state_dir == home / "data" / "sandbox-server"
    assert p.avatar_cache_dir == home / "cache" / "avatars"
    # Resolving creates nothing: only ensure() touches the disk.
    assert not home.exists()


def test_home_override_relative_and_tilde_become_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # conftest put the cwd in tmp_path / "cwd"
    rel = resolve({"TIKTOK_DESKTOP_HOME": "  portable-home  "})
    assert rel.data_dir == (Path.cwd() / "portable-home" / "data").resolve()
    assert rel.data_dir.is_absolute()

    monkeypatch.setenv("HOME", str(tmp_path / "userhome"))
    tilde = resolve({"TIKTOK_DESKTOP_HOME": "~/td"})
    assert tilde.config_dir == (tmp_path / "userhome" / "td" / "config").resolve()


@pytest.mark.parametrize("environ", [{}, {"TIKTOK_DESKTOP_HOME": "   "}, {"OTHER": "x"}])
def test_without_override_uses_platform_dirs(environ: dict[str, str]) -> None:
    dirs = platformdirs.PlatformDirs(appname=APP_NAME, appauthor=False)
    p = resolve(environ)
    assert p.data_dir == Path(dirs.user_data_dir)
    assert p.config_dir == Path(dirs.user_config_dir)
    assert p.cache_dir == Path(dirs.user_cache_dir)
    assert p.log_dir == Path(dirs.user_log_dir)
    # The isolated home conftest exported must not leak in when an explicit environ is given.
    assert os.environ["TIKTOK_DESKTOP_HOME"] not in str(p.data_dir)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG layout is Linux's")
def test_platform_default_follows_xdg_on_linux(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    p = resolve({})
    assert p.data_dir == tmp_path / "xdg-data" / APP_NAME
    assert p.config_dir == tmp_path / "xdg-config" / APP_NAME
    assert p.cache_dir == tmp_path / "xdg-cache" / APP_NAME
    assert p.log_dir.is_relative_to(tmp_path / "xdg-state" / APP_NAME)


def test_resolve_without_argument_reads_process_environment(isolated_home: Path) -> None:
    assert resolve().data_dir == isolated_home.resolve() / "data"


# --- profiles ----------------------------------------------------------------------------------


def test_sandbox_profile_separates_data_config_cache_but_shares_logs(tmp_path: Path) -> None:
    base = resolve({"TIKTOK_DESKTOP_HOME": str(tmp_path / "h")})
    sb = base.for_profile("sandbox")
    assert sb.profile == "sandbox"
    assert sb.data_dir == base.data_dir / "sandbox"
    assert sb.config_dir == base.config_dir / "sandbox"
    assert sb.cache_dir == base.cache_dir / "sandbox"
    assert sb.log_dir == base.log_dir
    assert sb.log_file == base.log_file
    assert sb.db_file != base.db_file
    assert sb.settings_file != base.settings_file
    assert sb.avatar_cache_dir != base.avatar_cache_dir
    assert sb.sandbox_state_dir.is_relative_to(sb.data_dir)
    assert base.for_profile("") is base


@posix_only
def test_ensure_creates_all_dirs_private(tmp_path: Path) -> None:
    p = resolve({"TIKTOK_DESKTOP_HOME": str(tmp_path / "h")}).for_profile("sandbox")
    assert p.ensure() is p
    for d in (p.data_dir, p.config_dir, p.cache_dir, p.log_dir):
        assert d.is_dir()
        assert mode(d) == 0o700, d


@posix_only
def test_private_dir_ignores_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        d = ensure_private_dir(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    assert mode(d) == 0o700


@posix_only
def test_existing_looser_dir_is_tightened(tmp_path: Path) -> None:
    d = tmp_path / "loose"
    d.mkdir()
    d.chmod(0o755)
    (d / "keep.txt").write_text("kept", encoding="utf-8")
    assert ensure_private_dir(d) == d
    assert mode(d) == 0o700
    assert (d / "keep.txt").read_text(encoding="utf-8") == "kept"


# --- private files -----------------------------------------------------------------------------


@posix_only
def test_touch_private_creates_0600_file_and_parents(tmp_path: Path) -> None:
    f = touch_private(tmp_path / "new-dir" / "db.sqlite3")
    assert f.is_file()
    assert f.stat().st_size == 0
    assert mode(f) == 0o600
    assert mode(f.parent) == 0o700


@posix_only
def test_touch_private_tightens_existing_file_without_truncating(tmp_path: Path) -> None:
    f = tmp_path / "existing"
    f.write_bytes(b"precious")
    f.chmod(0o644)
    touch_private(f)
    assert mode(f) == 0o600
    assert f.read_bytes() == b"precious"


@posix_only
def test_private_opener_creates_0600(tmp_path: Path) -> None:
    f = tmp_path / "opened.txt"
    with open(f, "w", opener=paths.private_opener, encoding="utf-8") as fh:
        fh.write("x")
    assert mode(f) == 0o600


@posix_only
def test_write_private_atomic_new_file(tmp_path: Path) -> None:
    f = tmp_path / "cfg" / "settings.json"
    write_private_atomic(f, '{"a": "ü"}\n')
    assert f.read_text(encoding="utf-8") == '{"a": "ü"}\n'
    assert mode(f) == 0o600
    assert mode(f.parent) == 0o700
    assert sorted(os.listdir(f.parent)) == ["settings.json"]


@posix_only
def test_write_private_atomic_replaces_looser_file_with_private_one(tmp_path: Path) -> None:
    f = tmp_path / "cfg" / "settings.json"
    f.parent.mkdir()
    f.write_text("old", encoding="utf-8")
    f.chmod(0o644)
    write_private_atomic(f, "new")
    assert f.read_text(encoding="utf-8") == "new"
    assert mode(f) == 0o600
    assert os.listdir(f.parent) == ["settings.json"]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_write_private_atomic_failure_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    f = tmp_path / "cfg" / "settings.json"
    f.parent.mkdir()
    f.write_text("old content", encoding="utf-8")

    def boom(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        write_private_atomic(f, "new content that never lands")
    monkeypatch.undo()
    assert f.read_text(encoding="utf-8") == "old content"
    # The temp file is cleaned up, not left behind next to the settings.
    assert os.listdir(f.parent) == ["settings.json"]


def test_write_private_atomic_failure_without_old_file_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(fd: int) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="I/O error"):
        write_private_atomic(tmp_path / "cfg" / "settings.json", "text")
    monkeypatch.undo()
    assert os.listdir(tmp_path / "cfg") == []


# --- folders that cannot be used ---------------------------------------------------------------


def test_a_home_that_is_a_file_says_what_to_do(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: NotADirectoryError and a traceback."""
    home = tmp_path / "not-a-folder.txt"
    home.write_text("notes")
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    with pytest.raises(PathsError) as info:
        resolve().ensure()
    assert str(info.value) == (f"TIKTOK_DESKTOP_HOME is set to {home}, which is a file, not a "
                               "folder. Point it at a folder (it is created if missing), or "
                               "unset it to use the usual place.")
    assert home.read_text() == "notes"


def test_a_file_in_the_way_of_one_folder(tmp_path: Path) -> None:
    base = resolve({paths.HOME_ENV: str(tmp_path / "home")})
    base.data_dir.parent.mkdir(parents=True)
    base.data_dir.write_text("x")
    with pytest.raises(PathsError) as info:
        base.ensure()
    assert str(info.value) == (f"TikTok Desktop needs the folder {base.data_dir}, but "
                               f"{base.data_dir} is a file where a folder should be. Move that "
                               "file away and start again.")


@needs_root
def test_folders_root_made_in_a_sudo_run_are_explained() -> None:
    """`sudo tiktok-desktop` once: the app's folders are root's, the user's next start
    cannot write them. Before: PermissionError and a traceback (the GUI: no window, exit 1)."""
    with shared_dir() as folder:
        base = resolve({paths.HOME_ENV: str(folder / "home")})
        base.ensure()  # as root
        (folder / "home").chmod(0o755)
        with pytest.raises(OtherUserError) as info:
            as_other_user(lambda: base.ensure() and None)
        assert info.value.kind == "PathsError"
        assert info.value.text == (
            f"TikTok Desktop may not use the folder {base.data_dir}: {base.data_dir} belongs "
            "to root, not to you (was the app run once with sudo?). Give it back with: sudo "
            f"chown -R nobody {base.data_dir}")
        # Given back, it works.
        for d in (folder / "home", base.data_dir, base.config_dir, base.cache_dir,
                  base.log_dir):
            os.chown(d, NOBODY, NOBODY)
        assert as_other_user(lambda: base.ensure().data_dir) == base.data_dir
