"""Refuses request bodies over a size limit before anything reads, parses or authenticates them.

A pure ASGI middleware: FastAPI would otherwise read a whole body into memory and parse it before any
check (a 100 MB batch took about 800 MB and stalled the server). A body whose Content-Length is over the
limit is refused at once, unparsed. A body without one (chunked) is read up to the limit and refused as
soon as it goes over; within the limit it is handed on as it came. After the refusal, up to DISCARD_BYTES
more of the body are read and dropped so the client gets to read the answer."""

from __future__ import annotations

import asyncio
import json

from fastapi.encoders import jsonable_encoder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central_server.envelope import HTTP_STATUS, Code, ErrorEnvelope
from central_server.limits import MIB
from central_server.sequence import CentreSequence

# After answering 413, what the centre still reads (and drops) of a body before it closes the connection.
DISCARD_BYTES = 16 * MIB
DISCARD_SECONDS = 5.0


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int, sequence: CentreSequence) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.sequence = sequence

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            # The server reads no more than the declared length, so the declaration is the size.
            if int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send, body_pending=True)
            else:
                await self.app(scope, receive, send)
            return
        received: list[Message] = []
        size = 0
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, body_pending=message.get("more_body", False))
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, *, body_pending: bool) -> None:
        body = ErrorEnvelope(
            code=Code.PAYLOAD_TOO_LARGE,
            message=f"request body over {self.max_bytes} bytes",
            centre_seq=self.sequence.next(),
            data=None,
        )
        payload = json.dumps(jsonable_encoder(body), separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": HTTP_STATUS[Code.PAYLOAD_TOO_LARGE],
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    # The body is not read to its end, so the connection cannot carry another request.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload, "more_body": True})
        # A client that waits for "100 Continue" has sent no body, and asking for it would invite it.
        if body_pending and dict(scope["headers"]).get(b"expect", b"").lower() != b"100-continue":
            await _discard_some(receive)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _discard_some(receive: Receive) -> None:
    """Reads and drops what the client is still sending, for a bounded while. Closing a socket with unread
    data in it sends a reset, which can destroy the answer before the client reads it; most clients (the
    kiosk's too) send their whole body before they read, so they would see a broken connection instead
    of the 413 that tells them to send less."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DISCARD_SECONDS
    discarded = 0
    while discarded <= DISCARD_BYTES:
        try:
            message = await asyncio.wait_for(receive(), timeout=max(0.0, deadline - loop.time()))
        except TimeoutError:
            return
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        discarded += len(message.get("body", b""))
