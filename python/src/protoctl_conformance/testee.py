"""protoctl's Python conformance testee.

It speaks the protobuf conformance protocol on stdin/stdout: a 4-byte
little-endian length and a ``conformance.ConformanceRequest`` in, the same
framing with a ``ConformanceResponse`` out, until EOF. Message types come from
the generated ``contractpb`` package (the code under test) and from a
FileDescriptorSet given with ``--descriptor-set`` (dynamic messages built by
``message_factory``), so the upstream conformance runner can drive it too.

Run it as ``python -m protoctl_conformance.testee`` with ``python/src`` on
``PYTHONPATH``. It never crashes on bad input: a payload that does not parse is
a ``parse_error``, anything else that goes wrong is a ``runtime_error``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import os
import pkgutil
import platform
import struct
import sys
from collections.abc import Iterator

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    json_format,
    message_factory,
    text_format,
)
from google.protobuf.message import Message

from contractpb.conformance import conformance_pb2

FAILURE_SET = "conformance.FailureSet"


def import_generated(package: str = "contractpb") -> list[str]:
    """Import every generated ``*_pb2`` module of package, registering its
    types in the default descriptor pool; returns the module names."""
    root = importlib.import_module(package)
    names = []
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if info.name.endswith("_pb2"):
            importlib.import_module(info.name)
            names.append(info.name)
    return names


def dump_descriptors(modules: list[str]) -> bytes:
    """Serialize the files of the imported generated modules as a
    FileDescriptorSet (the drift check compares it with the Go side's)."""
    fds = descriptor_pb2.FileDescriptorSet()
    for name in sorted(modules):
        module = importlib.import_module(name)
        module.DESCRIPTOR.CopyToProto(fds.file.add())
    return fds.SerializeToString(deterministic=True)


def versions() -> dict[str, str]:
    """The versions of the Python runtime, the protobuf runtime and its
    backend, and grpcio (when installed), by distribution name."""
    from google.protobuf.internal import api_implementation

    out = {
        "python": platform.python_version(),
        "backend": api_implementation.Type(),
    }
    for dist in ("protobuf", "grpcio"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def load_descriptor_set(path: str) -> None:
    """Add the files of a serialized FileDescriptorSet to the default pool,
    skipping files the generated code already registered."""
    with open(path, "rb") as f:
        fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.Default()
    for fdp in fds.file:
        try:
            pool.FindFileByName(fdp.name)
        except KeyError:
            pool.Add(fdp)


def message_class(name: str) -> type[Message]:
    desc = descriptor_pool.Default().FindMessageTypeByName(name)
    return message_factory.GetMessageClass(desc)


def answer(
    req: conformance_pb2.ConformanceRequest,
) -> conformance_pb2.ConformanceResponse:
    """Compute the Python runtime's response to one request."""
    resp = conformance_pb2.ConformanceResponse()
    try:
        cls = message_class(req.message_type)
    except KeyError:
        resp.runtime_error = f"unknown message type {req.message_type!r}"
        return resp
    msg = cls()
    kind = req.WhichOneof("payload")
    if kind in ("jspb_payload",) or req.requested_output_format == conformance_pb2.JSPB:
        resp.skipped = "jspb is not supported"
        return resp
    try:
        if kind == "protobuf_payload":
            msg.ParseFromString(req.protobuf_payload)
        elif kind == "json_payload":
            ignore = (
                req.test_category == conformance_pb2.JSON_IGNORE_UNKNOWN_PARSING_TEST
            )
            json_format.Parse(req.json_payload, msg, ignore_unknown_fields=ignore)
        elif kind == "text_payload":
            text_format.Parse(req.text_payload, msg)
        else:
            resp.runtime_error = "request has no payload"
            return resp
    except Exception as e:  # noqa: BLE001 - every parse failure is an answer
        resp.parse_error = f"{type(e).__name__}: {e}"
        return resp
    try:
        fmt = req.requested_output_format
        if fmt == conformance_pb2.PROTOBUF:
            resp.protobuf_payload = msg.SerializeToString(deterministic=True)
        elif fmt == conformance_pb2.JSON:
            resp.json_payload = json_format.MessageToJson(msg, indent=None)
        elif fmt == conformance_pb2.TEXT_FORMAT:
            resp.text_payload = text_format.MessageToString(
                msg, print_unknown_fields=req.print_unknown_fields
            )
        else:
            resp.runtime_error = f"unknown requested output format {fmt}"
    except Exception as e:  # noqa: BLE001 - every serialize failure is an answer
        resp.serialize_error = f"{type(e).__name__}: {e}"
    return resp


def frames(buf: bytearray) -> Iterator[bytes]:
    """Yield the complete frames at the start of buf, removing them."""
    start = 0
    try:
        while len(buf) - start >= 4:
            (n,) = struct.unpack_from("<I", buf, start)
            if len(buf) - start < 4 + n:
                return
            with memoryview(buf) as view:
                frame = bytes(view[start + 4 : start + 4 + n])
            start += 4 + n
            yield frame
    finally:
        del buf[:start]


def respond(frame: bytes) -> list[bytes]:
    """Answer one framed request, never raising: the length prefix and the
    response, as two parts (so a large response is not copied to join)."""
    try:
        req = conformance_pb2.ConformanceRequest.FromString(frame)
        del frame
        resp = answer(req)
        del req
    except Exception as e:  # noqa: BLE001 - the testee must never crash
        resp = conformance_pb2.ConformanceResponse(
            runtime_error=f"{type(e).__name__}: {e}"
        )
    out = resp.SerializeToString()
    return [struct.pack("<I", len(out)), out]


def write_all(fd: int, parts: list[bytes]) -> None:
    for part in parts:
        view = memoryview(part)
        while view:
            n = os.write(fd, view)
            view = view[n:]


def serve(fd_in: int, fd_out: int) -> None:
    """Answer framed requests from fd_in on fd_out until EOF.

    It reads whatever is available and answers every complete request with
    few writes, so a pipelining driver is served in batches; a large
    response is written as soon as it is ready."""
    buf = bytearray()
    while True:
        chunk = os.read(fd_in, 1 << 20)
        if not chunk:
            if buf:
                sys.stderr.write(f"testee: truncated frame at EOF ({len(buf)} bytes)\n")
            return
        buf += chunk
        del chunk
        pending: list[bytes] = []
        size = 0
        for frame in frames(buf):
            parts = respond(frame)
            del frame
            pending += parts
            size += len(parts[1])
            if size >= 1 << 20:
                write_all(fd_out, pending)
                pending, size = [], 0
        write_all(fd_out, pending)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--descriptor-set",
        "--descriptor_set",
        dest="descriptor_set",
        help="serialized FileDescriptorSet with extra message types",
    )
    parser.add_argument(
        "--package", default="contractpb", help="generated package to import"
    )
    parser.add_argument(
        "--dump-descriptors",
        action="store_true",
        help="write the generated files as a FileDescriptorSet to stdout and exit",
    )
    parser.add_argument(
        "--versions",
        action="store_true",
        help="write the runtime versions as a JSON object to stdout and exit",
    )
    args = parser.parse_args(argv)
    if args.versions:
        print(json.dumps(versions(), sort_keys=True))
        return 0
    modules = import_generated(args.package)
    if args.dump_descriptors:
        sys.stdout.buffer.write(dump_descriptors(modules))
        sys.stdout.flush()
        return 0
    if args.descriptor_set:
        load_descriptor_set(args.descriptor_set)
    serve(sys.stdin.fileno(), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
