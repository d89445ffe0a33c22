"""The MeatyAPIs Grafana dashboards, as code (grafana-foundation-sdk).

`python -m grafana.generate` (make dashboards) writes grafana/dashboards/*.json (sorted keys,
deterministic) and copies them into the charts that package them (Helm cannot read files
outside a chart): charts/monitoring/files/dashboards/ and charts/meatyapis/files/dashboards/.

The queries follow docs/observability.md: rate, errors and latency all come from
`http_request_duration_seconds_count` / `_bucket`; `namespace`, `service` and `pod` are target
labels. Every panel uses the `${datasource}` variable, so the JSON imports into any Grafana.
The ratios are built as the recording rules build them (prometheus/generate.py): 0 for a group
with requests and no bad event, no data only without requests, whole-number buckets matched in
both spellings.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from grafana.overview import overview
from grafana.service_detail import service_detail
from grafana.slo import slo

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "grafana" / "dashboards"
CHART_COPIES = (
    ROOT / "charts" / "monitoring" / "files" / "dashboards",
    ROOT / "charts" / "meatyapis" / "files" / "dashboards",
)


DASHBOARDS = {
    "meatyapis-overview.json": overview,
    "meatyapis-service-detail.json": service_detail,
    "meatyapis-slo.json": slo,
}


def render(name: str) -> str:
    model = DASHBOARDS[name]().build()
    data = json.loads(JSONEncoder(sort_keys=True).encode(model))
    for number, panel in enumerate(data["panels"], 1):  # unique, stable ids (rows included)
        panel["id"] = number
    return json.dumps(data, sort_keys=True, indent=2) + "\n"


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name in DASHBOARDS:
        (OUT_DIR / name).write_text(render(name))
    for copy_dir in CHART_COPIES:
        copy_dir.mkdir(parents=True, exist_ok=True)
        for name in DASHBOARDS:
            shutil.copyfile(OUT_DIR / name, copy_dir / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
