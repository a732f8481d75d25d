"""The explorer (docs/explorer.md): `/mitigations` (HTML), `/mitigations.json`, `/mitigations.csv`
with the same parameters, and `/mitigations/coverage` (categories × stages per taxonomy).

Parameters: `q` (the text query), one per facet (`category`, `stage`, ... repeatable: OR within a
facet, AND across), `sort` (relevance, name, year), `page` (from 1), `limit` (page size, up to
100 in HTML and JSON), `derived` (`false` leaves derived facts out). The URL is the permalink.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kg import explorer
from kg.errors import SearchError
from kg.records.columns import MITIGATION_COLUMNS
from kg.web import charts
from kg.web.state import base_iri, describer, root
from kg.web.templating import page

router = APIRouter()
PAGE_LIMIT = 100
SHOWN = 10  # facet values listed before "more"
CHARTED = ("stage", "actor", "function", "year", "method", "dataset", "document", "category")
TITLES = {
    "category": "Category",
    "stage": "Lifecycle stage",
    "actor": "Actor",
    "function": "AI RMF function",
    "document": "Source document",
    "year": "Year",
    "method": "Classification method",
    "risk": "Risk",
    "dataset": "Dataset",
}


@dataclass
class Selection:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    limit: int = 20
    derived: bool = True

    def params(self, **change) -> list[tuple[str, str]]:
        """The query parameters of this selection, changed (`page` goes back to 1 unless given)."""
        q, filters = change.get("q", self.q), change.get("filters", self.filters)
        out = [("q", q)] if q else []
        out += [(k, v) for k in explorer.FACETS for v in filters.get(k, [])]
        if change.get("sort", self.sort) != "relevance":
            out.append(("sort", change.get("sort", self.sort)))
        if self.limit != 20:
            out.append(("limit", str(self.limit)))
        if not self.derived:
            out.append(("derived", "false"))
        if change.get("page", 1) != 1:
            out.append(("page", str(change["page"])))
        return out

    def href(self, path: str, **change) -> str:
        query = urlencode(self.params(**change))
        return f"{path}?{query}" if query else path

    def toggled(self, key: str, value: str) -> dict[str, list[str]]:
        """The filters with `value` of `key` added, or removed when it is there."""
        values = self.filters.get(key, [])
        new = [v for v in values if v != value] if value in values else [*values, value]
        return {**{k: v for k, v in self.filters.items() if k != key}, **({key: new} if new else {})}

    def with_values(self, **values: str) -> dict[str, list[str]]:
        return {**self.filters, **{k: [v] for k, v in values.items()}}


def _int(text: str | None, name: str, default: int, low: int, high: int) -> int:
    if text in (None, ""):
        return default
    try:
        value = int(text)
    except ValueError:
        raise SearchError(f"{name} must be a whole number, got {text!r}") from None
    if not low <= value <= high:
        raise SearchError(f"{name} {value} is out of range: {low} to {high}")
    return value


def selection(request: Request, max_limit: int = PAGE_LIMIT) -> Selection:
    p = request.query_params
    filters = {k: [v for v in p.getlist(k) if v.strip()] for k in explorer.FACETS}
    derived = p.get("derived", "true").lower()
    if derived not in ("true", "false", "1", "0"):
        raise SearchError(f"derived must be true or false, got {derived!r}")
    return Selection(
        q=p.get("q", ""),
        filters={k: v for k, v in filters.items() if v},
        sort=p.get("sort", "relevance") or "relevance",
        page=_int(p.get("page"), "page", 1, 1, 1_000_000),
        limit=_int(p.get("limit"), "limit", 20, 0, max_limit),
        derived=derived in ("true", "1"),
    )


def _explore(request: Request, sel: Selection) -> dict:
    offset = (sel.page - 1) * sel.limit
    return explorer.explore(
        request.app.state.release.path, sel.q, sel.filters, sort=sel.sort, limit=sel.limit, offset=offset,
        derived=sel.derived,
    )  # fmt: skip


@router.api_route("/mitigations.json", methods=["GET", "HEAD"])
def mitigations_json(request: Request) -> Response:
    return JSONResponse(_explore(request, selection(request)), headers={"Vary": "Accept"})


@router.api_route("/mitigations.csv", methods=["GET", "HEAD"])
def mitigations_csv(request: Request) -> Response:
    """Every matching mitigation (not one page) in the columns of `kg export --format csv`."""
    sel = selection(request)
    rows = explorer.rows(request.app.state.release.path, sel.q, sel.filters, sort=sel.sort, derived=sel.derived)
    out = io.StringIO()
    out.write("\ufeff")  # as kg export: spreadsheet programs then read UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MITIGATION_COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in MITIGATION_COLUMNS])
    headers = {"Content-Disposition": 'attachment; filename="mitigations.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _facets(sel: Selection, found: dict, path: str) -> list[dict]:
    out = []
    for key in explorer.FACETS:
        items = [
            {**i, "href": sel.href(path, filters=sel.toggled(key, i["value"]))} for i in found["facets"].get(key, [])
        ]
        chart = None
        if key in CHARTED and items:
            top = items[:12]
            bars = [charts.Bar(i["label"], i["count"], i["href"], bool(i.get("selected"))) for i in top]
            chart = charts.bars(bars, f"Mitigations per {TITLES[key].lower()}", f"chart-{key}")
        out.append({"key": key, "title": TITLES[key], "items": items, "shown": SHOWN, "chart": chart})
    return out


def _matrix(request: Request, sel: Selection, path: str) -> dict:
    d = describer(request)
    stages = [
        charts.Axis(n.term.value, n.term.text) for t in d.tree(d.base + "vocab/lifecycle-stage") for n in t.walk()
    ]
    functions = [
        charts.Axis(n.term.value, n.term.text) for t in d.tree(d.base + "vocab/airm-function") for n in t.walk()
    ]
    cells = explorer.matrix(
        request.app.state.release.path, "stage", "function", sel.q, sel.filters, derived=sel.derived
    )
    href = lambda r, c: sel.href(path, filters=sel.with_values(stage=r.value, function=c.value))
    svg = charts.heatmap(stages, functions, cells, href, "Lifecycle stage × AI RMF function", "heat-stage-function")
    return {"svg": svg, "rows": stages, "columns": functions, "cells": cells, "href": href}


@router.api_route("/mitigations", methods=["GET", "HEAD"])
def mitigations(request: Request) -> Response:
    path = f"{root(request)}/mitigations"
    sel = selection(request)
    typed, error, status = sel.q, None, 200
    try:
        found = _explore(request, sel)
    except SearchError as exc:  # the page again, with what is wrong next to the search box
        error, status = str(exc), exc.http_status
        sel = Selection(filters=sel.filters, limit=sel.limit, derived=sel.derived)
        found = _explore(request, sel)
        found["results"], found["total"] = [], 0
    pages = max(1, -(-found["total"] // max(1, sel.limit)))
    context = {
        "title": f"Mitigations{': ' + sel.q if sel.q else ''}",
        "sel": sel,
        "typed": typed,
        "found": found,
        "error": error,
        "facets": _facets(sel, found, path),
        "matrix": _matrix(request, sel, path) if not error else None,
        "pages": pages,
        "prev": sel.href(path, page=sel.page - 1) if sel.page > 1 else None,
        "next": sel.href(path, page=sel.page + 1) if sel.page < pages else None,
        "sorts": [(s, sel.href(path, sort=s)) for s in explorer.SORTS],
        "json": sel.href(f"{path}.json", page=sel.page),
        "csv": sel.href(f"{path}.csv"),
        "sparql": f"{root(request)}/sparql?" + urlencode({"query": explorer.sparql(sel.q, sel.filters)}),
        "clear": path,
        "base": base_iri(request),
    }
    return page(request, "explorer.html", context, status=status)


@router.api_route("/mitigations/coverage", methods=["GET", "HEAD"])
def coverage(request: Request) -> Response:
    """Per taxonomy, categories × lifecycle stages: how many mitigations, where the gaps are."""
    d = describer(request)
    path = f"{root(request)}/mitigations"
    release = request.app.state.release.path
    stages = [
        charts.Axis(n.term.value, n.term.text) for t in d.tree(d.base + "vocab/lifecycle-stage") for n in t.walk()
    ]
    cells = explorer.matrix(release, "category", "stage")
    taxonomies: list[dict] = []
    for scheme in ("vocab/mitigation-taxonomy", "vocab/mit-v1-mitigation-taxonomy"):
        nodes = [n for t in d.tree(d.base + scheme) for n in t.walk()]
        rows = [charts.Axis(n.term.value, n.term.text) for n in nodes]  # the text starts with the code
        sel = Selection()
        href = lambda r, c, sel=sel: sel.href(path, filters={"category": [r.value], "stage": [c.value]})
        name = d.iri_term(d.base + scheme)
        svg = charts.heatmap(
            rows, stages, cells, href, f"{name.text}: categories × lifecycle stages", f"cov-{len(taxonomies)}"
        )
        totals = [(n, sel.href(path, filters={"category": [n.term.value]})) for n in nodes]
        taxonomies.append({"scheme": name, "svg": svg, "rows": rows, "totals": totals, "href": href})
    context = {"title": "Coverage", "taxonomies": taxonomies, "stages": stages, "cells": cells, "path": path}
    return page(request, "coverage.html", context)
