"""JSON-lines logging on stdout, with the current request id on every line, and the access line.

gunicorn (`logconfig_dict`), uvicorn and the apps share one `logging_config`, so every line a
process writes is one JSON object.

Every request writes an access line, so the path from `log_access` to stdout is kept short: the
record is built without the logging module's caller lookup, formatted by a formatter that only
walks the fields a caller added, and written in batches by `BatchedStreamHandler` (one write per
PIPE_BUF bytes of lines instead of one per line; see there for what is flushed when).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import logging.config
import os
import select
import threading
import time
import weakref
from datetime import UTC, datetime
from typing import Any, TextIO

from meatyapis_chassis.request_id import request_id_var

# Attributes every LogRecord has (and uvicorn's colour copy of the message); anything else was
# passed with `extra=` and is logged as a field.
_RECORD_ATTRS = vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
_STANDARD_ATTRS = frozenset(_RECORD_ATTRS | {"message", "asctime", "color_message"})
# A LogRecord's own attributes come first in its __dict__, then the `extra=` fields.
_FIRST_EXTRA = len(_RECORD_ATTRS)
MAX_TRACEPARENT_LENGTH = 128
# Writes of at most PIPE_BUF bytes to a pipe are atomic: the lines of several workers sharing
# one stdout pipe never interleave mid-line.
PIPE_BUF = getattr(select, "PIPE_BUF", 4096)
FLUSH_INTERVAL_SECONDS = 0.2


class RequestIdFilter(logging.Filter):
    """Puts the request id of the current context on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, process, request_id, extras."""

    _encode = json.JSONEncoder(default=str).encode
    _this_second: tuple[int, str] = (-1, "")  # one tuple: threads see both parts or neither

    def _time(self, created: float) -> str:
        """ISO 8601 in UTC with milliseconds; the part up to the second is built once a second."""
        second = int(created)
        cached, text = self._this_second
        if second != cached:
            text = datetime.fromtimestamp(second, UTC).isoformat().removesuffix("+00:00")
            self._this_second = (second, text)
        return f"{text}.{int((created - second) * 1000):03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in itertools.islice(vars(record).items(), _FIRST_EXTRA, None):
            if value is not None and key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self._encode(entry)


class BatchedStreamHandler(logging.StreamHandler[TextIO]):
    """A StreamHandler that writes whole lines in batches: one write per PIPE_BUF bytes.

    A line waits at most FLUSH_INTERVAL_SECONDS (a daemon thread per process writes what is
    pending); WARNING and above are written at once, with whatever waits before them. Nothing
    is lost at a clean exit: `flush()` writes the pending lines, and the logging module flushes
    every handler at interpreter exit, which is how gunicorn's workers end after SIGTERM, a
    `max_requests` recycle or a timeout. Lines pending in a process that forks are written
    before the fork, so the child never writes them a second time.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._pending_bytes = 0
        self._flusher: threading.Thread | None = None
        _batched_handlers.add(self)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:  # as StreamHandler: reported, never raised into the caller
            self.handleError(record)
            return
        if self._pending and self._pending_bytes + len(line) > PIPE_BUF:
            self._write_pending()
        self._pending.append(line)
        self._pending_bytes += len(line)
        if record.levelno >= logging.WARNING:
            self._write_pending()
        elif self._flusher is None:
            self._start_flusher()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created in Handler.__init__
            self._write_pending()

    def _write_pending(self) -> None:
        """Called with the handler's lock held."""
        text = "".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        # A closed or broken stream must not fail a request (nor the flusher): its lines are
        # lost, as they would be.
        with contextlib.suppress(OSError, ValueError):
            if text:
                self.stream.write(text)
            self.stream.flush()

    def _start_flusher(self) -> None:
        self._flusher = threading.Thread(
            target=_flush_periodically,
            args=(weakref.ref(self),),
            name="log-flusher",
            daemon=True,
        )
        self._flusher.start()

    def _forked(self) -> None:
        """In a new child: no pending lines (written before the fork), no flusher yet."""
        self._pending.clear()
        self._pending_bytes = 0
        self._flusher = None
        self.createLock()


