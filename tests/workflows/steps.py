"""The `run:` steps of the GitHub workflows, and the repository's shell scripts.

Shared by the lint (`python -m tests.workflows.steps`, which shellchecks every shell script and
every workflow `run:` block) and by the tests that check what those steps call.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
_SHEBANG = re.compile(rb"^#!\s*(/usr/bin/env\s+)?(/bin/|/usr/bin/)?(ba|da|k)?sh\b")


@dataclass(frozen=True)
class RunStep:
    workflow: str
    job: str
    index: int
    script: str
    shell: str

    @property
    def name(self) -> str:
        return f"{self.workflow}:{self.job}:{self.index}"


def workflow_files(directory: Path = WORKFLOWS) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def run_steps(path: Path) -> list[RunStep]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    default_shell = doc.get("defaults", {}).get("run", {}).get("shell", "bash")
    steps: list[RunStep] = []
    for job_id, job in doc.get("jobs", {}).items():
        job_shell = job.get("defaults", {}).get("run", {}).get("shell", default_shell)
        for index, step in enumerate(job.get("steps", [])):
            if "run" in step:
                shell = step.get("shell", job_shell)
                steps.append(RunStep(path.name, job_id, index, step["run"], shell))
    return steps


def as_shell_script(step: RunStep) -> str:
    """The step as GitHub runs it (bash -e), with `${{ … }}` expressions made plain words."""
    body = _EXPRESSION.sub("GITHUB_EXPRESSION", step.script)
    return f"#!/usr/bin/env bash\n# {step.name}\nset -e\n{body}\n"


def shell_scripts() -> list[Path]:
    """Every shell script in the repository (tracked or new, not ignored): *.sh or a sh shebang."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    found = []
    for name in filter(None, listed):
        path = ROOT / name
        if not path.is_file():
            continue
        if path.suffix == ".sh":
            found.append(path)
        elif not path.suffix:
            with path.open("rb") as fh:
                if _SHEBANG.match(fh.readline()):
                    found.append(path)
    return sorted(set(found))


def shellcheck_all(workflows: Path = WORKFLOWS, scripts: list[Path] | None = None) -> int:
    """shellcheck every shell script and every bash/sh `run:` block; shellcheck's exit code."""
    scripts = shell_scripts() if scripts is None else scripts
    with tempfile.TemporaryDirectory(prefix="workflow-run-") as tmp:
        blocks = []
        for workflow in workflow_files(workflows):
            for step in run_steps(workflow):
                if step.shell not in ("bash", "sh"):
                    continue
                block = Path(tmp) / f"{step.name.replace(':', '__')}.sh"
                block.write_text(as_shell_script(step), encoding="utf-8")
                blocks.append(block)
        result = subprocess.run(["shellcheck", "--external-sources", *map(str, scripts + blocks)])
        print(f"shellcheck: {len(scripts)} script(s), {len(blocks)} workflow run block(s)")
        return result.returncode


if __name__ == "__main__":
    sys.exit(shellcheck_all())
