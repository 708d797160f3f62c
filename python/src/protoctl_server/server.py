"""One worker: a gRPC server with every service, health and reflection.

:func:`create_server` builds a thread-pool server (:class:`Server`) and
:func:`create_aio_server` a grpc.aio one (:class:`AioServer`); both bind
at once (port 0 picks a free port) and serve after ``start``. :func:`serve`
runs one worker of either mode until SIGTERM or SIGINT, then drains:
health turns NOT_SERVING, new calls are refused, calls in flight get the
configured grace, and it returns 0.

The port speaks TLS or mTLS (:mod:`.tls`, certificates followed as they
rotate) unless the config asks for plaintext; with ``health_listen`` a
second, plaintext server answers grpc.health.v1 only, from the same health
state (Kubernetes gRPC probes cannot speak TLS). With an auth config every
call's token is checked inside the observer (:mod:`.auth`).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from concurrent import futures

import grpc
from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from contractpb.acme.inference.v1 import inference_pb2_grpc
from contractpb.acme.user.v1 import user_pb2_grpc
from contractpb.protoctl.testing.v1 import behavior_pb2_grpc
from interoppb.grpc.testing import test_pb2_grpc
from protoctl_server import auth, behavior, inference, interop, tls, users
from protoctl_server.config import NO_TRANSPORT, Config
from protoctl_server.log import LOGGER
from protoctl_server.observe import AioObserver, SyncObserver

INFERENCE = "acme.inference.v1.Inference"
USERS = "acme.user.v1.UserService"
BEHAVIOR = "protoctl.testing.v1.BehaviorService"
SERVICES = (INFERENCE, USERS, BEHAVIOR, interop.SERVICE)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

Ready = Callable[[int], None]


def _reflect(server: grpc.Server | aio.Server) -> None:
    reflection.enable_server_reflection(
        (*SERVICES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )


def _bind(
    server: grpc.Server | aio.Server,
    address: str,
    credentials: grpc.ServerCredentials | None,
) -> int:
    try:
        if credentials is None:
            port = int(server.add_insecure_port(address))
        else:
            port = int(server.add_secure_port(address, credentials))
    except RuntimeError:
        port = 0
    if port == 0:
        raise OSError(f"cannot listen on {address}: the address is in use or not local")
    return port


def _credentials(config: Config) -> grpc.ServerCredentials | None:
    """The port's TLS credentials; None for an explicit plaintext config."""
    if config.tls is not None:
        if config.plaintext:
            raise ValueError("plaintext and tls are exclusive")
        return tls.Credentials(config.tls).server_credentials()
    if not config.plaintext:
        raise ValueError(NO_TRANSPORT)
    return None


def _verifier(config: Config) -> auth.Verifier | None:
    return None if config.auth is None else auth.Verifier(config.auth)


def _health_options(config: Config) -> list[tuple[str, int]]:
    return [o for o in config.channel_options() if not o[0].startswith("grpc.max_conn")]


