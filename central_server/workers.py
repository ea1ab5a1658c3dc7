"""`kiosk-central serve --workers N`: N worker processes behind one port.

gunicorn's master forks the workers, restarts one that dies or stops answering, and stops them gracefully
on SIGTERM; each worker serves the app with uvicorn (the `uvicorn_worker` class). The app is built once,
in the master, before the fork (`preload_app`): the database is migrated, seeded and provisioned once,
and every worker signs console sessions with the same secret. Each worker then opens its own database
connections (the pool built in the master is dropped in the child, as SQLAlchemy asks for forked
processes). Nothing a request changes lives in a worker's memory: sign-in counts, lockouts, rate limits,
kiosks, rollouts and the centre's sequence numbers are all in the database, so any worker may answer any
request (tests/central/test_workers.py).
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from gunicorn.app.base import BaseApplication
from uvicorn_worker import UvicornWorker

from central_server.testing import KEEPALIVE_S

# A worker whose event loop has not ticked for this long is killed and replaced.
WORKER_TIMEOUT_S = 30
GRACEFUL_TIMEOUT_S = 10

_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
# stdout carries only the `listening on …` line; everything else goes to stderr (journald under systemd).
_LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": _FORMAT}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
}


def worker_class(forwarded_allow_ips: str | None) -> type[UvicornWorker]:
    """uvicorn's worker, trusting X-Forwarded-For only when a proxy is named (as `serve_in_thread` does:
    otherwise anyone on the centre's host could choose the address their failures count against)."""

    class CentreWorker(UvicornWorker):
        CONFIG_KWARGS: dict[str, Any] = {  # noqa: RUF012 (uvicorn_worker's own name and shape)
            "loop": "auto",
            "http": "auto",
            "proxy_headers": forwarded_allow_ips is not None,
        }

    return CentreWorker


class _Centre(BaseApplication):
    def __init__(self, app: FastAPI, settings: dict[str, Any]) -> None:
        self._app = app
        self._settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._settings.items():
            self.cfg.set(key, value)

    def load(self) -> FastAPI:
        return self._app


def serve_workers(
    app: FastAPI,
    sock: socket.socket,
    *,
    workers: int,
    forwarded_allow_ips: str | None,
    on_ready: Callable[[], None],
) -> int:
    """Serves `app` on the bound `sock` with `workers` processes until SIGTERM or SIGINT; returns the exit
    status. `on_ready` is called in the master once it is ready to fork the workers."""
    sock.set_inheritable(True)
    engine = app.state.context.db.engine

    def post_fork(_server: object, _worker: object) -> None:
        # The master's pooled connections must not be shared with a child: each worker opens its own.
        engine.dispose(close=False)

    def when_ready(_server: object) -> None:
        on_ready()

    # The master holds no connection the workers could inherit.
    engine.dispose()
    settings: dict[str, Any] = {
        "bind": [f"fd://{sock.fileno()}"],
        "workers": workers,
        "worker_class": worker_class(forwarded_allow_ips),
        "preload_app": True,
        "keepalive": KEEPALIVE_S,
        "timeout": WORKER_TIMEOUT_S,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "forwarded_allow_ips": forwarded_allow_ips or "127.0.0.1",
        "logconfig_dict": _LOGGING,
        "post_fork": post_fork,
        "when_ready": when_ready,
        "proc_name": "kiosk-central",
        # systemd manages the centre; a control socket would only be one more way in.
        "control_socket_disable": True,
    }
    try:
        _Centre(app, settings).run()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    finally:
        logging.shutdown()
        sys.stdout.flush()
    return 0
