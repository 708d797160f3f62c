"""A test PKI and JWT signer made at run time (no tests here): certificate
authorities, server and client certificates, JWKS files and tokens, good
and deliberately bad. Nothing here is ever written outside a test's
temporary directory; no private key is committed."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ISSUER = "https://issuer.test"
AUDIENCE = "protoctl-test"

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _pem_key(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass
class Leaf:
    """A certificate and its key, PEM."""

    cert: bytes
    key: bytes

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        cert, key = directory / f"{name}.crt", directory / f"{name}.key"
        cert.write_bytes(self.cert)
        key.write_bytes(self.key)
        return cert, key


class CA:
    """A self-signed certificate authority (EC P-256: fast to make)."""

    def __init__(self, name: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                True,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, name: str, server: bool) -> Leaf:
        """A server (SANs 127.0.0.1, ::1, localhost) or client certificate."""
        import ipaddress

        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        b = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        )
        if server:
            b = b.add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                        x509.IPAddress(ipaddress.ip_address("::1")),
                        x509.DNSName("localhost"),
                    ]
                ),
                False,
            ).add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False
            )
        else:
            b = b.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False
            )
        cert = b.sign(self.key, hashes.SHA256())
        return Leaf(
            cert.public_bytes(serialization.Encoding.PEM) + self.pem, _pem_key(key)
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Signer:
    """JWT signing keys (RSA for RS256, EC P-256 for ES256) and their JWKS."""

    def __init__(self) -> None:
        self.keys: dict[str, tuple[str, PrivateKey]] = {
            "rsa-1": ("RS256", rsa.generate_private_key(65537, 2048)),
            "ec-1": ("ES256", ec.generate_private_key(ec.SECP256R1())),
            "ec-2": ("ES256", ec.generate_private_key(ec.SECP256R1())),
        }

    def jwk(self, kid: str) -> dict[str, Any]:
        alg, key = self.keys[kid]
        algo = jwt.get_algorithm_by_name(alg)
        out: dict[str, Any] = json.loads(algo.to_jwk(key.public_key()))
        out.update(kid=kid, alg=alg, use="sig")
        return out

    def jwks(self, *kids: str) -> str:
        return json.dumps({"keys": [self.jwk(k) for k in kids]})

    def public_pem(self, kid: str) -> bytes:
        return (
            self.keys[kid][1]
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
        )

    def claims(self, **over: object) -> dict[str, Any]:
        now = int(time.time())
        c: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "alice",
            "iat": now,
            "exp": now + 300,
            "scope": "inference.predict users.read",
        }
        for k, v in over.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def token(self, kid: str = "ec-1", **over: object) -> str:
        alg, key = self.keys[kid]
        return jwt.encode(self.claims(**over), key, algorithm=alg, headers={"kid": kid})

    def raw(self, header: dict[str, Any], claims: dict[str, Any], sig: bytes) -> str:
        h = _b64(json.dumps(header).encode())
        p = _b64(json.dumps(claims).encode())
        return f"{h}.{p}.{_b64(sig)}"

    def alg_none(self) -> str:
        return self.raw({"alg": "none", "kid": "ec-1"}, self.claims(), b"")

    def hs256_with_public_pem(self, kid: str = "rsa-1") -> str:
        """The key-confusion attack: HMAC keyed with the public key PEM."""
        h = _b64(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}).encode())
        p = _b64(json.dumps(self.claims()).encode())
        sig = hmac.new(
            self.public_pem(kid), f"{h}.{p}".encode(), hashlib.sha256
        ).digest()
        return f"{h}.{p}.{_b64(sig)}"

    def tampered(self) -> str:
        """A good token whose payload was changed after signing."""
        h, _, s = self.token().split(".")
        p = _b64(json.dumps(self.claims(sub="mallory")).encode())
        return f"{h}.{p}.{s}"

    def no_kid(self) -> str:
        _, key = self.keys["ec-1"]
        return jwt.encode(self.claims(), key, algorithm="ES256")
