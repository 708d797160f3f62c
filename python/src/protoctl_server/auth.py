"""Per-call JWT authentication and per-method scopes (``--auth-config``).

A caller sends ``authorization: Bearer <JWT>``. The token is accepted when
its signature verifies with the JWKS key its header names (``kid``), with
the algorithm that key implies (an RSA key: RS256; an EC P-256 key:
ES256; ``none`` and HMAC are never accepted, so a public key can never be
used as an HMAC secret), and its claims say: ``iss`` is the configured
issuer, ``aud`` (a string or a list) holds the configured audience, ``exp``
is in the future and ``nbf``/``iat`` are not (both within
``leeway_seconds``), and ``sub`` is a non-empty string. Scopes come from
``scope`` (space-separated) and ``scp`` (a list or a string). A method
listed in ``scopes`` also needs every scope listed for it; a method in
``exempt`` needs no token at all.

Every failure is a :class:`Rejection` with the status the client gets
(UNAUTHENTICATED, or PERMISSION_DENIED for a missing scope) and a short
fixed message: never the token, a key or a traceback. The observer
(:mod:`.observe`) runs the check inside its per-call accounting, logs a
rejection at warning with the reason, and makes the verified
:class:`Principal` available to the handler through :func:`principal`
(a context variable: per thread in the thread-pool server, per task in
grpc.aio).

Speed: verified tokens are cached by their SHA-256 (bounded, oldest
dropped), so a long-lived client pays one signature check per token;
``exp``/``nbf`` are re-checked on every hit. The JWKS file is stat-ed at
most once a second (and at once, rate-limited, on an unknown ``kid``);
when it changes it is re-read, the cache is dropped, and a removed key
stops being accepted. A bad new file keeps the old keys and logs an error.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from jwt.exceptions import InvalidKeyError
from jwt.utils import base64url_decode

from protoctl_server.log import LOGGER
from protoctl_server.watch import FileWatch

CHECK_INTERVAL_S = 1.0
CACHE_ENTRIES = 10_000
MIN_RSA_BITS = 2048
DEFAULT_EXEMPT = (
    "/grpc.health.v1.Health/*",
    "/grpc.reflection.v1alpha.ServerReflection/*",
)
_METHOD_PATTERN = re.compile(r"^/[^/\s*]+/([^/\s*]+|\*)$")
_SCOPE = re.compile(r"^\S+$")
_CONFIG_KEYS = {
    "jwks",
    "issuer",
    "audience",
    "leeway_seconds",
    "max_token_bytes",
    "exempt",
    "scopes",
}

_UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
MISSING = "missing token: send metadata authorization: Bearer <JWT>"
MALFORMED_METADATA = "malformed authorization metadata: want Bearer <JWT>"
TWO_VALUES = "more than one authorization metadata value"


class ConfigError(ValueError):
    """A bad auth config or JWKS file; the message names the file."""


class Rejection(Exception):
    """A call that may not proceed: the status code and message to send."""

    def __init__(self, message: str, code: grpc.StatusCode = _UNAUTHENTICATED) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Principal:
    """Who a verified token says the caller is."""

    subject: str
    scopes: frozenset[str]
    claims: Mapping[str, Any] = field(repr=False)


_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "protoctl_server.principal", default=None
)


def principal() -> Principal | None:
    """The verified caller of the current call, None when the call carried
    no checked token (auth off, or an exempt method)."""
    return _principal.get()


def bind(p: Principal) -> contextvars.Token[Principal | None]:
    """Make p the current call's principal (the observer does this)."""
    return _principal.set(p)


def unbind(token: contextvars.Token[Principal | None]) -> None:
    try:
        _principal.reset(token)
    except ValueError:  # reset from another context (a generator closed late)
        _principal.set(None)


# --- settings -----------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """A checked --auth-config file."""

    path: str
    jwks: str  # absolute, or relative to the working directory
    issuer: str
    audience: str
    leeway_seconds: float = 30.0
    max_token_bytes: int = 4096
    exempt: tuple[str, ...] = DEFAULT_EXEMPT
    scopes: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _method_pattern(path: str, where: str, value: object) -> str:
    if not isinstance(value, str) or not _METHOD_PATTERN.match(value):
        raise ConfigError(
            f'{path}: {where}: want "/pkg.Service/Method" or "/pkg.Service/*", '
            f"got {json.dumps(value)}"
        )
    return value


def _string(path: str, raw: Mapping[str, Any], key: str) -> str:
    if key not in raw:
        raise ConfigError(f'{path}: missing "{key}"')
    v = raw[key]
    if not isinstance(v, str) or not v:
        raise ConfigError(f'{path}: "{key}" must be a non-empty string')
    return v


