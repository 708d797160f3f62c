"""protoctl.testing.v1.BehaviorService: a server that does what each
request says, so the Go suite can drive every gRPC behaviour through one
schema (see testproto/protoctl/testing/v1/behavior.proto).

Order of work for one request: record the token, set compression and the
trailing metadata, send initial metadata, raise an unhandled exception if
asked, sleep (returning early when the call is cancelled or its deadline
passes), then answer or fail with the requested status. Observations are
kept in this process's memory, so tokens only work with one worker.
(That "token" is the test's tag, not a credential.) Each response carries
the verified JWT subject the handler saw (:func:`.auth.principal`) and,
when asked, the metadata the handler received, minus authorization.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING

import google.rpc.error_details_pb2 as error_details_pb2
import grpc
from google.protobuf import duration_pb2
from google.protobuf.message import Message

from contractpb.protoctl.testing.v1 import behavior_pb2 as pb
from contractpb.protoctl.testing.v1 import behavior_pb2_grpc as pb_grpc
from protoctl_server import auth, errors

if TYPE_CHECKING:
    from protoctl_server.contexts import AioContext, Context

ILLEGAL_TRAILER = ("x-illegal-trailer", "caf\u00e9\r\nvalue")
MAX_OBSERVATIONS = 10_000
NO_DEADLINE_S = 10 * 365 * 86_400.0


class Unhandled(RuntimeError):
    """What raise_unhandled raises: its text must never reach the client."""


class Observations:
    """What handlers saw of the calls tagged with a token (bounded, oldest dropped)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, pb.ObservationResponse] = OrderedDict()

    def start(self, token: str) -> pb.ObservationResponse | None:
        if not token:
            return None
        obs = pb.ObservationResponse(seen=True)
        with self._lock:
            self._seen[token] = obs
            while len(self._seen) > MAX_OBSERVATIONS:
                self._seen.popitem(last=False)
        return obs

    def get(self, token: str) -> pb.ObservationResponse:
        with self._lock:
            obs = self._seen.get(token)
            out = pb.ObservationResponse()
            if obs is not None:
                out.CopyFrom(obs)
            return out

    def update(
        self,
        obs: pb.ObservationResponse | None,
        *,
        cancelled: bool = False,
        finished: bool = False,
    ) -> None:
        if obs is None:
            return
        with self._lock:
            obs.cancelled = obs.cancelled or cancelled
            obs.finished = obs.finished or finished


def pairs(entries: Iterable[pb.MetadataEntry]) -> tuple[tuple[str, str | bytes], ...]:
    """gRPC metadata of MetadataEntry messages: -bin keys carry bytes."""
    return tuple(
        (e.key, e.binary_value if e.key.endswith("-bin") else e.value) for e in entries
    )


def entries(
    metadata: Iterable[tuple[str, str | bytes]] | None,
) -> list[pb.MetadataEntry]:
    out = []
    for key, value in metadata or ():
        if isinstance(value, bytes):
            out.append(pb.MetadataEntry(key=key, binary_value=value))
        else:
            out.append(pb.MetadataEntry(key=key, value=value))
    return out


def _detail(d: pb.DetailSpec) -> Message:
    kind = d.WhichOneof("kind")
    if kind == "bad_request":
        br = error_details_pb2.BadRequest()
        br.field_violations.add(
            field=d.bad_request.field, description=d.bad_request.description
        )
        return br
    if kind == "error_info":
        return error_details_pb2.ErrorInfo(
            reason=d.error_info.reason,
            domain=d.error_info.domain,
            metadata=dict(d.error_info.metadata),
        )
    delay = duration_pb2.Duration()
    delay.FromMilliseconds(d.retry_delay_ms)
    return error_details_pb2.RetryInfo(retry_delay=delay)


