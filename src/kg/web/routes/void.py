"""`/.well-known/void`: the VoID and DCAT description of the dataset (Turtle, JSON-LD, N-Triples,
RDF/XML or HTML by negotiation), built from the release manifest and the `void:Dataset`s of the graph.

The dataset's IRI is `<base>.well-known/void#airm-kg` (it dereferences here); the endpoint and the
dump URLs are the service's own (where this description was fetched from)."""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kg.namespaces import NS
from kg.web import representations as reps
from kg.web.errors import confined
from kg.web.state import describer, root
from kg.web.templating import page

router = APIRouter()
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
PREFIXES = {"void": NS.void, "dcat": NS.dcat, "dcterms": NS.dcterms, "owl": NS.owl, "spdx": NS.spdx, "xsd": NS.xsd}


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def typed(value, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=n(NS.xsd + datatype))


def triple_count(request: Request) -> int:
    state = request.app.state
    cached = getattr(state, "void_triples", None)
    if cached is None or cached[0] != state.release.id:
        count = len({(q.subject, q.predicate, q.object) for q in state.store})
        cached = state.void_triples = (state.release.id, count)
    return cached[1]


def service_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + root(request)


def description(request: Request) -> tuple[ox.NamedNode, list[ox.Triple]]:
    d = describer(request)
    manifest = request.app.state.release.manifest
    service = service_url(request)
    ds = n(d.base + ".well-known/void#airm-kg")
    version = manifest.get("version", manifest["id"])
    t = [
        ox.Triple(ds, RDF_TYPE, n(NS.void + "Dataset")),
        ox.Triple(ds, RDF_TYPE, n(NS.dcat + "Dataset")),
        ox.Triple(
            ds,
            n(NS.dcterms + "title"),
            ox.Literal("AIRM-KG: an open knowledge graph of AI risk mitigations", language="en"),
        ),
        ox.Triple(
            ds,
            n(NS.dcterms + "description"),
            ox.Literal(
                "AI risk mitigations extracted from frameworks and papers, classified into mitigation taxonomies, "
                "lifecycle stages, actors and NIST AI RMF functions, and cited to their source documents.",
                language="en",
            ),
        ),
        ox.Triple(ds, n(NS.dcterms + "license"), n(CC_BY)),
        ox.Triple(
            ds,
            n(NS.dcterms + "rights"),
            ox.Literal(
                "CC BY 4.0, except the subset of the MIT mitigation navigator's seed records, which is preliminary "
                "(adms:status UnderDevelopment), carries no licence and is not to be shared or cited (its dcterms:rights).",
                language="en",
            ),
        ),
        ox.Triple(ds, n(NS.void + "uriSpace"), ox.Literal(d.base)),
        ox.Triple(ds, n(NS.void + "sparqlEndpoint"), n(service + "/sparql")),
        ox.Triple(ds, n(NS.void + "triples"), typed(triple_count(request), "integer")),
        ox.Triple(ds, n(NS.void + "vocabulary"), n(d.ns)),
        ox.Triple(ds, n(NS.void + "rootResource"), n(d.base + "vocab/mitigation-taxonomy")),
        ox.Triple(ds, n(NS.dcterms + "identifier"), ox.Literal(manifest["id"])),
        ox.Triple(ds, n(NS.owl + "versionInfo"), ox.Literal(str(version))),
        ox.Triple(ds, n(NS.dcat + "version"), ox.Literal(str(version))),
        ox.Triple(ds, n(NS.dcterms + "conformsTo"), n(d.base + "ontology")),
        ox.Triple(ds, n(NS.dcat + "landingPage"), n(service + "/")),
    ]
    if manifest.get("created"):
        t.append(ox.Triple(ds, n(NS.dcterms + "issued"), typed(manifest["created"], "dateTime")))
    for f in manifest.get("files", []):
        t += distribution(ds, f, service)
    t += subsets(d, ds)
    return ds, list(dict.fromkeys(t))


