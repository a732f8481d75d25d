"""`/.well-known/void`: the VoID and DCAT description of the dataset (Turtle, JSON-LD, N-Triples,
RDF/XML or HTML by negotiation), built from the release manifest and the `void:Dataset`s of the graph.

The dataset's IRI is `<base>.well-known/void#airm-kg` (it dereferences here); the endpoint and the
dump URLs are the service's own (where this description was fetched from)."""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kg.web import representations as reps
from kg.web.errors import confined
from kg.web.templating import page, root

router = APIRouter()
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
OWL = "http://www.w3.org/2002/07/owl#"
SPDX = "http://spdx.org/rdf/terms#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
PREFIXES = {"void": VOID, "dcat": DCAT, "dcterms": DCTERMS, "owl": OWL, "spdx": SPDX, "xsd": XSD}


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def typed(value, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=n(XSD + datatype))


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
    from kg.web.routes.resources import describer
    d = describer(request)
    manifest = request.app.state.release.manifest
    service = service_url(request)
    ds = n(d.base + ".well-known/void#airm-kg")
    version = manifest.get("version", manifest["id"])
    t = [ox.Triple(ds, RDF_TYPE, n(VOID + "Dataset")), ox.Triple(ds, RDF_TYPE, n(DCAT + "Dataset")),
         ox.Triple(ds, n(DCTERMS + "title"), ox.Literal("AIRM-KG: an open knowledge graph of AI risk mitigations", language="en")),
         ox.Triple(ds, n(DCTERMS + "description"), ox.Literal(
             "AI risk mitigations extracted from frameworks and papers, classified into mitigation taxonomies, "
             "lifecycle stages, actors and NIST AI RMF functions, and cited to their source documents.", language="en")),
         ox.Triple(ds, n(DCTERMS + "license"), n(CC_BY)),
         ox.Triple(ds, n(VOID + "uriSpace"), ox.Literal(d.base)),
         ox.Triple(ds, n(VOID + "sparqlEndpoint"), n(service + "/sparql")),
         ox.Triple(ds, n(VOID + "triples"), typed(triple_count(request), "integer")),
         ox.Triple(ds, n(VOID + "vocabulary"), n(d.ns)),
         ox.Triple(ds, n(VOID + "rootResource"), n(d.base + "vocab/mitigation-taxonomy")),
         ox.Triple(ds, n(DCTERMS + "identifier"), ox.Literal(manifest["id"])),
         ox.Triple(ds, n(OWL + "versionInfo"), ox.Literal(str(version))),
         ox.Triple(ds, n(DCAT + "version"), ox.Literal(str(version))),
         ox.Triple(ds, n(DCTERMS + "conformsTo"), n(d.base + "ontology")),
         ox.Triple(ds, n(DCAT + "landingPage"), n(service + "/"))]
    if manifest.get("created"):
        t.append(ox.Triple(ds, n(DCTERMS + "issued"), typed(manifest["created"], "dateTime")))
    for f in manifest.get("files", []):
        url = n(f"{service}/-/dumps/{f['name']}")
        dist, checksum = ox.BlankNode(), ox.BlankNode()
        if not f["name"].startswith("shapes-"):
            t.append(ox.Triple(ds, n(VOID + "dataDump"), url))
        t += [ox.Triple(ds, n(DCAT + "distribution"), dist), ox.Triple(dist, RDF_TYPE, n(DCAT + "Distribution")),
              ox.Triple(dist, n(DCAT + "downloadURL"), url), ox.Triple(dist, n(DCAT + "mediaType"),
                                                                      n("https://www.iana.org/assignments/media-types/" + f["media_type"])),
              ox.Triple(dist, n(DCTERMS + "format"), ox.Literal(f["media_type"])),
              ox.Triple(dist, n(DCAT + "byteSize"), typed(f["bytes"], "nonNegativeInteger")),
              ox.Triple(dist, n(DCTERMS + "title"), ox.Literal(f["name"])),
              ox.Triple(dist, n(SPDX + "checksum"), checksum),
              ox.Triple(checksum, RDF_TYPE, n(SPDX + "Checksum")),
              ox.Triple(checksum, n(SPDX + "algorithm"), n(SPDX + "checksumAlgorithm_sha256")),
              ox.Triple(checksum, n(SPDX + "checksumValue"), typed(f["sha256"], "hexBinary"))]
    for q in d.store.quads_for_pattern(None, RDF_TYPE, n(VOID + "Dataset")):
        source = q.subject
        if source == ds or not isinstance(source, ox.NamedNode):
            continue
        t.append(ox.Triple(ds, n(VOID + "subset"), source))
        t += [tr for tr in d.outgoing(source) if tr.predicate.value.startswith((DCTERMS, VOID, DCAT)) or tr.predicate == RDF_TYPE]
    return ds, list(dict.fromkeys(t))


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
        return Response(ox.serialize(triples, format=rep.format.oxigraph, prefixes=prefixes),
                        media_type=rep.media_type, headers=headers)
    from kg.web.routes.resources import describer
    d = describer(request)
    own = {}
    for tr in triples:
        if tr.subject == ds:
            own.setdefault(tr.predicate.value, []).append(tr.object)
    rows = [(d.iri_term(p), [d.term(o) for o in objs if not isinstance(o, ox.BlankNode)])
            for p, objs in own.items() if p != DCAT + "distribution"]
    sources = [{"term": d.term(s), "licenses": [d.term(o) for o in d.objects(s, DCTERMS + "license")]}
               for s in own.get(VOID + "subset", [])]
    return page(request, "void.html", {"title": "Dataset description (VoID, DCAT)", "ds": ds.value, "rows": rows,
                                       "sources": sources, "files": request.app.state.release.manifest.get("files", [])},
                links, headers=headers)
