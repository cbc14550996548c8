#!/usr/bin/env python3
"""moto's server, handling one request at a time.

moto's TransactWriteItems rolls a failed transaction back by restoring a copy of the tables
taken before it started, which throws away writes other threads made in between. DynamoDB
itself is serializable per item; serializing moto's requests is the faithful way to run it
under concurrent load (the service under test still sends its requests concurrently).

    moto_server.py [-H 127.0.0.1] [-p 5000]
"""
import argparse
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def serialized(app):
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            # Produce the whole body inside the lock: a WSGI app may work lazily.
            return [b"".join(app(environ, start_response))]

    return one_at_a_time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    run_simple(args.host, args.port, serialized(DomainDispatcherApplication(create_backend_app)), threaded=True)


if __name__ == "__main__":
    main()
