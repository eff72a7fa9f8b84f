"""A keyring backend in a JSON file, for tests whose child processes must share secrets.

Child processes load it with PYTHON_KEYRING_BACKEND=tests.engine.file_keyring.FileKeyring and
find the file in TIKTOK_TEST_KEYRING. Writes are atomic (temp file + rename), so a process
killed mid-write leaves the previous contents. Test use only: the file is plaintext.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import keyring.backend
import keyring.errors
from jaraco.classes import properties

try:
    import fcntl
except ImportError:  # Windows: one engine process at a time there, the thread lock suffices
    fcntl = None  # type: ignore[assignment]

ENV = "TIKTOK_TEST_KEYRING"


class FileKeyring(keyring.backend.KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        # A plaintext store: keyring's discovery (which tries every imported subclass) must
        # not pick it by accident; only a process told where the file is may use it.
        if ENV not in os.environ:
            raise RuntimeError("the test file keyring is only used where it is configured")
        return 0.1

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.path = Path(path or os.environ[ENV])

    _lock = threading.Lock()  # the engine writes from several threads

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Read-modify-write under a thread lock and an advisory file lock (processes)."""
        with self._lock, open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, dict[str, str]]) -> None:
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._locked():
            data = self._load()
            data.setdefault(service, {})[username] = password
            self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        with self._locked():
            data = self._load()
            if data.get(service, {}).pop(username, None) is None:
                raise keyring.errors.PasswordDeleteError(username)
            self._save(data)
