"""A reverse proxy in front of the demo's centre that answers the citizen-session DELETE late, the way a
slow centre does: the session closes only when the answer comes."""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

SLOW_ROUTE = ("DELETE", "/v1/citizen/session")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class SlowCentre:
    def __init__(self, upstream: str, delay_s: float) -> None:
        target = urlsplit(upstream)
        host, port, delay = target.hostname or "127.0.0.1", target.port or 80, delay_s

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if (self.command, self.path.split("?")[0]) == SLOW_ROUTE:
                    time.sleep(delay)
                upstream = http.client.HTTPConnection(host, port, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    upstream.request(self.command, self.path, body=body or None, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                finally:
                    upstream.close()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _forward

            def log_message(self, *_args: object) -> None:  # the centre logs its own requests
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="slow-centre", daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
