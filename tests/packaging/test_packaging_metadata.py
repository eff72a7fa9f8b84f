"""The .desktop file and AppStream metainfo agree with the package (id, version, binary)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

import tiktok_desktop
from tests.packaging.packaging_support import RESOURCES

APP_ID = tiktok_desktop.APP_ID
DESKTOP = RESOURCES / "linux" / f"{APP_ID}.desktop"
METAINFO = RESOURCES / "linux" / f"{APP_ID}.metainfo.xml"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(DESKTOP.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


def test_files_are_named_after_the_app_id() -> None:
    assert DESKTOP.is_file()
    assert METAINFO.is_file()
    assert sorted(p.name for p in (RESOURCES / "linux").iterdir()) == sorted(
        [DESKTOP.name, METAINFO.name])


def test_desktop_entry_launches_the_installed_binary_with_our_icon() -> None:
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == tiktok_desktop.APP_DISPLAY_NAME
    assert entry["Exec"].split()[0] == tiktok_desktop.APP_NAME  # /usr/bin launcher of the .deb
    assert entry["TryExec"] == tiktok_desktop.APP_NAME
    # Icon by app id: build_deb.sh installs hicolor icons under exactly this name.
    assert entry["Icon"] == APP_ID
    assert entry["Terminal"] == "false"
    assert "%F" in entry["Exec"]  # the app opens the videos it is given
    assert all(m.startswith("video/") for m in entry["MimeType"].rstrip(";").split(";"))


def test_metainfo_matches_the_package() -> None:
    root = ET.parse(METAINFO).getroot()  # noqa: S314 - our own file
    assert root.tag == "component"
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("name") == tiktok_desktop.APP_DISPLAY_NAME
    launchable = root.find("launchable")
    assert launchable is not None
    assert launchable.get("type") == "desktop-id"
    assert launchable.text == DESKTOP.name
    assert root.findtext("provides/binary") == tiktok_desktop.APP_NAME
    releases = root.findall("releases/release")
    assert releases, "metainfo lists no release"
    # Newest first (AppStream's rule): the top release is the version we build.
    assert releases[0].get("version") == tiktok_desktop.__version__


def test_metainfo_summary_matches_desktop_comment() -> None:
    root = ET.parse(METAINFO).getroot()  # noqa: S314 - our own file
    assert root.findtext("summary") == desktop_entry()["Comment"]


@pytest.mark.skipif(shutil.which("appstreamcli") is None,
                    reason="appstreamcli missing (apt-get install appstream)")
def test_metainfo_passes_appstreamcli_offline() -> None:
    result = subprocess.run(["appstreamcli", "validate", "--no-net", "--strict", str(METAINFO)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate missing (apt-get install desktop-file-utils)")
def test_desktop_file_passes_desktop_file_validate() -> None:
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""  # not even hints
