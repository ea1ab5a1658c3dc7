from __future__ import annotations

from datetime import UTC

from fastapi import APIRouter

from central_server.context import Context
from central_server.envelope import Envelope, error_responses, ok
from central_server.schemas import HealthData
from central_server.version import VERSION

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", responses=error_responses())
def health(context: Context) -> Envelope[HealthData]:
    """No headers or auth: the kiosk uses it to check reachability and clock skew."""
    return ok(context.sequence, HealthData(server_time=context.clock().astimezone(UTC), version=VERSION))
