"""The reference server as a process: drain on SIGTERM, several workers,
metrics, health on drain, settings."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from test_server_harness import SRC, free_port, start

from contractpb.protoctl.testing.v1 import behavior_pb2 as bpb
from contractpb.protoctl.testing.v1 import behavior_pb2_grpc as bg
from protoctl_server import Config, create_server, errors, trace
from protoctl_server.config import MIN_PING_INTERVAL_WITHOUT_DATA_MS, parse_args


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return str(r.read().decode())


def sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    found = False
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
            found = True
    assert found, f"no {name} {labels} in:\n{text}"
    return total


@pytest.mark.parametrize(("mode", "workers"), [("aio", 1), ("sync", 1), ("aio", 2)])
def test_sigterm_drains_in_flight_call(mode: str, workers: int) -> None:
    s = start(mode, workers, "--grace", "10")
    result: dict[str, object] = {}

    def slow() -> None:
        with grpc.insecure_channel(s.addr) as ch:
            try:
                result["resp"] = bg.BehaviorServiceStub(ch).Unary(
                    bpb.BehaviorRequest(sleep_ms=1500, payload=b"done"), timeout=10
                )
            except grpc.RpcError as e:
                result["err"] = e

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.5)  # the call is in its handler
    started = time.monotonic()
    code = s.stop()
    t.join(10)
    assert code == 0, s.log()
    assert "err" not in result, result.get("err")
    resp = result["resp"]
    assert isinstance(resp, bpb.BehaviorResponse) and resp.payload == b"done"
    assert time.monotonic() - started < 8, "drain waited for more than the call"
    s.wait_for_log('"msg": "draining"')


def test_workers_share_the_port_and_metrics() -> None:
    metrics_port = free_port()
    s = start("aio", 2, "--metrics-port", str(metrics_port))
    try:
        pids = set()
        # 16 connections, each hashed to one worker; a local subchannel
        # pool keeps grpc from reusing one connection across channels.
        local = [("grpc.use_local_subchannel_pool", 1)]
        for _ in range(16):
            with grpc.insecure_channel(s.addr, options=local) as ch:
                pids.add(
                    bg.BehaviorServiceStub(ch)
                    .Unary(bpb.BehaviorRequest(), timeout=5)
                    .server_pid
                )
        assert len(pids) == 2 and s.pid not in pids, (pids, s.log())
        text = scrape(metrics_port)
        labels = {
            "grpc_service": "protoctl.testing.v1.BehaviorService",
            "grpc_method": "Unary",
        }
        assert sample(text, "grpc_server_handled_total", grpc_code="OK", **labels) == 16
        assert sample(text, "grpc_server_started_total", **labels) == 16
        assert sample(text, "grpc_server_handling_seconds_count", **labels) == 16
        assert sample(text, "grpc_server_in_flight", **labels) == 0
    finally:
        assert s.stop() == 0, s.log()


def test_metrics_single_worker_counts_codes() -> None:
    metrics_port = free_port()
    s = start("sync", 1, "--metrics-port", str(metrics_port))
    try:
        with grpc.insecure_channel(s.addr) as ch:
            stub = bg.BehaviorServiceStub(ch)
            stub.Unary(bpb.BehaviorRequest(), timeout=5)
            for _ in range(2):
                with pytest.raises(grpc.RpcError):
                    stub.Unary(
                        bpb.BehaviorRequest(status=bpb.StatusSpec(code=5, message="x")),
                        timeout=5,
                    )
        text = scrape(metrics_port)
        labels = {"grpc_method": "Unary", "grpc_type": "unary"}
        assert (
            sample(text, "grpc_server_handled_total", grpc_code="NOT_FOUND", **labels)
            == 2
        )
        assert sample(text, "grpc_server_handled_total", grpc_code="OK", **labels) == 1
        assert 'le="0.005"' in text
    finally:
        assert s.stop() == 0, s.log()


def test_health_not_serving_on_drain() -> None:
    server = create_server(Config(listen="127.0.0.1:0", grace=1, plaintext=True))
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as ch:
            health: Any = health_pb2_grpc.HealthStub(ch)  # stubs lack Check
            req = health_pb2.HealthCheckRequest(service="")
            assert (
                health.Check(req, timeout=5).status
                == health_pb2.HealthCheckResponse.SERVING
            )
            server.set_not_serving()
            assert (
                health.Check(req, timeout=5).status
                == health_pb2.HealthCheckResponse.NOT_SERVING
            )
            svc = health_pb2.HealthCheckRequest(service="acme.user.v1.UserService")
            assert (
                health.Check(svc, timeout=5).status
                == health_pb2.HealthCheckResponse.NOT_SERVING
            )
    finally:
        server.drain()


def test_second_single_worker_cannot_take_the_port() -> None:
    s = start("aio", 1)
    try:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "protoctl_server",
                "--listen",
                s.addr,
                "--workers",
                "1",
                "--plaintext",
            ],
            env={"PYTHONPATH": str(SRC)},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 1, out.stderr
        assert "protoctl-server:" in out.stderr
    finally:
        assert s.stop() == 0


@pytest.mark.parametrize(
    ("args", "want"),
    [
        (["--listen", "nope"], "want HOST:PORT"),
        (["--workers", "0"], "want a positive number"),
        (["--mode", "fast"], "invalid choice"),
        (["--grace", "-1"], "want 0 or more"),
    ],
)
def test_bad_flags(args: list[str], want: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "protoctl_server", "--plaintext", *args],
        env={"PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2 and want in out.stderr, out.stderr


def test_channel_options() -> None:
    c = parse_args(
        [
            "--plaintext",
            "--workers",
            "3",
            "--max-connection-age",
            "300",
            "--grace",
            "15",
            "--max-send-bytes",
            "1024",
        ]
    )
    opts = dict(c.channel_options())
    assert opts["grpc.so_reuseport"] == 1
    assert opts["grpc.keepalive_permit_without_calls"] == 1
    assert (
        opts["grpc.http2.min_ping_interval_without_data_ms"]
        == MIN_PING_INTERVAL_WITHOUT_DATA_MS
    )
    # The Go client pings every 20 s: at least twice the server's minimum.
    assert 20_000 >= 2 * MIN_PING_INTERVAL_WITHOUT_DATA_MS
    assert (
        opts["grpc.max_connection_age_ms"],
        opts["grpc.max_connection_age_grace_ms"],
    ) == (300_000, 15_000)
    assert opts["grpc.max_send_message_length"] == 1024
    assert (
        dict(parse_args(["--plaintext", "--workers", "1"]).channel_options())[
            "grpc.so_reuseport"
        ]
        == 0
    )
    assert "grpc.max_connection_age_ms" not in dict(
        parse_args(["--plaintext"]).channel_options()
    )


@pytest.mark.parametrize(
    ("header", "want"),
    [
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ("4bf92f3577b34da6a3ce929d0e0e4736", True),
        ),
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
            ("4bf92f3577b34da6a3ce929d0e0e4736", False),
        ),
        (
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            ("4bf92f3577b34da6a3ce929d0e0e4736", True),
        ),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", None),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", None),
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", None),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", None),
        ("garbage", None),
    ],
)
def test_traceparent(header: str, want: tuple[str, bool] | None) -> None:
    got = trace.parse_traceparent(header)
    assert (None if got is None else (got.trace_id, got.sampled)) == want


def test_trace_from_metadata() -> None:
    md = (
        ("tracestate", "a=1"),
        ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ("tracestate", "b=2"),
        ("x-bin", b"\x00"),
    )
    got = trace.from_metadata(md)
    assert (got.parent_id, got.tracestate) == ("00f067aa0ba902b7", "a=1,b=2")
    assert trace.from_metadata(None) == trace.TraceContext()


@pytest.mark.parametrize(
    ("exc", "want"),
    [
        (errors.bad_request("m", [("f", "d")]), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.unavailable("busy", 250), grpc.StatusCode.UNAVAILABLE),
        (NotImplementedError("secret"), grpc.StatusCode.UNIMPLEMENTED),
        (KeyError("secret"), None),
        (ValueError("secret"), None),
    ],
)
def test_exception_mapping(exc: Exception, want: grpc.StatusCode | None) -> None:
    got = errors.from_exception(exc)
    assert (None if got is None else got.code) == want
    if got is not None:
        assert "secret" not in got.message


def test_ready_line_format() -> None:
    s = start("sync", 1)
    try:
        line = next(x for x in s.lines if x.startswith("protoctl-server: serving on"))
        assert re.fullmatch(
            rf"protoctl-server: serving on 127\.0\.0\.1:{s.port} "
            rf"workers=1 mode=sync pid={s.proc.pid} tls=off auth=off",
            line,
        )
    finally:
        assert s.stop() == 0


@pytest.mark.parametrize("mode", ["sync", "aio"])
def test_cancelled_calls_are_counted_and_leave_none_in_flight(mode: str) -> None:
    metrics_port = free_port()
    s = start(mode, 1, "--metrics-port", str(metrics_port))
    try:
        with grpc.insecure_channel(s.addr) as ch:
            stub = bg.BehaviorServiceStub(ch)
            stream = stub.ServerStream(
                bpb.BehaviorRequest(response_count=100_000, response_size=1000)
            )
            next(stream)
            stream.cancel()
            bidi = stub.BidiStream(iter([bpb.BehaviorRequest(sleep_ms=3000)]))
            time.sleep(0.3)
            bidi.cancel()
            with pytest.raises(grpc.RpcError):
                stub.Unary(bpb.BehaviorRequest(sleep_ms=3000), timeout=0.2)
        want = {
            ("ServerStream", "CANCELLED"),
            ("BidiStream", "CANCELLED"),
            ("Unary", "DEADLINE_EXCEEDED"),
        }
        deadline = time.monotonic() + 5
        while True:
            text = scrape(metrics_port)
            got = {
                (m, c) for m, c in want if f'grpc_code="{c}",grpc_method="{m}"' in text
            }
            idle = sample(text, "grpc_server_in_flight") == 0
            if (got == want and idle) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert got == want and idle, text
    finally:
        assert s.stop() == 0, s.log()


@pytest.mark.parametrize("mode", ["sync", "aio"])
def test_max_concurrent_rpcs(mode: str) -> None:
    s = start(mode, 1, "--max-concurrent-rpcs", "1")
    try:
        with grpc.insecure_channel(s.addr) as ch:
            stub = bg.BehaviorServiceStub(ch)
            slow = stub.Unary.future(bpb.BehaviorRequest(sleep_ms=1000), timeout=5)
            time.sleep(0.3)
            with pytest.raises(grpc.RpcError) as e:
                stub.Unary(bpb.BehaviorRequest(), timeout=5)
            assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert slow.result().server_pid > 0
    finally:
        assert s.stop() == 0, s.log()
