"""GET /v1/business-types: the centre's catalogue, for a terminal without a citizen, with an ETag."""

from __future__ import annotations

from central_server.testing import RunningServer

from .helpers import Kiosk


def test_the_catalogue_needs_only_a_terminal_token(demo_server: RunningServer) -> None:
    kiosk = Kiosk(demo_server.base_url)
    assert kiosk.call("GET", "/v1/business-types").json()["code"] == "terminal_unauthorised"
    kiosk.authenticate()
    data = kiosk.data("GET", "/v1/business-types")
    assert {office["code"] for office in data["offices"]} == {"SHILI", "YANGLI", "CESHI"}
    by_code = {row["code"]: row for row in data["business_types"]}
    withdrawal = by_code["withdrawal"]
    assert withdrawal["name_zh"] == "住房公积金提取" and withdrawal["name_en"] == "HPF withdrawal"
    assert len(withdrawal["materials_zh"]) == len(withdrawal["materials_en"]) >= 2
    assert withdrawal["bookable"] and withdrawal["pre_registrable"]
    assert not by_code["transfer"]["bookable"] and not by_code["details_change"]["pre_registrable"]
    offices = {office["code"] for office in data["offices"]}
    assert all(set(row["offices"]) <= offices for row in data["business_types"])


def test_an_unchanged_catalogue_is_not_sent_again(demo_server: RunningServer) -> None:
    kiosk = Kiosk(demo_server.base_url)
    kiosk.authenticate()
    first = kiosk.call("GET", "/v1/business-types")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = kiosk.call("GET", "/v1/business-types", replace={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag and not again.content
    stale = kiosk.call("GET", "/v1/business-types", replace={"If-None-Match": '"0"'})
    assert stale.status_code == 200 and stale.json()["data"] == first.json()["data"]
