"""/sparql: the SPARQL 1.1 Protocol (query operation, read-only), the service description and the
query page. An `APIRouter` another FastAPI app can include: it reads `app.state.store` (a pyoxigraph
Store), and for its pages `app.state.queries` (named queries) and `app.state.graph_sizes`."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MultiDict
from starlette.requests import Request
from starlette.responses import Response

from kg import sparql
from kg.errors import QueryError
from kg.namespaces import DEFAULT_BASE, sparql_prologue
from kg.web import description, representations as reps, tables
from kg.web.errors import (UPDATE_REFUSED, MethodNotAllowed, UnsupportedMediaType, UpdateForbidden,
                           confined)
from kg.web.templating import page, root

router = APIRouter()
ALLOW = "GET, HEAD, POST, OPTIONS"
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
EXAMPLE = """SELECT ?mitigation ?label ?code ?category
WHERE {
  ?mitigation a airm:Mitigation ;
    rdfs:label ?label ;
    airm:mitigationCategory ?concept .
  ?concept skos:notation ?code ;
    skos:prefLabel ?category .
}
ORDER BY ?code ?label
LIMIT 50
"""


@router.api_route("/sparql", methods=["GET", "HEAD"])
def get(request: Request) -> Response:
    return answer(request, request.query_params, post=False)


@router.post("/sparql")
async def post(request: Request) -> Response:
    params = await post_params(request)
    return await run_in_threadpool(answer, request, params, True)


@router.options("/sparql")
def options() -> Response:
    return Response(status_code=204, headers={"Allow": ALLOW})


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"])
def not_allowed(request: Request) -> Response:
    raise MethodNotAllowed(f"{request.method} is not part of the SPARQL Protocol's query operation; "
                           f"send queries with GET or POST", ALLOW)


async def post_params(request: Request) -> MultiDict:
    """The parameters of a POST: form fields, or the body as the query (URL parameters kept)."""
    media, _, options = request.headers.get("content-type", "").partition(";")
    media = media.strip().lower()
    if media == UPDATE:
        raise UpdateForbidden(UPDATE_REFUSED)
    if media == FORM:
        form = await request.form()
        return MultiDict([*request.query_params.multi_items(), *form.multi_items()])
    if media == QUERY:
        text = await body_text(request, options)
        return MultiDict([*request.query_params.multi_items(), ("query", text)])
    if not media and not await request.body():
        return MultiDict(request.query_params.multi_items())
    raise UnsupportedMediaType(f"POST a query as {QUERY} or {FORM}, not {media or 'a body without Content-Type'}")


async def body_text(request: Request, options: str) -> str:
    charset = "utf-8"
    for option in options.split(";"):
        key, _, value = option.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    try:
        return (await request.body()).decode(charset)
    except (LookupError, UnicodeDecodeError) as exc:
        raise QueryError(f"the query body is not {charset} text: {exc}") from exc


def graph_names(values: list[str], parameter: str) -> list[str]:
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError:
            raise QueryError(f"{parameter}={value!r} is not an IRI") from None
    return values


def checked(text: str) -> str:
    """The query text, refused when it is an update (403), federated or empty (400)."""
    if not text.strip():
        raise QueryError("the query is empty")
    if sparql.is_update(text):
        raise UpdateForbidden(UPDATE_REFUSED)
    if sparql.uses_service(text):
        raise QueryError("SERVICE (federated query) is not supported: this endpoint answers from its own graph only")
    return text


@confined
def answer(request: Request, params: MultiDict, post: bool) -> Response:
    """Run the one query of the request and write its result in the negotiated representation."""
    if params.getlist("update"):
        raise UpdateForbidden(UPDATE_REFUSED)
    texts = params.getlist("query")
    if not texts:
        if post:
            raise QueryError("no query given: send the query as the `query` form field or as an "
                             f"{QUERY} body")
        return describe(request, params)
    if len(texts) > 1:
        raise QueryError(f"give one query, not {len(texts)}")
    request.state.sparql_query = texts[0]
    started = time.perf_counter()
    result = sparql.run_dataset(request.app.state.store, checked(texts[0]),
                                graph_names(params.getlist("default-graph-uri"), "default-graph-uri"),
                                graph_names(params.getlist("named-graph-uri"), "named-graph-uri"))
    rep = reps.choose((*reps.for_result(result), reps.HTML), request.headers.get("accept"),
                      params.getlist("format"))
    if rep is reps.HTML:
        return results_page(request, params, result, started)
    return reps.respond(result, rep)


def describe(request: Request, params: MultiDict) -> Response:
    """GET /sparql without a query: the query page for browsers, else the service description."""
    rep = reps.choose((*reps.GRAPH, reps.HTML), request.headers.get("accept"), params.getlist("format"))
    if rep is reps.HTML:
        return page(request, "sparql.html", editor_context(request, None),
                    reps.alternates(request.url, reps.GRAPH, "service-description"))
    state = request.app.state
    endpoint = str(request.url.replace(query=""))
    triples = description.service(endpoint, state.graph_sizes, state.release.id)
    return Response(description.serialize(triples, rep.format), media_type=rep.media_type,
                    headers={"Vary": "Accept"})


def editor_context(request: Request, query: str | None) -> dict:
    """What the query page needs: the text in the editor, the examples, the named graphs."""
    state = request.app.state
    examples = [{"name": q.name, "title": q.title, "description": q.description, "text": q.standalone()}
                for q in getattr(state, "queries", {}).values()]
    return {"title": "SPARQL query", "query": query if query is not None else sparql_prologue() + "\n" + EXAMPLE,
            "examples": examples, "graphs": getattr(state, "graph_sizes", {}), "table": None,
            "formats": [*reps.RESULTS, *reps.GRAPH]}


def base_iri(request: Request) -> str:
    return request.app.state.release.manifest.get("base_iri", DEFAULT_BASE)


def results_page(request: Request, params: MultiDict, result, started: float) -> Response:
    """The query page with the editor, the results as a table, and downloads in every format."""
    text = params["query"]
    table = tables.of_result(result, base_iri(request), root(request))
    kept = [(k, v) for k, v in params.multi_items() if k in ("query", "default-graph-uri", "named-graph-uri")]
    links = reps.alternates(request.url.replace(query=urlencode(kept)), reps.for_result(result))
    context = {**editor_context(request, text), "table": table, "downloads": links,
               "elapsed": time.perf_counter() - started}
    return page(request, "sparql.html", context, links)