def _number(path: str, raw: Mapping[str, Any], key: str, default: float) -> float:
    v = raw.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
        raise ConfigError(f'{path}: "{key}" must be a number, 0 or more')
    return float(v)


def load_settings(path: str) -> Settings:
    """Read and check an auth config file and the JWKS it names; raises
    ConfigError naming the file and the problem."""
    try:
        with open(path, "rb") as f:
            raw = json.loads(f.read())
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    except ValueError as e:
        raise ConfigError(f"{path}: not JSON: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: want a JSON object")
    for k in raw:
        if k not in _CONFIG_KEYS:
            raise ConfigError(f'{path}: unknown key "{k}"')
    jwks = _string(path, raw, "jwks")
    if not os.path.isabs(jwks):
        jwks = os.path.join(os.path.dirname(os.path.abspath(path)), jwks)
    max_bytes = _number(path, raw, "max_token_bytes", 4096)
    if max_bytes < 1 or max_bytes != int(max_bytes):
        raise ConfigError(f'{path}: "max_token_bytes" must be a positive integer')
    exempt_raw = raw.get("exempt", list(DEFAULT_EXEMPT))
    if not isinstance(exempt_raw, list):
        raise ConfigError(f'{path}: "exempt" must be a list of method patterns')
    exempt = tuple(_method_pattern(path, "exempt", m) for m in exempt_raw)
    scopes_raw = raw.get("scopes", {})
    if not isinstance(scopes_raw, dict):
        raise ConfigError(f'{path}: "scopes" must map method patterns to scope lists')
    scopes: list[tuple[str, tuple[str, ...]]] = []
    for m, need in scopes_raw.items():
        _method_pattern(path, "scopes", m)
        if not isinstance(need, list) or not all(
            isinstance(s, str) and _SCOPE.match(s) for s in need
        ):
            raise ConfigError(
                f'{path}: scopes "{m}": want a list of scopes without spaces'
            )
        scopes.append((m, tuple(need)))
    settings = Settings(
        path=path,
        jwks=jwks,
        issuer=_string(path, raw, "issuer"),
        audience=_string(path, raw, "audience"),
        leeway_seconds=_number(path, raw, "leeway_seconds", 30),
        max_token_bytes=int(max_bytes),
        exempt=exempt,
        scopes=tuple(scopes),
    )
    read_jwks(settings.jwks)  # a bad key set is a startup error
    return settings


# --- keys ---------------------------------------------------------------

_RS256 = RSAAlgorithm(RSAAlgorithm.SHA256)
_ES256 = ECAlgorithm(ECAlgorithm.SHA256)
_ALGORITHMS: dict[str, Any] = {"RS256": _RS256, "ES256": _ES256}


