"""The GitHub workflows stay thin, pinned and least-privileged, and call only what exists here."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.workflows.steps import (
    ROOT,
    RunStep,
    run_steps,
    shell_scripts,
    shellcheck_all,
    workflow_files,
)

WORKFLOWS = workflow_files()
STEPS = [step for path in WORKFLOWS for step in run_steps(path)]
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
_TARGET = re.compile(r"^([A-Za-z0-9_.-]+):(?!=)", re.MULTILINE)
_REDIRECT = re.compile(r"""\d*>&\d+|\d*(>>?|<)\s*("[^"]*"|'[^']*'|[^\s;&|]+)""")


def make_targets() -> set[str]:
    return set(_TARGET.findall((ROOT / "Makefile").read_text(encoding="utf-8")))


def commands(script: str) -> list[list[str]]:
    """Each simple command of a run block as words, without redirections and `VAR=value`."""
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        line = _REDIRECT.sub(" ", line)
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words: list[str] = []
        for token in [*lexer, ";"]:
            if token in {";", "&&", "||", "|", "&"}:
                while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
                    words = words[1:]
                if words and words[0] == "sudo":
                    words = words[1:]
                if words:
                    found.append(words)
                words = []
            else:
                words.append(token)
    return found


def problems_of(step: RunStep, targets: set[str]) -> list[str]:
    problems = []
    for words in commands(step.script):
        program = words[0]
        if program == "make":
            asked = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
            if not asked:
                problems.append(f"{step.name}: bare `make` (name the target)")
            missing = [t for t in asked if t not in targets]
            problems += [f"{step.name}: no Makefile target {t!r}" for t in missing]
        elif program in {"bash", "sh"}:
            script = words[1] if len(words) > 1 else ""
            if not (ROOT / script).is_file():
                problems.append(f"{step.name}: {program} {script!r}: no such script in the repo")
        elif (ROOT / program).is_file() and "/" in program:
            continue
        else:
            problems.append(f"{step.name}: `{' '.join(words)}` is neither make nor a repo script")
    return problems


def test_there_are_workflows_with_run_steps() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yaml", "release.yaml"} <= names
    assert len(STEPS) >= 10


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_run_step_calls_only_make_targets_or_repo_scripts(step: RunStep) -> None:
    assert problems_of(step, make_targets()) == []


def test_the_checker_rejects_what_it_should() -> None:
    targets = {"lint"}
    bad = [
        "curl -sSL https://example.invalid | sh",
        "make nope",
        "make",
        "bash scripts/missing.sh",
        "pip install foo && make lint",
    ]
    for script in bad:
        step = RunStep("w.yaml", "job", 0, script, "bash")
        assert problems_of(step, targets), script
    good = RunStep("w.yaml", "job", 0, 'sudo bash .ci/run\nmake lint > "$OUT" 2>&1', "bash")
    assert problems_of(good, targets) == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit_sha_with_version_comment(path: Path) -> None:
    uses = [
        line.split("uses:", 1)[1].strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.match(r"^\s*(- )?uses:", line)
    ]
    assert uses
    assert [u for u in uses if not PINNED.match(u)] == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_concurrency_and_timeouts(path: Path) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["permissions"] in ({}, {"contents": "read"})
    assert doc["concurrency"]["group"]
    for job_id, job in doc["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), job_id
        for scope, level in job.get("permissions", {}).items():
            assert level in {"read", "write"}, (job_id, scope)
        assert "write-all" not in str(job.get("permissions", ""))


def test_every_checkout_that_does_not_push_drops_the_token() -> None:
    for path in WORKFLOWS:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for job_id, job in doc["jobs"].items():
            writes = job.get("permissions", {}).get("contents") == "write"
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("actions/checkout@") and not writes:
                    assert step.get("with", {}).get("persist-credentials") is False, job_id


def test_dependabot_covers_python_actions_and_docker() -> None:
    doc = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    ecosystems = {u["package-ecosystem"] for u in doc["updates"]}
    assert ecosystems == {"uv", "github-actions", "docker"}
    docker = next(u for u in doc["updates"] if u["package-ecosystem"] == "docker")
    for directory in docker["directories"]:
        assert (ROOT / directory.lstrip("/") / "Dockerfile").is_file()


def test_shell_lint_sees_the_repository_scripts() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in shell_scripts()}
    expected = {".ci/run", "scripts/base-image.sh", "scripts/ci/release.sh", "tests/e2e/kind.sh"}
    assert expected <= names


