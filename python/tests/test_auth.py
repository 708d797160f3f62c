"""JWT auth: every rejection with its status and message, scopes, exempt
methods, the subject handlers see, the per-token cache, JWKS rotation,
logging (never the token) and the --auth-config errors. Real servers of
both modes over TLS on 127.0.0.1, tokens signed at test time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from pki import AUDIENCE, CA, ISSUER, Signer
from secure_harness import (
    InProcess,
    Records,
    code_of,
    collect_logs,
    tls_channel,
    unary,
)
from test_server_harness import start

from contractpb.protoctl.testing.v1 import behavior_pb2 as bpb
from contractpb.protoctl.testing.v1 import behavior_pb2_grpc as bg
from protoctl_server import Config, auth, config, tls

UNAUTH = grpc.StatusCode.UNAUTHENTICATED
DENIED = grpc.StatusCode.PERMISSION_DENIED
OBSERVATION = "/protoctl.testing.v1.BehaviorService/Observation"


def write_config(d: Path, signer: Signer, *kids: str, **over: object) -> Path:
    (d / "keys").mkdir(exist_ok=True)
    (d / "keys" / "jwks.json").write_text(signer.jwks(*kids))
    cfg: dict[str, object] = {
        "jwks": "keys/jwks.json",
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "leeway_seconds": 30,
        "scopes": {
            OBSERVATION: ["behavior.observe"],
            "/acme.user.v1.UserService/*": ["users.read"],
        },
    }
    cfg.update(over)
    path = d / "auth.json"
    path.write_text(json.dumps(cfg))
    return path


class Secured:
    """A TLS server with auth, a channel to it, and its log."""

    def __init__(self, d: Path, mode: str, signer: Signer, ca: CA) -> None:
        cert, key = ca.issue("server", server=True).write(d, "server")
        settings = auth.load_settings(str(write_config(d, signer, "rsa-1", "ec-1")))
        self.server = InProcess(
            Config(mode=mode, tls=tls.Settings(str(cert), str(key)), auth=settings)
        )
        self.channel = tls_channel(self.server.addr, ca.pem)

    def close(self) -> None:
        self.channel.close()
        self.server.stop()


@pytest.fixture(scope="module")
def module_logs() -> Iterator[Records]:
    yield from collect_logs()


@pytest.fixture(scope="module", params=["sync", "aio"])
def secured(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    signer: Signer,
    ca: CA,
    module_logs: Records,
) -> Iterator[Secured]:
    s = Secured(tmp_path_factory.mktemp("auth"), str(request.param), signer, ca)
    yield s
    s.close()


Metadata = tuple[tuple[str, str | bytes], ...]


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


# Each case: the metadata of a call to BehaviorService/Unary, made from the
# signer, and the status code and message prefix the client must get.
Case = tuple[Callable[[Signer], Metadata], grpc.StatusCode, str]
NOW = int(time.time())
CASES: dict[str, Case] = {
    "missing": (
        lambda s: (),
        UNAUTH,
        "missing token: send metadata authorization: Bearer <JWT>",
    ),
    "basic scheme": (
        lambda s: (("authorization", "Basic YWxpY2U6c2VjcmV0"),),
        UNAUTH,
        "malformed authorization metadata: want Bearer <JWT>",
    ),
    "bearer without token": (
        lambda s: (("authorization", "Bearer"),),
        UNAUTH,
        "malformed authorization metadata: want Bearer <JWT>",
    ),
    "two values": (
        lambda s: bearer(s.token()) + bearer(s.token()),
        UNAUTH,
        "more than one authorization metadata value",
    ),
    "oversized": (
        lambda s: bearer("a" * 5000),
        UNAUTH,
        "token too large: 5000 bytes, limit 4096",
    ),
    "not a jwt": (lambda s: bearer("abc"), UNAUTH, "malformed token: "),
    "garbage header": (lambda s: bearer("!!.e30.sig"), UNAUTH, "malformed token: "),
    "no kid": (lambda s: bearer(s.no_kid()), UNAUTH, "malformed token: "),
    "no exp": (lambda s: bearer(s.token(exp=None)), UNAUTH, "malformed token: "),
    "alg none": (
        lambda s: bearer(s.alg_none()),
        UNAUTH,
        'token algorithm "none" not allowed',
    ),
    "hs256 with the public key": (
        lambda s: bearer(s.hs256_with_public_pem()),
        UNAUTH,
        'token algorithm "HS256" not allowed',
    ),
    "es256 header on an rsa key": (
        lambda s: bearer(s.raw({"alg": "ES256", "kid": "rsa-1"}, s.claims(), b"x")),
        UNAUTH,
        'token algorithm "ES256" not allowed',
    ),
    "unknown kid": (
        lambda s: bearer(s.token(kid="ec-2")),
        UNAUTH,
        'unknown key id "ec-2"',
    ),
    "bad signature": (
        lambda s: bearer(s.tampered()),
        UNAUTH,
        "invalid token signature",
    ),
    "expired": (
        lambda s: bearer(s.token(exp=NOW - 100)),
        UNAUTH,
        "token expired",
    ),
    "not yet valid": (
        lambda s: bearer(s.token(nbf=NOW + 100)),
        UNAUTH,
        "token not yet valid",
    ),
    "wrong issuer": (
        lambda s: bearer(s.token(iss="https://evil.test")),
        UNAUTH,
        "wrong token issuer",
    ),
    "no issuer": (lambda s: bearer(s.token(iss=None)), UNAUTH, "wrong token issuer"),
    "wrong audience": (
        lambda s: bearer(s.token(aud=["other"])),
        UNAUTH,
        "wrong token audience",
    ),
    "no subject": (
        lambda s: bearer(s.token(sub=None)),
        UNAUTH,
        "token has no subject",
    ),
    "empty subject": (
        lambda s: bearer(s.token(sub="")),
        UNAUTH,
        "token has no subject",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rejections(secured: Secured, signer: Signer, case: str) -> None:
    make, want_code, want_msg = CASES[case]
    md = make(signer)
    code, msg = code_of(unary, secured.channel, md)
    assert (code, msg[: len(want_msg)]) == (want_code, want_msg), msg
    for _, value in md:
        token = str(value).partition(" ")[2]
        assert not token or token not in msg


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"aud": ["other", AUDIENCE]},
        {"exp": NOW - 10},  # within the 30 s leeway
        {"nbf": NOW + 10},
    ],
    ids=["plain", "audience list", "exp in leeway", "nbf in leeway"],
)
@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
def test_accepted(
    secured: Secured, signer: Signer, kid: str, claims: dict[str, Any]
) -> None:
    resp = unary(secured.channel, bearer(signer.token(kid, **claims)))
    assert (resp.payload, resp.subject) == (b"ping", "alice")


def test_scheme_is_case_insensitive(secured: Secured, signer: Signer) -> None:
    md: Metadata = (("authorization", "bearer " + signer.token(sub="bob")),)
    assert unary(secured.channel, md).subject == "bob"


def test_every_handler_kind_sees_the_subject(secured: Secured, signer: Signer) -> None:
    stub = bg.BehaviorServiceStub(secured.channel)
    md = bearer(signer.token(sub="carol"))
    req = bpb.BehaviorRequest(response_count=2)
    assert [r.subject for r in stub.ServerStream(req, metadata=md, timeout=5)] == [
        "carol",
        "carol",
    ]
    assert stub.ClientStream(iter([req, req]), metadata=md, timeout=5).subject == (
        "carol"
    )
    assert [
        r.subject for r in stub.BidiStream(iter([req]), metadata=md, timeout=5)
    ] == ["carol"]
    # A streaming call is rejected before the handler runs.
    code, msg = code_of(lambda: list(stub.ServerStream(req, timeout=5)))
    assert (code, msg) == (UNAUTH, auth.MISSING)


def test_echoed_metadata_leaves_out_the_token(secured: Secured, signer: Signer) -> None:
    md: Metadata = (*bearer(signer.token()), ("x-echo", "v"))
    resp = bg.BehaviorServiceStub(secured.channel).Unary(
        bpb.BehaviorRequest(echo_metadata=True), metadata=md, timeout=5
    )
    keys = {e.key for e in resp.received_metadata}
    assert "x-echo" in keys and "authorization" not in keys


def test_scopes(secured: Secured, signer: Signer) -> None:
    stub = bg.BehaviorServiceStub(secured.channel)
    req = bpb.ObservationRequest(token="t")
    code, msg = code_of(
        stub.Observation, req, metadata=bearer(signer.token()), timeout=5
    )
    assert (code, msg) == (
        DENIED,
        f'token lacks scope "behavior.observe" required by {OBSERVATION}',
    )
    for claims in (
        {"scope": "a behavior.observe"},
        {"scope": None, "scp": ["behavior.observe"]},
        {"scope": None, "scp": "x behavior.observe"},
    ):
        md = bearer(signer.token(**claims))
        assert not stub.Observation(req, metadata=md, timeout=5).seen


def test_exempt_health_and_reflection_need_no_token(secured: Secured) -> None:
    health: Any = health_pb2_grpc.HealthStub(secured.channel)
    resp = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert resp.status == health_pb2.HealthCheckResponse.SERVING
    refl: Any = reflection_pb2_grpc.ServerReflectionStub(secured.channel)
    out = list(
        refl.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
            timeout=5,
        )
    )
    names = {s.name for s in out[0].list_services_response.service}
    assert "protoctl.testing.v1.BehaviorService" in names


def test_huge_header_does_not_hurt_the_server(secured: Secured, signer: Signer) -> None:
    # 20 KiB is past grpc's default metadata limits (8 KiB soft, 16 KiB
    # hard): grpc itself refuses the call before any interceptor sees it.
    code, _ = code_of(unary, secured.channel, bearer("a" * 20 * 1024))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert unary(secured.channel, bearer(signer.token())).subject == "alice"


def test_logs_name_the_subject_and_never_the_token(
    secured: Secured, signer: Signer, module_logs: Records
) -> None:
    good = signer.token(sub="dave")
    bad = signer.tampered()
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    unary(secured.channel, (*bearer(good), ("traceparent", traceparent)))
    code_of(unary, secured.channel, bearer(bad))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = module_logs.lines()
        ok = [x for x in lines if x["msg"] == "rpc" and x.get("subject") == "dave"]
        rejected = [
            x
            for x in lines
            if x["msg"] == "rpc rejected" and x["reason"] == "invalid token signature"
        ]
        if ok and rejected:
            break
        time.sleep(0.02)
    assert ok and ok[-1]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736", lines
    r = rejected[-1]
    assert (r["level"], r["code"], r["method"]) == (
        "warning",
        "UNAUTHENTICATED",
        "/protoctl.testing.v1.BehaviorService/Unary",
    )
    assert r["peer"].startswith("ipv4:127.0.0.1:")
    text = module_logs.text()
    for token in (good, bad):
        for part in token.split("."):
            assert part not in text


# --- the verifier itself --------------------------------------------------


@pytest.fixture
def verifier_of(tmp_path: Path, signer: Signer) -> Callable[..., auth.Verifier]:
    def make(
        *kids: str, interval: float = 10.0, clock: Callable[[], float] = time.time
    ) -> auth.Verifier:
        settings = auth.load_settings(str(write_config(tmp_path, signer, *kids)))
        return auth.Verifier(settings, interval=interval, clock=clock)

    return make


def test_cache_checks_a_token_once_and_rechecks_expiry(
    verifier_of: Callable[..., auth.Verifier],
    signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [float(NOW)]
    v = verifier_of("ec-1", clock=lambda: now[0])
    checks = []
    real = v._check

    def counting(token: str, t: float) -> Any:  # noqa: ANN401
        checks.append(token)
        return real(token, t)

    monkeypatch.setattr(v, "_check", counting)
    token = signer.token(exp=NOW + 60)
    md = bearer(token)
    for _ in range(3):
        p = v.authenticate("/protoctl.testing.v1.BehaviorService/Unary", md)
        assert p is not None and p.subject == "alice"
    assert len(checks) == 1
    now[0] = NOW + 60 + 31  # past exp and the leeway
    with pytest.raises(auth.Rejection, match="^token expired$"):
        v.verify(token)
    assert len(checks) == 1  # rejected from the cache entry


def test_policy(verifier_of: Callable[..., auth.Verifier]) -> None:
    v = verifier_of("ec-1")
    assert v.policy("/grpc.health.v1.Health/Check") == auth.Policy(True, ())
    assert v.policy("/acme.user.v1.UserService/GetUser") == auth.Policy(
        False, ("users.read",)
    )
    assert v.policy(OBSERVATION) == auth.Policy(False, ("behavior.observe",))
    assert v.policy("/acme.user.v1.UserServiceX/Get") == auth.Policy(False, ())


@pytest.mark.parametrize("mode", ["sync", "aio"])
def test_unknown_kid_rereads_the_jwks_at_once(
    tmp_path: Path,
    signer: Signer,
    ca: CA,
    mode: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth, "CHECK_INTERVAL_S", 60.0)  # no periodic check
    s = Secured(tmp_path, mode, signer, ca)  # JWKS: rsa-1, ec-1
    try:
        assert unary(s.channel, bearer(signer.token("ec-1"))).subject == "alice"
        time.sleep(0.05)
        (tmp_path / "keys" / "jwks.json").write_text(signer.jwks("ec-1", "ec-2"))
        assert unary(s.channel, bearer(signer.token("ec-2"))).subject == "alice"
    finally:
        s.close()


@pytest.mark.parametrize("mode", ["sync", "aio"])
def test_jwks_rotation_drops_removed_keys(
    tmp_path: Path,
    signer: Signer,
    ca: CA,
    mode: str,
    logs: Records,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth, "CHECK_INTERVAL_S", 0.05)
    jwks = tmp_path / "keys" / "jwks.json"
    s = Secured(tmp_path, mode, signer, ca)  # JWKS: rsa-1, ec-1
    try:
        old, new = bearer(signer.token("ec-1")), bearer(signer.token("ec-2"))
        assert unary(s.channel, old).subject == "alice"  # now cached
        time.sleep(0.1)
        jwks.write_text(signer.jwks("ec-2"))
        time.sleep(0.1)
        assert unary(s.channel, new).subject == "alice"
        assert code_of(unary, s.channel, old) == (UNAUTH, 'unknown key id "ec-1"')
        assert logs.find("jwks reloaded")
        # A broken file keeps the keys that work.
        jwks.write_text('{"keys": [')
        time.sleep(0.1)
        assert unary(s.channel, new).subject == "alice"
        assert logs.find("jwks not reloaded; keeping the previous keys")
    finally:
        s.close()


# --- config errors --------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "want"),
    [
        ({"issuer": None}, 'missing "issuer"'),
        ({"audience": ""}, '"audience" must be a non-empty string'),
        ({"jwt": "x"}, 'unknown key "jwt"'),
        ({"exempt": ["Health/*"]}, "exempt: want"),
        ({"scopes": {"/a.B/C": "one"}}, 'scopes "/a.B/C": want a list'),
        ({"max_token_bytes": 0}, '"max_token_bytes" must be a positive integer'),
        ({"jwks": "missing.json"}, "cannot read"),
    ],
)
def test_auth_config_errors(
    tmp_path: Path,
    signer: Signer,
    over: dict[str, object],
    want: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_config(tmp_path, signer, "ec-1")
    cfg = json.loads(path.read_text())
    for k, v in over.items():
        if v is None:
            cfg.pop(k)
        else:
            cfg[k] = v
    path.write_text(json.dumps(cfg))
    with pytest.raises(SystemExit) as exit_:
        config.parse_args(["--plaintext", "--auth-config", str(path)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"error: --auth-config {path}: " in err or "jwks " in err, err
    assert want in err, err


@pytest.mark.parametrize(
    ("jwks", "want"),
    [
        ("nope", "not JSON"),
        ('{"keys": []}', "no keys"),
        ('{"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}', 'type "oct"'),
        ('{"keys": [{"kty": "EC", "kid": "p", "crv": "P-384"}]}', '"P-384" not'),
        ('{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}', 'missing "kid"'),
    ],
)
def test_bad_jwks_at_startup(
    tmp_path: Path,
    signer: Signer,
    jwks: str,
    want: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_config(tmp_path, signer, "ec-1")
    (tmp_path / "keys" / "jwks.json").write_text(jwks)
    with pytest.raises(SystemExit) as exit_:
        config.parse_args(["--plaintext", "--auth-config", str(path)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert f"--auth-config jwks {tmp_path / 'keys' / 'jwks.json'}: " in err, err
    assert want in err, err


def test_jwk_alg_must_fit_the_key(tmp_path: Path, signer: Signer) -> None:
    jwk = signer.jwk("rsa-1")
    jwk["alg"] = "HS256"
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    with pytest.raises(auth.ConfigError, match='"alg" "HS256" does not fit'):
        auth.read_jwks(str(tmp_path / "jwks.json"))


def test_command_with_auth_over_plaintext_warns(tmp_path: Path, signer: Signer) -> None:
    path = write_config(tmp_path, signer, "ec-1")
    s = start("aio", 1, "--auth-config", str(path))
    try:
        line = next(x for x in s.lines if x.startswith("protoctl-server: serving"))
        assert line.endswith("tls=off auth=jwt"), line
        assert "tokens travel in clear" in s.log()
        with grpc.insecure_channel(s.addr) as ch:
            assert code_of(unary, ch)[0] == UNAUTH
            assert unary(ch, bearer(signer.token(sub="erin"))).subject == "erin"
    finally:
        assert s.stop() == 0, s.log()
