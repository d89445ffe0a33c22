"""In-cluster load generator for the e2e rollout check (tests/e2e/kind.sh).

Requests every URL in $TARGETS in turn, each on a new connection (so every request goes through
the Service to whichever pods are endpoints right then), until $STOP_FILE (/tmp/stop) exists or
MAX_SECONDS pass. Prints one JSON line: {"ok": n, "failed": n, "errors": {...}, "seconds": s}.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections import Counter

targets = os.environ["TARGETS"].split()
max_seconds = float(os.environ.get("MAX_SECONDS", "900"))
stop_file = os.environ.get("STOP_FILE", "/tmp/stop")
started = time.monotonic()
ok = 0
errors: Counter[str] = Counter()
while not os.path.exists(stop_file) and time.monotonic() - started < max_seconds:
    for url in targets:
        try:
            # http URLs of the release's Services, from the pod spec
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
                response.read()
                ok += 1
        except urllib.error.HTTPError as error:
            errors[f"{url} HTTP {error.code}"] += 1
        except (OSError, urllib.error.URLError) as error:
            errors[f"{url} {type(error).__name__}: {error}"[:200]] += 1
    if (ok + sum(errors.values())) % 500 == 0:
        print(json.dumps({"progress": ok, "failed": sum(errors.values())}), flush=True)
    time.sleep(0.02)
report = {
    "ok": ok,
    "failed": sum(errors.values()),
    "errors": dict(errors),
    "seconds": round(time.monotonic() - started, 1),
    "stopped": os.path.exists(stop_file),
}
print(json.dumps(report), flush=True)
