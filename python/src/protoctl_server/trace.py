"""W3C trace context (traceparent, tracestate) read from request metadata.

The server does not trace by itself; it logs the caller's trace id and
parent span id with each call so a request can be found across the Go
client's and the server's logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_TRACEPARENT = re.compile(
    r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$"
)
_MAX_TRACESTATE = 512


@dataclass(frozen=True)
class TraceContext:
    """The caller's trace: ids are lowercase hex, empty when absent or invalid."""

    trace_id: str = ""
    parent_id: str = ""
    sampled: bool = False
    tracestate: str = ""


def parse_traceparent(value: str) -> TraceContext | None:
    """The trace context of a traceparent header, None when it is not valid
    (per the W3C spec: version ff is invalid, all-zero ids are invalid, and
    version 00 has no trailing fields)."""
    m = _TRACEPARENT.match(value.strip())
    if m is None:
        return None
    version, trace_id, parent_id, flags, rest = m.groups()
    if version == "ff" or (version == "00" and rest):
        return None
    if trace_id == "0" * 32 or parent_id == "0" * 16:
        return None
    return TraceContext(
        trace_id=trace_id, parent_id=parent_id, sampled=bool(int(flags, 16) & 1)
    )


def from_metadata(metadata: Iterable[tuple[str, str | bytes]] | None) -> TraceContext:
    """The trace context of a call's invocation metadata."""
    parent: TraceContext | None = None
    state: list[str] = []
    for key, value in metadata or ():
        if isinstance(value, bytes):
            continue
        if key == "traceparent" and parent is None:
            parent = parse_traceparent(value)
        elif key == "tracestate":
            state.append(value.strip())
    if parent is None:
        return TraceContext()
    tracestate = ",".join(s for s in state if s)[:_MAX_TRACESTATE]
    return TraceContext(parent.trace_id, parent.parent_id, parent.sampled, tracestate)
