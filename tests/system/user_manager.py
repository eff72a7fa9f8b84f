"""A systemd user instance of its own for a test, where the machine allows one.

``systemd --user`` refuses to start unless the system was booted with systemd (it checks for
/run/systemd/system); CI and this project's machines are containers or VMs whose PID 1 is not
systemd. As root we can still give it a world of its own, without changing anything the rest
of the machine sees:
- a private mount namespace (``unshare -m``) with a fresh tmpfs on /run, where
  /run/systemd/system exists;
- a private cgroup in every mounted hierarchy, so the manager only ever manages its own
  processes (started in the root cgroup it would adopt every process on the machine);
- its own XDG_RUNTIME_DIR, HOME and XDG_CONFIG_HOME in the test's temporary folder.
``systemctl --user`` reaches it through $XDG_RUNTIME_DIR/systemd/private, from outside the
namespace. ``unavailable()`` says why it cannot run here (not root, no systemd...).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from tiktok_desktop.system.base import CommandResult

_START = r"""
set -e
cg="$1"
hs=$(ls -d /sys/fs/cgroup/*/)
if [ -f /sys/fs/cgroup/cgroup.procs ]; then hs=/sys/fs/cgroup/; fi
for h in $hs; do
  [ -f "$h/cgroup.procs" ] || continue
  mkdir -p "$h$cg"
  if [ -f "$h$cg/cpuset.cpus" ]; then  # an empty cpuset takes no process
    cat "$h/cpuset.cpus" > "$h$cg/cpuset.cpus"
    cat "$h/cpuset.mems" > "$h$cg/cpuset.mems"
  fi
  echo $$ > "$h$cg/cgroup.procs"
done
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/system
exec systemd --user
"""


def unavailable() -> str | None:
    if not sys.platform.startswith("linux"):
        return "systemd is Linux only"
    if os.geteuid() != 0:
        return "a private systemd user instance needs root (mount namespace, cgroups)"
    for tool in ("systemd", "systemctl", "unshare"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install systemd util-linux)"
    if not os.access("/sys/fs/cgroup", os.R_OK) or not any(
            (p / "cgroup.procs").exists() for p in [Path("/sys/fs/cgroup"),
                                                    *Path("/sys/fs/cgroup").glob("*")]):
        return "no cgroup file system to give the manager a cgroup of its own"
    return None


def _hierarchies() -> list[Path]:
    root = Path("/sys/fs/cgroup")
    if (root / "cgroup.procs").exists():
        return [root]
    return [p for p in root.iterdir() if (p / "cgroup.procs").exists()]


class UserManager:
    def __init__(self, root: Path, environ: Mapping[str, str]) -> None:
        self.runtime_dir = root / "runtime"
        self.runtime_dir.mkdir(mode=0o700)
        self.environ = {**environ, "XDG_RUNTIME_DIR": str(self.runtime_dir)}
        self.cgroup = f"tiktok-desktop-test-{secrets.token_hex(4)}"
        self._log = root / "systemd-user.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def run(self, argv: Sequence[str]) -> CommandResult:
        """The runner for SystemdUserService: systemctl against this manager."""
        # The session's environment: systemctl finds unit files by HOME/XDG_CONFIG_HOME.
        done = subprocess.run(list(argv), env={**os.environ, **self.environ},
                              capture_output=True, text=True, timeout=60, check=False)
        return CommandResult(done.returncode, done.stdout, done.stderr)

    def start(self, timeout: float = 60.0) -> None:
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "bash", "-c", _START,
                 "bash", self.cgroup], env=self.environ, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        assert self._proc is not None
        waited = threading.Event()
        state = ""
        # 'systemctl is-system-running' answers "offline" without asking when the machine was
        # not booted with systemd: ask the manager for its state instead.
        for _ in range(int(timeout * 10)):
            if self._proc.poll() is not None:
                raise RuntimeError(f"systemd --user exited: {self.log_text()[-2000:]}")
            if (self.runtime_dir / "systemd" / "private").exists():
                state = self.run(["systemctl", "--user", "show", "--property=SystemState",
                                  "--value"]).stdout.strip()
                if state in ("running", "degraded"):
                    return
            waited.wait(0.1)  # a process starting up: nothing to wait on but its socket
        raise RuntimeError(f"systemd --user is {state or 'not answering'}: "
                           f"{self.log_text()[-2000:]}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            self.run(["systemctl", "--user", "exit"])
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
        # The manager's cgroups, deepest first (its services' cgroups are gone by now).
        for hierarchy in _hierarchies():
            top = hierarchy / self.cgroup
            if not top.is_dir():
                continue
            for folder in sorted((p for p in top.rglob("*") if p.is_dir()),
                                 key=lambda p: len(p.parts), reverse=True):
                folder.rmdir()
            top.rmdir()

    def log_text(self) -> str:
        return self._log.read_text(errors="replace")
