"""Offline structural check of .github/workflows/release.yml.

A focused check rather than the full JSON schema: it needs no network and no new dependency
(tests/packaging/yaml_subset.py reads the file and refuses YAML it does not understand). It
checks what GitHub would reject or silently ignore, plus our own rules (actions pinned by
SHA, every script the workflow calls exists, a release only from tags, with SHA256SUMS).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.packaging.packaging_support import ROOT, WORKFLOW
from tests.packaging.yaml_subset import YamlSubsetError, load

# Keys GitHub's workflow schema allows at each level (the subset of the schema we may use).
TOP_KEYS = {"name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"}
JOB_KEYS = {"name", "needs", "permissions", "runs-on", "environment", "concurrency", "outputs",
            "env", "defaults", "if", "steps", "timeout-minutes", "strategy",
            "continue-on-error", "container", "services"}
STEP_KEYS = {"id", "if", "name", "uses", "run", "working-directory", "shell", "with", "env",
             "continue-on-error", "timeout-minutes"}
EVENTS = {"push", "pull_request", "workflow_dispatch", "schedule", "release", "workflow_call",
          "pull_request_target", "merge_group"}
SHELLS = {"bash", "pwsh", "python", "sh", "cmd", "powershell"}
PERMISSION_VALUES = {"read", "write", "none"}
RUNNERS = re.compile(r"^(ubuntu|windows|macos)-(latest|\d+(\.\d+)?(-intel|-arm)?)$")


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps_of(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in workflow["jobs"].items() for step in job["steps"]]


def test_top_level_and_triggers(workflow: dict[str, Any]) -> None:
    assert set(workflow) <= TOP_KEYS
    assert {"name", "on", "jobs"} <= set(workflow)
    assert set(workflow["on"]) <= EVENTS
    assert workflow["on"]["push"]["tags"] == ["v*"]
    assert "pull_request" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read"}  # least privilege by default


def test_jobs_are_well_formed(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    for job_id, job in jobs.items():
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", job_id)
        assert set(job) <= JOB_KEYS, (job_id, set(job) - JOB_KEYS)
        assert "runs-on" in job
        assert job["steps"], job_id
        for need in job.get("needs", []):
            assert need in jobs and need != job_id
        for scope, value in job.get("permissions", {}).items():
            assert value in PERMISSION_VALUES, (job_id, scope)
        assert int(job["timeout-minutes"]) <= 60


def test_steps_are_well_formed(workflow: dict[str, Any]) -> None:
    for job_id, step in steps_of(workflow):
        assert set(step) <= STEP_KEYS, (job_id, step.get("name"), set(step) - STEP_KEYS)
        assert ("uses" in step) != ("run" in step), (job_id, step.get("name"))
        assert step.get("name"), f"unnamed step in {job_id}"
        if "shell" in step:
            assert step["shell"] in SHELLS
        if "with" in step:
            assert "uses" in step
            assert isinstance(step["with"], dict)


def test_actions_are_pinned_by_commit_sha_with_version_comment(workflow: dict[str, Any]) -> None:
    raw_uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", WORKFLOW.read_text(encoding="utf-8"),
                          flags=re.MULTILINE)
    parsed_uses = [step["uses"] for _job, step in steps_of(workflow) if "uses" in step]
    assert [u for u, _c in raw_uses] == parsed_uses
    for uses, comment in raw_uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), uses
        assert re.fullmatch(r"\s+# v\d+(\.\d+)*", comment), (uses, comment)


def test_expressions_are_balanced_and_reference_known_contexts(workflow: dict[str, Any]) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert text.count("${{") == text.count("}}")
    for expr in re.findall(r"\$\{\{(.*?)\}\}", text):
        for ref in re.findall(r"\b([a-z]+)\.", expr):
            assert ref in {"github", "env", "matrix", "secrets", "runner", "steps", "needs",
                           "job", "inputs", "vars", "strategy"}, expr
    matrix = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
    keys = set.intersection(*(set(entry) for entry in matrix))
    for name in re.findall(r"matrix\.([a-z_-]+)", text):
        assert name in keys, f"matrix.{name} is not defined by every matrix entry"


def test_matrix_covers_the_three_systems(workflow: dict[str, Any]) -> None:
    build = workflow["jobs"]["build"]
    assert build["strategy"]["fail-fast"] == "false"
    entries = build["strategy"]["matrix"]["include"]
    assert all(RUNNERS.match(e["os"]) for e in entries)
    families = {e["os"].split("-")[0] for e in entries}
    assert families == {"ubuntu", "windows", "macos"}
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names))  # artifact names must not collide
    assert build["runs-on"] == "${{ matrix.os }}"


def test_build_job_tests_builds_smoke_tests_and_uploads(workflow: dict[str, Any]) -> None:
    steps = workflow["jobs"]["build"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    order = [runs.index("pytest"), runs.index("packaging/tiktok_desktop.spec"),
             runs.index("packaging/smoke_test.py")]
    assert order == sorted(order)
    assert "build_deb.sh" in runs
    assert "check_installed_deb.sh" in runs
    assert "build_installer.py" in runs
    assert "build_dmg.sh" in runs
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert any(s["with"]["name"] == "installer-${{ matrix.name }}" for s in uploads)
    assert all(s["with"]["if-no-files-found"] == "error" for s in uploads)


def test_every_repository_script_the_workflow_runs_exists(workflow: dict[str, Any]) -> None:
    runs = "\n".join(step.get("run", "") for _job, step in steps_of(workflow))
    paths = set(re.findall(r"(?<![\w/])((?:packaging|benchmarks|\.ci)/[\w./-]+)", runs))
    assert paths, "no scripts found: the check would be empty"
    for path in paths:
        if "*" in path:
            continue
        assert (ROOT / path).exists(), path


def test_publish_only_from_tags_with_checksums(workflow: dict[str, Any]) -> None:
    publish = workflow["jobs"]["publish"]
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert publish["needs"] == ["build"]
    assert publish["permissions"] == {"contents": "write"}
    runs = "\n".join(step.get("run", "") for step in publish["steps"])
    assert "sha256sum" in runs
    assert "SHA256SUMS" in runs
    assert "gh release create" in runs
    assert "__version__" in runs  # the tag must match the package version
    download = next(s for s in publish["steps"] if "download-artifact" in s.get("uses", ""))
    assert download["with"]["pattern"] == "installer-*"


def test_secrets_only_reach_the_signing_steps(workflow: dict[str, Any]) -> None:
    for _job, step in steps_of(workflow):
        text = repr(step)
        if "secrets." in text:
            assert "sign_and_notarize.sh" in step["run"], step["name"]


@pytest.mark.parametrize("snippet", [
    "a: [1, 2]\n", "a: {b: c}\n", "a: &x 1\nb: *x\n", "---\na: 1\n", "a:\n\tb: 1\n",
    "a: 1\na: 2\n", "a:\n  b: 1\n   c: 2\n",
])
def test_the_parser_refuses_what_it_does_not_understand(snippet: str) -> None:
    with pytest.raises(YamlSubsetError):
        load(snippet)


def test_the_parser_reads_nested_blocks() -> None:
    text = ("jobs:\n  b:\n    steps:\n      - name: x  # note\n        run: |\n"
            "          echo '# not a comment'\n          true\n      - uses: a/b@c\n"
            "on:\n  push:\n    tags:\n      - \"v*\"\n  pull_request:\n")
    assert load(text) == {
        "jobs": {"b": {"steps": [{"name": "x", "run": "echo '# not a comment'\ntrue\n"},
                                 {"uses": "a/b@c"}]}},
        "on": {"push": {"tags": ["v*"]}, "pull_request": ""},
    }
