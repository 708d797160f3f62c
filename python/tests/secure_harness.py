"""In-process servers of either mode, TLS client channels and a log
collector for the TLS and auth tests (no tests here)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import grpc

from contractpb.protoctl.testing.v1 import behavior_pb2 as bpb
from contractpb.protoctl.testing.v1 import behavior_pb2_grpc as bg
from protoctl_server import Config, create_server
from protoctl_server.log import LOGGER, JSONFormatter
from protoctl_server.server import AioServer, Server, create_aio_server

# Every test channel gets its own connections: grpc would otherwise share a
# subchannel (and its handshake) between channels with equal arguments.
LOCAL_POOL = [("grpc.use_local_subchannel_pool", 1)]


class InProcess:
    """A server of config's mode on 127.0.0.1 in this process; aio servers
    run on an event loop in a background thread."""

    def __init__(self, config: Config) -> None:
        self.config = replace(config, listen="127.0.0.1:0", grace=0.5)
        self._sync: Server | None = None
        self._aio: AioServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        if self.config.mode == "sync":
            self._sync = create_server(self.config)
            self._sync.start()
            self.port, self.health_port = self._sync.port, self._sync.health_port
            return
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, daemon=True)
        self._thread.start()

        async def make() -> AioServer:
            s = create_aio_server(self.config)
            await s.start()
            return s

        self._aio = asyncio.run_coroutine_threadsafe(make(), loop).result(10)
        self.port, self.health_port = self._aio.port, self._aio.health_port

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def set_not_serving(self) -> None:
        if self._sync is not None:
            self._sync.set_not_serving()
        elif self._aio is not None and self._loop is not None:
            asyncio.run_coroutine_threadsafe(
                self._aio.set_not_serving(), self._loop
            ).result(5)

    def stop(self) -> None:
        if self._sync is not None:
            self._sync.drain(0)
            return
        assert self._aio is not None and self._loop is not None
        asyncio.run_coroutine_threadsafe(self._aio.drain(0), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        self._loop.close()


def tls_channel(
    addr: str,
    root: bytes,
    cert: bytes | None = None,
    key: bytes | None = None,
) -> grpc.Channel:
    creds = grpc.ssl_channel_credentials(
        root_certificates=root, private_key=key, certificate_chain=cert
    )
    return grpc.secure_channel(addr, creds, options=LOCAL_POOL)


def plain_channel(addr: str) -> grpc.Channel:
    return grpc.insecure_channel(addr, options=LOCAL_POOL)


def unary(
    ch: grpc.Channel,
    metadata: Sequence[tuple[str, str | bytes]] = (),
    timeout: float = 5,
) -> bpb.BehaviorResponse:
    resp: bpb.BehaviorResponse = bg.BehaviorServiceStub(ch).Unary(
        bpb.BehaviorRequest(payload=b"ping"), metadata=tuple(metadata), timeout=timeout
    )
    return resp


def code_of(
    fn: Callable[..., object], *args: object, **kwargs: object
) -> tuple[grpc.StatusCode, str]:
    """The status code and message of a call that must fail."""
    try:
        fn(*args, **kwargs)
    except grpc.RpcError as e:
        return e.code(), str(e.details())
    raise AssertionError("the call succeeded")


class Records(logging.Handler):
    """Collects the server's log records (and their JSON lines)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock2:
            self.records.append(record)

    def lines(self) -> list[dict[str, Any]]:
        f = JSONFormatter()
        with self._lock2:
            return [json.loads(f.format(r)) for r in self.records]

    def text(self) -> str:
        f = JSONFormatter()
        with self._lock2:
            return "\n".join(f.format(r) for r in self.records)

    def find(self, msg: str) -> list[dict[str, Any]]:
        return [x for x in self.lines() if x["msg"] == msg]


def collect_logs() -> Iterator[Records]:
    """Attach a collector to the server's logger for the duration."""
    h = Records()
    old_level, old_prop = LOGGER.level, LOGGER.propagate
    LOGGER.addHandler(h)
    LOGGER.setLevel(logging.INFO)
    try:
        yield h
    finally:
        LOGGER.removeHandler(h)
        LOGGER.setLevel(old_level)
        LOGGER.propagate = old_prop
