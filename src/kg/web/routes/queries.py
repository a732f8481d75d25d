"""/queries: the named queries of `queries/*.rq`, listed, and each run with its parameters taken from
the query string (bound as typed terms, never pasted into the text)."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kg import queries
from kg.engine import Job, term_text
from kg.web import openapi, representations as reps, tables
from kg.web.routes.sparql import base_iri
from kg.web.templating import page, root

router = APIRouter()


def describe(query: queries.NamedQuery, root_path: str) -> dict:
    return {"name": query.name, "title": query.title, "description": query.description, "form": query.form,
            "tags": list(query.tags), "url": f"{root_path}/queries/{query.name}",
            "params": [{"name": p.name, "type": p.type, "default": p.default, "required": p.required,
                        "description": p.description} for p in query.params]}


@router.api_route("/queries", methods=["GET", "HEAD"])
def catalogue(request: Request) -> Response:
    listed = list(request.app.state.queries.values())
    rep = reps.choose((reps.JSON, reps.HTML), request.headers.get("accept"), request.query_params.getlist("format"))
    if rep is reps.HTML:
        return page(request, "queries.html", {"title": "Named queries", "queries": listed},
                    reps.alternates(request.url, (reps.JSON,), "queries"))
    return JSONResponse({"queries": [describe(q, root(request)) for q in listed]}, headers={"Vary": "Accept"})


def values_of(request: Request) -> dict[str, str]:
    """The query-string arguments that are parameters (the last one of a repeated name wins)."""
    return {k: v for k, v in request.query_params.items() if k not in queries.RESERVED}


def job_of(request: Request, query: queries.NamedQuery, values: dict[str, str], rep) -> Job:
    """The job of a named query: its text with the parameters bound as typed terms (never pasted)."""
    bound = tuple(sorted((v.value, term_text(t)) for v, t in query.substitutions(values).items()))
    graph = query.form in ("CONSTRUCT", "DESCRIBE")
    machine = rep is not None and rep is not reps.HTML
    return request.app.state.querying.job(
        query.text, request, substitutions=bound,
        format=rep.name if machine and not graph else "json",
        graph_format=rep.name if machine and graph else "ntriples")


@router.api_route("/queries/{name}", methods=["GET", "HEAD"], openapi_extra=openapi.NAMED_QUERY)
async def named(request: Request, name: str) -> Response:
    query = queries.get(request.app.state.queries, name)
    values = values_of(request)
    offers = reps.for_form(query.form)
    rep = reps.choose((*offers, reps.HTML), request.headers.get("accept"), request.query_params.getlist("format"))
    started = time.perf_counter()
    result = await request.app.state.querying.run(request, job_of(request, query, values, rep))
    if rep is not reps.HTML:
        return reps.answer_response(request, result)
    links = reps.alternates(request.url, offers, query.name)
    context = {"title": query.title, "query": query, "values": {**query.defaults(), **values},
               "table": tables.of_answer(result, base_iri(request), root(request)),
               "elapsed": time.perf_counter() - started, "downloads": links,
               "editor": f"{root(request)}/sparql?{urlencode({'query': query.standalone(values)})}"}
    return page(request, "query.html", context, links)
