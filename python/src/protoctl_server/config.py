"""Server settings: the command-line flags and the gRPC channel arguments
they become.

The keepalive values are chosen as a pair with the Go pool client
(client/, docs/server.md): the client pings every 20 s (Timeout 5 s,
PermitWithoutStream true); the server lets a client ping as often as every
5 s with no call in flight, half of grpc-go's smallest keepalive Time
(10 s), so no Go client collects the ping strikes that end in GOAWAY
"too_many_pings" (measured: pings at exactly the limit arrive ~1 ms after
the allowed time, too thin a margin to set the limit at 10 s).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace

# Keepalive enforcement: how often a client may ping without data, whether
# it may ping with no call open, how many bad pings close the connection.
MIN_PING_INTERVAL_WITHOUT_DATA_MS = 5_000
PERMIT_WITHOUT_CALLS = 1
MAX_PING_STRIKES = 2
# The server's own pings find dead peers: every 60 s, 20 s to answer, and
# not capped while no data flows (max_pings_without_data 0).
SERVER_KEEPALIVE_TIME_MS = 60_000
SERVER_KEEPALIVE_TIMEOUT_MS = 20_000
MAX_PINGS_WITHOUT_DATA = 0

MODES = ("aio", "sync")
DEFAULT_MODE = "sync"
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Config:
    """Everything a worker needs to serve; defaults are the production ones."""

    listen: str = "127.0.0.1:50051"
    workers: int = 1
    mode: str = DEFAULT_MODE
    metrics_port: int = 0
    max_send_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    max_recv_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    max_concurrent_rpcs: int = 0
    grace: float = 20.0
    max_connection_age: float = 0.0
    threads: int = 16
    log_level: str = "info"

    @property
    def host(self) -> str:
        return self.listen.rsplit(":", 1)[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])

    def with_port(self, port: int) -> Config:
        """The same settings listening on another port of the same host."""
        host = self.listen.rsplit(":", 1)[0]
        return replace(self, listen=f"{host}:{port}")

    def channel_options(self) -> list[tuple[str, int]]:
        """The gRPC server arguments of these settings."""
        opts: list[tuple[str, int]] = [
            # Several workers bind the same port; one worker refuses to
            # share it, so two servers never silently split a port.
            ("grpc.so_reuseport", 1 if self.workers > 1 else 0),
            ("grpc.max_send_message_length", self.max_send_bytes),
            ("grpc.max_receive_message_length", self.max_recv_bytes),
            (
                "grpc.http2.min_ping_interval_without_data_ms",
                MIN_PING_INTERVAL_WITHOUT_DATA_MS,
            ),
            ("grpc.keepalive_permit_without_calls", PERMIT_WITHOUT_CALLS),
            ("grpc.http2.max_ping_strikes", MAX_PING_STRIKES),
            ("grpc.keepalive_time_ms", SERVER_KEEPALIVE_TIME_MS),
            ("grpc.keepalive_timeout_ms", SERVER_KEEPALIVE_TIMEOUT_MS),
            ("grpc.http2.max_pings_without_data", MAX_PINGS_WITHOUT_DATA),
        ]
        if self.max_connection_age > 0:
            # Clients reconnect, and so re-resolve DNS, at least this often;
            # calls open at that moment get the drain grace to finish.
            opts.append(
                ("grpc.max_connection_age_ms", int(self.max_connection_age * 1000))
            )
            opts.append(("grpc.max_connection_age_grace_ms", int(self.grace * 1000)))
        return opts


def _positive_int(text: str) -> int:
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"want a positive number, got {text}")
    return v


def _non_negative_int(text: str) -> int:
    v = int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"want 0 or more, got {text}")
    return v


def _non_negative_float(text: str) -> float:
    v = float(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"want 0 or more, got {text}")
    return v


def _listen(text: str) -> str:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"want HOST:PORT, got {text!r}")
    return text


def parser() -> argparse.ArgumentParser:
    d = Config()
    p = argparse.ArgumentParser(
        prog="protoctl-server",
        description="Serve the contract's services, BehaviorService, the gRPC interop "
        "TestService, health and reflection.",
    )
    p.add_argument(
        "--listen", type=_listen, default=d.listen, help="HOST:PORT (port 0 picks one)"
    )
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="processes sharing the port (default: cores)",
    )
    p.add_argument(
        "--mode",
        choices=MODES,
        default=d.mode,
        help="grpc.aio or the thread-pool server",
    )
    p.add_argument(
        "--metrics-port",
        type=_non_negative_int,
        default=d.metrics_port,
        help="Prometheus port (0 = off)",
    )
    p.add_argument("--max-send-bytes", type=_positive_int, default=d.max_send_bytes)
    p.add_argument("--max-recv-bytes", type=_positive_int, default=d.max_recv_bytes)
    p.add_argument(
        "--max-concurrent-rpcs",
        type=_non_negative_int,
        default=d.max_concurrent_rpcs,
        help="per worker; 0 = no limit",
    )
    p.add_argument(
        "--grace",
        type=_non_negative_float,
        default=d.grace,
        help="seconds to drain on SIGTERM",
    )
    p.add_argument(
        "--max-connection-age",
        type=_non_negative_float,
        default=d.max_connection_age,
        help="seconds; 0 = unlimited",
    )
    p.add_argument(
        "--threads",
        type=_positive_int,
        default=d.threads,
        help="handler threads per worker (sync mode)",
    )
    p.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default=d.log_level,
    )
    return p


def parse_args(argv: Sequence[str] | None = None) -> Config:
    """Settings from command-line arguments (sys.argv when None)."""
    ns = parser().parse_args(argv)
    return Config(
        listen=ns.listen,
        workers=ns.workers if ns.workers is not None else default_workers(),
        mode=ns.mode,
        metrics_port=ns.metrics_port,
        max_send_bytes=ns.max_send_bytes,
        max_recv_bytes=ns.max_recv_bytes,
        max_concurrent_rpcs=ns.max_concurrent_rpcs,
        grace=ns.grace,
        max_connection_age=ns.max_connection_age,
        threads=ns.threads,
        log_level=ns.log_level,
    )
