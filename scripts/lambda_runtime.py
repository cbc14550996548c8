"""A stand-in for the Lambda Runtime API (the part a function uses), for tests of a bootstrap.

    api = RuntimeApi(); api.start()
    # start the bootstrap with AWS_LAMBDA_RUNTIME_API=api.address
    kind, payload = api.invoke({"...": "event"})   # kind is "response" or "error"

It queues events, hands each to a `next` call of the function's (several at once when the
function polls concurrently, as under Lambda Managed Instances) with the headers Lambda sends
(each event's own trace id and deadline when given), returns what the function posts to
`/response` or `/error`, and counts how many invocations were in flight at once.
"""
import contextlib
import json
import os
import queue
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class RuntimeApi:
    def __init__(self):
        self._events = queue.Queue()
        self._results = {}
        self._done = threading.Condition()
        self.in_flight = 0
        self.max_in_flight = 0
        self.init_error = None
        # When the function first asked for an event (time.perf_counter()): its init is over.
        self.first_poll_at = None
        # Called once, at that first poll, before the event is handed over (the cold-start
        # benchmark throttles the process from there on).
        self.on_first_poll = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _answer(self, status, body=b"", headers=()):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self._answer(404)
                if api.first_poll_at is None:
                    api.first_poll_at = time.perf_counter()
                    if api.on_first_poll is not None:
                        api.on_first_poll()
                request_id, event, trace_id, deadline_ms = api._events.get()
                with api._done:
                    api.in_flight += 1
                    api.max_in_flight = max(api.max_in_flight, api.in_flight)
                self._answer(
                    200,
                    json.dumps(event).encode(),
                    [
                        ("Content-Type", "application/json"),
                        ("Lambda-Runtime-Aws-Request-Id", request_id),
                        ("Lambda-Runtime-Deadline-Ms", str(deadline_ms)),
                        ("Lambda-Runtime-Invoked-Function-Arn",
                         "arn:aws:lambda:us-east-1:123456789012:function:cancel-lifecycle-execution"),
                        ("Lambda-Runtime-Trace-Id", trace_id),
                    ],
                )

            def do_POST(self):
                body = self._body()
                if self.path == f"{PREFIX}/init/error":
                    api.init_error = body.decode(errors="replace")
                    return self._answer(202)
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    with api._done:
                        api._results[parts[1]] = (parts[2], body.decode(errors="replace"))
                        api.in_flight -= 1
                        api._done.notify_all()
                    return self._answer(202)
                return self._answer(404)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.address = f"127.0.0.1:{self._server.server_address[1]}"

    def start(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self._server.shutdown()

    def invoke(self, event, timeout=10.0):
        """Queues `event`; returns ("response" | "error", the posted body), or raises TimeoutError."""
        return self.wait(self.submit(event), timeout)

    def submit(self, event, trace_id="Root=1-00000000-000000000000000000000000",
               deadline_ms=9999999999999, request_id=None):
        """Queues `event` with its own trace id and deadline (ms since the epoch); returns its
        request id, for `wait`."""
        request_id = request_id or str(uuid.uuid4())
        self._events.put((request_id, event, trace_id, deadline_ms))
        return request_id

    def wait(self, request_id, timeout=10.0):
        """What the function posted for `request_id`, or raises TimeoutError."""
        with self._done:
            if not self._done.wait_for(lambda: request_id in self._results, timeout=timeout):
                raise TimeoutError(f"no answer to invocation {request_id} within {timeout} s")
            return self._results.pop(request_id)


LAMBDA_VARIABLES = {
    "AWS_LAMBDA_FUNCTION_NAME": "cancel-lifecycle-execution",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
}


@contextlib.contextmanager
def running_bootstrap(bootstrap, env, runner=(), stdout=subprocess.DEVNULL):
    """`bootstrap` (run through `runner`, e.g. qemu) under a fresh RuntimeApi with the variables
    Lambda sets plus `env`, its stdout to `stdout` (a file, to read its log lines); yields
    (api, process) and stops both afterwards."""
    api = RuntimeApi().start()
    full_env = {"PATH": os.environ.get("PATH", ""), **LAMBDA_VARIABLES, **env,
                "AWS_LAMBDA_RUNTIME_API": api.address}
    process = subprocess.Popen([*runner, str(bootstrap)], env=full_env, stdout=stdout,
                               stderr=subprocess.DEVNULL)
    try:
        yield api, process
    finally:
        process.kill()
        process.wait(timeout=10)
        api.stop()
