"""/sparql: the SPARQL 1.1 Protocol (query operation, read-only), the service description and the
query page. An `APIRouter` another FastAPI app can include: queries go through
`app.state.querying` (kg.sparql.querying, through kg.web.querying: gate, budget, cache, killable workers); its pages read
`app.state.queries` (named queries) and `app.state.graph_sizes`."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter
from starlette.datastructures import ImmutableMultiDict, MultiDict
from starlette.requests import Request
from starlette.responses import Response

from kg.errors import MethodNotAllowed, QueryError, UnsupportedMediaType, UpdateForbidden
from kg.sparql import syntax
from kg.sparql.engine import Answer
from kg.web import openapi, querying, service_description, tables
from kg.web import representations as reps
from kg.web.editor import editor_context
from kg.web.state import base_iri, root
from kg.web.templating import page

router = APIRouter()
ALLOW = "GET, HEAD, POST, OPTIONS"
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"


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
    raise MethodNotAllowed(
        f"{request.method} is not part of the SPARQL Protocol's query operation; send queries with GET or POST", ALLOW
    )


async def post_params(request: Request) -> MultiDict:
    """The parameters of a POST: form fields, or the body as the query (URL parameters kept)."""
    media, _, options = request.headers.get("content-type", "").partition(";")
    media = media.strip().lower()
    if media == UPDATE:
        raise UpdateForbidden()
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
    """The query text after the gate (`Querying.admit`): refused when empty or too large, nested or long
    (400), federated (400) or an update (403). Returns the text as SPARQL reads it (`\\u` escapes applied)."""
    return querying.admit(request, text)


async def answer(request: Request, params: ImmutableMultiDict, post: bool) -> Response:
    """Run the one query of the request through the querying service and send its answer whole."""
    if params.getlist("update"):
        raise UpdateForbidden()
    texts = params.getlist("query")
    if not texts:
        if post:
            raise QueryError(f"no query given: send the query as the `query` form field or as an {QUERY} body")
        return page_or_description(request, params)
    if len(texts) > 1:
        raise QueryError(f"give one query, not {len(texts)}")
    text = request.state.sparql_query = texts[0]
    form = syntax.query_form(checked(request, text))
    offers = reps.for_form(form or "SELECT")
    rep = reps.choose((*offers, reps.HTML), request.headers.get("accept"), params.getlist("format"))
    graph = offers is reps.GRAPH
    job = querying.job(
        request,
        text,
        format="json" if graph or rep is reps.HTML else rep.name,
        graph_format="ntriples" if not graph or rep is reps.HTML else rep.name,
        default_graphs=tuple(graph_names(params.getlist("default-graph-uri"), "default-graph-uri")),
        named_graphs=tuple(graph_names(params.getlist("named-graph-uri"), "named-graph-uri")),
    )
    started = time.perf_counter()
    result = await querying.run(request, job)
    if rep is reps.HTML:
        return results_page(request, params, result, started)
    return reps.answer_response(request, result, rep)


def page_or_description(request: Request, params: ImmutableMultiDict) -> Response:
    """GET /sparql without a query: the query page for browsers, else the service description."""
    rep = reps.choose((*reps.GRAPH, reps.HTML), request.headers.get("accept"), params.getlist("format"))
    if rep is reps.HTML:
        return page(
            request,
            "sparql.html",
            editor_context(request, None),
            reps.alternates(request.url, reps.GRAPH, "service-description"),
        )
    state = request.app.state
    endpoint = str(request.url.replace(query=""))
    triples = service_description.service(endpoint, state.graph_sizes, state.release.id)
    return Response(
        service_description.serialize(triples, rep.entry), media_type=rep.media_type, headers={"Vary": "Accept"}
    )


def results_page(request: Request, params: ImmutableMultiDict, result: Answer, started: float) -> Response:
    """The query page with the editor, the results as a table, and downloads in every format."""
    text = params["query"]
    table = tables.of_answer(result, base_iri(request), root(request))
    kept = [(k, v) for k, v in params.multi_items() if k in ("query", "default-graph-uri", "named-graph-uri")]
    offers = reps.GRAPH if result.kind == "graph" else reps.RESULTS
    links = reps.alternates(request.url.replace(query=urlencode(kept)), offers)
    context = {
        **editor_context(request, text),
        "table": table,
        "downloads": links,
        "elapsed": time.perf_counter() - started,
    }
    return page(request, "sparql.html", context, links)
