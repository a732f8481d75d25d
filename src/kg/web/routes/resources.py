"""Dereferencing: the IRI `<base>X` is served at `/X` ("direct" Cool URIs: 200, no 303).

Content negotiation picks HTML, Turtle, JSON-LD, N-Triples or RDF/XML; a suffix (`X.ttl`, `X.jsonld`,
`X.nt`, `X.rdf`, `X.html`) names one representation and wins over `Accept`. Every answer carries
`Vary: Accept`, an `ETag` from the release, `Content-Location` (the suffixed URL) and `Link:
rel="alternate"` to the other representations. The ontology's hash IRIs (`ontology#Term`) are served
by their document `/ontology`, the shapes' by `/shapes`. `/mitigation/`, `/document/`, ... list the
resources under that path. Registered last: every other route wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from kg.describe import Describer, Resource
from kg.errors import NotAcceptable
from kg.namespaces import PREFIXES
from kg.sparql.querying import ResultCache
from kg.web import documentation, errors
from kg.web import representations as reps
from kg.web.errors import confined
from kg.web.state import describer, root
from kg.web.templating import page

router = APIRouter()
OFFERS = (reps.HTML, *reps.GRAPH)
RDFXML = next(rep for rep in reps.GRAPH if rep.name == "rdfxml")
# The ontology, its modules and the vocabularies: RDF/XML when Accept is absent or */* (what OWL tools
# and urllib send; the W3C recipes' default), HTML when a browser asks for it.
RDF_FIRST = (RDFXML, reps.HTML, *(rep for rep in reps.GRAPH if rep is not RDFXML))
BY_SUFFIX = {**{rep.suffix: rep for rep in OFFERS}, "owl": RDFXML}
NO_PREFIXES = frozenset({"ntriples"})
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
# Listing pages: path segment -> (class, local name relative to the ontology namespace or absolute), title
LISTINGS = {
    "mitigation": ("#Mitigation", "Mitigations"),
    "document": ("#SourceDocument", "Source documents"),
    "person": ("http://xmlns.com/foaf/0.1/Person", "Persons"),
    "organization": ("http://xmlns.com/foaf/0.1/Organization", "Organisations"),
    "risk": ("#Risk", "Risks named by documents"),
    "dataset": ("http://rdfs.org/ns/void#Dataset", "Source datasets"),
    "agent": ("http://www.w3.org/ns/prov#Agent", "Agents"),
    "evidence": ("#EvidenceQuote", "Evidence quotes"),
    "classification": ("#Classification", "Classifications"),
}
TEMPLATES = {
    "mitigation": "mitigation.html",
    "document": "document.html",
    "person": "person.html",
    "organization": "person.html",
    "agent": "person.html",
    "scheme": "taxonomy.html",
}
CONCEPT_TEMPLATE = "concept.html"


@dataclass(frozen=True)
class Target:
    path: str  # the path without suffix, e.g. "mitigation/x"
    iri: str
    kind: str  # "resource", "ontology", "shapes" or "listing"
    rep: reps.Representation | None  # chosen by a suffix


def etag(request: Request, rep: reps.Representation, variant: str | None = None) -> str:
    return f'"{request.app.state.release.id}-{rep.suffix}{"-" + variant if variant else ""}"'


def links(
    request: Request, path: str, current: reps.Representation | None = None, offers=OFFERS
) -> list[reps.Alternate]:
    stem = path.rstrip("/").rsplit("/", 1)[-1] or "index"
    return [
        reps.Alternate(rep, f"{root(request)}/{path}.{rep.suffix}", f"{stem}.{rep.suffix}")
        for rep in offers
        if rep is not current
    ]


def headers_for(request: Request, target: Target, rep: reps.Representation) -> dict[str, str]:
    headers = {
        "Vary": "Accept",
        "ETag": etag(request, rep),
        "Content-Location": f"{root(request)}/{target.path}.{rep.suffix}",
    }
    link = reps.link_header(links(request, target.path, rep))
    if link:
        headers["Link"] = link
    return headers


def not_modified(request: Request, headers: dict[str, str]) -> Response | None:
    tags = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    tag = headers.get("ETag") or headers.get("etag")
    if tag in tags or "*" in tags:
        return Response(status_code=304, headers=headers)
    return None


def ontology_iris(d: Describer) -> set[str]:
    iris = {d.base + "ontology"}
    iris.update(
        o.value for o in d.objects(ox.NamedNode(d.base + "ontology"), "http://www.w3.org/2002/07/owl#versionIRI")
    )
    return iris


def is_module(d: Describer, path: str) -> bool:
    """An ontology module of its own file: `ontology/imports/airo-extract` names the graph
    `graph/ontology/imports/airo-extract` and an owl:Ontology in it."""
    if not path.startswith("ontology/"):
        return False
    graph = ox.NamedNode(d.base + "graph/" + path)
    kind = ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology")
    return any(d.store.quads_for_pattern(ox.NamedNode(d.base + path), RDF_TYPE, kind, graph))


def offers_for(d: Describer, target: Target) -> tuple[reps.Representation, ...]:
    """What a target can be answered with, the default (for an absent or `*/*` Accept) first."""
    if target.kind == "listing":
        return (reps.HTML,)
    if target.kind in ("ontology", "module"):
        return RDF_FIRST
    scheme = ox.NamedNode("http://www.w3.org/2004/02/skos/core#ConceptScheme")
    if target.kind == "resource" and any(d.store.quads_for_pattern(ox.NamedNode(target.iri), RDF_TYPE, scheme)):
        return RDF_FIRST
    return OFFERS


def resolve(request: Request, path: str) -> Target | None:
    d = describer(request)
    candidates: list[tuple[str, reps.Representation | None]] = [(path, None)]
    stem, dot, suffix = path.rpartition(".")
    if dot and suffix in BY_SUFFIX and "/" not in suffix:
        candidates.append((stem, BY_SUFFIX[suffix]))
    for candidate, rep in candidates:
        iri = d.base + candidate
        if candidate.endswith("/") and candidate[:-1] in LISTINGS:
            return Target(candidate, iri, "listing", rep)
        if iri in ontology_iris(d):
            return Target(candidate, iri, "ontology", rep)
        if is_module(d, candidate):
            return Target(candidate, iri, "module", rep)
        if candidate == "shapes":
            return Target(candidate, iri, "shapes", rep)
        if candidate and d.exists(iri):
            return Target(candidate, iri, "resource", rep)
    return None


def not_found(request: Request, path: str) -> Response:
    d = describer(request)
    iri = d.base + path
    section = path.split("/", 1)[0]
    detail = f"Not Found: nothing in the graph has the IRI <{iri}>."
    if request.method == "HEAD" or not errors.wants_html(request):
        raise HTTPException(404, detail)
    body = errors.problem(404, detail)["error"]
    context = {
        "title": "Not found",
        "error": body,
        "iri": iri,
        "listing": section if section in LISTINGS else "",
        "listing_title": LISTINGS.get(section, ("", ""))[1],
    }
    return page(request, "not_found.html", context, status=404, headers={"Vary": "Accept"})


def serialize(triples: list[ox.Triple], rep: reps.Representation, base: str, accept: str | None) -> tuple[bytes, str]:
    prefixes = None if rep.name in NO_PREFIXES else rebased_prefixes(base)
    return reps.graph_body(triples, rep, base, accept, prefixes)


def rebased_prefixes(base: str) -> dict[str, str]:
    default = PREFIXES["kg"]
    return {k: (base + v[len(default) :] if v.startswith(default) else v) for k, v in PREFIXES.items()}


def rdf_response(request: Request, triples: list[ox.Triple], target: Target, rep: reps.Representation) -> Response:
    headers = headers_for(request, target, rep)
    base = describer(request).base
    if rep.name == "jsonld":
        headers["Link"] = ", ".join(filter(None, [headers.get("Link"), reps.context_link(base)]))
        headers["ETag"] = etag(request, rep, reps.jsonld_profile(rep, request.headers.get("accept")))
    if (cached := not_modified(request, headers)) is not None:
        return cached
    body, media_type = serialize(triples, rep, base, request.headers.get("accept"))
    return Response(body, media_type=media_type, headers=headers)


def html_response(request: Request, template: str, context: dict, target: Target) -> Response:
    headers = headers_for(request, target, reps.HTML)
    headers.pop("Link", None)  # page() writes Link from the same alternates
    return not_modified(request, headers) or page(
        request, template, context, links(request, target.path, reps.HTML), headers=headers
    )


def choose(request: Request, target: Target, offers=OFFERS) -> reps.Representation:
    if target.rep is not None:
        if target.rep not in offers:
            raise NotAcceptable(f"{target.path} has no .{target.rep.suffix} representation")
        return target.rep
    # ?format= as the suffix would say it (a name, suffix or media type), else Accept; 406 when unknown
    return reps.choose(offers, request.headers.get("accept"), request.query_params.getlist("format"))


def resource_page(request: Request, target: Target, resource: Resource) -> Response:
    template = TEMPLATES.get(resource.kind, CONCEPT_TEMPLATE if "tree" in resource.extras else "resource.html")
    d = describer(request)
    context = {
        "title": resource.label,
        "r": resource,
        "path": target.path,
        "describe_query": f"DESCRIBE <{resource.iri}>",
        "base": d.base,
    }
    return html_response(request, template, context, target)


def listing(request: Request, target: Target) -> Response:
    d = describer(request)
    section = target.path.rstrip("/")
    cls, title = LISTINGS[section]
    cls = d.ns + cls[1:] if cls.startswith("#") else cls
    prefix = d.base + section + "/"
    items = [t for t in d.instances(cls) if t.value.startswith(prefix)]
    rep = choose(request, target, (reps.HTML,))
    headers = {"Vary": "Accept", "ETag": etag(request, rep)}
    return not_modified(request, headers) or page(
        request, "listing.html", {"title": title, "items": items, "section": section}, headers=headers
    )


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str | None
    headers: dict


PAGE_CACHE_BYTES = 64 * 1024 * 1024


def rendered_pages(request: Request) -> ResultCache[Rendered]:
    """Pages and RDF documents already rendered from the store in service (dropped with it)."""
    state = request.app.state
    cached = getattr(state, "rendered", None)
    if cached is None or cached[0] is not state.store:
        cached = state.rendered = (state.store, ResultCache[Rendered](PAGE_CACHE_BYTES))
    return cached[1]


@router.api_route("/{path:path}", methods=["GET", "HEAD"])
@confined
def dereference(request: Request, path: str) -> Response:
    """A resource of the graph in the representation asked for. The graph is read-only between releases,
    so each (path, representation) is rendered once per release and then served from memory."""
    target = resolve(request, path)
    if target is None:
        return not_found(request, path)
    offers = offers_for(describer(request), target)
    rep = choose(request, target, offers)
    key = (target.path, target.kind, rep.name, reps.jsonld_profile(rep, request.headers.get("accept")))
    cache = rendered_pages(request)
    hit = cache.get(key)
    if hit is not None:
        return not_modified(request, hit.headers) or Response(hit.body, media_type=hit.media_type, headers=hit.headers)
    response = render(request, target)
    if response.status_code == 200:
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
        cache.put(
            key, Rendered(bytes(response.body), response.media_type or response.headers.get("content-type"), headers)
        )
    return response


def render(request: Request, target: Target) -> Response:
    if target.kind == "listing":
        return listing(request, target)
    if target.kind in ("ontology", "shapes", "module"):
        rep = choose(request, target, offers_for(describer(request), target))
        document = documentation.document(request, describer(request), target.kind, target.iri)
        if rep is reps.HTML:
            return html_response(request, "ontology.html", document.context(), target)
        return rdf_response(request, document.triples, target, rep)
    d = describer(request)
    rep = choose(request, target, offers_for(d, target))
    resource = d.describe(target.iri, extras=rep is reps.HTML)
    if resource is None:  # not mentioned after all (resolve() found it mentioned: a guard)
        return not_found(request, target.path)
    if rep is not reps.HTML:
        triples = resource.triples
        if resource.kind == "scheme":  # a scheme's document is its whole vocabulary
            triples = list(dict.fromkeys(triples + vocabulary(d, target.iri)))
        return rdf_response(request, triples, target, rep)
    return resource_page(request, target, resource)


def vocabulary(d: Describer, scheme: str) -> list[ox.Triple]:
    node = ox.NamedNode(scheme)
    kind = ox.NamedNode("http://www.w3.org/2004/02/skos/core#ConceptScheme")
    for quad in d.store.quads_for_pattern(node, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), kind):
        name = quad.graph_name
        if not isinstance(name, ox.DefaultGraph) and not name.value.endswith("/inferred"):
            return d.graph(name.value)
    return []
