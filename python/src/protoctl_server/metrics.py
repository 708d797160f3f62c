"""Prometheus metrics of the calls a server handles.

Names follow go-grpc-prometheus, so existing dashboards work:
grpc_server_started_total, grpc_server_handled_total (by grpc_code),
grpc_server_handling_seconds (histogram) and grpc_server_in_flight (calls
being handled now), all labelled grpc_service, grpc_method, grpc_type.

With several workers the metrics use prometheus-client's multiprocess
mode: each worker writes its values to files under
PROMETHEUS_MULTIPROC_DIR (a directory the parent creates and removes) and
the parent alone serves /metrics on --metrics-port, summing over workers
(the in-flight gauge sums live workers only). prometheus_client decides
the mode when it is first imported, so this module imports it lazily: the
parent sets the directory before anything imports it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
_LABELS = ("grpc_service", "grpc_method", "grpc_type")


@dataclass(frozen=True)
class Metrics:
    """The collectors of one process."""

    started: Counter
    handled: Counter
    latency: Histogram
    in_flight: Gauge


_lock = threading.Lock()
_metrics: Metrics | None = None


def metrics() -> Metrics:
    """The process's collectors, created (and registered) on first use."""
    global _metrics
    m = _metrics
    if m is not None:
        return m
    with _lock:
        if _metrics is None:
            from prometheus_client import Counter, Gauge, Histogram

            _metrics = Metrics(
                started=Counter(
                    "grpc_server_started", "Calls started on the server.", _LABELS
                ),
                handled=Counter(
                    "grpc_server_handled",
                    "Calls completed on the server, by status code.",
                    (*_LABELS, "grpc_code"),
                ),
                latency=Histogram(
                    "grpc_server_handling_seconds",
                    "Time from a call's start to its end, as the handler saw it.",
                    _LABELS,
                    buckets=_BUCKETS,
                ),
                in_flight=Gauge(
                    "grpc_server_in_flight",
                    "Calls being handled now.",
                    _LABELS,
                    multiprocess_mode="livesum",
                ),
            )
        return _metrics


class Series:
    """The labelled collectors of one method, looked up once: resolving
    labels takes a lock and a dictionary lookup per collector, which on
    every call was a measurable part of the server's cost per call."""

    __slots__ = ("_handled", "_labels", "in_flight", "latency", "started")

    def __init__(self, m: Metrics, labels: tuple[str, str, str]) -> None:
        self._labels = labels
        self.started = m.started.labels(*labels)
        self.in_flight = m.in_flight.labels(*labels)
        self.latency = m.latency.labels(*labels)
        self._handled: dict[str, Counter] = {}

    def handled(self, code: str) -> Counter:
        """The handled counter of this method and code."""
        c = self._handled.get(code)
        if c is None:
            c = metrics().handled.labels(*self._labels, code)
            self._handled[code] = c
        return c


_series: dict[tuple[str, str, str], Series] = {}


def series(labels: tuple[str, str, str]) -> Series:
    """The collectors of one (service, method, type), created on first use."""
    s = _series.get(labels)
    if s is None:
        m = metrics()  # takes _lock itself: not under it
        with _lock:
            s = _series.get(labels)
            if s is None:
                s = Series(m, labels)
                _series[labels] = s
    return s


class Endpoint:
    """The HTTP /metrics endpoint of this process or, in multiprocess mode,
    of every worker."""

    def __init__(self, host: str, port: int, multiprocess: bool) -> None:
        from prometheus_client import REGISTRY, CollectorRegistry, start_http_server

        registry = REGISTRY
        if multiprocess:
            from prometheus_client import multiprocess as mp

            registry = CollectorRegistry()
            mp.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        self._server, self._thread = start_http_server(
            port, addr=host, registry=registry
        )
        self.port = int(self._server.server_port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def mark_process_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (multiprocess mode)."""
    from prometheus_client import multiprocess as mp

    mp.mark_process_dead(pid)  # type: ignore[no-untyped-call]