class Server:
    """A thread-pool server of every service, bound and not yet started."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.observations = behavior.Observations()
        credentials = _credentials(config)
        self.verifier = _verifier(config)
        self._server = grpc.server(
            futures.ThreadPoolExecutor(
                max_workers=config.threads, thread_name_prefix="rpc"
            ),
            interceptors=[SyncObserver(self.verifier)],
            options=config.channel_options(),
            maximum_concurrent_rpcs=config.max_concurrent_rpcs or None,
        )
        inference_pb2_grpc.add_InferenceServicer_to_server(
            inference.SyncInference(), self._server
        )
        user_pb2_grpc.add_UserServiceServicer_to_server(users.SyncUsers(), self._server)
        behavior_pb2_grpc.add_BehaviorServiceServicer_to_server(
            behavior.SyncBehavior(self.observations), self._server
        )
        test_pb2_grpc.add_TestServiceServicer_to_server(
            interop.SyncTestService(), self._server
        )
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        _reflect(self._server)
        self.port = _bind(self._server, config.listen, credentials)
        self.health_port = 0
        self._health_server: grpc.Server | None = None
        if config.health_listen:
            self._health_server = grpc.server(
                futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="health"),
                interceptors=[SyncObserver()],
                options=_health_options(config),
            )
            health_pb2_grpc.add_HealthServicer_to_server(
                self.health, self._health_server
            )
            self.health_port = _bind(self._health_server, config.health_listen, None)

    def start(self) -> None:
        """Serve, and report SERVING for the server ("") and each service."""
        self._server.start()
        if self._health_server is not None:
            self._health_server.start()
        for name in ("", *SERVICES):
            self.health.set(name, SERVING)

    def set_not_serving(self) -> None:
        """Report NOT_SERVING everywhere, for good (the first drain step)."""
        self.health.enter_graceful_shutdown()

    def drain(self, grace: float | None = None) -> None:
        """NOT_SERVING, refuse new calls, give calls in flight grace seconds."""
        self.set_not_serving()
        self._server.stop(self.config.grace if grace is None else grace).wait()
        # Probes saw NOT_SERVING for the whole drain.
        if self._health_server is not None:
            self._health_server.stop(0).wait()


def create_server(config: Config) -> Server:
    """A thread-pool server of every service, bound to config.listen."""
    return Server(config)


class AioServer:
    """A grpc.aio server of every service; create it inside the event loop."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.observations = behavior.Observations()
        credentials = _credentials(config)
        self.verifier = _verifier(config)
        self._server = aio.server(
            interceptors=[AioObserver(self.verifier)],
            options=config.channel_options(),
            maximum_concurrent_rpcs=config.max_concurrent_rpcs or None,
        )
        inference_pb2_grpc.add_InferenceServicer_to_server(
            inference.AioInference(), self._server
        )
        user_pb2_grpc.add_UserServiceServicer_to_server(users.AioUsers(), self._server)
        behavior_pb2_grpc.add_BehaviorServiceServicer_to_server(
            behavior.AioBehavior(self.observations), self._server
        )
        test_pb2_grpc.add_TestServiceServicer_to_server(
            interop.AioTestService(), self._server
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        _reflect(self._server)
        self.port = _bind(self._server, config.listen, credentials)
        self.health_port = 0
        self._health_server: aio.Server | None = None
        if config.health_listen:
            self._health_server = aio.server(
                interceptors=[AioObserver()], options=_health_options(config)
            )
            health_pb2_grpc.add_HealthServicer_to_server(
                self.health, self._health_server
            )
            self.health_port = _bind(self._health_server, config.health_listen, None)

    async def start(self) -> None:
        await self._server.start()
        if self._health_server is not None:
            await self._health_server.start()
        for name in ("", *SERVICES):
            await self.health.set(name, SERVING)

    async def set_not_serving(self) -> None:
        await self.health.enter_graceful_shutdown()

    async def drain(self, grace: float | None = None) -> None:
        await self.set_not_serving()
        await self._server.stop(self.config.grace if grace is None else grace)
        if self._health_server is not None:
            await self._health_server.stop(0)


def create_aio_server(config: Config) -> AioServer:
    """A grpc.aio server of every service, bound to config.listen."""
    return AioServer(config)


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def serve(config: Config, ready: Ready | None = None) -> int:
    """Run one worker until SIGTERM or SIGINT, drain, and return 0.

    ready is called with the bound port once the server answers."""
    if config.mode == "aio":
        return asyncio.run(_serve_aio(config, ready))
    return _serve_sync(config, ready)


def _serving(config: Config, port: int, health_port: int) -> dict[str, object]:
    out: dict[str, object] = {
        "port": port,
        "mode": config.mode,
        "tls": config.tls_mode,
        "auth": config.auth_mode,
    }
    if health_port:
        out["health_port"] = health_port
    return out


def _serve_sync(config: Config, ready: Ready | None) -> int:
    stop = threading.Event()
    for sig in _STOP_SIGNALS:
        signal.signal(sig, lambda signum, frame: stop.set())
    server = create_server(config)
    server.start()
    LOGGER.info("serving", extra=_serving(config, server.port, server.health_port))
    if ready is not None:
        ready(server.port)
    while not stop.wait(0.5):
        pass
    LOGGER.info("draining", extra={"grace_s": config.grace})
    server.drain()
    LOGGER.info("stopped")
    return 0


async def _serve_aio(config: Config, ready: Ready | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in _STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    server = create_aio_server(config)
    await server.start()
    LOGGER.info("serving", extra=_serving(config, server.port, server.health_port))
    if ready is not None:
        ready(server.port)
    await stop.wait()
    LOGGER.info("draining", extra={"grace_s": config.grace})
    await server.drain()
    LOGGER.info("stopped")
    return 0
