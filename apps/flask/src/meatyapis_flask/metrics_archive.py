# mypy: disable-error-code="no-untyped-call"
# (prometheus_client.mmap_dict has no type hints)
"""Fold the metric files of dead gunicorn workers into one archive file per metric type.

In multiprocess mode every worker writes `counter_<pid>.db` and `histogram_<pid>.db`. Their
counts must outlive the worker, but with `max_requests` recycling workers the files pile up and
every scrape reads all of them. When a worker exits, the master adds its values into
`counter_archive.db` / `histogram_archive.db` (plain sums, which is how the collector merges
them anyway) and deletes its files. A lock keeps scrapes from seeing a value twice or not at all
while that happens.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict

LOCK_FILE = "compaction.lock"
_SUMMED_TYPES = ("counter", "histogram")
# Gauges merged by their largest value (the build info): one file per worker that ever ran.
_MAX_TYPES = ("gauge_max",)


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


def archive_dead_worker(directory: Path, pid: int, timeout: float = 5.0) -> int:
    """Move a dead worker's counter and histogram values into the archives; returns files moved.

    If scrapes hold the lock past `timeout`, the files stay (still counted, just not folded).
    """
    with _flock(directory, fcntl.LOCK_EX, timeout) as locked:
        if not locked:
            return 0
        moved = 0
        for kind in (*_SUMMED_TYPES, *_MAX_TYPES):
            source = directory / f"{kind}_{pid}.db"
            if not source.exists():
                continue
            archive_path = directory / f"{kind}_archive.db"
            archived = (
                {key for key, *_ in MmapedDict.read_all_values_from_file(str(archive_path))}
                if archive_path.exists()
                else set()
            )
            archive = MmapedDict(str(archive_path))
            try:
                for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(str(source)):
                    current, _ = archive.read_value(key)
                    if kind in _MAX_TYPES:
                        merged = max(current, value) if key in archived else value
                    else:
                        merged = current + value
                    archive.write_value(key, merged, timestamp)
            finally:
                archive.close()
            source.unlink()
            moved += 1
        return moved


@contextmanager
def consistent_scrape(directory: Path, timeout: float = 5.0) -> Iterator[None]:
    """Held while /metrics reads the files, so no archiving happens halfway through."""
    with _flock(directory, fcntl.LOCK_SH, timeout):
        yield
