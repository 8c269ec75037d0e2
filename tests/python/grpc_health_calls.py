"""Calls the gRPC health service of a running example with grpcio, the reference gRPC
client in C core, as a service written in another language would.

    python3 grpc_health_calls.py ADDR KNOWN_SERVICE OK_CALLS MISSING_CALLS

Makes OK_CALLS checks of KNOWN_SERVICE (answered OK) and MISSING_CALLS checks of a service
the server does not know (answered NOT_FOUND), and prints one line per status code name with
how many calls ended with it. No generated stubs: the request is one protobuf field written
by hand (field 1, `service`, a string), and the answers are not decoded.
"""

import collections
import sys

import grpc


def request(service: str) -> bytes:
    name = service.encode()
    assert len(name) < 128, "one length byte"
    return b"\x0a" + bytes([len(name)]) + name


def main() -> None:
    addr, known, ok_calls, missing_calls = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    codes = collections.Counter()
    with grpc.insecure_channel(addr) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        for service, calls in ((known, ok_calls), ("not-a-service", missing_calls)):
            for _ in range(calls):
                try:
                    check(request(service), timeout=10)
                    codes["OK"] += 1
                except grpc.RpcError as error:
                    codes[error.code().name] += 1
    for name, count in sorted(codes.items()):
        print(f"{name} {count}")


if __name__ == "__main__":
    main()
