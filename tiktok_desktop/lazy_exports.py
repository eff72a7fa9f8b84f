"""Package exports loaded when first asked for (PEP 562), for packages whose parts differ a
lot in weight: ``from tiktok_desktop.engine.listener import Notice`` or ``from
tiktok_desktop.credentials import AccountError`` must not load the scheduler, httpx or keyring
with them (issue 16: the first paint waits for nothing it does not show).

A package lists its names with their modules here and imports the same names under
``TYPE_CHECKING`` for mypy; tests/test_lazy_packages.py checks that the two agree.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(package: str, where: Mapping[str, tuple[str, ...]]
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package``; ``where`` maps each of its
    submodules (relative names) to the names the package exports from it."""
    owner = {name: module for module, names in where.items() for name in names}

    def __getattr__(name: str) -> object:
        module = owner.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # asked once, then a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(owner))

    return __getattr__, __dir__
