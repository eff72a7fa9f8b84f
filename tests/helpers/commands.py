"""A fake command runner standing in for systemctl, launchctl and schtasks (the OS's service
managers cannot run in most tests): it records each command and answers by argv prefix."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tiktok_desktop.system.base import CommandResult


@dataclass
class FakeRunner:
    """Records each command; ``answers`` maps an argv prefix to the result it gets."""

    answers: list[tuple[tuple[str, ...], CommandResult | Callable[[Sequence[str]],
                                                                  CommandResult]]] = \
        field(default_factory=list)
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def answer(self, prefix: Sequence[str], result: CommandResult | Callable[
            [Sequence[str]], CommandResult]) -> None:
        self.answers.insert(0, (tuple(prefix), result))  # newest wins

    def __call__(self, argv: Sequence[str]) -> CommandResult:
        self.calls.append(tuple(argv))
        for prefix, result in self.answers:
            if tuple(argv[:len(prefix)]) == prefix:
                return result(argv) if callable(result) else result
        return CommandResult(0, "", "")


def ok(stdout: str = "") -> CommandResult:
    return CommandResult(0, stdout, "")


def failed(stderr: str, code: int = 1) -> CommandResult:
    return CommandResult(code, "", stderr)
