"""The floors of ../shared/ARCHITECTURE.md, checked on every import in the package (lazy
imports inside functions included): a layer that reaches up or sideways fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tiktok_desktop"
QT_FREE = ("services", "engine", "tiktok", "store", "sandbox", "credentials", "domain", "cli",
           "system")


def _package_of(path: Path) -> list[str]:
    parts = ["tiktok_desktop", *path.relative_to(PACKAGE).with_suffix("").parts]
    return parts if path.name == "__init__.py" else parts[:-1]


def imports_of(path: Path) -> set[str]:
    """Every tiktok_desktop / PySide6 module ``path`` imports, anywhere in the file (relative
    imports resolved against the file's package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = _package_of(path)
                base = base[:len(base) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m.startswith(("tiktok_desktop", "PySide6", "shiboken6"))}


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in modules(folder):
        hits = sorted(m for m in imports_of(path) if m.startswith(forbidden))
        if hits:
            bad.append(f"{path.relative_to(PACKAGE)}: {', '.join(hits)}")
    return bad


QT = ("PySide6", "shiboken6", "tiktok_desktop.ui", "tiktok_desktop.app")
# The CLI starts the GUI when it is given no subcommand: that lazy import is its job.
CLI_STARTS_THE_GUI = "cli/__init__.py: tiktok_desktop.app, tiktok_desktop.app.GuiOptions, " \
    "tiktok_desktop.app.run_gui"


@pytest.mark.parametrize("folder", QT_FREE)
def test_no_qt_below_the_ui(folder: str) -> None:
    allowed = [CLI_STARTS_THE_GUI] if folder == "cli" else []
    assert offenders(folder, QT) == allowed


def test_the_engine_stands_beside_the_services_not_on_them() -> None:
    assert offenders("engine", ("tiktok_desktop.services", "tiktok_desktop.bootstrap",
                                "tiktok_desktop.cli")) == []


def test_the_floors_below_do_not_reach_up() -> None:
    up = ("tiktok_desktop.services", "tiktok_desktop.engine", "tiktok_desktop.bootstrap",
          "tiktok_desktop.cli")
    for folder in ("credentials", "domain", "tiktok", "store", "system"):
        assert offenders(folder, up) == [], folder
    assert offenders("tiktok", ("tiktok_desktop.store", "tiktok_desktop.credentials")) == []
    assert offenders("store", ("tiktok_desktop.tiktok", "tiktok_desktop.credentials")) == []


def test_only_the_composition_root_knows_the_sandbox() -> None:
    knowing = sorted(
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
        if "sandbox" not in path.relative_to(PACKAGE).parts
        and any(m.startswith("tiktok_desktop.sandbox") for m in imports_of(path)))
    assert knowing == ["bootstrap.py"]


def test_the_sandbox_imports_nothing_from_the_app() -> None:
    bad = []
    for path in modules("sandbox"):
        hits = [m for m in imports_of(path)
                if m.startswith("tiktok_desktop") and not m.startswith("tiktok_desktop.sandbox")]
        if hits:
            bad.append(f"{path.relative_to(PACKAGE)}: {hits}")
    assert bad == []


def test_one_file_builds_the_graph() -> None:
    """Services and engines are constructed in bootstrap.py only (tests build them there too)."""
    builders = ("AccountsService(", "PostsService(", "Engine(", "TokenSource(")
    places = sorted(
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
        if any(b in path.read_text(encoding="utf-8").replace("class Engine(", "")
               .replace("class TokenSource(", "").replace("class PostsService(", "")
               .replace("class AccountsService(", "") for b in builders))
    assert places == ["bootstrap.py"]
