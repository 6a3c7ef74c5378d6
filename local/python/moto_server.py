"""The local AWS backend: moto's server with every DynamoDB request serialised.

Stock moto's DynamoDB backend takes no lock, so concurrent writes race (lost updates, double
winners of conditional writes, half-applied transactions, HTTP 500s); see
shared/notes/local-backend-moto.md. Running each request whose X-Amz-Target starts with
"DynamoDB" (tables and streams) under one lock makes them as atomic as on AWS. Other services
stay concurrent, so SQS long polls never block anything.

Usage: python moto_server.py PORT
"""

import json
import logging
import os
import sys
import threading
import time

from werkzeug.serving import run_simple

import moto_transactions

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

DYNAMODB_LOCK = threading.Lock()
CALLS_PATH = "/_andes/calls"


class SerialisedDynamoDb:
    """WSGI middleware: DynamoDB requests run one at a time, the whole response included."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB"):
            return self.app(environ, start_response)
        with DYNAMODB_LOCK:
            # The response iterable may still be doing the work lazily: consume it inside the
            # lock so that no part of the request runs concurrently with another.
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return [body]


class CallCounter:
    """WSGI middleware: counts AWS calls by caller and operation.

    Functions run by the local platform carry `app/<FunctionLogicalId>` in their SDK user
    agent (AWS_SDK_UA_APP_ID); the platform's own pollers carry none. `GET /_andes/calls`
    answers the counts as JSON; `DELETE /_andes/calls` answers them and starts over.
    """

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.counts = {}

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == CALLS_PATH:
            return self.answer(environ, start_response)
        key = (caller(environ), operation(environ))
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
        return self.app(environ, start_response)

    def answer(self, environ, start_response):
        with self.lock:
            calls = {}
            for (who, what), count in sorted(self.counts.items()):
                calls.setdefault(who, {})[what] = count
            if environ.get("REQUEST_METHOD") == "DELETE":
                self.counts.clear()
        body = json.dumps(calls).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def caller(environ):
    agent = environ.get("HTTP_X_AMZ_USER_AGENT", "") + " " + environ.get("HTTP_USER_AGENT", "")
    for part in agent.split():
        if part.startswith("app/"):
            return part[len("app/"):]
    return "platform"


def operation(environ):
    """`DynamoDB.PutItem`, `SQS.SendMessage`, `S3.PUT` ..."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        service, _, action = target.partition(".")
        service = "DynamoDB" if service.startswith("DynamoDB_") else "DynamoDBStreams" if service.startswith("DynamoDBStreams") else service
        return f"{service.replace('AmazonSQS', 'SQS')}.{action}"
    query = environ.get("QUERY_STRING", "")
    for pair in query.split("&"):
        if pair.startswith("Action="):
            return f"SQS.{pair[len('Action='):]}"
    return f"S3.{environ.get('REQUEST_METHOD', '?')}"


class QuietHandler(MotoRequestHandler):
    """One log line per request would drown the functions' own logs in the terminal."""

    def log_request(self, code="-", size="-"):
        pass


def exit_with_parent():
    """The platform owns this process: when it dies (even by SIGKILL), so do we."""
    parent = os.getppid()
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: moto_server.py PORT\n")
        sys.exit(2)
    port = int(sys.argv[1])
    os.environ.setdefault("MOTO_PORT", str(port))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    threading.Thread(target=exit_with_parent, daemon=True).start()
    moto_transactions.install()

    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        "127.0.0.1",
        port,
        CallCounter(SerialisedDynamoDb(app)),
        threaded=True,
        use_reloader=False,
        request_handler=QuietHandler,
    )


if __name__ == "__main__":
    main()
