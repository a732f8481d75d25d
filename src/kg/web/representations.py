"""The representations the service answers with, built on `kg.formats`, and how one is chosen:
`?format=` when given (a name, alias, suffix or media type), else the `Accept` header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.datastructures import URL, QueryParams
from starlette.responses import Response

from kg.formats import Format, lookup
from kg.web import negotiate
from kg.web.errors import NotAcceptable

# What clients say besides the registered media type and our names (SPARQLWrapper, rdflib, browsers).
EXTRA_NAMES = {("results", "json"): ("application/json",), ("graph", "turtle"): ("n3", "text/n3"),
               ("graph", "jsonld"): ("json", "application/json"), ("graph", "rdfxml"): ("rdf+xml",)}
EXTRA_TYPES = {("results", "json"): ("application/json",),
               ("results", "xml"): ("application/xml", "text/xml"),
               ("graph", "turtle"): ("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3"),
               ("graph", "ntriples"): ("text/plain",),
               ("graph", "jsonld"): ("application/json", "application/x-json+ld"),
               ("graph", "rdfxml"): ("application/xml", "text/xml")}
LABELS = {"json": "SPARQL JSON", "xml": "SPARQL XML", "csv": "CSV", "tsv": "TSV", "turtle": "Turtle",
          "ntriples": "N-Triples", "jsonld": "JSON-LD", "rdfxml": "RDF/XML", "html": "HTML"}


@dataclass(frozen=True)
class Representation:
    name: str
    media_type: str
    suffix: str
    label: str
    names: tuple[str, ...]          # what ?format= accepts
    accepts: tuple[str, ...]        # media types that select it in Accept, registered one first
    format: Format | None = None    # the kg.formats entry; None for HTML and plain JSON


def of_format(fmt: Format) -> Representation:
    kind = "graph" if fmt.kind in ("graph", "dataset") else fmt.kind
    names = (fmt.name, fmt.suffix, fmt.media_type, *fmt.aliases, *EXTRA_NAMES.get((kind, fmt.name), ()))
    accepts = (fmt.media_type, *EXTRA_TYPES.get((kind, fmt.name), ()))
    return Representation(fmt.name, fmt.media_type, fmt.suffix, LABELS.get(fmt.name, fmt.name),
                          names, accepts, fmt)


HTML = Representation("html", "text/html", "html", "HTML", ("html", "htm", "text/html"),
                      ("text/html", "application/xhtml+xml"))
JSON = Representation("json", "application/json", "json", "JSON", ("json", "application/json"),
                      ("application/json",))
RESULTS = tuple(of_format(lookup(n, kind="results")) for n in ("json", "xml", "csv", "tsv"))
GRAPH = tuple(of_format(lookup(n, kind="graph")) for n in ("turtle", "ntriples", "jsonld", "rdfxml"))


def for_result(result) -> tuple[Representation, ...]:
    """The machine formats a pyoxigraph result can be written in."""
    return GRAPH if isinstance(result, ox.QueryTriples) else RESULTS


def for_form(form: str) -> tuple[Representation, ...]:
    """The machine formats for a query form (SELECT, ASK, CONSTRUCT, DESCRIBE)."""
    return GRAPH if form in ("CONSTRUCT", "DESCRIBE") else RESULTS


def by_format(values: Sequence[str], offers: Sequence[Representation]) -> Representation:
    for value in values:
        for rep in offers:
            if value.strip().lower() in rep.names:
                return rep
    names = ", ".join(r.name for r in offers)
    raise NotAcceptable(f"format={values[0]!r} cannot be produced here; choose one of {names}")


def choose(offers: Sequence[Representation], accept: str | None,
           formats: Sequence[str] = ()) -> Representation:
    """`?format=` wins over Accept; NotAcceptable (406) when neither names something on offer."""
    if [f for f in formats if f.strip()]:
        return by_format([f for f in formats if f.strip()], offers)
    key = negotiate.choose(accept, [(r.name, r.accepts) for r in offers])
    if key is None:
        types = ", ".join(r.media_type for r in offers)
        raise NotAcceptable(f"none of the types in Accept: {accept} can be produced here; available: {types}")
    return next(r for r in offers if r.name == key)


@dataclass(frozen=True)
class Alternate:
    rep: Representation
    href: str
    filename: str


def alternates(url: URL, offers: Sequence[Representation], stem: str = "results") -> list[Alternate]:
    """Links to this resource in each other representation: the same URL with `format=`."""
    params = [(k, v) for k, v in QueryParams(url.query).multi_items() if k not in ("format", "output", "results")]
    out = []
    for rep in offers:
        if rep is HTML:
            continue
        query = urlencode(params + [("format", rep.name)])
        out.append(Alternate(rep, f"{url.path}?{query}", f"{stem}.{rep.suffix}"))
    return out


def link_header(links: Sequence[Alternate], limit: int = 6000) -> str | None:
    """`Link:` with rel="alternate" for each; None when it would be too long for a header."""
    value = ", ".join(f'<{a.href}>; rel="alternate"; type="{a.rep.media_type}"' for a in links)
    return value if value and len(value) <= limit else None


def answer_response(request, answer) -> Response:
    """An engine's `Answer` as the response: whole, with its media type, and whether the cache had it."""
    headers = {"Vary": "Accept", "X-Result-Rows": str(answer.rows)}
    cache = getattr(request.state, "cache", None)
    if cache:
        headers["X-Cache"] = cache
    return Response(answer.body, media_type=answer.media_type, headers=headers)
