"""The home page with its search box (answered by the named query `search`), and /-/health."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kg.sparql import execute, named
from kg.web import querying, tables
from kg.web import representations as reps
from kg.web.catalogue import job_of
from kg.web.state import base_iri, describer, root
from kg.web.templating import page

router = APIRouter()
SEARCH = "search"
COUNTS = """SELECT (COUNT(DISTINCT ?m) AS ?mitigations) (COUNT(DISTINCT ?d) AS ?documents)
                   (COUNT(DISTINCT ?e) AS ?evidence)
WHERE { { ?m a airm:Mitigation } UNION { ?d a airm:SourceDocument } UNION { ?e a airm:EvidenceQuote } }"""


def counts(store) -> dict[str, int]:
    row = next(iter(execute.run(store, COUNTS)))
    return {name: int(row[name].value) for name in ("mitigations", "documents", "evidence")}


async def search(request: Request, text: str) -> tuple[tables.Table, list]:
    query = named.get(request.app.state.queries, SEARCH)
    result = await querying.run(request, job_of(request, query, {"text": text}, None))
    table = tables.of_answer(result, base_iri(request), root(request))
    address = URL(f"{root(request)}/queries/{SEARCH}?{urlencode({'text': text})}")
    return table, reps.alternates(address, reps.RESULTS, SEARCH)


@router.api_route("/", methods=["GET", "HEAD"])
async def home(request: Request, q: str = "") -> Response:
    table, links = await search(request, q) if q.strip() else (None, [])
    context = {
        "title": "AI risk mitigations",
        "q": q,
        "table": table,
        "downloads": links,
        "counts": request.app.state.counts,
        "queries": list(request.app.state.queries.values()),
        **overview(request),
    }
    return page(request, "home.html", context, links)


# With derived facts (docs/model.md, Derived facts) and without them: a direct stage is a primary or
# other one, a direct category one that a classification other than a derived one assigns.
MATRIX = """SELECT ?s ?f (COUNT(DISTINCT ?m) AS ?n) WHERE {
  ?m a airm:Mitigation ; airm:lifecycleStage ?s ; airm:airmFunction ?f } GROUP BY ?s ?f"""
MATRIX_DIRECT = """SELECT ?s ?f (COUNT(DISTINCT ?m) AS ?n) WHERE {
  ?m a airm:Mitigation ; airm:primaryLifecycleStage|airm:otherLifecycleStage ?s ; airm:airmFunction ?f } GROUP BY ?s ?f"""
CATEGORIES_DIRECT = """SELECT ?c (COUNT(DISTINCT ?m) AS ?n) WHERE {
  ?m airm:mitigationCategory ?x . ?k airm:classifies ?m ; airm:category ?x ; airm:classificationMethod ?method .
  FILTER (?method != cmethod:derived) ?x skos:broaderTransitive* ?c } GROUP BY ?c"""
TAXONOMIES = ("vocab/mitigation-taxonomy", "vocab/mit-v1-mitigation-taxonomy")
LISTED = (
    ("mitigation/", "Mitigations"),
    ("document/", "Source documents"),
    ("person/", "Persons"),
    ("organization/", "Organisations"),
    ("risk/", "Risks named by documents"),
    ("dataset/", "Source datasets"),
    ("agent/", "Agents"),
    ("evidence/", "Evidence quotes"),
    ("classification/", "Classifications"),
    ("vocab/", "Vocabularies (concept schemes)"),
    ("ontology", "The ontology (documentation)"),
    ("shapes", "The SHACL shapes"),
)


def matrix(d) -> dict:
    """Mitigations per (lifecycle stage, AI RMF function): rows, columns and cells for a heat map."""
    base = d.base
    stages = [n for top in d.tree(base + "vocab/lifecycle-stage") for n in top.walk()]
    functions = [n for top in d.tree(base + "vocab/airm-function") for n in top.walk()]
    cells = {(r["s"].value, r["f"].value): int(r["n"].value) for r in execute.run(d.store, MATRIX)}
    direct = {(r["s"].value, r["f"].value): int(r["n"].value) for r in execute.run(d.store, MATRIX_DIRECT)}
    top = max(cells.values(), default=0)
    return {"stages": stages, "functions": functions, "cells": cells, "direct": direct, "max": top}


def direct_counts(d) -> dict[str, int]:
    """Mitigations per category (its subtree) counting only categories no derivation gave."""
    return {r["c"].value: int(r["n"].value) for r in execute.run(d.store, CATEGORIES_DIRECT)}


def overview(request: Request) -> dict:
    """What the home page shows besides search: counts per category, the matrix, every listing."""
    cached = getattr(request.app.state, "overview", None)
    if cached is None or cached[0] is not request.app.state.store:
        d = describer(request)
        direct = direct_counts(d)
        taxonomies = [
            {"scheme": d.iri_term(d.base + t), "top": d.tree(d.base + t), "direct": direct} for t in TAXONOMIES
        ]
        cached = (
            request.app.state.store,
            {"taxonomies": taxonomies, "matrix": matrix(d), "listed": LISTED, "schemes": d.schemes()},
        )
        request.app.state.overview = cached
    return cached[1]


@router.api_route("/-/health", methods=["GET", "HEAD"])
def health(request: Request) -> Response:
    state = request.app.state
    service = state.querying
    engine = service.engine
    body = {
        "status": "ok",
        "release": state.release.id,
        "triples": state.release.manifest.get("quads"),
        "cache": {
            "entries": len(service.cache.entries),
            "bytes": service.cache.size,
            "hits": service.cache.hits,
            "misses": service.cache.misses,
        },
    }
    status = 200
    probe = getattr(state.store, "probe", None)
    if probe is not None:  # a replica: it is healthy only while its server answers with its release
        remote = body["remote"] = probe()
        if not remote["reachable"]:
            body["status"], status = "remote unavailable", 503
        elif remote["release"] != state.release.id:
            body["status"], status = "remote holds another release", 503
    if hasattr(engine, "workers"):
        body["workers"] = {
            "running": len(engine.workers),
            "idle": engine.idle.qsize() if engine.idle else 0,
            "waiting": engine.waiting,
            "replaced": engine.replaced,
        }
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
