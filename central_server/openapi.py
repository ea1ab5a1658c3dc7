"""Prints the contract's OpenAPI schema: `python -m central_server.openapi > docs/api/openapi.json`."""

from __future__ import annotations

import json
import sys

from fastapi import FastAPI

from central_server.app import create_app

REGENERATE_COMMAND = "python -m central_server.openapi > docs/api/openapi.json"


def render_schema(app: FastAPI) -> str:
    return json.dumps(app.openapi(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    # Bytes, so the Chinese descriptions come out as UTF-8 whatever the console's encoding.
    sys.stdout.buffer.write(render_schema(create_app(demo=True)).encode())


if __name__ == "__main__":
    main()
