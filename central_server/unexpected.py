"""Answers an unexpected exception with the `server_error` envelope, and keeps the connection usable.

Starlette's own last-resort handler sends the answer and then raises the exception again, for the server to
log; uvicorn then closes the connection without having said so, and a client that reuses it (every kiosk
keeps its connection) finds its next request reset, which looks like a network failure instead of the
centre's error. Here the exception is logged and answered, and the exchange ends as any other does."""

from __future__ import annotations

import json
import logging

from fastapi.encoders import jsonable_encoder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central_server.envelope import HTTP_STATUS, Code, ErrorEnvelope
from central_server.sequence import CentreSequence

_log = logging.getLogger(__name__)


class AnswerUnexpected:
    def __init__(self, app: ASGIApp, *, sequence: CentreSequence) -> None:
        self.app = app
        self.sequence = sequence

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if started:
                raise  # half an answer is out: only closing the connection can tell the client
            # The method and path only: a query string or body may hold a citizen's data.
            _log.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            body = ErrorEnvelope(
                code=Code.SERVER_ERROR,
                message="internal server error",
                centre_seq=self.sequence.next(),
                data=None,
            )
            payload = json.dumps(jsonable_encoder(body), separators=(",", ":")).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": HTTP_STATUS[Code.SERVER_ERROR],
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(payload)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": payload})
