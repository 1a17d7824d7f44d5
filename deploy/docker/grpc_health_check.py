#!/usr/bin/env python
"""Exit 0 when a gRPC server reports SERVING on the standard health service, 1 otherwise.

The images carry this script as ``grpc-health-check`` because grpc_health_probe
is not in them; Compose and ``docker run`` health checks call it. Kubernetes
uses its built-in ``grpc`` probes instead.

    grpc-health-check 127.0.0.1:50051 [--service clinic.intake.v1.PatientService]
"""

from __future__ import annotations

import argparse
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def check(address: str, service: str = "", timeout: float = 2.0) -> str:
    """The serving status name, or the gRPC status code name when the call fails."""
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as exc:
            return exc.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="grpc-health-check", description=__doc__.split("\n")[0])
    parser.add_argument("address", nargs="?", default="127.0.0.1:50051", help="host:port")
    parser.add_argument("--service", default="", help="service name; empty means the server")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds")
    args = parser.parse_args(argv)
    status = check(args.address, args.service, args.timeout)
    print(f"{args.address} {args.service or '(server)'}: {status}")
    return 0 if status == "SERVING" else 1


if __name__ == "__main__":
    sys.exit(main())
