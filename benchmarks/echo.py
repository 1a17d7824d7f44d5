"""A bare gRPC echo server of the services' server model, as the baseline for calls.

  python -m benchmarks.echo PORT WORKERS

Same grpcio, same ThreadPoolExecutor model and worker count, same receive limit;
no interceptors, no database: what a call costs before the service does anything.
"""

from __future__ import annotations

import signal
import sys
from concurrent import futures

import grpc

METHOD = "/bench.v1.Echo/Echo"


def _echo(request: bytes, context) -> bytes:
    return request


def serve(port: int, workers: int) -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers),
                         options=[("grpc.so_reuseport", 0),
                                  ("grpc.max_receive_message_length", 1024 * 1024)])
    handler = grpc.method_handlers_generic_handler("bench.v1.Echo", {
        "Echo": grpc.unary_unary_rpc_method_handler(_echo)})
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    signal.signal(signal.SIGTERM, lambda *_: server.stop(1))
    server.wait_for_termination()


def stub(channel: grpc.Channel):
    return channel.unary_unary(METHOD, request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
