"""Tests of the Python conformance testee: framing, answers, and a round trip
through the real process over stdin/stdout."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

from contractpb.conformance import conformance_pb2
from contractpb.protoctl.testing.v1 import all_types_pb2
from protoctl_conformance import testee

SRC = Path(__file__).resolve().parent.parent / "src"
ALL_TYPES = "protoctl.testing.v1.AllTypes"


def frame(data: bytes) -> bytes:
    return struct.pack("<I", len(data)) + data


def request(**kwargs: object) -> conformance_pb2.ConformanceRequest:
    return conformance_pb2.ConformanceRequest(**kwargs)  # type: ignore[arg-type]


def test_frames_splits_complete_frames_and_keeps_the_rest() -> None:
    buf = bytearray(frame(b"a") + frame(b"") + frame(b"xyz")[:5])
    assert list(testee.frames(buf)) == [b"a", b""]
    assert bytes(buf) == frame(b"xyz")[:5]
    buf += frame(b"xyz")[5:]
    assert list(testee.frames(buf)) == [b"xyz"]
    assert buf == bytearray()


def test_garbage_request_is_a_runtime_error() -> None:
    out = b"".join(testee.respond(b"\xff\xff not a request"))
    (n,) = struct.unpack_from("<I", out)
    resp = conformance_pb2.ConformanceResponse.FromString(out[4 : 4 + n])
    assert resp.WhichOneof("result") == "runtime_error"


def test_unknown_type_is_a_runtime_error() -> None:
    resp = testee.answer(request(message_type="no.such.Type", json_payload="{}"))
    assert resp.WhichOneof("result") == "runtime_error"


def test_bad_json_is_a_parse_error() -> None:
    testee.import_generated()
    req = request(
        message_type=ALL_TYPES,
        json_payload='{"singularInt32": "x"}',
        requested_output_format=conformance_pb2.PROTOBUF,
    )
    assert testee.answer(req).WhichOneof("result") == "parse_error"


def test_ignore_unknown_json_fields() -> None:
    testee.import_generated()
    req = request(
        message_type=ALL_TYPES,
        json_payload='{"nope": 1, "singularInt32": 5}',
        requested_output_format=conformance_pb2.PROTOBUF,
        test_category=conformance_pb2.JSON_IGNORE_UNKNOWN_PARSING_TEST,
    )
    resp = testee.answer(req)
    assert resp.protobuf_payload == b"\x08\x05"
    req.test_category = conformance_pb2.JSON_TEST
    assert testee.answer(req).WhichOneof("result") == "parse_error"


def test_process_round_trip() -> None:
    msg = all_types_pb2.AllTypes(singular_int32=7, map_int32_int32={2: 1, 1: 2})
    reqs = [
        request(
            message_type="conformance.FailureSet",
            protobuf_payload=b"",
            requested_output_format=conformance_pb2.PROTOBUF,
        ),
        request(
            message_type=ALL_TYPES,
            protobuf_payload=msg.SerializeToString(),
            requested_output_format=conformance_pb2.PROTOBUF,
        ),
        request(
            message_type=ALL_TYPES,
            protobuf_payload=msg.SerializeToString(),
            requested_output_format=conformance_pb2.JSON,
        ),
    ]
    stdin = b"".join(frame(r.SerializeToString()) for r in reqs)
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.run(
        [sys.executable, "-m", "protoctl_conformance.testee"],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    buf = bytearray(proc.stdout)
    resps = [
        conformance_pb2.ConformanceResponse.FromString(f) for f in testee.frames(buf)
    ]
    assert buf == bytearray()
    assert [r.WhichOneof("result") for r in resps] == [
        "protobuf_payload",
        "protobuf_payload",
        "json_payload",
    ]
    assert resps[1].protobuf_payload == msg.SerializeToString(deterministic=True)
    back = all_types_pb2.AllTypes.FromString(resps[1].protobuf_payload)
    assert back == msg
    assert '"singularInt32": 7' in resps[2].json_payload


def test_versions_name_the_runtime_and_backend() -> None:
    v = testee.versions()
    assert v["backend"] in ("upb", "cpp", "python")
    assert v["protobuf"][0].isdigit()
    assert v["python"].count(".") == 2


def test_large_frame_is_answered_whole() -> None:
    testee.import_generated()
    big = all_types_pb2.AllTypes(singular_bytes=b"\xa5" * (3 << 20))
    req = request(
        message_type=ALL_TYPES,
        protobuf_payload=big.SerializeToString(),
        requested_output_format=conformance_pb2.PROTOBUF,
    )
    r, w = os.pipe()
    r2, w2 = os.pipe()
    data = frame(req.SerializeToString())
    pid = os.fork()
    if pid == 0:  # the child feeds the request in pieces, then EOF
        os.close(r)
        for i in range(0, len(data), 1 << 16):
            os.write(w, data[i : i + (1 << 16)])
        os._exit(0)
    os.close(w)
    out = bytearray()
    child = os.fork()
    if child == 0:
        os.close(r2)
        testee.serve(r, w2)
        os._exit(0)
    os.close(w2)
    while chunk := os.read(r2, 1 << 20):
        out += chunk
    os.waitpid(pid, 0)
    os.waitpid(child, 0)
    (n,) = struct.unpack_from("<I", out)
    assert len(out) == 4 + n
    resp = conformance_pb2.ConformanceResponse.FromString(bytes(out[4:]))
    assert resp.protobuf_payload == big.SerializeToString()