def failure(req: pb.BehaviorRequest) -> errors.ServiceError | None:
    """The error the request asks for, or None."""
    if not req.HasField("status") or req.status.code == 0:
        return None
    code = errors.status_code(req.status.code)
    mismatch = None
    if req.status.mismatched_code:
        mismatch = (
            grpc.StatusCode.INTERNAL
            if code is not grpc.StatusCode.INTERNAL
            else grpc.StatusCode.UNKNOWN
        )
    return errors.ServiceError(
        code,
        req.status.message,
        [_detail(d) for d in req.status.details],
        details_code=mismatch,
    )


def response(
    req: pb.BehaviorRequest,
    context: Context,
    sequence: int = 0,
    received_count: int = 0,
) -> pb.BehaviorResponse:
    remaining: float | None = context.time_remaining()
    if remaining is not None and remaining > NO_DEADLINE_S:
        remaining = None  # the sync server reports "no deadline" as ~2^63 ns
    out = pb.BehaviorResponse(
        payload=bytes(req.response_size) if req.response_size > 0 else req.payload,
        deadline_remaining_ms=-1.0 if remaining is None else remaining * 1000.0,
        sequence=sequence,
        received_count=received_count,
        server_pid=os.getpid(),
    )
    p = auth.principal()
    if p is not None:
        out.subject = p.subject
    if req.echo_metadata:
        # The caller's credentials are never echoed back.
        md = context.invocation_metadata() or ()
        out.received_metadata.extend(
            entries(kv for kv in md if kv[0] != "authorization")
        )
    return out


def _prepare(
    req: pb.BehaviorRequest, context: Context
) -> tuple[tuple[str, str | bytes], ...]:
    """Compression and trailing metadata; returns the initial metadata to send."""
    if req.compress_response:
        context.set_compression(grpc.Compression.Gzip)
    trailing = pairs(req.trailing_metadata)
    if req.illegal_trailer:
        trailing += (ILLEGAL_TRAILER,)
    if trailing:
        context.set_trailing_metadata(trailing)
    return pairs(req.initial_metadata)


