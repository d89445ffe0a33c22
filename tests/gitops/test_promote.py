"""The promotion script on a temporary git repository holding a copy of deploy/: it changes
exactly the pins it is asked to, and nothing else, byte for byte; bad input fails naming it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from scripts.gitops import promote
from tests.gitops.manifests import DEPLOY

FLASK = "sha256:" + "a" * 64
FASTAPI = "sha256:" + "b" * 64


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
         "-c", "commit.gpgsign=false", *args],
        cwd=repo, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "environments")
    return tmp_path


def changed_lines(repo: Path) -> dict[str, list[tuple[str, str]]]:
    """file → [(removed line, added line)] of the working tree against HEAD."""
    found: dict[str, list[tuple[str, str]]] = {}
    diff = git(repo, "diff", "--unified=0", "--no-color")
    file = ""
    removed: list[str] = []
    for line in diff.splitlines():
        if line.startswith("+++ b/"):
            file = line.removeprefix("+++ b/")
        elif line.startswith("-") and not line.startswith("---"):
            removed.append(line[1:])
        elif line.startswith("+") and not line.startswith("+++"):
            found.setdefault(file, []).append((removed.pop(0), line[1:]))
    assert removed == []
    return found


def run(repo: Path, *args: str) -> int:
    return promote.main(list(args), root=repo)


def test_release_pins_staging_to_the_new_charts_and_digests(repo: Path) -> None:
    code = run(repo, "staging", "--chart", "meatyapis=0.4.0", "--chart", "monitoring=0.2.1",
               "--image", f"flask={FLASK}", "--image", f"fastapi={FASTAPI}")  # fmt: skip
    assert code == 0
    staging = "deploy/environments/staging"
    assert changed_lines(repo) == {
        f"{staging}/release.yaml": [
            ('  meatyapis: "0.3.0"', '  meatyapis: "0.4.0"'),
            ('  monitoring: "0.2.0"', '  monitoring: "0.2.1"'),
        ],
        f"{staging}/meatyapis.yaml": [
            ('    digest: ""', f'    digest: "{FLASK}"'),
            ('    digest: ""', f'    digest: "{FASTAPI}"'),
        ],
    }
    values = yaml.safe_load((repo / staging / "meatyapis.yaml").read_text())
    assert values["flask"]["image"]["digest"] == FLASK
    assert values["fastapi"]["image"]["digest"] == FASTAPI


def test_promotion_copies_staging_s_pins_to_production_and_nothing_else(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(repo, "staging", "--chart", "meatyapis=0.4.0", "--image", f"flask={FLASK}",
               "--image", f"fastapi={FASTAPI}") == 0  # fmt: skip
    git(repo, "commit", "-q", "-am", "staging")
    capsys.readouterr()
    assert run(repo, "production", "--from", "staging") == 0
    production = "deploy/environments/production"
    assert changed_lines(repo) == {
        f"{production}/release.yaml": [('  meatyapis: "0.3.0"', '  meatyapis: "0.4.0"')],
        f"{production}/meatyapis.yaml": [
            ('    digest: ""', f'    digest: "{FLASK}"'),
            ('    digest: ""', f'    digest: "{FASTAPI}"'),
        ],
    }
    out = capsys.readouterr().out
    assert "production from staging:" in out
    assert "meatyapis: 0.3.0 -> 0.4.0" in out
    # once both agree, promoting again changes nothing
    git(repo, "commit", "-q", "-am", "production")
    assert run(repo, "production", "--from", "staging") == 0
    assert git(repo, "status", "--porcelain") == ""
    assert "already pinned" in capsys.readouterr().out


def test_a_comment_on_a_pin_line_is_kept(repo: Path) -> None:
    release = repo / "deploy/environments/staging/release.yaml"
    release.write_text(release.read_text().replace('"0.2.0"', '"0.2.0"  # Prometheus 3'))
    git(repo, "commit", "-q", "-am", "comment")
    assert run(repo, "staging", "--chart", "monitoring=0.2.1") == 0
    assert changed_lines(repo) == {
        "deploy/environments/staging/release.yaml": [
            ('  monitoring: "0.2.0"  # Prometheus 3', '  monitoring: "0.2.1"  # Prometheus 3')
        ]
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["staging", "--image", "flask=latest"], "--image flask='latest': not an image digest"),
        (["staging", "--chart", "meatyapis=v1"], "--chart meatyapis='v1': not a SemVer"),
        (["staging", "--chart", "grafana=1.0.0"], "'grafana': no such pin"),
        (["staging", "--chart", "meatyapis"], "--chart 'meatyapis': expected NAME=VALUE"),
        (["staging"], "nothing to set"),
        (["qa", "--from", "staging"], "environment 'qa': no "),
        (["staging", "--from", "staging"], "that is the environment itself"),
        (["production", "--from", "staging", "--chart", "meatyapis=1.0.0"], "give no --chart"),
    ],
)
def test_bad_input_fails_naming_it_and_changes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run(repo, *args) == 2
    assert message in capsys.readouterr().err
    assert git(repo, "status", "--porcelain") == ""


def test_a_pin_missing_from_its_file_is_an_error_not_an_addition(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = repo / "deploy/environments/staging/meatyapis.yaml"
    values.write_text(values.read_text().replace('    digest: ""\n', "", 1))
    git(repo, "commit", "-q", "-am", "no flask digest")
    assert run(repo, "staging", "--image", f"fastapi={FASTAPI}") == 2
    assert "flask.image.digest: cannot be read" in capsys.readouterr().err
    assert git(repo, "status", "--porcelain") == ""


def test_an_edit_that_would_change_more_than_the_pin_is_refused() -> None:
    text = 'flask:\n  image:\n    digest: "" # a\n    tag: x\n'
    pin = promote.pins()["flask"]
    assert "digest" in promote.with_value(text, pin, FLASK, "f")
    flow = 'flask: {image: {digest: ""}}\n'
    with pytest.raises(promote.PromotionError, match="not found"):
        promote.with_value(flow, pin, FLASK, "f")
