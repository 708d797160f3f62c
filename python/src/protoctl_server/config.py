"""Server settings: the command-line flags and the gRPC channel arguments
they become.

Transport security is a required choice: ``--tls-cert``/``--tls-key``
(TLS; with ``--tls-client-ca``, mTLS) or an explicit ``--plaintext``. The
TLS files and the ``--auth-config`` file (with its JWKS) are read and
checked here, so a bad one is a usage error (exit 2) naming the flag and
the file before any worker starts.

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

from protoctl_server import auth, tls

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
    # Transport: TLS settings, or plaintext=True; neither is refused when
    # the server is built (secure by default, also for embedding).
    plaintext: bool = False
    tls: tls.Settings | None = None
    # An extra plaintext listener serving only grpc.health.v1 ("" = none).
    health_listen: str = ""
    auth: auth.Settings | None = None

    @property
    def tls_mode(self) -> str:
        """ "off", "tls" or "mtls", as the ready line says."""
        return "off" if self.tls is None else self.tls.mode

    @property
    def auth_mode(self) -> str:
        """ "off" or "jwt", as the ready line says."""
        return "off" if self.auth is None else "jwt"

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

    def with_health_port(self, port: int) -> Config:
        """The same settings with the health listener on another port."""
        host = self.health_listen.rsplit(":", 1)[0]
        return replace(self, health_listen=f"{host}:{port}")

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
    sec = p.add_argument_group("transport security and auth")
    sec.add_argument(
        "--plaintext",
        action="store_true",
        help="serve without TLS (loopback demos and tests only)",
    )
    sec.add_argument("--tls-cert", metavar="PEM", help="server certificate chain")
    sec.add_argument("--tls-key", metavar="PEM", help="server private key")
    sec.add_argument(
        "--tls-client-ca",
        metavar="PEM",
        help="CA certificates that sign client certificates (requires mTLS)",
    )
    sec.add_argument(
        "--health-listen",
        type=_listen,
        metavar="HOST:PORT",
        help="extra plaintext listener serving only grpc.health.v1 (for probes)",
    )
    sec.add_argument(
        "--auth-config",
        metavar="FILE",
        help="JSON file enabling JWT auth (jwks, issuer, audience, scopes, ...)",
    )
    return p


NO_TRANSPORT = (
    "no transport security: pass --tls-cert and --tls-key (add --tls-client-ca "
    "for mTLS), or --plaintext to serve without TLS"
)


def _transport(
    p: argparse.ArgumentParser, ns: argparse.Namespace
) -> tls.Settings | None:
    """The checked TLS settings of the flags, None for --plaintext; a bad
    combination or file is a usage error (exit 2)."""
    cert, key, ca = ns.tls_cert, ns.tls_key, ns.tls_client_ca
    if ns.plaintext:
        if cert or key or ca:
            p.error(
                "--plaintext cannot be combined with --tls-cert, --tls-key "
                "or --tls-client-ca"
            )
        return None
    if not cert and not key and not ca:
        p.error(NO_TRANSPORT)
    if cert and not key:
        p.error("--tls-cert needs --tls-key")
    if key and not cert:
        p.error("--tls-key needs --tls-cert")
    if ca and not cert:
        p.error("--tls-client-ca needs --tls-cert and --tls-key")
    settings = tls.Settings(cert=cert, key=key, client_ca=ca or "")
    try:
        tls.load(settings)
    except tls.TLSError as e:
        p.error(str(e))
    return settings


def parse_args(argv: Sequence[str] | None = None) -> Config:
    """Settings from command-line arguments (sys.argv when None)."""
    p = parser()
    ns = p.parse_args(argv)
    tls_settings = _transport(p, ns)
    auth_settings = None
    if ns.auth_config:
        try:
            auth_settings = auth.load_settings(ns.auth_config)
        except auth.ConfigError as e:
            p.error(f"--auth-config {e}")
    if (
        ns.health_listen
        and ns.health_listen == ns.listen
        and not ns.listen.endswith(":0")
    ):
        p.error("--health-listen must differ from --listen")
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
        plaintext=ns.plaintext,
        tls=tls_settings,
        health_listen=ns.health_listen or "",
        auth=auth_settings,
    )
