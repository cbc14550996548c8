#!/usr/bin/env python3
"""A DynamoDB endpoint that can go wrong on demand, for fault tests.

It forwards every request to a real DynamoDB API (moto's server in the tests) until told to
fail; then it answers the way a throttled, failing or silent DynamoDB does. Standard library
only, so any python3 runs it.

    fault_dynamodb.py --upstream http://127.0.0.1:5000 [--port 0]
        [--latency-model upper|lower [--seed N]] [--commit-writes] [--tls-cert CERT --tls-key KEY]

prints "listening on http(s)://127.0.0.1:PORT" once ready. With --latency-model, every forwarded
DynamoDB call is held until a latency drawn for its operation (scripts/latency_model.py) has
passed since the request arrived: the draw, not the draw plus upstream's own time (a call whose
upstream time exceeds its draw is counted as an overrun). `GET /__model__` reports calls,
overruns and upstream time per operation, and the wall-clock arrival and excess of each overrun
(`?since=N`: from the Nth on). With --tls-cert and --tls-key it serves HTTPS. Control it with
`PUT /__fault__` and a body naming the mode: one of MODES, "none" (forward), "silent" (never
answer) or "slow" (forward after SLOW_SECONDS); `GET /__fault__` reports the mode and how many
DynamoDB requests it has answered in each.
"""
import argparse
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from latency_model import PROFILES, Model


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
    def __init__(self, upstream, model=None, commit_writes=False):
        self.upstream = urllib.parse.urlsplit(upstream)
        # Answer every TransactWriteItems as committed without asking upstream (a DynamoDB
        # that answers in parallel, for what one process of the service sustains).
        self.commit_writes = commit_writes
        self.mode = PASS
        self.counts = {}
        self.model = model
        self.calls = {}
        # (wall-clock arrival, ms) of every call that upstream answered later than its draw:
        # the harness gives each to the request that was in flight when it arrived.
        self.excesses = []
        self.lock = threading.Lock()
        self.local = threading.local()

    def count(self, mode):
        with self.lock:
            self.counts[mode] = self.counts.get(mode, 0) + 1

    def connection(self):
        """One keep-alive connection to upstream per serving thread."""
        if getattr(self.local, "connection", None) is None:
            self.local.connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        return self.local.connection

    def hold(self, operation, arrived, status, payload):
        """Holds the answer until the model's draw for this call has passed since `arrived`."""
        if self.model is None or operation is None:
            return
        cancelled = status == 400 and b"TransactionCanceledException" in payload
        with self.lock:
            draw_ms = self.model.draw_ms(operation, cancelled)
        if draw_ms is None:
            return
        upstream_ms = (time.monotonic() - arrived) * 1000
        with self.lock:
            entry = self.calls.setdefault(operation, {"calls": 0, "overruns": 0, "upstream_ms": 0.0, "drawn_ms": 0.0, "excess_ms": 0.0})
            entry["calls"] += 1
            entry["upstream_ms"] += upstream_ms
            entry["drawn_ms"] += draw_ms
            entry["overruns"] += upstream_ms > draw_ms
            entry["excess_ms"] += max(0.0, upstream_ms - draw_ms)
            if upstream_ms > draw_ms:
                self.excesses.append((time.time() - upstream_ms / 1000, upstream_ms - draw_ms))
        if draw_ms > upstream_ms:
            time.sleep((draw_ms - upstream_ms) / 1000)


def handler_for(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without this, Nagle's algorithm holds the
        # body until the client's delayed ACK (40 ms on Linux).
        disable_nagle_algorithm = True

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
            path, _, query = self.path.partition("?")
            if path == "/__model__":
                since = int(urllib.parse.parse_qs(query).get("since", ["0"])[0])
                with state.lock:
                    report = {"profile": state.model and state.model.profile, "calls": json.loads(json.dumps(state.calls)),
                              "excesses": state.excesses[since:], "excesses_total": len(state.excesses)}
                return self._send(200, json.dumps(report).encode(), [("Content-Type", "application/json")])
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
            arrived = time.monotonic()
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
            return self._forward(body, arrived)

        def _forward(self, body, arrived=None):
            headers = {n: v for n, v in self.headers.items() if n.lower() not in ("host", "content-length", "connection")}
            target = self.headers.get("X-Amz-Target", "")
            operation = target.rpartition(".")[2] or None
            if state.commit_writes and operation == "TransactWriteItems":
                status, payload = 200, b"{}"
                answer_headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", "COMMITTED")]
            else:
                status, payload, answer_headers = self._exchange(self.command, self.path, body, headers)
            if arrived is not None:
                state.hold(operation, arrived, status, payload)
            keep = [(n, v) for n, v in answer_headers if n.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date")]
            self._send(status, payload, keep)

        def _exchange(self, method, path, body, headers):
            # A connection upstream closed since the last call is opened again, once.
            for attempt in (1, 2):
                connection = state.connection()
                try:
                    connection.request(method, path, body=body or None, headers=headers)
                    answer = connection.getresponse()
                    return answer.status, answer.read(), answer.getheaders()
                except (http.client.HTTPException, ConnectionError):
                    connection.close()
                    state.local.connection = None
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="the real DynamoDB API to forward to")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-model", choices=PROFILES, help="hold each call to a latency of this profile")
    parser.add_argument("--seed", type=int, help="seed of the latency draws")
    parser.add_argument("--commit-writes", action="store_true",
                        help="answer every TransactWriteItems as committed, without upstream (benchmarks only)")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate chain (PEM)")
    parser.add_argument("--tls-key", help="the certificate's private key (PEM)")
    args = parser.parse_args()
    model = Model(args.latency_model, args.seed) if args.latency_model else None
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(State(args.upstream, model, args.commit_writes)))
    server.daemon_threads = True
    scheme = "http"
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    print(f"listening on {scheme}://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
