"""S3 and SQS of the local AWS backend: moto's server, behind andes-local's front door
(local/src/backend/), which serves DynamoDB itself (dynoxide) and counts the calls.

Usage: python moto_server.py PORT (MOTO_PORT: the front door's port, for the URLs moto builds)
"""

import logging
import os
import sys
import threading
import time

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


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

    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        "127.0.0.1",
        port,
        app,
        threaded=True,
        use_reloader=False,
        request_handler=QuietHandler,
    )


if __name__ == "__main__":
    main()
