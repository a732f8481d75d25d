"""/queries: the named queries of `queries/*.rq`, listed, and each run with its parameters taken from
the query string (`kg.web.catalogue`)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kg.sparql import named
from kg.web import catalogue, openapi
from kg.web import representations as reps
from kg.web.state import root
from kg.web.templating import page

router = APIRouter()


def entry(query: named.NamedQuery, root_path: str) -> dict:
    """A named query as the JSON catalogue lists it."""
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "form": query.form,
        "tags": list(query.tags),
        "url": f"{root_path}/queries/{query.name}",
        "params": [
            {"name": p.name, "type": p.type, "default": p.default, "required": p.required, "description": p.description}
            for p in query.params
        ],
    }


@router.api_route("/queries", methods=["GET", "HEAD"])
def listing(request: Request) -> Response:
    listed = list(request.app.state.queries.values())
    rep = reps.choose((reps.JSON, reps.HTML), request.headers.get("accept"), request.query_params.getlist("format"))
    if rep is reps.HTML:
        return page(
            request,
            "queries.html",
            {"title": "Named queries", "queries": listed},
            reps.alternates(request.url, (reps.JSON,), "queries"),
        )
    return JSONResponse({"queries": [entry(q, root(request)) for q in listed]}, headers={"Vary": "Accept"})


@router.api_route("/queries/{name}", methods=["GET", "HEAD"], openapi_extra=openapi.NAMED_QUERY)
async def named_query(request: Request, name: str) -> Response:
    return await catalogue.answer(request, name)
