"""Fixtures shared by the TLS and auth tests: a test PKI and JWT signing
keys made once per session (nothing private is stored in the repo), and
a collector of the server's log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pki import CA, Signer
from secure_harness import Records, collect_logs


@pytest.fixture(scope="session")
def ca() -> CA:
    return CA("protoctl test ca")


@pytest.fixture(scope="session")
def other_ca() -> CA:
    return CA("protoctl other ca")


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture
def logs() -> Iterator[Records]:
    yield from collect_logs()