@dataclass(frozen=True)
class Key:
    """A JWKS verification key and the one algorithm it is used with."""

    kid: str
    alg: str
    public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def _jwk(path: str, i: int, jwk: object) -> Key:
    if not isinstance(jwk, dict):
        raise ConfigError(f"{path}: keys[{i}]: want a JSON object")
    kid = jwk.get("kid")
    where = f"{path}: keys[{i}]"
    if not isinstance(kid, str) or not kid:
        raise ConfigError(f'{where}: missing "kid"')
    where = f'{path}: key "{kid}"'
    kty = jwk.get("kty")
    algorithm: type[RSAAlgorithm] | type[ECAlgorithm]
    if kty == "RSA":
        alg, algorithm = "RS256", RSAAlgorithm
    elif kty == "EC":
        alg, algorithm = "ES256", ECAlgorithm
        if jwk.get("crv") != "P-256":
            raise ConfigError(
                f"{where}: curve {json.dumps(jwk.get('crv'))} not supported "
                "(want P-256 for ES256)"
            )
    else:
        raise ConfigError(
            f"{where}: key type {json.dumps(kty)} not supported "
            "(want RSA for RS256 or EC P-256 for ES256)"
        )
    try:
        k = algorithm.from_jwk(jwk)
    except (InvalidKeyError, ValueError, TypeError):
        raise ConfigError(f"{where}: not a valid {kty} key") from None
    if "alg" in jwk and jwk["alg"] != alg:
        raise ConfigError(
            f'{where}: "alg" {json.dumps(jwk["alg"])} does not fit a {kty} key '
            f"(want {alg})"
        )
    if jwk.get("use", "sig") != "sig":
        raise ConfigError(f'{where}: "use" must be "sig"')
    # A private JWK by mistake: only its public half is kept.
    public = (
        k.public_key()
        if isinstance(k, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
        else k
    )
    if isinstance(public, rsa.RSAPublicKey) and public.key_size < MIN_RSA_BITS:
        raise ConfigError(f"{where}: RSA key shorter than {MIN_RSA_BITS} bits")
    return Key(kid, alg, public)


def read_jwks(path: str) -> dict[str, Key]:
    """The keys of a JWKS file by kid; raises ConfigError naming the file."""
    try:
        with open(path, "rb") as f:
            raw = json.loads(f.read())
    except OSError as e:
        raise ConfigError(f"jwks {path}: cannot read: {e.strerror or e}") from None
    except ValueError as e:
        raise ConfigError(f"jwks {path}: not JSON: {e}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("keys"), list):
        raise ConfigError(f'jwks {path}: want {{"keys": [...]}}')
    keys: dict[str, Key] = {}
    for i, jwk in enumerate(raw["keys"]):
        k = _jwk(f"jwks {path}", i, jwk)
        if k.kid in keys:
            raise ConfigError(f'jwks {path}: key id "{k.kid}" appears twice')
        keys[k.kid] = k
    if not keys:
        raise ConfigError(f"jwks {path}: no keys")
    return keys


class KeySet:
    """The JWKS file's keys, re-read when the file changes."""

    def __init__(self, path: str, interval: float) -> None:
        self.path = path
        self._watch = FileWatch([path], interval)
        self.keys = read_jwks(path)
        self.generation = 0

    def refresh(self, force: bool = False) -> None:
        """Re-read the file if it changed (see FileWatch for the rate)."""
        if not self._watch.changed(force):
            return
        try:
            keys = read_jwks(self.path)
        except ConfigError as e:
            LOGGER.error(
                "jwks not reloaded; keeping the previous keys",
                extra={"reason": str(e)},
            )
            return
        self.keys = keys
        self.generation += 1
        LOGGER.info("jwks reloaded", extra={"jwks": self.path, "keys": sorted(keys)})


# --- verification -------------------------------------------------------


def _quote(text: object, limit: int = 64) -> str:
    """Attacker-chosen header text made safe for a message and a log."""
    s = text if isinstance(text, str) else json.dumps(text)
    s = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "?" for c in s)
    return s[:limit] + ("..." if len(s) > limit else "")


def _malformed(reason: str) -> Rejection:
    return Rejection(f"malformed token: {reason}")


def _json_object(part: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(base64url_decode(part))
    except (ValueError, TypeError):
        raise _malformed(f"{what} is not base64url JSON") from None
    if not isinstance(value, dict):
        raise _malformed(f"{what} is not a JSON object")
    return value


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    out: set[str] = set()
    scope = claims.get("scope")
    if isinstance(scope, str):
        out.update(scope.split())
    scp = claims.get("scp")
    if isinstance(scp, str):
        out.update(scp.split())
    elif isinstance(scp, list):
        out.update(s for s in scp if isinstance(s, str))
    return frozenset(out)


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    exp: float
    not_before: float


@dataclass(frozen=True)
class Policy:
    """What one method needs: nothing (exempt), or a token with scopes."""

    exempt: bool
    scopes: tuple[str, ...]


def _match(pattern: str, method: str) -> bool:
    if pattern.endswith("/*"):
        return method.startswith(pattern[:-1])
    return pattern == method


class Verifier:
    """Checks the token of each call against one auth config."""

    def __init__(
        self,
        settings: Settings,
        interval: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self.keys = KeySet(
            settings.jwks, CHECK_INTERVAL_S if interval is None else interval
        )
        # (the JWKS generation the entries were verified with, entries)
        self._cache: tuple[int, dict[bytes, _Verified]] = (self.keys.generation, {})
        self._lock = threading.Lock()
        self._policies: dict[str, Policy] = {}

    def policy(self, method: str) -> Policy:
        """The method's policy (exact entries win over Service/*)."""
        p = self._policies.get(method)
        if p is not None:
            return p
        s = self.settings
        exempt = any(_match(e, method) for e in s.exempt)
        need: tuple[str, ...] = ()
        exact = [v for k, v in s.scopes if k == method]
        if exact:
            need = exact[0]
        else:
            wild = [v for k, v in s.scopes if _match(k, method)]
            if wild:
                need = wild[0]
        p = Policy(exempt, need)
        if len(self._policies) < 10_000:  # method names come from the wire
            self._policies[method] = p
        return p

    def authenticate(
        self, method: str, metadata: Iterable[tuple[str, str | bytes]] | None
    ) -> Principal | None:
        """The caller of a call to method; None for an exempt method.
        Raises Rejection."""
        policy = self.policy(method)
        if policy.exempt:
            return None
        token = _bearer(metadata, self.settings.max_token_bytes)
        p = self.verify(token)
        for s in policy.scopes:
            if s not in p.scopes:
                raise Rejection(
                    f'token lacks scope "{s}" required by {method}',
                    grpc.StatusCode.PERMISSION_DENIED,
                )
        return p

    def verify(self, token: str) -> Principal:
        """The principal of a token, from the cache or checked in full."""
        keys = self.keys
        keys.refresh()
        generation = keys.generation
        cache_generation, cache = self._cache
        if cache_generation != generation:
            with self._lock:
                if self._cache[0] < generation:  # never go back to older keys
                    self._cache = (generation, {})
                cache_generation, cache = self._cache
        digest = hashlib.sha256(token.encode()).digest()
        hit = cache.get(digest) if cache_generation == generation else None
        now = self._clock()
        leeway = self.settings.leeway_seconds
        if hit is not None:
            if now > hit.exp + leeway:
                with self._lock:
                    cache.pop(digest, None)
                raise Rejection("token expired")
            if now + leeway < hit.not_before:
                raise Rejection("token not yet valid")
            return hit.principal
        v = self._check(token, now)
        with self._lock:
            cache_generation, cache = self._cache
            if cache_generation == generation == keys.generation:
                if len(cache) >= CACHE_ENTRIES:
                    # Drop the older half at once: amortised O(1) a token.
                    cache = dict(list(cache.items())[CACHE_ENTRIES // 2 :])
                    self._cache = (generation, cache)
                cache[digest] = v
        return v.principal

    def _check(self, token: str, now: float) -> _Verified:
        parts = token.split(".")
        if len(parts) != 3:
            raise _malformed("want three dot-separated parts")
        header = _json_object(parts[0], "header")
        alg = header.get("alg")
        if not isinstance(alg, str):
            raise _malformed('no "alg" in the header')
        if alg not in _ALGORITHMS:
            raise Rejection(f'token algorithm "{_quote(alg)}" not allowed')
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _malformed('no key id ("kid") in the header')
        key = self.keys.keys.get(kid)
        if key is None:
            self.keys.refresh(force=True)
            key = self.keys.keys.get(kid)
            if key is None:
                raise Rejection(f'unknown key id "{_quote(kid)}"')
        if key.alg != alg:
            raise Rejection(
                f'token algorithm "{alg}" not allowed for key "{_quote(kid)}"'
            )
        try:
            sig = base64url_decode(parts[2])
        except (ValueError, TypeError):
            raise _malformed("signature is not base64url") from None
        signing_input = f"{parts[0]}.{parts[1]}".encode()
        if not _ALGORITHMS[alg].verify(signing_input, key.public, sig):
            raise Rejection("invalid token signature")
        claims = _json_object(parts[1], "payload")
        return self._claims(claims, now)

    def _claims(self, claims: dict[str, Any], now: float) -> _Verified:
        s = self.settings
        leeway = s.leeway_seconds
        exp = claims.get("exp")
        if exp is None:
            raise _malformed('no "exp" claim')
        if not _is_number(exp):
            raise _malformed('"exp" is not a number')
        not_before = float("-inf")
        for name in ("nbf", "iat"):
            v = claims.get(name)
            if v is None:
                continue
            if not _is_number(v):
                raise _malformed(f'"{name}" is not a number')
            not_before = max(not_before, float(v))
        if now > float(exp) + leeway:
            raise Rejection("token expired")
        if now + leeway < not_before:
            raise Rejection("token not yet valid")
        if claims.get("iss") != s.issuer:
            raise Rejection("wrong token issuer")
        aud = claims.get("aud")
        if not (aud == s.audience or (isinstance(aud, list) and s.audience in aud)):
            raise Rejection("wrong token audience")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Rejection("token has no subject")
        p = Principal(sub, _scopes(claims), claims)
        return _Verified(p, float(exp), not_before)


def _bearer(metadata: Iterable[tuple[str, str | bytes]] | None, limit: int) -> str:
    """The token of a call's authorization metadata; raises Rejection."""
    value: str | bytes | None = None
    for k, v in metadata or ():
        if k == "authorization":
            if value is not None:
                raise Rejection(TWO_VALUES)
            value = v
    if value is None:
        raise Rejection(MISSING)
    if not isinstance(value, str):
        raise Rejection(MALFORMED_METADATA)
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Rejection(MALFORMED_METADATA)
    n = len(token.encode())
    if n > limit:
        raise Rejection(f"token too large: {n} bytes, limit {limit}")
    return token
