"""Fold the metric files of dead gunicorn workers into one archive file per metric type.

prometheus_client keeps one file per metric type and worker PID in PROMETHEUS_MULTIPROC_DIR.
`mark_process_dead` removes only a dead worker's live gauges; its counters and histograms must
keep counting towards the totals, so every worker recycled by `max_requests` left its files
behind and the directory, and the time of every scrape, grew without bound.

`archive_dead_worker` (gunicorn's child_exit) folds a dead worker's files into one archive file per
type and deletes them. It holds the directory's lock exclusively while scrapes hold it shared
(`consistent_scrape`), so no scrape counts a sample twice or misses one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client import multiprocess
from prometheus_client.mmap_dict import MmapedDict

LOCK_FILE = "compaction.lock"  # the collector reads only *.db files
ARCHIVE = "archive"

Sample = tuple[float, float]  # value, timestamp


def _add(old: Sample, new: Sample) -> Sample:
    return old[0] + new[0], max(old[1], new[1])


def _max(old: Sample, new: Sample) -> Sample:
    return old if old[0] >= new[0] else new


def _min(old: Sample, new: Sample) -> Sample:
    return old if old[0] <= new[0] else new


def _latest(old: Sample, new: Sample) -> Sample:
    return old if old[1] >= new[1] else new


# File prefix -> how a dead worker's value joins the archived one (as the collector would).
MERGES: dict[str, Callable[[Sample, Sample], Sample]] = {
    "counter": _add,
    "histogram": _add,
    "summary": _add,
    "gauge_sum": _add,
    "gauge_max": _max,
    "gauge_min": _min,
    "gauge_mostrecent": _latest,
}


@contextlib.contextmanager
def _locked(directory: Path, operation: int) -> Iterator[None]:
    with open(directory / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, operation)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def consistent_scrape() -> contextlib.AbstractContextManager[None]:
    """Hold while collecting from the directory, so no worker is retired halfway through."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return contextlib.nullcontext()
    return _locked(Path(directory), fcntl.LOCK_SH)


def archive_dead_worker(directory: Path, pid: int) -> None:
    """Drop a dead worker's live gauges and fold its other samples into the archive files."""
    multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
    with _locked(directory, fcntl.LOCK_EX):
        for prefix, merge in MERGES.items():
            dead = directory / f"{prefix}_{pid}.db"
            if dead.exists():
                _fold(dead, directory / f"{prefix}_{ARCHIVE}.db", merge)
        # "all" gauges are per process: a dead worker's series go with it.
        (directory / f"gauge_all_{pid}.db").unlink(missing_ok=True)


def _read(path: Path) -> dict[str, Sample]:
    return {
        key: (value, timestamp)
        for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(str(path))  # type: ignore[no-untyped-call]
    }


def _fold(dead: Path, archive: Path, merge: Callable[[Sample, Sample], Sample]) -> None:
    merged = _read(archive) if archive.exists() else {}
    for key, sample in _read(dead).items():
        merged[key] = merge(merged[key], sample) if key in merged else sample
    staging = archive.with_suffix(".tmp")
    staging.unlink(missing_ok=True)
    out = MmapedDict(str(staging))  # type: ignore[no-untyped-call]
    try:
        for key, (value, timestamp) in merged.items():
            out.write_value(key, value, timestamp)  # type: ignore[no-untyped-call]
    finally:
        out.close()  # type: ignore[no-untyped-call]
    os.replace(staging, archive)
    dead.unlink()