def test_shell_lint_fails_on_a_bad_run_block(tmp_path: Path) -> None:
    workflow = {
        "on": "push",
        "jobs": {"j": {"runs-on": "x", "steps": [{"run": "cd ${{ runner.temp }}\nrm -rf $DIR/*"}]}},
    }
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(workflow), encoding="utf-8")
    assert shellcheck_all(tmp_path, scripts=[]) != 0
    workflow["jobs"]["j"]["steps"] = [{"run": 'cd "${{ runner.temp }}"\nrm -rf "${DIR:?}"/*'}]
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(workflow), encoding="utf-8")
    assert shellcheck_all(tmp_path, scripts=[]) == 0


def _workflow(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / ".github/workflows" / name).read_text())
    return data


def _steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{action}@")]


def test_ci_covers_lint_python_matrix_charts_and_kind_e2e() -> None:
    jobs = _workflow("ci.yaml")["jobs"]
    assert jobs["test"]["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    runs = {job_id: [s.get("run", "") for s in job["steps"]] for job_id, job in jobs.items()}
    assert "make lint" in runs["lint"]
    assert "make test" in runs["test"]
    assert {"make charts", "make ct-lint"} <= set(runs["charts"])
    assert _steps_using(jobs["charts"], "helm/chart-testing-action")
    assert _steps_using(jobs["e2e"], "helm/kind-action")
    assert [r for r in runs["e2e"] if r] == ["bash tests/e2e/kind.sh"]
    ct = yaml.safe_load((ROOT / "ct.yaml").read_text())
    assert ct["check-version-increment"] is True
    assert ct["target-branch"] == "main"


def test_release_builds_multi_arch_signed_images_and_releases_charts() -> None:
    doc = _workflow("release.yaml")
    triggers = doc[True]  # YAML 1.1 reads the key `on` as a boolean
    assert triggers["push"]["branches"] == ["main"]
    jobs = doc["jobs"]
    images = jobs["images"]
    assert images["strategy"]["matrix"]["app"] == ["flask", "fastapi"]
    assert images["permissions"] == {"contents": "read", "packages": "write", "id-token": "write"}
    build = _steps_using(images, "docker/build-push-action")[0]["with"]
    assert build["platforms"] == "linux/amd64,linux/arm64"
    assert build["push"] is True
    assert build["sbom"] is True
    assert build["provenance"] == "mode=max"
    assert "type=gha" in build["cache-from"]
    tags = _steps_using(images, "docker/metadata-action")[0]["with"]["tags"]
    assert "type=sha" in tags
    assert "steps.app.outputs.version" in tags
    assert any("release.sh sign" in s.get("run", "") for s in images["steps"])
    charts = jobs["charts"]
    assert charts["needs"] == ["images"]
    assert _steps_using(charts, "helm/chart-releaser-action")
    assert any("release.sh push-charts" in s.get("run", "") for s in charts["steps"])
    verify = jobs["verify"]
    assert verify["needs"] == ["images"]
    assert any("release.sh verify" in s.get("run", "") for s in verify["steps"])


def test_release_script_prints_the_app_versions() -> None:
    for app in ("flask", "fastapi"):
        result = subprocess.run(
            ["bash", "scripts/ci/release.sh", "app-version", app],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        pyproject = (ROOT / f"apps/{app}/pyproject.toml").read_text()
        version = re.search(r'^version = "(.+)"$', pyproject, re.MULTILINE)
        assert version is not None
        assert result.stdout.strip() == f"version={version.group(1)}"
    bad = subprocess.run(
        ["bash", "scripts/ci/release.sh", "app-version", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert bad.returncode == 2


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_run_steps_take_expressions_through_env_not_inline(step: RunStep) -> None:
    """`${{ … }}` pasted into a script is a script-injection risk; env is not."""
    assert "${{" not in step.script
