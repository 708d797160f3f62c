"""The interceptor every call goes through, in a sync and an aio flavour.

For each call it: counts it started and in flight; reads the caller's W3C
trace context; with an auth :class:`.auth.Verifier`, checks the call's
token (a rejection ends the call with its status, logged at warning with
the reason, never the token) and makes the principal current for the
handler; runs the handler; turns a raised exception into the client's
status (:func:`.errors.from_exception`; anything unmapped becomes UNKNOWN
with a generic message, the traceback logged only); then records the
status code and duration and logs one line (with the caller's subject).
Only the trace headers are read from the metadata for the log; the
authorization value is never logged.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar, cast

import grpc
from grpc import aio

from protoctl_server import auth, errors, trace
from protoctl_server.contexts import MetadataPairs
from protoctl_server.log import LOGGER
from protoctl_server.metrics import Series, series


class Call:
    """One call being observed."""

    __slots__ = (
        "_done",
        "_metadata",
        "_series",
        "_start",
        "_trace",
        "method",
        "subject",
    )

    def __init__(self, method: str, s: Series, metadata: MetadataPairs | None) -> None:
        self.method = method
        self._metadata = metadata
        self._series = s
        self._trace: trace.TraceContext | None = None
        self._start = time.perf_counter()
        self._done = False
        self.subject = ""
        self._series.started.inc()
        self._series.in_flight.inc()

    @property
    def trace(self) -> trace.TraceContext:
        """The caller's trace context, read from the metadata when first
        needed (only logged calls need it)."""
        if self._trace is None:
            self._trace = trace.from_metadata(self._metadata)
        return self._trace

    def finish(
        self,
        code: grpc.StatusCode,
        exc: BaseException | None = None,
        rejection: tuple[str, str] | None = None,
    ) -> None:
        """Record the call's end once; later calls are ignored. rejection
        is (reason, peer) of a call auth turned away."""
        if self._done:
            return
        self._done = True
        elapsed = time.perf_counter() - self._start
        self._series.in_flight.dec()
        self._series.handled(code.name).inc()
        self._series.latency.observe(elapsed)
        if exc is not None:
            level, msg = logging.ERROR, "unhandled exception"
        elif rejection is not None:
            level, msg = logging.WARNING, "rpc rejected"
        else:
            level, msg = logging.INFO, "rpc"
        if LOGGER.isEnabledFor(level):
            extra: dict[str, object] = {
                "method": self.method,
                "code": code.name,
                "duration_ms": round(elapsed * 1000, 3),
                "trace_id": self.trace.trace_id,
                "span_id": self.trace.parent_id,
                "tracestate": self.trace.tracestate,
            }
            if self.subject:
                extra["subject"] = self.subject
            if rejection is not None:
                extra["reason"], extra["peer"] = rejection
            LOGGER.log(
                level,
                msg,
                exc_info=(type(exc), exc, exc.__traceback__)
                if exc is not None
                else None,
                extra=extra,
            )

    def authenticate(
        self, verifier: auth.Verifier, peer: Callable[[], str]
    ) -> auth.Principal | auth.Rejection | None:
        """The call's principal (None: exempt), or the rejection, finished."""
        try:
            p = verifier.authenticate(self.method, self._metadata)
        except auth.Rejection as r:
            self.finish(r.code, rejection=(r.message, peer()))
            return r
        if p is not None:
            self.subject = p.subject
        return p


def _kind(h: grpc.RpcMethodHandler[Any, Any]) -> str:
    if h.request_streaming:
        return "bidi_stream" if h.response_streaming else "client_stream"
    return "server_stream" if h.response_streaming else "unary"


def _series(method: str, h: grpc.RpcMethodHandler[Any, Any]) -> Series:
    """The metrics of a method's calls."""
    service, _, name = method.lstrip("/").rpartition("/")
    return series((service, name, _kind(h)))


_Req = TypeVar("_Req")
_Resp = TypeVar("_Resp")
# The handler behaviours the interceptors wrap, as they are called.
SyncUnary = Callable[[object, grpc.ServicerContext], object]
SyncStream = Callable[[object, grpc.ServicerContext], Iterator[object]]
AioUnary = Callable[[object, "aio.ServicerContext[Any, Any]"], Awaitable[object]]
AioWriter = Callable[[object, "aio.ServicerContext[Any, Any]"], Awaitable[None]]
AioStream = Callable[[object, "aio.ServicerContext[Any, Any]"], AsyncIterator[object]]


# --- sync -------------------------------------------------------------


