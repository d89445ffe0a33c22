# mypy: disable-error-code="no-untyped-call"
# (prometheus_client.mmap_dict and .multiprocess have no type hints)
"""The Prometheus multiprocess directory: emptied at master start, read under a shared lock,
and bounded by folding each dead worker's files into one archive file per metric type.

prometheus_client keeps one file per metric type and worker PID in PROMETHEUS_MULTIPROC_DIR.
`mark_process_dead` removes only a dead worker's live gauges; its counters, histograms and other
gauges must keep counting towards the totals, so every worker recycled by `max_requests` would
leave its files behind, and the directory, and the time of every scrape, would grow without
bound. When a worker exits, the master merges its values into `<type>_archive.db` (as the
collector would merge them), written whole beside it and swapped in, then deletes its files.
The fold holds the directory's lock exclusively while scrapes hold it shared, so no scrape
counts a sample twice or misses one. Neither side waits forever: a fold that cannot get the
lock in time leaves the files (still counted, folded at the next exit), and a scrape proceeds.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import multiprocess
from prometheus_client.mmap_dict import MmapedDict

LOCK_FILE = "compaction.lock"  # the collector reads only *.db files
ARCHIVE = "archive"
LOCK_TIMEOUT_SECONDS = 5.0

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


def reset(directory: Path) -> None:
    """An empty directory (created if missing): a new run must not count an old run's files."""
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


@contextmanager
def _flock(directory: Path, mode: int, timeout: float) -> Iterator[bool]:
    """Hold `mode` on the directory's lock file; yields False if it was not free in time."""
    with (directory / LOCK_FILE).open("a+b") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.005)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def consistent_scrape(directory: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Held while a scrape reads the files, so no fold happens halfway through."""
    with _flock(directory, fcntl.LOCK_SH, timeout):
        yield


def archive_dead_worker(directory: Path, pid: int, timeout: float = LOCK_TIMEOUT_SECONDS) -> int:
    """Drop a dead worker's live gauges and fold its other files into the archives.

    Returns how many files were folded (0 when the lock stayed taken past `timeout`).
    """
    multiprocess.mark_process_dead(pid, str(directory))
    with _flock(directory, fcntl.LOCK_EX, timeout) as locked:
        if not locked:
            return 0
        folded = 0
        for prefix, merge in MERGES.items():
            dead = directory / f"{prefix}_{pid}.db"
            if dead.exists():
                _fold(dead, directory / f"{prefix}_{ARCHIVE}.db", merge)
                folded += 1
        # "all" gauges are per process: a dead worker's series go with it.
        (directory / f"gauge_all_{pid}.db").unlink(missing_ok=True)
        return folded


def _read(path: Path) -> dict[str, Sample]:
    return {
        key: (value, timestamp)
        for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(str(path))
    }


def _fold(dead: Path, archive: Path, merge: Callable[[Sample, Sample], Sample]) -> None:
    merged = _read(archive) if archive.exists() else {}
    for key, sample in _read(dead).items():
        merged[key] = merge(merged[key], sample) if key in merged else sample
    staging = archive.with_suffix(".tmp")
    staging.unlink(missing_ok=True)
    out = MmapedDict(str(staging))
    try:
        for key, (value, timestamp) in merged.items():
            out.write_value(key, value, timestamp)
    finally:
        out.close()
    os.replace(staging, archive)
    dead.unlink()
