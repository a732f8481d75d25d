"""The home page with its search box (answered by the named query `search`), and /-/health."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kg import queries, sparql
from kg.web import representations as reps, tables
from kg.web.errors import confined
from kg.web.routes.sparql import base_iri
from kg.web.templating import page, root

router = APIRouter()
SEARCH = "search"
COUNTS = """SELECT (COUNT(DISTINCT ?m) AS ?mitigations) (COUNT(DISTINCT ?d) AS ?documents)
                   (COUNT(DISTINCT ?e) AS ?evidence)
WHERE { { ?m a airm:Mitigation } UNION { ?d a airm:SourceDocument } UNION { ?e a airm:EvidenceQuote } }"""


def counts(store) -> dict[str, int]:
    row = next(iter(sparql.run(store, COUNTS)))
    return {name: int(row[name].value) for name in ("mitigations", "documents", "evidence")}


def search(request: Request, text: str) -> tuple[tables.Table, list]:
    query = queries.get(request.app.state.queries, SEARCH)
    result = queries.execute(query, request.app.state.store, {"text": text})
    table = tables.of_result(result, base_iri(request), root(request))
    named = URL(f"{root(request)}/queries/{SEARCH}?{urlencode({'text': text})}")
    return table, reps.alternates(named, reps.RESULTS, SEARCH)


@router.api_route("/", methods=["GET", "HEAD"])
@confined
def home(request: Request, q: str = "") -> Response:
    table, links = search(request, q) if q.strip() else (None, [])
    context = {"title": "AI risk mitigations", "q": q, "table": table, "downloads": links,
               "counts": request.app.state.counts, "queries": list(request.app.state.queries.values())}
    return page(request, "home.html", context, links)


@router.get("/-/health")
def health(request: Request) -> Response:
    state = request.app.state
    return JSONResponse({"status": "ok", "release": state.release.id, "triples": len(state.store)})