class SyncBehavior(pb_grpc.BehaviorServiceServicer):
    def __init__(self, observations: Observations) -> None:
        self.observations = observations

    def _begin(self, req: pb.BehaviorRequest, context: grpc.ServicerContext) -> bool:
        """Everything before the answer; False when the call ended meanwhile."""
        initial = _prepare(req, context)
        if initial:
            context.send_initial_metadata(initial)
        if req.raise_unhandled:
            raise Unhandled("raise_unhandled: internal state secret=42 must not leak")
        if req.sleep_ms > 0:
            done = threading.Event()
            context.add_callback(done.set)
            wait = req.sleep_ms / 1000.0
            remaining = context.time_remaining()
            if remaining is not None:
                wait = min(wait, max(0.0, remaining) + 0.05)
            done.wait(wait)
        return bool(context.is_active())

    def Unary(
        self, request: pb.BehaviorRequest, context: grpc.ServicerContext
    ) -> pb.BehaviorResponse:
        obs = self.observations.start(request.token)
        try:
            if not self._begin(request, context):
                self.observations.update(obs, cancelled=True)
                return pb.BehaviorResponse()
            err = failure(request)
            if err is not None:
                raise err
            return response(request, context, 0, 1)
        finally:
            self.observations.update(obs, finished=True)

    def ServerStream(
        self, request: pb.BehaviorRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.BehaviorResponse]:
        obs = self.observations.start(request.token)
        try:
            if not self._begin(request, context):
                self.observations.update(obs, cancelled=True)
                return
            err = failure(request)
            count = request.response_count or 1
            for i in range(count):
                if err is not None and i >= request.fail_after:
                    raise err
                if not context.is_active():
                    self.observations.update(obs, cancelled=True)
                    return
                yield response(request, context, i, 1)
            if err is not None:
                raise err
        finally:
            self.observations.update(obs, finished=True)

    def ClientStream(
        self,
        request_iterator: Iterable[pb.BehaviorRequest],
        context: grpc.ServicerContext,
    ) -> pb.BehaviorResponse:
        last = pb.BehaviorRequest()
        n = 0
        for req in request_iterator:
            n += 1
            last = req
            err = failure(req)
            if err is not None:
                raise err
        obs = self.observations.start(last.token)
        try:
            if not self._begin(last, context):
                self.observations.update(obs, cancelled=True)
                return pb.BehaviorResponse()
            return response(last, context, 0, n)
        finally:
            self.observations.update(obs, finished=True)

    def BidiStream(
        self,
        request_iterator: Iterable[pb.BehaviorRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[pb.BehaviorResponse]:
        for n, req in enumerate(request_iterator):
            obs = self.observations.start(req.token)
            try:
                if not self._begin(req, context):
                    self.observations.update(obs, cancelled=True)
                    return
                err = failure(req)
                if err is not None:
                    raise err
                yield response(req, context, n, n + 1)
            finally:
                self.observations.update(obs, finished=True)

    def Observation(
        self, request: pb.ObservationRequest, context: grpc.ServicerContext
    ) -> pb.ObservationResponse:
        return self.observations.get(request.token)


class AioBehavior(pb_grpc.BehaviorServiceServicer):
    def __init__(self, observations: Observations) -> None:
        self.observations = observations

    async def _begin(self, req: pb.BehaviorRequest, context: AioContext) -> None:
        """Everything before the answer; CancelledError when the call ends."""
        initial = _prepare(req, context)
        if initial:
            await context.send_initial_metadata(initial)
        if req.raise_unhandled:
            raise Unhandled("raise_unhandled: internal state secret=42 must not leak")
        if req.sleep_ms > 0:
            # grpc.aio cancels the handler's task when the call is cancelled
            # or its deadline passes.
            await asyncio.sleep(req.sleep_ms / 1000.0)

    async def Unary(
        self, request: pb.BehaviorRequest, context: AioContext
    ) -> pb.BehaviorResponse:
        obs = self.observations.start(request.token)
        try:
            await self._begin(request, context)
            err = failure(request)
            if err is not None:
                raise err
            return response(request, context, 0, 1)
        except asyncio.CancelledError:
            self.observations.update(obs, cancelled=True)
            raise
        finally:
            self.observations.update(obs, finished=True)

    async def ServerStream(
        self, request: pb.BehaviorRequest, context: AioContext
    ) -> AsyncIterator[pb.BehaviorResponse]:
        obs = self.observations.start(request.token)
        try:
            await self._begin(request, context)
            err = failure(request)
            for i in range(request.response_count or 1):
                if err is not None and i >= request.fail_after:
                    raise err
                yield response(request, context, i, 1)
            if err is not None:
                raise err
        except (asyncio.CancelledError, GeneratorExit):
            self.observations.update(obs, cancelled=True)
            raise
        finally:
            self.observations.update(obs, finished=True)

    async def ClientStream(
        self, request_iterator: AsyncIterator[pb.BehaviorRequest], context: AioContext
    ) -> pb.BehaviorResponse:
        last = pb.BehaviorRequest()
        n = 0
        async for req in request_iterator:
            n += 1
            last = req
            err = failure(req)
            if err is not None:
                raise err
        obs = self.observations.start(last.token)
        try:
            await self._begin(last, context)
            return response(last, context, 0, n)
        except asyncio.CancelledError:
            self.observations.update(obs, cancelled=True)
            raise
        finally:
            self.observations.update(obs, finished=True)

    async def BidiStream(
        self, request_iterator: AsyncIterator[pb.BehaviorRequest], context: AioContext
    ) -> AsyncIterator[pb.BehaviorResponse]:
        n = 0
        async for req in request_iterator:
            obs = self.observations.start(req.token)
            try:
                await self._begin(req, context)
                err = failure(req)
                if err is not None:
                    raise err
                yield response(req, context, n, n + 1)
            except (asyncio.CancelledError, GeneratorExit):
                self.observations.update(obs, cancelled=True)
                raise
            finally:
                self.observations.update(obs, finished=True)
            n += 1

    async def Observation(
        self, request: pb.ObservationRequest, context: AioContext
    ) -> pb.ObservationResponse:
        return self.observations.get(request.token)
