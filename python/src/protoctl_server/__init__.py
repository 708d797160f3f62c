"""The reference Python gRPC server of the contract.

It serves the contract's services (acme.inference.v1.Inference and
acme.user.v1.UserService), protoctl.testing.v1.BehaviorService (the
schema that drives ``protoctl conformance --grpc``), grpc.testing.TestService
(so grpc-go's interop client can test it), grpc.health.v1.Health and server
reflection, in the shape it is meant to run in production:

* ``--workers`` processes (default: one per core) share one port with
  SO_REUSEPORT; the kernel spreads *connections* over them, so a client needs
  at least as many connections as there are workers (the Go pool client
  opens several). The parent forks every worker before it creates any gRPC
  object, supervises them and forwards SIGTERM.
* ``--mode sync`` (default: the thread-pool server, measured faster with
  one worker per core, docs/server.md) or ``--mode aio`` (grpc.aio: better
  for many long-lived streams, which each hold a thread in sync mode).
  Handlers are written once per mode over the same plain functions, so both
  behave the same.
* Every call goes through one interceptor (:mod:`.observe`) that maps
  exceptions to statuses with google.rpc rich details (:mod:`.errors`),
  counts and times the call for Prometheus (:mod:`.metrics`) and logs one
  structured line with the W3C trace id of the caller.
* Keepalive enforcement accepts the Go client's pings; connections can be
  aged out so clients re-resolve DNS (:mod:`.config` holds every value).
* SIGTERM drains: health turns NOT_SERVING, new calls are refused, in-flight
  calls get ``--grace`` seconds, then the process exits 0.
* Secure by default: TLS or mTLS from PEM files that rotate without a
  restart (:mod:`.tls`), or an explicit ``--plaintext``; ``--health-listen``
  adds a plaintext health-only port for probes; ``--auth-config`` checks a
  JWT on every call with per-method scopes (:mod:`.auth`), and handlers
  read the verified caller with :func:`principal`.

Entry points: :func:`main` (the ``protoctl-server`` command and
``python -m protoctl_server``), :func:`serve` (one worker until SIGTERM)
and :func:`create_server` (an unstarted server, for tests and embedding).
"""

from protoctl_server.auth import Principal, principal
from protoctl_server.config import Config, parse_args
from protoctl_server.server import Server, create_server, serve
from protoctl_server.supervisor import main

__all__ = [
    "Config",
    "Principal",
    "Server",
    "create_server",
    "main",
    "parse_args",
    "principal",
    "serve",
]
