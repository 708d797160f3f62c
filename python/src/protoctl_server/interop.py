"""grpc.testing.TestService as the gRPC interop test descriptions ask, so
grpc-go's interop client can test this server (internal/interop).

It echoes x-grpc-test-echo-initial into initial metadata and
x-grpc-test-echo-trailing-bin into trailing metadata, fails with
response_status when one is set, answers payloads of zeros of the asked
sizes, and paces stream responses by interval_us.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import grpc

from interoppb.grpc.testing import empty_pb2, messages_pb2, test_pb2_grpc
from protoctl_server import errors

if TYPE_CHECKING:
    from protoctl_server.contexts import AioContext, Context

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"
SERVICE = "grpc.testing.TestService"


def _echo(
    context: Context,
) -> tuple[tuple[tuple[str, str | bytes], ...], tuple[tuple[str, str | bytes], ...]]:
    """The initial and trailing metadata to echo."""
    initial: list[tuple[str, str | bytes]] = []
    trailing: list[tuple[str, str | bytes]] = []
    for key, value in context.invocation_metadata() or ():
        if key == ECHO_INITIAL:
            initial.append((key, value))
        elif key == ECHO_TRAILING:
            trailing.append((key, value))
    return tuple(initial), tuple(trailing)


def _check(status: messages_pb2.EchoStatus) -> None:
    if status.code != 0:
        raise errors.ServiceError(errors.status_code(status.code), status.message)


def _payload(size: int) -> messages_pb2.Payload:
    return messages_pb2.Payload(type=messages_pb2.COMPRESSABLE, body=bytes(size))


def _unary(request: messages_pb2.SimpleRequest) -> messages_pb2.SimpleResponse:
    _check(request.response_status)
    return messages_pb2.SimpleResponse(payload=_payload(request.response_size))


def _responses(
    params: Sequence[messages_pb2.ResponseParameters],
) -> Iterator[tuple[float, messages_pb2.StreamingOutputCallResponse]]:
    for p in params:
        yield (
            p.interval_us / 1e6,
            messages_pb2.StreamingOutputCallResponse(payload=_payload(p.size)),
        )


class SyncTestService(test_pb2_grpc.TestServiceServicer):
    def _start(self, context: grpc.ServicerContext) -> None:
        initial, trailing = _echo(context)
        if initial:
            context.send_initial_metadata(initial)
        if trailing:
            context.set_trailing_metadata(trailing)

    def EmptyCall(
        self, request: empty_pb2.Empty, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        self._start(context)
        return empty_pb2.Empty()

    def UnaryCall(
        self, request: messages_pb2.SimpleRequest, context: grpc.ServicerContext
    ) -> messages_pb2.SimpleResponse:
        self._start(context)
        return _unary(request)

    def CacheableUnaryCall(
        self, request: messages_pb2.SimpleRequest, context: grpc.ServicerContext
    ) -> messages_pb2.SimpleResponse:
        return self.UnaryCall(request, context)

    def StreamingOutputCall(
        self,
        request: messages_pb2.StreamingOutputCallRequest,
        context: grpc.ServicerContext,
    ) -> Iterator[messages_pb2.StreamingOutputCallResponse]:
        self._start(context)
        _check(request.response_status)
        for delay, resp in _responses(request.response_parameters):
            if delay:
                time.sleep(delay)
            yield resp

    def StreamingInputCall(
        self,
        request_iterator: Iterable[messages_pb2.StreamingInputCallRequest],
        context: grpc.ServicerContext,
    ) -> messages_pb2.StreamingInputCallResponse:
        self._start(context)
        total = sum(len(r.payload.body) for r in request_iterator)
        return messages_pb2.StreamingInputCallResponse(aggregated_payload_size=total)

    def FullDuplexCall(
        self,
        request_iterator: Iterable[messages_pb2.StreamingOutputCallRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[messages_pb2.StreamingOutputCallResponse]:
        self._start(context)
        for request in request_iterator:
            _check(request.response_status)
            for delay, resp in _responses(request.response_parameters):
                if delay:
                    time.sleep(delay)
                yield resp

    def HalfDuplexCall(
        self,
        request_iterator: Iterable[messages_pb2.StreamingOutputCallRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[messages_pb2.StreamingOutputCallResponse]:
        self._start(context)
        requests = list(request_iterator)
        for request in requests:
            _check(request.response_status)
            for _, resp in _responses(request.response_parameters):
                yield resp

    def UnimplementedCall(
        self, request: empty_pb2.Empty, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        raise NotImplementedError


class AioTestService(test_pb2_grpc.TestServiceServicer):
    async def _start(self, context: AioContext) -> None:
        initial, trailing = _echo(context)
        if initial:
            await context.send_initial_metadata(initial)
        if trailing:
            context.set_trailing_metadata(trailing)

    async def EmptyCall(
        self, request: empty_pb2.Empty, context: AioContext
    ) -> empty_pb2.Empty:
        await self._start(context)
        return empty_pb2.Empty()

    async def UnaryCall(
        self, request: messages_pb2.SimpleRequest, context: AioContext
    ) -> messages_pb2.SimpleResponse:
        await self._start(context)
        return _unary(request)

    async def CacheableUnaryCall(
        self, request: messages_pb2.SimpleRequest, context: AioContext
    ) -> messages_pb2.SimpleResponse:
        return await self.UnaryCall(request, context)

    async def StreamingOutputCall(
        self, request: messages_pb2.StreamingOutputCallRequest, context: AioContext
    ) -> AsyncIterator[messages_pb2.StreamingOutputCallResponse]:
        await self._start(context)
        _check(request.response_status)
        for delay, resp in _responses(request.response_parameters):
            if delay:
                await asyncio.sleep(delay)
            yield resp

    async def StreamingInputCall(
        self,
        request_iterator: AsyncIterator[messages_pb2.StreamingInputCallRequest],
        context: AioContext,
    ) -> messages_pb2.StreamingInputCallResponse:
        await self._start(context)
        total = 0
        async for r in request_iterator:
            total += len(r.payload.body)
        return messages_pb2.StreamingInputCallResponse(aggregated_payload_size=total)

    async def FullDuplexCall(
        self,
        request_iterator: AsyncIterator[messages_pb2.StreamingOutputCallRequest],
        context: AioContext,
    ) -> AsyncIterator[messages_pb2.StreamingOutputCallResponse]:
        await self._start(context)
        async for request in request_iterator:
            _check(request.response_status)
            for delay, resp in _responses(request.response_parameters):
                if delay:
                    await asyncio.sleep(delay)
                yield resp

    async def HalfDuplexCall(
        self,
        request_iterator: AsyncIterator[messages_pb2.StreamingOutputCallRequest],
        context: AioContext,
    ) -> AsyncIterator[messages_pb2.StreamingOutputCallResponse]:
        await self._start(context)
        requests = [r async for r in request_iterator]
        for request in requests:
            _check(request.response_status)
            for _, resp in _responses(request.response_parameters):
                yield resp

    async def UnimplementedCall(
        self, request: empty_pb2.Empty, context: AioContext
    ) -> empty_pb2.Empty:
        raise NotImplementedError
