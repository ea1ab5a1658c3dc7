"""The kiosk's side of fleet management at the centre: fetch the configuration bundle (with ETag), report
what was done with it, and send heartbeats. Heartbeats go straight to the centre, never through the outbox:
only the latest state matters, so an old one is worth nothing once a newer one exists."""

from __future__ import annotations

from typing import Any

from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralError, CentralUnavailable


class FleetApi:
    def __init__(self, client: CentralClient) -> None:
        self._client = client

    def fetch_config(self, etag: str | None) -> tuple[str | None, dict[str, Any] | None]:
        """(etag, bundle) when there is a bundle newer than `etag`; (etag, None) when unchanged or none.
        The centre decides from its own records which group this kiosk is in."""
        import requests

        client = self._client
        headers = client.envelope_headers()
        if etag:
            headers["If-None-Match"] = etag
        try:
            response = client.http.get(
                client.base_url + "/v1/fleet/config",
                headers=headers,
                timeout=client.timeout_s,
            )
        except requests.RequestException as exc:
            raise CentralUnavailable(f"GET /v1/fleet/config: {type(exc).__name__}") from exc
        if response.status_code == 304:
            return etag, None
        try:
            body = response.json()
        except (ValueError, RecursionError) as exc:  # nested past the parser's stack: not an answer either
            raise CentralUnavailable(f"GET /v1/fleet/config: HTTP {response.status_code}, not JSON") from exc
        if response.status_code == 404 and body.get("code") == "not_found":
            return None, None
        if body.get("code") == "terminal_unauthorised":
            client.forget_terminal_token()
            raise CentralUnavailable("GET /v1/fleet/config: terminal token expired; will log in again")
        if body.get("code") != "ok" or not isinstance(body.get("data"), dict):
            raise CentralUnavailable(f"GET /v1/fleet/config: HTTP {response.status_code} {body.get('code')}")
        return response.headers.get("ETag"), body["data"]["bundle"]

    def report(self, version: int, outcome: str, reason: str) -> None:
        self._client.call(
            "POST",
            "/v1/fleet/config-reports",
            json={"version": version, "outcome": outcome, "reason": reason[:300]},
        )

    def heartbeat(self, beat: dict[str, Any]) -> None:
        try:
            self._client.call("POST", "/v1/fleet/heartbeat", json=beat)
        except CentralError as exc:
            raise CentralUnavailable(f"heartbeat refused: {exc.code}") from exc
