#!/usr/bin/env python
"""Exit 0 when a gRPC server reports SERVING on the standard health service, 1 otherwise.

The images carry this script as ``grpc-health-check`` because grpc_health_probe
is not in them. Compose and ``docker run`` health checks call it, and so do the
Kubernetes exec probes of a service serving TLS (the built-in ``grpc`` probes
speak plaintext only). Health needs no bearer token.

    grpc-health-check [127.0.0.1:50051] [--service clinic.intake.v1.PatientService]

Without an address it asks 127.0.0.1 on the port of the service named by the
SERVICE environment variable (the images set it): ``<SVC>_PORT`` when set, else
the service's default (intake 50051, scheduling 50052, billing 50053).

TLS is used when TLS_CERT_FILE or TLS_CA_FILE is set, as the services read them:
TLS_CA_FILE is the CA trusted (system roots when unset), and TLS_CERT_FILE with
TLS_KEY_FILE is presented as the client certificate, for a server that requires
mutual TLS. The server's certificate must name the service (``intake``, ...;
``--server-name`` overrides that), since the check connects to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

DEFAULT_PORTS = {"intake": 50051, "scheduling": 50052, "billing": 50053}


class CheckError(Exception):
    """The check cannot be made as configured; the message says why."""


def default_address(env: Mapping[str, str]) -> str:
    """127.0.0.1 and the port of the service named by SERVICE (intake when unset)."""
    service = env.get("SERVICE", "").strip().lower() or "intake"
    if service not in DEFAULT_PORTS:
        raise CheckError(f"SERVICE={service!r} is none of {', '.join(DEFAULT_PORTS)}")
    port = env.get(f"{service.upper()}_PORT", "").strip()
    return f"127.0.0.1:{port if port not in ('', '0') else DEFAULT_PORTS[service]}"


def _read(env: Mapping[str, str], name: str) -> bytes | None:
    path = env.get(name, "")
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CheckError(f"{name}: cannot read {path}: {exc.strerror}") from None


def tls_credentials(env: Mapping[str, str]) -> grpc.ChannelCredentials | None:
    """Channel credentials from the TLS_* settings, or None for plaintext."""
    if not env.get("TLS_CERT_FILE") and not env.get("TLS_CA_FILE"):
        return None
    if bool(env.get("TLS_CERT_FILE")) != bool(env.get("TLS_KEY_FILE")):
        raise CheckError("TLS_CERT_FILE and TLS_KEY_FILE go together")
    return grpc.ssl_channel_credentials(root_certificates=_read(env, "TLS_CA_FILE"),
                                        private_key=_read(env, "TLS_KEY_FILE"),
                                        certificate_chain=_read(env, "TLS_CERT_FILE"))


def check(address: str, service: str = "", timeout: float = 2.0,
          credentials: grpc.ChannelCredentials | None = None, server_name: str = "") -> str:
    """The serving status name, or the gRPC status code name when the call fails."""
    if credentials is None:
        channel = grpc.insecure_channel(address)
    else:
        options = [("grpc.ssl_target_name_override", server_name)] if server_name else []
        channel = grpc.secure_channel(address, credentials, options=options)
    with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as exc:
            return exc.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="grpc-health-check", description=__doc__.split("\n")[0])
    parser.add_argument("address", nargs="?", help="host:port (default: from SERVICE)")
    parser.add_argument("--service", default="", help="service name; empty means the server")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds")
    parser.add_argument("--server-name", default=None,
                        help="name the server certificate must carry (default: $SERVICE, "
                             "else the address's host)")
    args = parser.parse_args(argv)
    try:
        address = args.address or default_address(env)
        credentials = tls_credentials(env)
    except CheckError as exc:
        print(f"grpc-health-check: {exc}", file=sys.stderr)
        return 1
    server_name = args.server_name if args.server_name is not None else \
        env.get("SERVICE", "").strip().lower()
    status = check(address, args.service, args.timeout, credentials, server_name)
    print(f"{address} {args.service or '(server)'}: {status}")
    return 0 if status == "SERVING" else 1


if __name__ == "__main__":
    sys.exit(main())
