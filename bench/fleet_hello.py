"""A bare FastAPI "hello" app, served the way the centre is, as fleet_load.py's baseline.

    .venv/bin/python bench/fleet_hello.py [--workers N] [--host 127.0.0.1] [--port 0]

With one worker it is served by the centre's own in-thread uvicorn (central_server.testing.serve_in_thread,
access lines on stderr at log level info, as `kiosk-central serve` runs it); with N >= 2 by the centre's own
gunicorn set-up (central_server.workers.serve_workers: a master and N uvicorn_worker processes), or plain
gunicorn with `uvicorn_worker.UvicornWorker` where the centre has none. Prints one line
`listening on http://HOST:PORT` on stdout once it accepts connections and stops on SIGTERM, as
`kiosk-central serve` does. The endpoint is a
plain `def` (run in the thread pool) like the centre's, so the ratio of an endpoint to this one is what the
centre's own work costs over the framework's.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/hello")
def hello() -> dict[str, Any]:
    # Envelope-shaped, about the size of a heartbeat's answer.
    return {"code": "ok", "message": "hello", "centre_seq": "C0000000001", "data": None}


def _serve_one(host: str, port: int) -> int:
    # The repository root, for the centre's own in-thread server (this file runs as a script from bench/).
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from central_server.testing import serve_in_thread

    server = serve_in_thread(app, host, port, log_level="info")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"listening on {server.base_url}", flush=True)
    while not stop.wait(0.5) and server.running:
        pass
    server.stop()
    return 0


def _serve_many(host: str, port: int, workers: int) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    try:
        from central_server.testing import bind_socket
        from central_server.workers import serve_workers
    except ImportError:  # a centre without `serve --workers`: plain gunicorn with uvicorn's worker
        return _serve_gunicorn(host, port, workers)
    # The centre's own gunicorn set-up (its settings, logging and worker class); it disposes of the app's
    # database engine around the fork, and this app has none.
    app.state.context = SimpleNamespace(db=SimpleNamespace(engine=SimpleNamespace(dispose=lambda **_: None)))
    sock = bind_socket(host, port)
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    return serve_workers(
        app,
        sock,
        workers=workers,
        forwarded_allow_ips=None,
        on_ready=lambda: print(f"listening on {base_url}", flush=True),
    )


def _serve_gunicorn(host: str, port: int, workers: int) -> int:
    from gunicorn.app.base import BaseApplication

    def when_ready(server: Any) -> None:
        bound = server.LISTENERS[0].sock.getsockname()[1]
        print(f"listening on http://{host}:{bound}", flush=True)

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "uvicorn_worker.UvicornWorker",
        "when_ready": when_ready,
        "errorlog": "-",
        "loglevel": "warning",
        "graceful_timeout": 5,
    }

    class _Gunicorn(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self) -> FastAPI:
            return app

    # Workers are forked from this process; "bench.fleet_hello:app" is not importable from a script run.
    _Gunicorn().run()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.workers < 2:
        return _serve_one(args.host, args.port)
    return _serve_many(args.host, args.port, args.workers)


if __name__ == "__main__":
    raise SystemExit(main())
