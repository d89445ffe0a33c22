"""The shared render helper against a tiny throwaway chart."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.charts.render import RenderError, find_object, render, render_chart, render_error


@pytest.fixture(scope="module")
def tiny_chart(tmp_path_factory: pytest.TempPathFactory) -> str:
    base = tmp_path_factory.mktemp("charts") / "tiny"
    (base / "templates").mkdir(parents=True)
    (base / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 0.1.0\n")
    (base / "values.yaml").write_text("size: 1\n")
    (base / "templates" / "cm.yaml").write_text(
        textwrap.dedent(
            """\
            {{- if gt (int .Values.size) 3 }}{{ fail "size must be at most 3" }}{{ end }}
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Release.Name }}-cm
              namespace: {{ .Release.Namespace }}
            data:
              size: {{ .Values.size | quote }}
            """
        )
    )
    (base / "templates" / "sa.yaml").write_text(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Release.Name }}-sa\n"
    )
    return str(base)


def test_renders_values_release_and_namespace(tiny_chart: str) -> None:
    objects = render_chart(tiny_chart, {"size": 2}, release="r1", namespace="ns1")
    cm = find_object(objects, "ConfigMap", "r1-cm")
    assert cm["data"] == {"size": "2"}
    assert cm["metadata"]["namespace"] == "ns1"


def test_values_files_apply(tiny_chart: str, tmp_path: Path) -> None:
    values_file = tmp_path / "v.yaml"
    values_file.write_text("size: 3\n")
    cm = find_object(render_chart(tiny_chart, values_files=[values_file]), "ConfigMap")
    assert cm["data"]["size"] == "3"


def test_show_only_filters_by_template(tiny_chart: str) -> None:
    objects = render_chart(tiny_chart, show_only=["templates/sa.yaml"])
    assert [o["kind"] for o in objects] == ["ServiceAccount"]
    with pytest.raises(ValueError, match=r"templates/nope\.yaml"):
        render_chart(tiny_chart, show_only=["templates/nope.yaml"])


def test_each_values_set_renders_once(tiny_chart: str) -> None:
    assert render(tiny_chart, {"size": 1}) is render(tiny_chart, {"size": 1})
    assert render(tiny_chart, {"size": 1}) is not render(tiny_chart, {"size": 2})


def test_returned_objects_are_copies(tiny_chart: str) -> None:
    render_chart(tiny_chart)[0]["metadata"]["name"] = "changed"
    assert render_chart(tiny_chart)[0]["metadata"]["name"] != "changed"


def test_failures_report_helm_stderr(tiny_chart: str) -> None:
    assert "size must be at most 3" in render_error(tiny_chart, {"size": 4})
    with pytest.raises(RenderError, match="size must be at most 3"):
        render_chart(tiny_chart, {"size": 5})
    with pytest.raises(AssertionError, match="succeeded"):
        render_error(tiny_chart, {"size": 1})


def test_find_object_wants_exactly_one(tiny_chart: str) -> None:
    with pytest.raises(AssertionError, match="expected one Secret"):
        find_object(render_chart(tiny_chart), "Secret")
