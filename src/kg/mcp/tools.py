"""What each tool does, given the service in use and the client's name (for its budget). The
queries the tools run (coverage, sparql) go through `Querying` like `/sparql`: the client's budget,
the gate, the result cache, the deadline and the row and byte caps; the records are read from the
store as the pages read them."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

from kg import explorer
from kg.errors import InputError
from kg.mcp import records
from kg.mcp.models import (
    Cell,
    Concepts,
    Coverage,
    DocumentRecord,
    FacetValue,
    Hit,
    Mitigation,
    Ref,
    Search,
    SparqlResult,
)
from kg.mcp.service import Service
from kg.sparql import syntax
from kg.sparql.engine import Answer

# The dimensions `coverage` counts by: a pattern binding ?x to a mitigation ?m's value, the pattern
# without the project's derived facts (shared contract: `derived` defaults to true), and a description.
DIMENSIONS: dict[str, tuple[str, str, str]] = {
    "category": (
        "?m airm:mitigationCategory ?x .",
        "?m airm:mitigationCategory ?x ; airm:hasClassification [ airm:category ?x ; airm:classificationMethod ?_k ] ."
        " FILTER (?_k != cmethod:derived)",
        "effective taxonomy category (either taxonomy)",
    ),
    "stage": (
        "?m airm:lifecycleStage ?x .",
        "?m airm:primaryLifecycleStage|airm:otherLifecycleStage ?x .",
        "AI lifecycle stage",
    ),
    "actor": ("?m airm:actor ?x .", "?m airm:primaryActor|airm:otherActor ?x .", "actor"),
    "function": ("?m airm:airmFunction ?x .", "", "NIST AI RMF function"),
    "risk": ("?m airm:addressesRisk ?x .", "", "risk addressed (document headings, risk domains)"),
    "document": ("?m airm:sourceDocument ?x .", "", "source document"),
    "year": ("?m airm:sourceDocument/dcterms:issued ?x .", "", "the source document's year"),
    "method": ("?m airm:hasClassification/airm:classificationMethod ?x .", "", "classification method"),
    "dataset": ("?m void:inDataset ?x .", "", "dataset the record comes from"),
}
TAXONOMIES = ("mitigation-taxonomy", "mit-v1-mitigation-taxonomy")


def pattern(dimension: str, var: str, derived: bool, taxonomy: str | None, base: str) -> str:
    if dimension not in DIMENSIONS:
        raise InputError(f"unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}")
    with_derived, without, _ = DIMENSIONS[dimension]
    text = (with_derived if derived or not without else without).replace("?x", var).replace("?_k", f"{var}_k")
    if dimension == "category" and taxonomy:
        if taxonomy not in TAXONOMIES:
            raise InputError(f"unknown taxonomy {taxonomy!r}; use one of {', '.join(TAXONOMIES)}")
        text += f" {var} skos:inScheme <{base}vocab/{taxonomy}> ."
    return text


def coverage_query(dim_a: str, dim_b: str | None, derived: bool, taxonomy: str | None, base: str) -> str:
    a = pattern(dim_a, "?a", derived, taxonomy, base)
    b = pattern(dim_b, "?b", derived, taxonomy, base) if dim_b else ""
    group = "?a ?b" if dim_b else "?a"
    return (
        f"SELECT {group} (COUNT(DISTINCT ?m) AS ?n) WHERE {{ ?m a airm:Mitigation . {a} {b} }}\n"
        f"GROUP BY {group} ORDER BY DESC(?n) {group}"
    )


def solutions(answer: Answer) -> tuple[list[str], list[dict[str, Any]]]:
    """Variables and bindings of a SPARQL JSON results answer."""
    parsed = json.loads(answer.body)
    return parsed["head"].get("vars", []), parsed.get("results", {}).get("bindings", [])


def value_ref(service: Service, binding: dict[str, Any] | None) -> Ref:
    if binding is None:
        return Ref(iri="")
    if binding["type"] == "uri":
        term = service.describer.iri_term(binding["value"])
        return Ref(iri=term.value, label=term.label, code=term.code)
    return Ref(iri="", label=binding["value"])


async def coverage(
    service: Service, client: str, dim_a: str, dim_b: str | None, derived: bool, taxonomy: str | None
) -> Coverage:
    text = coverage_query(dim_a, dim_b, derived, taxonomy, service.base)
    job = service.querying.job(service.querying.admit(client, text), format="json")
    answer, _ = await service.querying.run(client, job)
    _, rows = solutions(answer)
    cells = [
        Cell(
            a=value_ref(service, row.get("a")),
            b=value_ref(service, row.get("b")) if dim_b else None,
            mitigations=int(row["n"]["value"]),
        )
        for row in rows
    ]
    return Coverage(dim_a=dim_a, dim_b=dim_b, cells=cells)


async def sparql(service: Service, client: str, query: str, timeout: float | None) -> SparqlResult:
    """A read-only query through the same admission, budget, cache, deadline and caps as /sparql."""
    plain = service.querying.admit(client, query)
    graph = syntax.query_form(plain) in ("CONSTRUCT", "DESCRIBE")
    job = service.querying.job(query, timeout, format="json", graph_format="ntriples")
    answer, hit = await service.querying.run(client, job)
    if answer.kind == "graph":
        return SparqlResult(kind="graph", turtle=answer.body.decode("utf-8"), count=answer.rows, cached=hit)
    parsed = json.loads(answer.body)
    if "boolean" in parsed and not graph:
        return SparqlResult(kind="boolean", boolean=bool(parsed["boolean"]), count=1, cached=hit)
    variables, bindings = solutions(answer)
    rows = [{v: (b[v]["value"] if v in b else None) for v in variables} for b in bindings]
    return SparqlResult(kind="solutions", variables=variables, rows=rows, count=len(rows), cached=hit)


def get_mitigation(service: Service, id: str) -> Mitigation:
    return records.get_mitigation(service.describer, id)


def get_document(service: Service, id: str) -> DocumentRecord:
    return records.get_document(service.describer, id)


def list_concepts(service: Service, scheme: str) -> Concepts:
    return records.list_concepts(service.describer, scheme)


def plain(snippet: str) -> str:
    """The explorer's HTML snippet as text, its matches in **bold**."""
    return html.unescape(snippet.replace("<mark>", "**").replace("</mark>", "**"))


def facet_ref(item: dict | None) -> Ref | None:
    if not item:
        return None
    return Ref(iri=item["value"], label=item.get("label", ""), code=item.get("code", ""))


def search(
    service: Service,
    query: str,
    filters: Mapping[str, list[str]] | None,
    limit: int,
    offset: int,
    sort: str,
    derived: bool,
) -> Search:
    """The explorer's ranked search (`kg.explorer.explore`) over the release in service."""
    found = explorer.explore(
        service.release.path, query, filters or {}, sort=sort, limit=limit, offset=offset, derived=derived
    )
    hits = [
        Hit(
            iri=r["iri"],
            id=r.get("id") or "",
            label=r.get("label") or "",
            score=float(r.get("score") or 0.0),
            snippet=plain(r.get("snippet") or ""),
            categories=[x for x in map(facet_ref, r.get("categories") or []) if x is not None],
            document=facet_ref(r.get("document")),
            year=r.get("year"),
        )
        for r in found["results"]
    ]
    facets = {
        key: [
            FacetValue(value=v["value"], label=v.get("label", ""), code=v.get("code", ""), count=v["count"])
            for v in values
        ]
        for key, values in found["facets"].items()
    }
    return Search(total=found["total"], results=hits, facets=facets)
