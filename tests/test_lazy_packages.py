"""Packages whose names load with their module (tiktok_desktop/lazy_exports.py, issue 16): each
name the package exports is the one its module defines, the TYPE_CHECKING imports mypy reads
agree with what loads at run time, and the light parts stay light."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tiktok_desktop"
LAZY = ("engine", "credentials", "tiktok")


def type_checking_imports(init: Path, package: str) -> dict[str, str]:
    """name -> module of every import inside the file's ``if TYPE_CHECKING:`` block."""
    found: dict[str, str] = {}
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                module = imp.module or ""
                if imp.level:
                    module = f"{package}.{module}"
                found.update({alias.name: module for alias in imp.names})
    return found


@pytest.mark.parametrize("name", LAZY)
def test_every_export_is_its_modules_own(name: str) -> None:
    package = f"tiktok_desktop.{name}"
    declared = type_checking_imports(PACKAGE / name / "__init__.py", package)
    module = importlib.import_module(package)
    assert sorted(declared) == sorted(module.__all__)
    for export, home in declared.items():
        assert getattr(module, export) is getattr(importlib.import_module(home), export), export
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        module.NoSuchName  # noqa: B018 - the lookup is the test


def test_the_light_parts_load_nothing_heavy() -> None:
    """What the window and the task boundary import before the first paint: the errors every
    window shows (services/errors.py), the listener's Notice, the accounts service, the vault."""
    script = textwrap.dedent("""
        import sys
        import tiktok_desktop.credentials.vault
        import tiktok_desktop.engine.listener
        import tiktok_desktop.services.accounts
        import tiktok_desktop.services.errors
        from tiktok_desktop.credentials import AccountError, Vault
        from tiktok_desktop.tiktok import CreatorInfo, TikTokError
        heavy = ("httpx", "keyring", "http.server", "tiktok_desktop.engine.scheduler",
                 "tiktok_desktop.credentials.tokens", "tiktok_desktop.tiktok.auth",
                 "tiktok_desktop.services.loopback", "tiktok_desktop.sandbox")
        print(sorted(m for m in sys.modules if m in heavy))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
