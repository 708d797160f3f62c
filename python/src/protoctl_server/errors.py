"""Errors a handler raises, and the gRPC statuses they become.

A handler never calls ``context.abort``: it raises :class:`ServiceError`
(or one of the shortcuts below) and the interceptor turns it into the
status, message and google.rpc rich details (``grpc-status-details-bin``)
the client decodes. Any other exception is a bug: the client sees UNKNOWN
with :data:`GENERIC_MESSAGE` and the traceback goes only to the log.
"""

from __future__ import annotations

from collections.abc import Sequence

import google.rpc.error_details_pb2 as error_details_pb2
import google.rpc.status_pb2 as status_pb2
import grpc
from google.protobuf import duration_pb2
from google.protobuf.message import Message

DETAILS_KEY = "grpc-status-details-bin"
GENERIC_MESSAGE = "internal error"

Metadata = tuple[tuple[str, str | bytes], ...]

_BY_NUMBER = {c.value[0]: c for c in grpc.StatusCode}


def status_code(number: int) -> grpc.StatusCode:
    """The status code of a canonical code number (UNKNOWN for others)."""
    return _BY_NUMBER.get(number, grpc.StatusCode.UNKNOWN)


class ServiceError(Exception):
    """A failure the client is meant to see: code, message, rich details."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        details: Sequence[Message] = (),
        *,
        trailing_metadata: Metadata = (),
        details_code: grpc.StatusCode | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = tuple(details)
        self.trailing_metadata = trailing_metadata
        # details_code, when set, is the code written into the packed
        # google.rpc.Status instead of code (only BehaviorService asks for
        # such a mismatch, to test that clients notice).
        self.details_code = details_code

    def trailers(self, existing: Metadata = ()) -> Metadata:
        """Trailing metadata of the status: what the handler set, then the
        packed google.rpc.Status when there are details."""
        md = tuple(existing) + tuple(self.trailing_metadata)
        if not self.details:
            return md
        st = status_pb2.Status(
            code=(self.details_code or self.code).value[0], message=self.message
        )
        for d in self.details:
            st.details.add().Pack(d)
        return md + ((DETAILS_KEY, st.SerializeToString()),)


def bad_request(message: str, violations: Sequence[tuple[str, str]]) -> ServiceError:
    """INVALID_ARGUMENT with google.rpc.BadRequest: a violation per (field, why)."""
    br = error_details_pb2.BadRequest()
    for field, description in violations:
        br.field_violations.add(field=field, description=description)
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, message, [br])


def not_found(
    message: str, resource_type: str, resource_name: str, reason: str, domain: str
) -> ServiceError:
    """NOT_FOUND with google.rpc.ResourceInfo and ErrorInfo."""
    info = error_details_pb2.ResourceInfo(
        resource_type=resource_type, resource_name=resource_name
    )
    ei = error_details_pb2.ErrorInfo(
        reason=reason, domain=domain, metadata={"id": resource_name}
    )
    return ServiceError(grpc.StatusCode.NOT_FOUND, message, [ei, info])


def unavailable(message: str, retry_after_ms: int) -> ServiceError:
    """UNAVAILABLE with google.rpc.RetryInfo."""
    delay = duration_pb2.Duration()
    delay.FromMilliseconds(retry_after_ms)
    return ServiceError(
        grpc.StatusCode.UNAVAILABLE,
        message,
        [error_details_pb2.RetryInfo(retry_delay=delay)],
    )


def from_exception(exc: BaseException) -> ServiceError | None:
    """The client-visible error of an exception, or None when it is a bug.

    Only ServiceError and NotImplementedError carry meaning; their text
    is meant for the client. Everything else maps to None (UNKNOWN with a
    generic message)."""
    if isinstance(exc, ServiceError):
        return exc
    if isinstance(exc, NotImplementedError):
        return ServiceError(grpc.StatusCode.UNIMPLEMENTED, "method not implemented")
    return None
