"""/mappings: the page that lists every SSSOM mapping set of AIRM-KG with its counts (per predicate,
justifications, mean confidence, licence). It is the named query `align-mapping-sets` served at a
short address, with the same content negotiation (HTML, CSV, JSON, ...) as /queries/{name}; each set
links to its own resource page (kg:mappings/{name}).

Include it before the catch-all resources router: `app.include_router(mappings.router)`.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kg.web import catalogue

router = APIRouter()
QUERY = "align-mapping-sets"


@router.api_route("/mappings", methods=["GET", "HEAD"])
async def mapping_sets(request: Request) -> Response:
    return await catalogue.answer(request, QUERY)