def _sync_end_code(context: grpc.ServicerContext) -> grpc.StatusCode:
    code = context.code()  # type: ignore[attr-defined]
    if isinstance(code, grpc.StatusCode):
        return code
    if not context.is_active():
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            return grpc.StatusCode.DEADLINE_EXCEEDED
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.OK


def _sync_fail(call: Call, context: grpc.ServicerContext, exc: Exception) -> None:
    """Finish a call whose handler raised, and abort it (raises)."""
    code = context.code()  # type: ignore[attr-defined]
    if isinstance(code, grpc.StatusCode) and code is not grpc.StatusCode.OK:
        # The handler aborted by itself; grpc already holds the status.
        call.finish(code)
        raise exc
    err = errors.from_exception(exc)
    if err is None:
        call.finish(grpc.StatusCode.UNKNOWN, exc)
        context.abort(grpc.StatusCode.UNKNOWN, errors.GENERIC_MESSAGE)
    existing = context.trailing_metadata() or ()
    context.set_trailing_metadata(err.trailers(tuple(existing)))
    call.finish(err.code)
    context.abort(err.code, err.message)


def _sync_auth(
    call: Call, verifier: auth.Verifier | None, context: grpc.ServicerContext
) -> contextvars.Token[auth.Principal | None] | None:
    """Check the call's token; aborts (raises) on a rejection, else returns
    the binding of the principal to undo when the handler is done."""
    if verifier is None:
        return None
    p = call.authenticate(verifier, context.peer)
    if isinstance(p, auth.Rejection):
        context.abort(p.code, p.message)
    return None if p is None else auth.bind(p)


