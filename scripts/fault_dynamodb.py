#!/usr/bin/env python3
"""A DynamoDB endpoint that can go wrong on demand, for fault tests.

It forwards every request to a real DynamoDB API (moto's server in the tests) until told to
fail; then it answers the way a throttled, failing or silent DynamoDB does. Standard library
only, so any python3 runs it.

    fault_dynamodb.py --upstream http://127.0.0.1:5000 [--port 0]

prints "listening on http://127.0.0.1:PORT" once ready. Control it with
`PUT /__fault__` and a body naming the mode: one of MODES, "none" (forward), "silent" (never
answer) or "slow" (forward after SLOW_SECONDS); `GET /__fault__` reports the mode and how many
DynamoDB requests it has answered in each.
"""
import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def dynamodb_error(status, code, message, extra=None):
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
    body.update(extra or {})
    return status, code, json.dumps(body).encode()


MODES = {
    "throttling": dynamodb_error(400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    "provisioned-throughput": dynamodb_error(
        400, "ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded."
    ),
    "transaction-throttled": dynamodb_error(
        400,
        "TransactionCanceledException",
        "Transaction cancelled, please refer cancellation reasons for specific reasons [ThrottlingError, None]",
        {"CancellationReasons": [{"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity."}, {"Code": "None"}]},
    ),
    "internal-error": dynamodb_error(500, "InternalServerError", "Internal server error"),
    "service-unavailable": (503, "ServiceUnavailable", b'{"__type":"com.amazon.coral.availability#ServiceUnavailableException","message":"Service unavailable"}'),
    "access-denied": dynamodb_error(
        400, "AccessDeniedException", "User: arn:aws:sts::111122223333:assumed-role/fn is not authorized to perform: dynamodb:PutItem on resource: table/secret-table-name"
    ),
    "missing-table": dynamodb_error(400, "ResourceNotFoundException", "Requested resource not found: Table: secret-table-name not found"),
}
PASS, SILENT, SLOW = "none", "silent", "slow"
SLOW_SECONDS = 1.0


class State:
    def __init__(self, upstream):
        self.upstream = upstream.rstrip("/")
        self.mode = PASS
        self.counts = {}
        self.lock = threading.Lock()

    def count(self, mode):
        with self.lock:
            self.counts[mode] = self.counts.get(mode, 0) + 1


def handler_for(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status, body, headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/__fault__":
                with state.lock:
                    report = {"mode": state.mode, "counts": dict(state.counts)}
                return self._send(200, json.dumps(report).encode(), [("Content-Type", "application/json")])
            return self._forward(b"")

        def do_PUT(self):
            body = self._body()
            if self.path == "/__fault__":
                mode = body.decode().strip()
                if mode not in MODES and mode not in (PASS, SILENT, SLOW):
                    return self._send(400, f"unknown mode {mode!r}".encode())
                with state.lock:
                    state.mode = mode
                return self._send(204, b"")
            return self._forward(body)

        def do_POST(self):
            body = self._body()
            with state.lock:
                mode = state.mode
            state.count(mode)
            if mode == SILENT:
                # Accept, read, never answer: the client's timeouts must end it.
                time.sleep(3600)
                return
            if mode == SLOW:
                # A DynamoDB that answers, late: for requests in flight during a shutdown.
                time.sleep(SLOW_SECONDS)
            if mode in MODES:
                status, code, payload = MODES[mode]
                return self._send(
                    status,
                    payload,
                    [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", "FAULT")],
                )
            return self._forward(body)

        def _forward(self, body):
            request = urllib.request.Request(state.upstream + self.path, data=body or None, method=self.command)
            for name, value in self.headers.items():
                if name.lower() not in ("host", "content-length", "connection"):
                    request.add_header(name, value)
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    status, payload, headers = answer.status, answer.read(), answer.getheaders()
            except urllib.error.HTTPError as error:
                status, payload, headers = error.code, error.read(), error.headers.items()
            keep = [(n, v) for n, v in headers if n.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date")]
            self._send(status, payload, keep)

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="the real DynamoDB API to forward to")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(State(args.upstream)))
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
