"""The monitoring chart's Prometheus configuration and rules, for a Prometheus outside Kubernetes.

`helm template charts/monitoring` renders prometheus.yml and the rule files; the only change made
here is the one Kubernetes-only part: each `kubernetes_sd_configs` block becomes `static_configs`
whose targets carry the `__meta_kubernetes_*` labels pod discovery would attach (annotations,
namespace, pod name, pod label app.kubernetes.io/name, pod IP). The chart's relabeling then runs
unchanged and produces the same target labels (namespace, pod, service) as in a cluster.
Debian's Prometheus is built without Kubernetes discovery, so this is also what makes its
promtool accept the configuration.

Used by `make run` (scripts/run.sh), the live test and the chart tests:

    python -m prometheus.local --out DIR --port 9090 \\
        --pod meatyapis-flask=127.0.0.1:8001 --pod meatyapis-fastapi=127.0.0.1:8002
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "charts" / "monitoring"
RELEASE = "monitoring"
NAMESPACE = "monitoring"
TEMPLATES = ("templates/prometheus/configmap.yaml", "templates/prometheus/rules-configmap.yaml")


@dataclass(frozen=True)
class Pod:
    """A process standing in for a pod: what pod discovery would know about it."""

    address: str  # host:port the process listens on (the pod IP and metrics port)
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    name: str
    namespace: str = "local"

    @classmethod
    def annotated(cls, app: str, address: str, namespace: str = "local") -> Pod:
        """A pod labelled and annotated as the meatyapis chart does it."""
        return cls(
            address,
            {"app.kubernetes.io/name": app},
            {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": address.rsplit(":", 1)[1],
                "prometheus.io/path": "/metrics",
            },
            f"{app}-0",
            namespace,
        )

    @classmethod
    def from_template(cls, template: Mapping[str, Any], address: str, namespace: str) -> Pod:
        """A pod from a rendered pod template (labels and annotations as the chart wrote them);
        only the port annotation follows the local process, which listens on `address`."""
        metadata = template["metadata"]
        annotations = dict(metadata.get("annotations") or {})
        if "prometheus.io/port" in annotations:
            annotations["prometheus.io/port"] = address.rsplit(":", 1)[1]
        labels = dict(metadata["labels"])
        return cls(address, labels, annotations, f"{labels['app.kubernetes.io/name']}-0", namespace)

    def meta_labels(self) -> dict[str, str]:
        """The __meta_kubernetes_* labels of Prometheus' pod role (same sanitizing of names)."""
        meta = {
            "__meta_kubernetes_namespace": self.namespace,
            "__meta_kubernetes_pod_name": self.name,
            "__meta_kubernetes_pod_ip": self.address.rsplit(":", 1)[0],
            "__meta_kubernetes_pod_phase": "Running",
        }
        for key, value in self.labels.items():
            meta[f"__meta_kubernetes_pod_label_{_sanitize(key)}"] = value
            meta[f"__meta_kubernetes_pod_labelpresent_{_sanitize(key)}"] = "true"
        for key, value in self.annotations.items():
            meta[f"__meta_kubernetes_pod_annotation_{_sanitize(key)}"] = value
            meta[f"__meta_kubernetes_pod_annotationpresent_{_sanitize(key)}"] = "true"
        return meta


def _sanitize(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def _helm() -> str:
    for name in ("helm3", "helm"):
        local = ROOT / ".tools" / "bin" / name
        if local.exists():
            return str(local)
    found = shutil.which("helm")
    if not found:
        raise RuntimeError("helm not found: run `make tools` (scripts/install-tools.sh)")
    return found


def render(values: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """prometheus.yml (parsed) and the rule files, as `helm template` renders them."""
    # the chart's file:// dependency (charts/meatyapis-common), packaged into its charts/ folder
    subprocess.run([_helm(), "dependency", "build", str(CHART), "--skip-refresh"],
                   capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="monitoring-values-") as tmp:
        values_file = Path(tmp) / "values.json"
        values_file.write_text(json.dumps(values or {}))
        argv = [_helm(), "template", RELEASE, str(CHART), "--namespace", NAMESPACE,
                "--values", str(values_file)]  # fmt: skip
        for template in TEMPLATES:
            argv += ["--show-only", template]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True).stdout
    config_maps = {d["metadata"]["name"]: d["data"] for d in yaml.safe_load_all(out) if d}
    config = yaml.safe_load(config_maps[f"{RELEASE}-prometheus"]["prometheus.yml"])
    return config, dict(config_maps[f"{RELEASE}-prometheus-rules"])


def with_static_pods(config: dict[str, Any], pods: list[Pod]) -> dict[str, Any]:
    """The configuration with each kubernetes_sd_configs block replaced by the given pods."""
    result = copy.deepcopy(config)
    swapped = 0
    for job in result["scrape_configs"]:
        if "kubernetes_sd_configs" in job:
            del job["kubernetes_sd_configs"]
            job["static_configs"] = [
                {"targets": [pod.address], "labels": pod.meta_labels()} for pod in pods
            ]
            swapped += 1
    if not swapped:
        raise ValueError("no kubernetes_sd_configs in the rendered configuration")
    return result


def write(directory: Path, config: dict[str, Any], rules: dict[str, str]) -> Path:
    """Lay out config/prometheus.yml and rules/*.yaml as the pod mounts them; returns the
    config file (its `rule_files: [../rules/*.yaml]` resolves relative to it)."""
    (directory / "config").mkdir(parents=True, exist_ok=True)
    rules_dir = directory / "rules"
    shutil.rmtree(rules_dir, ignore_errors=True)
    rules_dir.mkdir()
    for name, text in rules.items():
        (rules_dir / name).write_text(text)
    config_file = directory / "config" / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    return config_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--port", type=int, default=9090, help="Prometheus' own port")
    parser.add_argument("--scrape-interval", default="15s")
    parser.add_argument(
        "--pod", action="append", default=[], metavar="APP=HOST:PORT", help="a scrape target"
    )
    args = parser.parse_args(argv)
    pods = [Pod.annotated(*spec.split("=", 1)) for spec in args.pod]
    values = {
        "prometheus": {
            "port": args.port,
            "scrapeInterval": args.scrape_interval,
            "evaluationInterval": args.scrape_interval,
        }
    }
    config, rules = render(values)
    print(write(args.out, with_static_pods(config, pods), rules))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
