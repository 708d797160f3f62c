"""The command: one worker in this process, or a parent that forks
``--workers`` workers sharing the port and supervises them.

Fork safety: the parent forks every worker before it creates any gRPC
object (it only imports grpc), as grpc's multiprocessing example requires;
each worker builds its own server. With port 0 the parent first reserves a
port with an SO_REUSEPORT socket that never listens, so every worker binds
the same port and the kernel spreads connections over them.

The parent prints the readiness line once every worker serves, serves
/metrics for all of them (prometheus-client multiprocess mode), forwards
SIGTERM and SIGINT to the workers and exits 0 when they all drained. A
worker that dies on its own takes the others down and the parent exits 1:
a process manager (Kubernetes) restarts the whole pod, which keeps the
parent free of threads and gRPC state it would need to fork again.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

from protoctl_server import log
from protoctl_server.config import Config, parse_args
from protoctl_server.log import LOGGER
from protoctl_server.metrics import MULTIPROC_ENV

if TYPE_CHECKING:
    from multiprocessing.queues import SimpleQueue

READY_TIMEOUT_S = 60.0
PR_SET_PDEATHSIG = 1


def ready_line(config: Config, port: int) -> str:
    """The line tests and tools wait for on stderr."""
    return (
        f"protoctl-server: serving on {config.host}:{port} "
        f"workers={config.workers} mode={config.mode} pid={os.getpid()} "
        f"tls={config.tls_mode} auth={config.auth_mode}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server as the command line says; returns the exit code."""
    config = parse_args(argv)
    log.setup(config.log_level)
    if config.plaintext and config.auth is not None:
        LOGGER.warning(
            "--auth-config with --plaintext: tokens travel in clear; "
            "use --tls-cert/--tls-key outside loopback tests"
        )
    try:
        if config.workers == 1:
            return _single(config)
        return _supervise(config)
    except OSError as e:
        log.announce(f"protoctl-server: {e}")
        return 1


def _single(config: Config) -> int:
    from protoctl_server import metrics
    from protoctl_server.server import serve

    endpoint: list[metrics.Endpoint] = []

    def ready(port: int) -> None:
        if config.metrics_port:
            endpoint.append(
                metrics.Endpoint(config.host, config.metrics_port, multiprocess=False)
            )
        log.announce(ready_line(config, port))

    try:
        return serve(config, ready)
    finally:
        for e in endpoint:
            e.close()


@contextlib.contextmanager
def _reserved_port(listen: str) -> Iterator[int]:
    """The port every worker binds: listen's, or a free one held by a
    non-listening SO_REUSEPORT socket until the workers are gone."""
    host, _, port_text = listen.rpartition(":")
    host = host.strip("[]")
    if int(port_text) != 0:
        yield int(port_text)
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, 0))
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def _worker(config: Config, queue: SimpleQueue[tuple[str, str]], parent: int) -> None:
    """A forked worker: serve until told to stop."""
    from protoctl_server.server import serve

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    _die_with_parent(parent)
    try:
        code = serve(config, lambda port: queue.put(("ready", str(os.getpid()))))
    except Exception as e:  # reported to the parent, which exits 1
        queue.put(("error", f"worker {os.getpid()}: {e}"))
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _die_with_parent(parent: int) -> None:
    """Have the kernel send SIGTERM (a drain) when the parent dies, so a
    killed parent leaves no workers behind (Linux; elsewhere a no-op)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl
        os.kill(os.getpid(), signal.SIGTERM)


def _supervise(config: Config) -> int:
    metrics_dir = ""
    if config.metrics_port:
        metrics_dir = tempfile.mkdtemp(prefix="protoctl-metrics-")
        os.environ[MULTIPROC_ENV] = metrics_dir
    try:
        with contextlib.ExitStack() as stack:
            port = stack.enter_context(_reserved_port(config.listen))
            config = config.with_port(port)
            if config.health_listen:
                health_port = stack.enter_context(_reserved_port(config.health_listen))
                config = config.with_health_port(health_port)
            return _run_workers(config, port, metrics_dir)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _run_workers(config: Config, port: int, metrics_dir: str) -> int:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.SimpleQueue()
    procs: list[BaseProcess] = []
    for i in range(config.workers):
        p = ctx.Process(
            target=_worker,
            args=(config, queue, os.getpid()),
            name=f"worker-{i}",
            daemon=False,
        )
        p.start()
        procs.append(p)

    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)

    endpoint = None
    try:
        # Wait until every worker serves.
        deadline = time.monotonic() + READY_TIMEOUT_S
        ready = 0
        while ready < len(procs):
            if (
                stopping
                or time.monotonic() > deadline
                or any(p.exitcode is not None for p in procs)
            ):
                msg = (
                    "stopped before serving"
                    if stopping
                    else "workers did not all start"
                )
                while not queue.empty():
                    kind, text = queue.get()
                    if kind == "error":
                        msg = text
                log.announce(f"protoctl-server: {msg}")
                return _stop(procs, config, 0 if stopping else 1, metrics_dir)
            if not queue.empty():
                kind, text = queue.get()
                if kind == "ready":
                    ready += 1
                else:
                    log.announce(f"protoctl-server: {text}")
                    return _stop(procs, config, 1, metrics_dir)
            else:
                time.sleep(0.01)
        if config.metrics_port:
            from protoctl_server import metrics

            endpoint = metrics.Endpoint(
                config.host, config.metrics_port, multiprocess=True
            )
        log.announce(ready_line(config, port))
        while not stopping:
            multiprocessing.connection.wait([p.sentinel for p in procs], timeout=0.5)
            dead = [p for p in procs if p.exitcode is not None]
            if dead and not stopping:
                LOGGER.error(
                    "worker exited",
                    extra={"worker_pid": dead[0].pid, "exit_code": dead[0].exitcode},
                )
                return _stop(procs, config, 1, metrics_dir)
        return _stop(procs, config, 0, metrics_dir)
    finally:
        if endpoint is not None:
            endpoint.close()


def _stop(procs: list[BaseProcess], config: Config, code: int, metrics_dir: str) -> int:
    """SIGTERM every live worker, wait out the grace, kill stragglers."""
    for p in procs:
        if p.exitcode is None and p.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + config.grace + 5.0
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.exitcode is None:
            LOGGER.error(
                "worker did not drain in time; killing", extra={"worker_pid": p.pid}
            )
            p.kill()
            p.join()
        if p.exitcode != 0:
            code = code or 1
        if metrics_dir and p.pid is not None:
            from protoctl_server import metrics

            metrics.mark_process_dead(p.pid)
    LOGGER.info("stopped", extra={"exit_code": code})
    return code
