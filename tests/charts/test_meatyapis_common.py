"""charts/meatyapis-common, the library chart both charts depend on: it lints, each chart
declares it at its version and packages it, both create-a-Secret-once hooks run its one script,
and the charts' templates keep to its conventions."""

from __future__ import annotations

import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.charts import quality
from tests.charts.meatyapis import COMPONENTS
from tests.charts.render import CHARTS_DIR, find_object, helm_binary, render_chart

LIBRARY = CHARTS_DIR / "meatyapis-common"
SCRIPT = LIBRARY / "files" / "scripts" / "create-secret-once.py"
# chart: (release and namespace of its renders, the name of its create-a-Secret-once Job)
CHARTS = {
    "meatyapis": ("meatyapis", "meatyapis-fastapi-token-generator"),
    "monitoring": ("monitoring", "monitoring-grafana-admin-secret"),
}
MAX_TEMPLATE_LINES = 250
INCLUDE_OF_A_LIST = re.compile(r'include\s+"[^"]+"\s+\(list\b')
DEFINE = re.compile(r'define\s+"([^"]+)"')


def metadata(chart: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((chart / "Chart.yaml").read_text(encoding="utf-8"))
    return data


def template_files() -> list[Path]:
    return sorted(p for p in CHARTS_DIR.glob("*/templates/**/*") if p.is_file())


@pytest.mark.parametrize("helm", ["helm3", "helm4"])
def test_the_library_lints(helm: str) -> None:
    assert metadata(LIBRARY)["type"] == "library"
    quality.lint_strict(LIBRARY, None, helm)


@pytest.mark.parametrize("chart", CHARTS)
def test_each_chart_depends_on_the_library_at_its_version(chart: str) -> None:
    version = metadata(LIBRARY)["version"]
    assert metadata(CHARTS_DIR / chart)["dependencies"] == [
        {"name": LIBRARY.name, "version": version, "repository": f"file://../{LIBRARY.name}"}
    ]
    lock = yaml.safe_load((CHARTS_DIR / chart / "Chart.lock").read_text(encoding="utf-8"))
    assert [(d["name"], d["version"]) for d in lock["dependencies"]] == [(LIBRARY.name, version)]


@pytest.mark.parametrize("chart", CHARTS)
def test_the_packaged_chart_holds_the_library_and_renders_like_the_checkout(
    chart: str, tmp_path: Path
) -> None:
    subprocess.run(
        [helm_binary("helm3"), "package", str(CHARTS_DIR / chart), "--destination", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    (package,) = tmp_path.glob("*.tgz")
    inside = f"{chart}/charts/{LIBRARY.name}"
    with tarfile.open(package) as tar:
        packaged = tar.extractfile(f"{inside}/Chart.yaml")
        assert packaged is not None
        assert yaml.safe_load(packaged.read())["version"] == metadata(LIBRARY)["version"]
        script = tar.extractfile(f"{inside}/files/scripts/{SCRIPT.name}")
        assert script is not None
        assert script.read() == SCRIPT.read_bytes()
    release, _ = CHARTS[chart]
    from_package = render_chart(str(package), release=release, namespace=release)
    assert from_package == render_chart(chart, release=release, namespace=release)


@pytest.mark.parametrize("chart", CHARTS)
def test_the_secret_once_hook_runs_the_library_script(chart: str) -> None:
    release, job_name = CHARTS[chart]
    objs = render_chart(chart, release=release, namespace=release)
    job = find_object(objs, "Job", job_name)
    (generate,) = job["spec"]["template"]["spec"]["containers"]
    assert generate["command"] == ["python3", "-c", SCRIPT.read_text(encoding="utf-8")]
    for kind in ("ServiceAccount", "Role", "RoleBinding"):
        find_object(objs, kind, job_name)


def test_no_template_file_is_over_the_limit() -> None:
    lengths = {
        str(p.relative_to(CHARTS_DIR)): len(p.read_text().splitlines()) for p in template_files()
    }
    assert len(lengths) > 50
    assert {name: n for name, n in lengths.items() if n > MAX_TEMPLATE_LINES} == {}


def test_the_component_layer_names_no_component() -> None:
    """templates/component/ renders any component; what differs lives in templates/<name>/."""
    layer = sorted((CHARTS_DIR / "meatyapis" / "templates" / "component").glob("*.tpl"))
    assert len(layer) > 10
    naming = re.compile(rf"\b({'|'.join(COMPONENTS)})\b")
    assert {
        p.name: naming.findall(p.read_text()) for p in layer if naming.search(p.read_text())
    } == {}


def test_helpers_are_called_with_a_dict_holding_the_root() -> None:
    """One calling style: `(dict "root" $ ...)`, never a list of arguments."""
    calls = {
        str(p.relative_to(CHARTS_DIR)): INCLUDE_OF_A_LIST.findall(p.read_text())
        for p in template_files()
    }
    assert {name: found for name, found in calls.items() if found} == {}
    assert INCLUDE_OF_A_LIST.search('{{ include "x.labels" (list . "grafana") }}')


def test_the_library_defines_only_its_own_names() -> None:
    names = [
        n for p in (LIBRARY / "templates").glob("*.tpl") for n in DEFINE.findall(p.read_text())
    ]
    assert len(names) > 10
    assert [n for n in names if not n.startswith(f"{LIBRARY.name}.")] == []


@pytest.mark.parametrize("chart", CHARTS)
def test_common_labels_and_annotations_reach_every_object_below_the_charts_own(
    chart: str,
) -> None:
    release, _ = CHARTS[chart]
    values = {
        "commonLabels": {"team": "shop", "app.kubernetes.io/part-of": "other"},
        "commonAnnotations": {"owner": "shop"},
    }
    objs = render_chart(chart, values, release=release, namespace=release)
    assert len(objs) > 10
    for obj in objs:
        metadata_ = obj["metadata"]
        assert metadata_["labels"]["team"] == "shop", metadata_["name"]
        assert metadata_["labels"]["app.kubernetes.io/part-of"] == "meatyapis", metadata_["name"]
        assert metadata_["annotations"]["owner"] == "shop", metadata_["name"]