class SyncObserver(grpc.ServerInterceptor):
    """The interceptor of the thread-pool server; with a verifier, every
    call not exempt needs a valid token.

    The wrapped handler of a method is made once and kept: per call only
    the :class:`Call` is new (its metadata comes from the context)."""

    def __init__(self, verifier: auth.Verifier | None = None) -> None:
        self._verifier = verifier
        self._wrapped: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}

    def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], grpc.RpcMethodHandler[_Req, _Resp] | None
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[_Req, _Resp] | None:
        method = handler_call_details.method
        w = self._wrapped.get(method)
        if w is not None:
            return w
        h = continuation(handler_call_details)
        if h is None:
            return None  # unknown methods are not kept: clients choose them
        w = self._wrap(method, h)
        self._wrapped[method] = w
        return w

    def _wrap(
        self, method: str, h: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        s = _series(method, h)
        verifier = self._verifier

        if not h.response_streaming:
            inner = cast(
                "SyncUnary", h.stream_unary if h.request_streaming else h.unary_unary
            )

            def unary(request: object, context: grpc.ServicerContext) -> object:
                call = Call(method, s, context.invocation_metadata())
                bound = _sync_auth(call, verifier, context)
                try:
                    response = inner(request, context)
                except Exception as exc:
                    _sync_fail(call, context, exc)
                    raise
                finally:
                    if bound is not None:
                        auth.unbind(bound)
                call.finish(_sync_end_code(context))
                return response

            factory = (
                grpc.stream_unary_rpc_method_handler
                if h.request_streaming
                else grpc.unary_unary_rpc_method_handler
            )
            return factory(unary, h.request_deserializer, h.response_serializer)

        inner_stream = cast(
            "SyncStream", h.stream_stream if h.request_streaming else h.unary_stream
        )

        def stream(request: object, context: grpc.ServicerContext) -> Iterator[object]:
            call = Call(method, s, context.invocation_metadata())
            bound = _sync_auth(call, verifier, context)
            try:
                yield from inner_stream(request, context)
            except Exception as exc:
                _sync_fail(call, context, exc)
                raise
            finally:
                if bound is not None:
                    auth.unbind(bound)
                # Reached with no status when the client went away and
                # grpc closed the generator.
                call.finish(_sync_end_code(context))

        sfactory = (
            grpc.stream_stream_rpc_method_handler
            if h.request_streaming
            else grpc.unary_stream_rpc_method_handler
        )
        return sfactory(stream, h.request_deserializer, h.response_serializer)


# --- aio --------------------------------------------------------------


def _aio_end_code(context: aio.ServicerContext[Any, Any]) -> grpc.StatusCode:
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    return grpc.StatusCode.OK


def _aio_cancel_code(context: aio.ServicerContext[Any, Any]) -> grpc.StatusCode:
    remaining = context.time_remaining()
    if remaining is not None and remaining <= 0:
        return grpc.StatusCode.DEADLINE_EXCEEDED
    return grpc.StatusCode.CANCELLED


async def _aio_fail(
    call: Call, context: aio.ServicerContext[Any, Any], exc: Exception
) -> None:
    """Finish a call whose handler raised, and abort it (raises)."""
    if isinstance(exc, aio.AbortError):
        call.finish(_aio_end_code(context))
        raise exc
    err = errors.from_exception(exc)
    if err is None:
        call.finish(grpc.StatusCode.UNKNOWN, exc)
        await context.abort(grpc.StatusCode.UNKNOWN, errors.GENERIC_MESSAGE)
        return
    existing = context.trailing_metadata() or ()
    call.finish(err.code)
    await context.abort(err.code, err.message, err.trailers(tuple(existing)))


async def _aio_auth(
    call: Call,
    verifier: auth.Verifier | None,
    context: aio.ServicerContext[Any, Any],
) -> contextvars.Token[auth.Principal | None] | None:
    """Check the call's token; aborts (raises) on a rejection, else returns
    the binding of the principal to undo when the handler is done."""
    if verifier is None:
        return None
    p = call.authenticate(verifier, context.peer)
    if isinstance(p, auth.Rejection):
        await context.abort(p.code, p.message)
    return None if p is None or isinstance(p, auth.Rejection) else auth.bind(p)


class AioObserver(aio.ServerInterceptor):
    """The interceptor of the grpc.aio server; with a verifier, every call
    not exempt needs a valid token. Wrapped handlers are kept per method,
    as in :class:`SyncObserver`."""

    def __init__(self, verifier: auth.Verifier | None = None) -> None:
        self._verifier = verifier
        self._wrapped: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails],
            Awaitable[grpc.RpcMethodHandler[_Req, _Resp] | None],
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[_Req, _Resp] | None:
        method = handler_call_details.method
        w = self._wrapped.get(method)
        if w is not None:
            return w
        h = await continuation(handler_call_details)
        if h is None:
            return None
        w = self._wrap(method, h)
        self._wrapped[method] = w
        return w

    def _wrap(
        self, method: str, h: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        s = _series(method, h)
        verifier = self._verifier

        if not h.response_streaming:
            inner = cast(
                "AioUnary", h.stream_unary if h.request_streaming else h.unary_unary
            )

            async def unary(
                request: object, context: aio.ServicerContext[Any, Any]
            ) -> object:
                call = Call(method, s, context.invocation_metadata())
                bound = await _aio_auth(call, verifier, context)
                try:
                    response = await inner(request, context)
                except asyncio.CancelledError:
                    call.finish(_aio_cancel_code(context))
                    raise
                except Exception as exc:
                    await _aio_fail(call, context, exc)
                    raise
                finally:
                    if bound is not None:
                        auth.unbind(bound)
                call.finish(_aio_end_code(context))
                return response

            factory = (
                grpc.stream_unary_rpc_method_handler
                if h.request_streaming
                else grpc.unary_unary_rpc_method_handler
            )
            return factory(unary, h.request_deserializer, h.response_serializer)

        raw = h.stream_stream if h.request_streaming else h.unary_stream
        sfactory = (
            grpc.stream_stream_rpc_method_handler
            if h.request_streaming
            else grpc.unary_stream_rpc_method_handler
        )
        if not inspect.isasyncgenfunction(raw):
            # A coroutine that writes with context.write (aio health Watch).
            inner_writer = cast("AioWriter", raw)

            async def writer(
                request: object, context: aio.ServicerContext[Any, Any]
            ) -> None:
                call = Call(method, s, context.invocation_metadata())
                bound = await _aio_auth(call, verifier, context)
                try:
                    await inner_writer(request, context)
                except asyncio.CancelledError:
                    call.finish(_aio_cancel_code(context))
                    raise
                except Exception as exc:
                    await _aio_fail(call, context, exc)
                    raise
                finally:
                    if bound is not None:
                        auth.unbind(bound)
                call.finish(_aio_end_code(context))

            return sfactory(writer, h.request_deserializer, h.response_serializer)

        inner_stream = cast("AioStream", raw)

        async def stream(
            request: object, context: aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[object]:
            call = Call(method, s, context.invocation_metadata())
            bound = await _aio_auth(call, verifier, context)
            try:
                async for response in inner_stream(request, context):
                    yield response
            except (asyncio.CancelledError, GeneratorExit):
                call.finish(_aio_cancel_code(context))
                raise
            except Exception as exc:
                await _aio_fail(call, context, exc)
                raise
            finally:
                if bound is not None:
                    auth.unbind(bound)
            call.finish(_aio_end_code(context))

        return sfactory(stream, h.request_deserializer, h.response_serializer)
