"""/sparql: the SPARQL 1.1 Protocol (query operation, read-only), the service description and the
query page. An `APIRouter` another FastAPI app can include: queries go through
`app.state.querying` (kg.web.querying: gate, budget, cache, killable workers); its pages read
`app.state.queries` (named queries) and `app.state.graph_sizes`."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter
from starlette.datastructures import MultiDict
from starlette.requests import Request
from starlette.responses import Response

from kg import gate, sparql
from kg.engine import Answer
from kg.errors import QueryError
from kg.namespaces import DEFAULT_BASE, sparql_prologue
from kg.web import description, openapi, representations as reps, tables
from kg.web.errors import UPDATE_REFUSED, MethodNotAllowed, UnsupportedMediaType, UpdateForbidden
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


@router.api_route("/sparql", methods=["GET", "HEAD"], openapi_extra=openapi.SPARQL_GET)
async def get(request: Request) -> Response:
    return await answer(request, request.query_params, post=False)


@router.post("/sparql", openapi_extra=openapi.SPARQL_POST)
async def post(request: Request) -> Response:
    return await answer(request, await post_params(request), post=True)


@router.options("/sparql", include_in_schema=False)
def options() -> Response:
    return Response(status_code=204, headers={"Allow": ALLOW})


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
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


def checked(request: Request, text: str) -> str:
    """The query text after the gate (kg.gate): refused when empty or too large, nested or long (400),
    federated (400) or an update (403). Returns the text as SPARQL reads it (`\\u` escapes applied)."""
    if not text.strip():
        raise QueryError("the query is empty")
    plain = gate.unescape(text)
    if sparql.is_update(plain):
        raise UpdateForbidden(UPDATE_REFUSED)
    request.app.state.querying.check(request, text)
    return plain


async def answer(request: Request, params: MultiDict, post: bool) -> Response:
    """Run the one query of the request through the querying service and send its answer whole."""
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
    text = request.state.sparql_query = texts[0]
    form = sparql.query_form(checked(request, text))
    offers = reps.for_form(form or "SELECT")
    rep = reps.choose((*offers, reps.HTML), request.headers.get("accept"), params.getlist("format"))
    graph = offers is reps.GRAPH
    querying = request.app.state.querying
    job = querying.job(text, request, format="json" if graph or rep is reps.HTML else rep.name,
                       graph_format="ntriples" if not graph or rep is reps.HTML else rep.name,
                       default_graphs=tuple(graph_names(params.getlist("default-graph-uri"), "default-graph-uri")),
                       named_graphs=tuple(graph_names(params.getlist("named-graph-uri"), "named-graph-uri")))
    started = time.perf_counter()
    result = await querying.run(request, job)
    if rep is reps.HTML:
        return results_page(request, params, result, started)
    return reps.answer_response(request, result)


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


def results_page(request: Request, params: MultiDict, result: Answer, started: float) -> Response:
    """The query page with the editor, the results as a table, and downloads in every format."""
    text = params["query"]
    table = tables.of_answer(result, base_iri(request), root(request))
    kept = [(k, v) for k, v in params.multi_items() if k in ("query", "default-graph-uri", "named-graph-uri")]
    offers = reps.GRAPH if result.kind == "graph" else reps.RESULTS
    links = reps.alternates(request.url.replace(query=urlencode(kept)), offers)
    context = {**editor_context(request, text), "table": table, "downloads": links,
               "elapsed": time.perf_counter() - started}
    return page(request, "sparql.html", context, links)
