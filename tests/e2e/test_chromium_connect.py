"""Connect an account with a real browser: headless Chromium, driven over WebDriver, opens
the sandbox's consent page from the app's Connect dialog and presses Authorize."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph

CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (CHROMEDRIVER and CHROMIUM),
                       reason="needs Debian's chromium and chromium-driver packages"),
]

# Chromium must not reach out on its own: the machine (and the test rules) allow loopback only.
CHROME_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-default-apps", "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


class WebDriver:
    """The few W3C WebDriver calls the test needs, spoken with httpx."""

    def __init__(self, base: str, profile: Path) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM,
                                   "args": [*CHROME_ARGS, f"--user-data-dir={profile}"]},
        }}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        r = self.http.request(method, path, json=body)
        payload = r.json()
        assert r.status_code == 200, payload
        return payload["value"]

    def get(self, url: str) -> None:
        self._call("POST", f"/session/{self.session}/url", {"url": url})

    def click(self, css: str) -> None:
        el = self._call("POST", f"/session/{self.session}/element",
                        {"using": "css selector", "value": css})
        element_id = next(iter(el.values()))
        self._call("POST", f"/session/{self.session}/element/{element_id}/click", {})

    def page_source(self) -> str:
        return str(self._call("GET", f"/session/{self.session}/source"))

    def quit(self) -> None:
        try:
            self._call("DELETE", f"/session/{self.session}")
        finally:
            self.http.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[WebDriver]:
    assert CHROMEDRIVER is not None
    port = _free_port()
    proc = subprocess.Popen([CHROMEDRIVER, f"--port={port}", "--allowed-ips=127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert proc.stdout is not None
        # It says so on stdout once it listens; read until then instead of polling.
        for line in proc.stdout:
            if "started successfully" in line:
                break
        else:
            pytest.fail("chromedriver exited before it started")
        wd = WebDriver(base, tmp_path / "chromium-profile")
        try:
            yield wd
        finally:
            wd.quit()
    finally:
        proc.terminate()
        proc.communicate(timeout=10)  # also closes the stdout pipe


def test_connect_in_real_chromium(qtbot: QtBot, graph: AppGraph, driver: WebDriver) -> None:
    opened: list[str] = []

    def open_url(url: str) -> bool:
        opened.append(url)
        driver.get(url)  # the "system browser" shows TikTok's consent page
        return True

    window = main_window(graph, open_url=open_url)
    qtbot.addWidget(window)
    window.show()
    qtbot.mouseClick(window.accounts_pane.add_button, Qt.MouseButton.LeftButton)
    dialog = window.accounts_pane.dialog
    assert dialog is not None
    assert "Waiting for you to authorize" in dialog.status.text()
    assert "wants to access your TikTok account" in driver.page_source()
    with qtbot.waitSignal(dialog.connected, timeout=30000):
        driver.click("#authorize")
    assert "close this tab" in driver.page_source()
    assert window.accounts_model.rowCount() == 1
    assert window.accounts_model.index(0, 1).data().startswith("Connected\nuntil ")