def _flush_periodically(handler_ref: weakref.ref[BatchedStreamHandler]) -> None:
    while True:
        time.sleep(FLUSH_INTERVAL_SECONDS)
        handler = handler_ref()
        if handler is None:
            return
        handler.flush()
        del handler


_batched_handlers: weakref.WeakSet[BatchedStreamHandler] = weakref.WeakSet()


def flush_batched() -> None:
    """Write the lines every BatchedStreamHandler of this process holds (before a fork, and
    before a process ends by a signal, which skips the interpreter's exit)."""
    for handler in list(_batched_handlers):
        handler.flush()


def _after_fork_in_child() -> None:
    global _process_id  # the access records' pid, set once per fork
    _process_id = os.getpid()
    for handler in list(_batched_handlers):
        handler._forked()


os.register_at_fork(before=flush_batched, after_in_child=_after_fork_in_child)


def logging_config(level: str) -> dict[str, Any]:
    """The dictConfig both gunicorn (`logconfig_dict`) and the apps use."""
    # The server loggers hold the handler themselves: uvicorn's gunicorn worker copies the
    # handlers of `gunicorn.error` onto `uvicorn.error`. Their access logs stay quiet, because
    # each app writes one access line per request itself.
    server = {"level": level, "handlers": ["stdout"], "propagate": False}
    quiet = {**server, "level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stdout": {
                "class": f"{__name__}.BatchedStreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": server,
            "gunicorn.access": quiet,
            "uvicorn.error": server,
            "uvicorn.access": quiet,
        },
    }


def configure_logging(level: str) -> None:
    """Install the JSON handler, or only set the level where it is installed already (gunicorn's
    master configured it from `logconfig_dict`)."""
    root = logging.getLogger()
    if any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        root.setLevel(level)
        return
    logging.config.dictConfig(logging_config(level))


def log_access(
    logger: logging.Logger,
    *,
    method: str,
    path: str,
    status: int,
    duration_ms: float | None,
    route: str | None,
    client: str | None,
    user_agent: str | None,
    traceparent: str | None,
) -> None:
    """The one access line of a request, alike in both services.

    `traceparent` is logged as the caller sent it (bounded), so the caller's outbound-call line
    and this line join on it as well as on the request id.
    """
    if not logger.isEnabledFor(logging.INFO):
        return
    logger.handle(
        _access_record(
            logger.name,
            f"{method} {path} {status}",
            {
                "method": method,
                "route": route,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "client": client or None,
                "user_agent": user_agent or None,
                "traceparent": (traceparent or "")[:MAX_TRACEPARENT_LENGTH] or None,
            },
        )
    )


# The attributes every access record shares, in LogRecord's order; `_access_record` sets the
# ones of each request. Logger.info would build the same record, looking up the caller's frame
# (an access line has no file or line number) and checking each extra field on the way.
_ACCESS_PROTOTYPE = vars(logging.LogRecord("", logging.INFO, "(access)", 0, "", None, None))
_process_id = os.getpid()


def _access_record(name: str, message: str, fields: dict[str, Any]) -> logging.LogRecord:
    record = logging.LogRecord.__new__(logging.LogRecord)
    attributes = record.__dict__
    attributes.update(_ACCESS_PROTOTYPE)
    now = time.time()
    attributes["name"] = name
    attributes["msg"] = message
    attributes["created"] = now
    attributes["msecs"] = (now - int(now)) * 1000
    attributes["relativeCreated"] = (now - _LOGGING_STARTED) * 1000
    attributes["thread"] = threading.get_ident()
    attributes["threadName"] = threading.current_thread().name
    attributes["process"] = _process_id
    attributes.update(fields)
    return record


_LOGGING_STARTED: float = getattr(logging, "_startTime", time.time())
