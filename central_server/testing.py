"""Run the app on a real loopback socket in a background thread (for tests and the kiosk's demo launcher)."""

from __future__ import annotations

import copy
import socket
import threading
import time
from types import TracebackType

import uvicorn
from fastapi import FastAPI

# stdout is kept for the one `listening on …` line a launcher reads; access lines go to stderr.
LOG_CONFIG = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
LOG_CONFIG["handlers"]["access"]["stream"] = "ext://sys.stderr"
# How long an idle connection is kept open. Longer than a reverse proxy keeps an idle upstream connection
# (nginx: 60 s), and than the gaps between a busy kiosk's requests, so the client, not the centre, closes
# it: a request sent on a connection the centre is closing at that instant would fail.
KEEPALIVE_S = 75


class RunningServer:
    def __init__(self, server: uvicorn.Server, thread: threading.Thread, base_url: str) -> None:
        self._server = server
        self._thread = thread
        self.base_url = base_url

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_in_thread(
    app: FastAPI,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_level: str = "warning",
    startup_timeout: float = 10.0,
    forwarded_allow_ips: str | None = None,
    sock: socket.socket | None = None,
) -> RunningServer:
    """Start serving and return once the server accepts connections. Port 0 picks a free port; `sock`, a
    socket bound already (`bind_socket`), is used instead of binding host and port.
    `forwarded_allow_ips` names the reverse proxies whose X-Forwarded-For the server believes.

    Raises OSError when the address cannot be bound, RuntimeError when the server does not start.
    """
    sock = sock or bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        host=host,
        port=bound_port,
        log_config=LOG_CONFIG,
        log_level=log_level,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=KEEPALIVE_S,
        # uvicorn would take the client's address from X-Forwarded-For whenever the peer is 127.0.0.1, so
        # anyone on the centre's own host could pick the address its guesses count against. The peer is the
        # client here; a reverse proxy in front must be named explicitly when there is one.
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"central-api-{bound_port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout
    # uvicorn offers no start-up event to wait on, only this flag.
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the central API did not start on {host}:{bound_port}")
        time.sleep(0.01)
    url_host = f"[{host}]" if ":" in host else host
    return RunningServer(server, thread, f"http://{url_host}:{bound_port}")


def bind_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        # Lets a restarted server take its port back while old connections sit in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock
