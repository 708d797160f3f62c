"""Transport security: TLS or mTLS from PEM files, rotated without a restart.

``--tls-cert`` (the chain, leaf first) and ``--tls-key`` make the server
speak TLS; ``--tls-client-ca`` also makes it require a client certificate
signed by one of those CAs (mTLS). The files are checked when the flags
are parsed (readable, PEM, key matching the certificate), so a bad set is
an exit-2 usage error naming the flag and the file, not a worker crash.

Rotation: the server runs on grpc.dynamic_ssl_server_credentials, whose
fetcher grpc calls before every new connection's handshake (in both the
thread-pool and the grpc.aio server, on a grpc core thread). The fetcher
(:meth:`Credentials.fetch`) stats the files at most once per
:data:`CHECK_INTERVAL_S`; when one changed it re-reads and re-checks the
whole set: a good set is used from the next handshake on ("tls
certificates reloaded"), a half-written or mismatched one is ignored with a
warning and the old set stays. Connections already open keep the
certificates they were made with.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from protoctl_server.log import LOGGER
from protoctl_server.watch import FileWatch

CHECK_INTERVAL_S = 1.0


class TLSError(ValueError):
    """A certificate, key or CA file that cannot be used; the message names
    the flag and the file."""


@dataclass(frozen=True)
class Settings:
    """The PEM files of the server's TLS; client_ca empty means TLS, not mTLS."""

    cert: str
    key: str
    client_ca: str = ""

    @property
    def mode(self) -> str:
        """ "mtls" or "tls", as the ready line says."""
        return "mtls" if self.client_ca else "tls"

    def paths(self) -> tuple[str, ...]:
        return tuple(p for p in (self.cert, self.key, self.client_ca) if p)


@dataclass(frozen=True)
class Material:
    """A checked set of PEM bytes."""

    cert_chain: bytes
    key: bytes
    client_ca: bytes | None


def _read(flag: str, path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise TLSError(f"{flag} {path}: cannot read: {e.strerror or e}") from None


def _certificates(flag: str, path: str, data: bytes) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise TLSError(f"{flag} {path}: no valid PEM certificate") from None
    if not certs:
        raise TLSError(f"{flag} {path}: no valid PEM certificate")
    return certs


def _public_der(key: object) -> bytes:
    public_bytes = getattr(key, "public_bytes", None)
    if public_bytes is None:
        return b""
    der: bytes = public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


def load(settings: Settings) -> Material:
    """Read and check the files: certificates parse, the key parses and
    belongs to the first certificate. Raises TLSError."""
    chain = _read("--tls-cert", settings.cert)
    certs = _certificates("--tls-cert", settings.cert, chain)
    key = _read("--tls-key", settings.key)
    try:
        private = serialization.load_pem_private_key(key, password=None)
    except TypeError:
        raise TLSError(
            f"--tls-key {settings.key}: the key is encrypted; "
            "give the server an unencrypted key (file mode 0600)"
        ) from None
    except Exception:  # ValueError, UnsupportedAlgorithm, ...
        raise TLSError(f"--tls-key {settings.key}: no valid PEM private key") from None
    if _public_der(private.public_key()) != _public_der(certs[0].public_key()):
        raise TLSError(
            f"--tls-key {settings.key}: the key does not match the certificate "
            f"in --tls-cert {settings.cert}"
        )
    client_ca = None
    if settings.client_ca:
        client_ca = _read("--tls-client-ca", settings.client_ca)
        _certificates("--tls-client-ca", settings.client_ca, client_ca)
    return Material(chain, key, client_ca)


def _configuration(m: Material) -> grpc.ServerCertificateConfiguration:
    return grpc.ssl_server_certificate_configuration(
        [(m.key, m.cert_chain)], root_certificates=m.client_ca
    )


class Credentials:
    """A server's TLS credentials that follow the files as they change."""

    def __init__(self, settings: Settings, interval: float | None = None) -> None:
        self.settings = settings
        self._watch = FileWatch(
            settings.paths(), CHECK_INTERVAL_S if interval is None else interval
        )
        self._initial = _configuration(load(settings))

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(
            self._initial,
            self.fetch,  # type: ignore[arg-type]  # None means "no change"
            require_client_authentication=bool(self.settings.client_ca),
        )

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """grpc's fetcher: a new configuration when the files changed and
        the new set is good, else None (keep the current one)."""
        try:
            if not self._watch.changed():
                return None
            m = load(self.settings)
        except TLSError as e:
            LOGGER.warning(
                "tls certificates not reloaded; keeping the previous ones",
                extra={"reason": str(e)},
            )
            return None
        except Exception:  # never let an exception escape into grpc core
            LOGGER.exception("tls certificate reload failed")
            return None
        LOGGER.info(
            "tls certificates reloaded", extra={"files": list(self._watch.paths)}
        )
        return _configuration(m)
