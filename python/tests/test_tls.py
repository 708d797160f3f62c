"""TLS, mTLS, certificate rotation, the plaintext health listener and the
transport flags, against real servers of both modes on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pki import CA
from secure_harness import (
    InProcess,
    Records,
    code_of,
    plain_channel,
    tls_channel,
    unary,
)
from test_server_harness import start

from protoctl_server import Config, config, tls

MODES = ["sync", "aio"]


def _tls_server(
    tmp: Path,
    mode: str,
    server_ca: CA,
    client_ca: CA | None = None,
    health_listen: str = "",
) -> InProcess:
    cert, key = server_ca.issue("server", server=True).write(tmp, "server")
    ca_path = ""
    if client_ca is not None:
        ca_path = str(tmp / "client-ca.crt")
        Path(ca_path).write_bytes(client_ca.pem)
    settings = tls.Settings(str(cert), str(key), ca_path)
    return InProcess(Config(mode=mode, tls=settings, health_listen=health_listen))


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_tls_serves_and_refuses_plaintext(tmp_path: Path, mode: str, ca: CA) -> None:
    s = _tls_server(tmp_path, mode, ca)
    try:
        with tls_channel(s.addr, ca.pem) as ch:
            resp = unary(ch)
            assert (resp.payload, resp.subject) == (b"ping", "")
        with plain_channel(s.addr) as ch:
            assert code_of(unary, ch)[0] == grpc.StatusCode.UNAVAILABLE
    finally:
        s.stop()


def test_tls_client_with_other_ca_fails(
    tmp_path: Path, mode: str, ca: CA, other_ca: CA
) -> None:
    s = _tls_server(tmp_path, mode, ca)
    try:
        with tls_channel(s.addr, other_ca.pem) as ch:
            assert code_of(unary, ch)[0] == grpc.StatusCode.UNAVAILABLE
    finally:
        s.stop()


def test_mtls(tmp_path: Path, mode: str, ca: CA, other_ca: CA) -> None:
    s = _tls_server(tmp_path, mode, ca, client_ca=ca)
    good = ca.issue("client", server=False)
    foreign = other_ca.issue("intruder", server=False)
    try:
        with tls_channel(s.addr, ca.pem, good.cert, good.key) as ch:
            assert unary(ch).payload == b"ping"
        # No client certificate.
        with tls_channel(s.addr, ca.pem) as ch:
            assert code_of(unary, ch)[0] == grpc.StatusCode.UNAVAILABLE
        # A client certificate from a CA the server does not trust.
        with tls_channel(s.addr, ca.pem, foreign.cert, foreign.key) as ch:
            assert code_of(unary, ch)[0] == grpc.StatusCode.UNAVAILABLE
        # The server is still fine.
        with tls_channel(s.addr, ca.pem, good.cert, good.key) as ch:
            assert unary(ch).payload == b"ping"
    finally:
        s.stop()


def test_rotation_without_restart(
    tmp_path: Path,
    mode: str,
    ca: CA,
    other_ca: CA,
    logs: Records,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tls, "CHECK_INTERVAL_S", 0.05)
    s = _tls_server(tmp_path, mode, ca)
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    try:
        with tls_channel(s.addr, ca.pem) as ch:
            assert unary(ch).payload == b"ping"
            # A half-written certificate: the old set stays.
            time.sleep(0.1)
            cert.write_bytes(cert.read_bytes()[:100])
            time.sleep(0.1)
            with tls_channel(s.addr, ca.pem) as ch2:
                assert unary(ch2).payload == b"ping"
            assert logs.find("tls certificates not reloaded; keeping the previous ones")
            # The set from the second CA, written in place.
            new = other_ca.issue("server", server=True)
            cert.write_bytes(new.cert)
            key.write_bytes(new.key)
            time.sleep(0.1)
            with tls_channel(s.addr, other_ca.pem) as ch3:
                assert unary(ch3).payload == b"ping"
            assert logs.find("tls certificates reloaded")
            with tls_channel(s.addr, ca.pem) as ch4:
                assert code_of(unary, ch4)[0] == grpc.StatusCode.UNAVAILABLE
            # The connection made before the rotation still works.
            assert unary(ch).payload == b"ping"
    finally:
        s.stop()


def _health(ch: grpc.Channel) -> int:
    stub: Any = health_pb2_grpc.HealthStub(ch)  # the stubs lack Check
    return int(stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status)


def test_health_listener_is_plaintext_and_health_only(
    tmp_path: Path, mode: str, ca: CA
) -> None:
    s = _tls_server(tmp_path, mode, ca, client_ca=ca, health_listen="127.0.0.1:0")
    try:
        assert s.health_port not in (0, s.port)
        with plain_channel(f"127.0.0.1:{s.health_port}") as ch:
            assert _health(ch) == health_pb2.HealthCheckResponse.SERVING
            code, _ = code_of(unary, ch)
            assert code == grpc.StatusCode.UNIMPLEMENTED
            s.set_not_serving()
            assert _health(ch) == health_pb2.HealthCheckResponse.NOT_SERVING
    finally:
        s.stop()


def test_config_without_transport_is_refused() -> None:
    with pytest.raises(ValueError, match="no transport security"):
        InProcess(Config(mode="sync"))


# --- flags ----------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    d = tmp_path_factory.mktemp("flags")
    a, b = CA("flags a"), CA("flags b")
    cert, key = a.issue("server", server=True).write(d, "a")
    _, other_key = b.issue("server", server=True).write(d, "b")
    (d / "ca.crt").write_bytes(a.pem)
    (d / "garbage.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nnope\n")
    yield {
        "cert": str(cert),
        "key": str(key),
        "other_key": str(other_key),
        "ca": str(d / "ca.crt"),
        "garbage": str(d / "garbage.pem"),
        "missing": str(d / "missing.pem"),
    }


@pytest.mark.parametrize(
    ("args", "want"),
    [
        ([], config.NO_TRANSPORT),
        (
            ["--plaintext", "--tls-cert", "{cert}", "--tls-key", "{key}"],
            "--plaintext cannot be combined with --tls-cert",
        ),
        (["--tls-cert", "{cert}"], "--tls-cert needs --tls-key"),
        (["--tls-key", "{key}"], "--tls-key needs --tls-cert"),
        (["--tls-client-ca", "{ca}"], "--tls-client-ca needs --tls-cert and --tls-key"),
        (
            ["--tls-cert", "{missing}", "--tls-key", "{key}"],
            "--tls-cert {missing}: cannot read: No such file or directory",
        ),
        (
            ["--tls-cert", "{garbage}", "--tls-key", "{key}"],
            "--tls-cert {garbage}: no valid PEM certificate",
        ),
        (
            ["--tls-cert", "{cert}", "--tls-key", "{garbage}"],
            "--tls-key {garbage}: no valid PEM private key",
        ),
        (
            ["--tls-cert", "{cert}", "--tls-key", "{other_key}"],
            "--tls-key {other_key}: the key does not match the certificate "
            "in --tls-cert {cert}",
        ),
        (
            ["--tls-cert", "{cert}", "--tls-key", "{key}", "--tls-client-ca", "{key}"],
            "--tls-client-ca {key}: no valid PEM certificate",
        ),
        (
            ["--plaintext", "--health-listen", "nope"],
            "argument --health-listen: want HOST:PORT",
        ),
    ],
)
def test_transport_flag_errors(
    args: list[str],
    want: str,
    files: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        config.parse_args([a.format(**files) for a in args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"error: {want.format(**files)}" in err, err


def test_transport_flags_parse(files: dict[str, str]) -> None:
    c = config.parse_args(
        [
            "--tls-cert",
            files["cert"],
            "--tls-key",
            files["key"],
            "--tls-client-ca",
            files["ca"],
            "--health-listen",
            "127.0.0.1:0",
        ]
    )
    assert (c.tls_mode, c.auth_mode, c.health_listen) == ("mtls", "off", "127.0.0.1:0")
    assert config.parse_args(["--plaintext"]).tls_mode == "off"


def test_command_over_mtls_with_two_workers(files: dict[str, str]) -> None:
    """The whole command: ready line, workers sharing the TLS and health ports."""
    s = start(
        "sync",
        2,
        "--tls-cert",
        files["cert"],
        "--tls-key",
        files["key"],
        "--tls-client-ca",
        files["ca"],
        "--health-listen",
        "127.0.0.1:0",
    )
    try:
        line = next(x for x in s.lines if x.startswith("protoctl-server: serving"))
        assert line.endswith(f"workers=2 mode=sync pid={s.pid} tls=mtls auth=off")
        logged = [json.loads(x) for x in s.lines if x.startswith("{")]
        serving = [x for x in logged if x["msg"] == "serving"]
        assert len(serving) == 2, s.log()
        ports = {x["health_port"] for x in serving}
        assert len(ports) == 1, serving  # both workers share one health port
        with plain_channel(f"127.0.0.1:{ports.pop()}") as ch:
            assert _health(ch) == health_pb2.HealthCheckResponse.SERVING
        with plain_channel(s.addr) as ch:
            assert code_of(unary, ch)[0] == grpc.StatusCode.UNAVAILABLE
    finally:
        assert s.stop() == 0, s.log()