def distribution(ds: ox.NamedNode, f: dict, service: str) -> list[ox.Triple]:
    """A file of the release as a dcat:Distribution (and, but for the shapes, a void:dataDump)."""
    url = n(f"{service}/-/dumps/{f['name']}")
    dist, checksum = ox.BlankNode(), ox.BlankNode()
    t = [] if f["name"].startswith("shapes-") else [ox.Triple(ds, n(NS.void + "dataDump"), url)]
    return t + [
        ox.Triple(ds, n(NS.dcat + "distribution"), dist),
        ox.Triple(dist, RDF_TYPE, n(NS.dcat + "Distribution")),
        ox.Triple(dist, n(NS.dcat + "downloadURL"), url),
        ox.Triple(dist, n(NS.dcat + "mediaType"), n("https://www.iana.org/assignments/media-types/" + f["media_type"])),
        ox.Triple(dist, n(NS.dcterms + "format"), ox.Literal(f["media_type"])),
        ox.Triple(dist, n(NS.dcat + "byteSize"), typed(f["bytes"], "nonNegativeInteger")),
        ox.Triple(dist, n(NS.dcterms + "title"), ox.Literal(f["name"])),
        ox.Triple(dist, n(NS.spdx + "checksum"), checksum),
        ox.Triple(checksum, RDF_TYPE, n(NS.spdx + "Checksum")),
        ox.Triple(checksum, n(NS.spdx + "algorithm"), n(NS.spdx + "checksumAlgorithm_sha256")),
        ox.Triple(checksum, n(NS.spdx + "checksumValue"), typed(f["sha256"], "hexBinary")),
    ]


def subsets(d, ds: ox.NamedNode) -> list[ox.Triple]:
    """The source datasets of the graph as subsets, with their own description (licence, source)."""
    t = []
    for q in d.store.quads_for_pattern(None, RDF_TYPE, n(NS.void + "Dataset")):
        source = q.subject
        if source == ds or not isinstance(source, ox.NamedNode):
            continue
        t.append(ox.Triple(ds, n(NS.void + "subset"), source))
        t += [
            tr
            for tr in d.outgoing(source)
            if tr.predicate.value.startswith((NS.dcterms, NS.void, NS.dcat, NS.adms)) or tr.predicate == RDF_TYPE
        ]
    return t


OFFERS = (reps.HTML, *reps.GRAPH)


@router.api_route("/.well-known/void", methods=["GET", "HEAD"])
@confined
def void(request: Request) -> Response:
    rep = reps.choose(OFFERS, request.headers.get("accept"), request.query_params.getlist("format"))
    ds, triples = description(request)
    links = reps.alternates(request.url, reps.GRAPH, "void")
    headers = {"Vary": "Accept", "ETag": f'"{request.app.state.release.id}-void-{rep.suffix}"'}
    if rep is not reps.HTML:
        link = reps.link_header(links)
        if link:
            headers["Link"] = link
        prefixes = None if rep.name == "ntriples" else PREFIXES
        return Response(
            ox.serialize(triples, format=rep.entry.rdf_format, prefixes=prefixes),
            media_type=rep.media_type,
            headers=headers,
        )
    d = describer(request)
    own: dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]] = {}  # predicate -> objects
    for tr in triples:
        if tr.subject == ds:
            own.setdefault(tr.predicate.value, []).append(tr.object)
    rows = [
        (d.iri_term(p), [d.term(o) for o in objs if not isinstance(o, ox.BlankNode)])
        for p, objs in own.items()
        if p != NS.dcat + "distribution"
    ]
    sources = [
        {
            "term": d.term(s),
            "licenses": [d.term(o) for o in d.objects(s, NS.dcterms + "license")],
            "rights": [d.term(o) for o in d.objects(s, NS.dcterms + "rights")],
        }
        for s in own.get(NS.void + "subset", [])
    ]
    return page(
        request,
        "void.html",
        {
            "title": "Dataset description (VoID, DCAT)",
            "ds": ds.value,
            "rows": rows,
            "sources": sources,
            "files": request.app.state.release.manifest.get("files", []),
        },
        links,
        headers=headers,
    )
