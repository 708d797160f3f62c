"""Structured logging: one JSON object per line on stderr.

Every call is logged once when it ends (:mod:`.observe`) with its method,
status code, duration and the caller's trace id; server life-cycle events
(serving, draining, stopped) use the same format.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

LOGGER = logging.getLogger("protoctl_server")

# Attributes every LogRecord has; anything else was passed in extra=.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class JSONFormatter(logging.Formatter):
    """Formats a record as {"ts", "level", "msg", "pid", ...extra} JSON."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "msg": record.getMessage(),
            "pid": record.process,
        }
        for k, v in vars(record).items():
            if k not in _STANDARD and not k.startswith("_"):
                out[k] = v
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def setup(level: str) -> None:
    """Send the server's log to stderr as JSON lines at level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter())
    LOGGER.handlers[:] = [handler]
    LOGGER.setLevel(level.upper())
    LOGGER.propagate = False


def announce(text: str) -> None:
    """Print one plain line on stderr (the readiness line tests wait for)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def pid() -> int:
    return os.getpid()
