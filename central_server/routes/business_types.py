"""The centre's business types and offices, for kiosks to show and to cache for offline pre-registration."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from central_server.auth import TerminalId
from central_server.business_types import CatalogueData, catalogue, catalogue_etag
from central_server.context import Context
from central_server.envelope import Code, Envelope, error_responses, ok

router = APIRouter(prefix="/v1", tags=["business types"])


@router.get(
    "/business-types",
    response_model=Envelope[CatalogueData],
    responses={
        304: {"description": "the catalogue named in If-None-Match is still the current one"},
        **error_responses(Code.BAD_CHANNEL, Code.BAD_ENVELOPE, Code.TERMINAL_UNAUTHORISED),
    },
)
def list_business_types(
    context: Context,
    terminal_id: TerminalId,
    response: Response,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Any:
    """Offices and business types with their materials; no citizen session is needed."""
    with context.db.transaction() as session:
        data = catalogue(session)
    etag = catalogue_etag(data)
    if if_none_match == etag:
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return ok(context.sequence, data)
