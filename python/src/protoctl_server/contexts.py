"""The servicer context types handlers see: the thread-pool server's, the
grpc.aio server's, and either (for code both modes share)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

import grpc

if TYPE_CHECKING:
    from grpc import aio

    AioContext: TypeAlias = aio.ServicerContext[Any, Any]
    Context: TypeAlias = grpc.ServicerContext | aio.ServicerContext[Any, Any]

# Metadata as grpc hands it over: (key, value) pairs, bytes for -bin keys.
MetadataPairs: TypeAlias = Iterable[tuple[str, str | bytes]]
