"""JSON-lines logging on stdout, with the current request id on every line, and the access line.

gunicorn (`logconfig_dict`), uvicorn and the apps share one `logging_config`, so every line a
process writes is one JSON object.
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

from meatyapis_chassis.request_id import request_id_var

# Attributes every LogRecord has (and uvicorn's colour copy of the message); anything else was
# passed with `extra=` and is logged as a field.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "color_message"}
)
MAX_TRACEPARENT_LENGTH = 128


class RequestIdFilter(logging.Filter):
    """Puts the request id of the current context on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, process, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_") and value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


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
                "class": "logging.StreamHandler",
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
    logger.info(
        "%s %s %s",
        method,
        path,
        status,
        extra={
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
