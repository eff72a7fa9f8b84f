"""Running a CLI command group in-process on the test's graph, and what it printed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tiktok_desktop import cli
from tiktok_desktop.bootstrap import AppGraph


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def problems(self) -> list[str]:
        """stderr without the sandbox banner and warnings: one line per problem."""
        return [line for line in self.err.splitlines()
                if line and not line.startswith(("(sandbox mode", "warning:", "note:"))]


Run = Callable[..., Result]


def command_runner(graph: AppGraph, capsys: pytest.CaptureFixture[str], group: str,
                   run_group: Callable[..., int]) -> Run:
    """``run("add", "clip.mp4", ...)`` runs ``tiktok-desktop <group> add clip.mp4 ...``."""
    def invoke(*argv: str) -> Result:
        capsys.readouterr()
        args = cli.build_command_parser().parse_args([group, *argv])
        code = run_group(args, graph)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke
