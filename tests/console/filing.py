"""Filing as a kiosk does, for the console's tests: a rating that opens a follow-up case."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tests.central.helpers import Kiosk
from tests.central.visits import Visitor

PHONE = "13812345678"  # the callback number of every rating filed here (synthetic)


def rate(kiosk: Kiosk, created: dt.datetime, visitor: Visitor | None = None, score: int = 1) -> str:
    """Files a rating as a kiosk does; a score of 2 or less opens a case. Answers its case_ref."""
    case_ref = "C" + uuid.uuid4().hex[:12]
    item: dict[str, Any] = {
        "idempotency_key": uuid.uuid4().hex,
        "kind": "rating",
        "created_at": created.isoformat(),
        "payload": {
            "score": score,
            "detail_codes": ["slow", "not_solved"],
            "text": "",
            "channel": 5,
            "rating_round": 1,
            "rater_type": "individual",
            "service_code": "withdrawal",
            "visit_id": "v" + uuid.uuid4().hex[:12],
            "case_ref": case_ref,
            "callback_phone": PHONE,
        },
    }
    if visitor is not None:
        item["visit_ticket"] = visitor.ticket
    (result,) = kiosk.data("POST", "/v1/intake/batch", json={"items": [item]})["results"]
    assert result["status"] == "accepted", result
    return case_ref
