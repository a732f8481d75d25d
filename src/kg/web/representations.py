"""The representations the service answers with, built on `kg.formats`, and how one is chosen:
`?format=` when given (a name, alias, suffix or media type), else the `Accept` header."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.datastructures import URL, QueryParams
from starlette.responses import Response

from kg.errors import NotAcceptable
from kg.formats import Format, lookup
from kg.rdf import jsonld
from kg.web import negotiate


@dataclass(frozen=True)
class Representation:
    name: str
    media_type: str
    suffix: str
    label: str
    names: tuple[str, ...]  # what ?format= accepts
    accepts: tuple[str, ...]  # media types that select it in Accept, registered one first
    format: Format | None = None  # the kg.formats entry; None for HTML and plain JSON

    @property
    def entry(self) -> Format:
        """Its `kg.formats` entry, for a representation that has one (an RDF or results format)."""
        if self.format is None:
            raise TypeError(f"the {self.label} representation is not an RDF or results format")
        return self.format


def of_format(fmt: Format) -> Representation:
    """The representation of a format of the table (`kg.formats`): `?format=` takes its names and the
    media types clients send for it."""
    return Representation(
        fmt.name, fmt.media_type, fmt.suffix, fmt.label, (*fmt.names, *fmt.accepts), fmt.media_types, fmt
    )


HTML = Representation(
    "html", "text/html", "html", "HTML", ("html", "htm", "text/html"), ("text/html", "application/xhtml+xml")
)
JSON = Representation("json", "application/json", "json", "JSON", ("json", "application/json"), ("application/json",))
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


def choose(offers: Sequence[Representation], accept: str | None, formats: Sequence[str] = ()) -> Representation:
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


def disposition(request, rep: Representation | None, stem: str) -> dict[str, str]:
    """`Content-Disposition` naming the file an answer is saved as (`results.csv`, `documents.ttl`):
    `attachment` for the download links (which name a `format=`), else `inline`."""
    if rep is None or rep.format is None:
        return {}
    kind = "attachment" if request.query_params.getlist("format") else "inline"
    return {"Content-Disposition": f'{kind}; filename="{stem}.{rep.suffix}"'}


def answer_response(request, answer, rep: Representation | None = None, stem: str = "results") -> Response:
    """An engine's `Answer` as the response: whole, with its media type, and whether the cache had it."""
    headers = {"Vary": "Accept", "X-Result-Rows": str(answer.rows), **disposition(request, rep, stem)}
    cache = getattr(request.state, "cache", None)
    if cache:
        headers["X-Cache"] = cache
    return Response(answer.body, media_type=answer.media_type, headers=headers)


def jsonld_profile(rep: Representation, accept: str | None) -> str | None:
    """For JSON-LD, the form the `profile` parameter of Accept asks for (default "compacted")."""
    if rep.name != "jsonld":
        return None
    return jsonld.profile_of(negotiate.parameter(accept, rep.media_type, "profile"))


def graph_body(
    triples: list[ox.Triple], rep: Representation, base: str, accept: str | None, prefixes: dict[str, str] | None
) -> tuple[bytes, str]:
    """Triples written as `rep` (JSON-LD in the form Accept's `profile` asks for, with the project's
    context), and the Content-Type to send."""
    profile = jsonld_profile(rep, accept)
    if profile is not None:
        return jsonld.serialize(triples, base, profile), f'{rep.media_type}; profile="{jsonld.PROFILES[profile]}"'
    return cast(bytes, ox.serialize(triples, format=rep.entry.rdf_format, prefixes=prefixes)), rep.media_type


def context_link(base: str) -> str:
    """`Link:` to the JSON-LD context (for clients that read JSON as JSON-LD)."""
    return f'<{jsonld.context_iri(base)}>; rel="{jsonld.JSONLD}context"; type="application/ld+json"'
