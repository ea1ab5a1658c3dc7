from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from central_server.openapi import REGENERATE_COMMAND, render_schema

SCHEMA_FILE = Path(__file__).parents[2] / "docs" / "api" / "openapi.json"


def test_the_published_schema_is_the_servers(demo_app: FastAPI) -> None:
    published = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
    assert render_schema(demo_app) == published, (
        f"{SCHEMA_FILE} differs from the server's schema; regenerate with: {REGENERATE_COMMAND}"
    )


def test_the_schema_documents_envelopes_not_fastapi_422s(demo_app: FastAPI) -> None:
    schema = demo_app.openapi()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert all("422" not in op["responses"] for op in operations)
    account = schema["paths"]["/v1/citizen/account"]["get"]
    assert account["security"] == [{"TerminalToken": [], "CitizenSession": []}]
    headers = {p["name"] for p in account["parameters"] if p["in"] == "header" and p["required"]}
    assert headers == {"X-Channel", "X-Terminal-Id", "X-Centre-Id", "X-Seq-No"}
