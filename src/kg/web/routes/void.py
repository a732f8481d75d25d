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
from kg.release.directory import DUMP_NAME
from kg.web import representations as reps
from kg.web.errors import confined
from kg.web.state import base_iri, describer, root
from kg.web.templating import page

router = APIRouter()
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
PREFIXES = {
    "void": NS.void,
    "dcat": NS.dcat,
    "dcterms": NS.dcterms,
    "foaf": NS.foaf,
    "owl": NS.owl,
    "prov": NS.prov,
    "rdfs": NS.rdfs,
    "spdx": NS.spdx,
    "xsd": NS.xsd,
}


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


PROJECT = "AIRM-KG project"
CONTRIBUTORS = "AIRM-KG contributors"
RIGHTS = (
    "The project's ontology, vocabularies, mappings and own data are CC BY 4.0. Each source dataset "
    "(void:subset) keeps its own licence and rights, stated on it: see data/sources/README.md."
)


def agent(name: str, kind: str) -> tuple[ox.BlankNode, list[ox.Triple]]:
    """A publisher or creator: a foaf:Agent of the given kind with its name (no IRI of its own to
    dereference)."""
    node = ox.BlankNode()
    return node, [
        ox.Triple(node, RDF_TYPE, n(NS.foaf + "Agent")),
        ox.Triple(node, RDF_TYPE, n(NS.foaf + kind)),
        ox.Triple(node, n(NS.foaf + "name"), ox.Literal(name)),
    ]


def versioning(ds: ox.NamedNode, manifest: dict, base: str) -> list[ox.Triple]:
    """The release: its id, when it was written (dcterms:modified) and issued, and the version
    `kg release` stamped on it (none for an unstamped build)."""
    t = [ox.Triple(ds, n(NS.dcterms + "identifier"), ox.Literal(manifest["id"]))]
    created = manifest.get("created")
    if created:
        t.append(ox.Triple(ds, n(NS.dcterms + "modified"), typed(created, "dateTime")))
    issued = manifest.get("issued") or created
    if issued:
        t.append(ox.Triple(ds, n(NS.dcterms + "issued"), typed(issued, "dateTime")))
    version = manifest.get("version")
    if version:
        t += [
            ox.Triple(ds, n(NS.owl + "versionInfo"), ox.Literal(str(version))),
            ox.Triple(ds, n(NS.dcat + "version"), ox.Literal(str(version))),
        ]
    if manifest.get("release_iri"):
        t.append(ox.Triple(ds, n(NS.rdfs + "seeAlso"), n(manifest["release_iri"])))
    return t


def description(request: Request) -> tuple[ox.NamedNode, list[ox.Triple]]:
    d = describer(request)
    manifest = request.app.state.release.manifest
    service = service_url(request)
    ds = n(d.base + ".well-known/void#airm-kg")
    publisher, publisher_triples = agent(PROJECT, "Organization")
    creator, creator_triples = agent(CONTRIBUTORS, "Group")
    title = "AIRM-KG: an open knowledge graph of AI risk mitigations"
    about = (
        "AI risk mitigations extracted from frameworks and papers, classified into mitigation taxonomies, "
        "lifecycle stages, actors and NIST AI RMF functions, and cited to their source documents."
    )
    t = [
        ox.Triple(ds, RDF_TYPE, n(NS.void + "Dataset")),
        ox.Triple(ds, RDF_TYPE, n(NS.dcat + "Dataset")),
        ox.Triple(ds, n(NS.dcterms + "title"), ox.Literal(title, language="en")),
        ox.Triple(ds, n(NS.dcterms + "description"), ox.Literal(about, language="en")),
        ox.Triple(ds, n(NS.dcterms + "license"), n(CC_BY)),
        ox.Triple(ds, n(NS.dcterms + "rights"), ox.Literal(RIGHTS, language="en")),
        ox.Triple(ds, n(NS.dcterms + "publisher"), publisher),
        ox.Triple(ds, n(NS.dcterms + "creator"), creator),
        ox.Triple(ds, n(NS.void + "uriSpace"), ox.Literal(d.base)),
        ox.Triple(ds, n(NS.void + "sparqlEndpoint"), n(service + "/sparql")),
        ox.Triple(ds, n(NS.void + "triples"), typed(triple_count(request), "integer")),
        ox.Triple(ds, n(NS.void + "vocabulary"), n(d.ns)),
        ox.Triple(ds, n(NS.void + "rootResource"), n(d.base + "vocab/mitigation-taxonomy")),
        ox.Triple(ds, n(NS.dcterms + "conformsTo"), n(d.base + "ontology")),
        ox.Triple(ds, n(NS.dcat + "landingPage"), n(service + "/")),
        *publisher_triples,
        *creator_triples,
        *versioning(ds, manifest, d.base),
    ]
    for f in manifest.get("files", []):
        t += distribution(ds, f, service)
    t += subsets(request, ds)
    return ds, list(dict.fromkeys(t))


def distribution(ds: ox.NamedNode, f: dict, service: str) -> list[ox.Triple]:
    """A file of the release as a dcat:Distribution (and, for the dumps of the graph, a void:dataDump)."""
    url = n(f"{service}/-/dumps/{f['name']}")
    dist, checksum = ox.BlankNode(), ox.BlankNode()
    t = [ox.Triple(ds, n(NS.void + "dataDump"), url)] if f["name"].startswith(DUMP_NAME + ".") else []
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


def subset_graphs(request: Request) -> dict[ox.NamedNode, int]:
    """Each source dataset of the graph (a void:Dataset stated in a source file, not the release
    description) with the number of triples of the file that states it, counted once per release."""
    state = request.app.state
    cached = getattr(state, "void_subsets", None)
    if cached is None or cached[0] != state.release.id:
        counts: dict[ox.NamedNode, int] = {}
        for q in state.store.quads_for_pattern(None, RDF_TYPE, n(NS.void + "Dataset")):
            graph = q.graph_name
            if not isinstance(q.subject, ox.NamedNode) or not isinstance(graph, ox.NamedNode):
                continue
            if graph.value.endswith(("/inferred", "/release")):
                continue
            counts[q.subject] = counts.get(q.subject, 0) + sum(
                1 for _ in state.store.quads_for_pattern(None, None, None, graph)
            )
        cached = state.void_subsets = (state.release.id, counts)
    return cached[1]


def subsets(request: Request, ds: ox.NamedNode) -> list[ox.Triple]:
    """The source datasets of the graph as subsets, with their own description (licence, rights,
    source) and the triples of the file that holds them."""
    d = describer(request)
    t = []
    for source, count in sorted(subset_graphs(request).items(), key=lambda kv: kv[0].value):
        t.append(ox.Triple(ds, n(NS.void + "subset"), source))
        t.append(ox.Triple(source, n(NS.void + "triples"), typed(count, "integer")))
        t += [
            tr
            for tr in d.outgoing(source)
            if (tr.predicate.value.startswith((NS.dcterms, NS.void, NS.dcat, NS.prov)) or tr.predicate == RDF_TYPE)
            and tr.predicate.value != NS.void + "triples"
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
        if rep.name == "jsonld":
            headers["Link"] = ", ".join(filter(None, [headers.get("Link"), reps.context_link(base_iri(request))]))
        prefixes = None if rep.name == "ntriples" else PREFIXES
        body, media_type = reps.graph_body(triples, rep, base_iri(request), request.headers.get("accept"), prefixes)
        return Response(body, media_type=media_type, headers=headers)
    d = describer(request)
    own: dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]] = {}  # predicate -> objects
    for tr in triples:
        if tr.subject == ds:
            own.setdefault(tr.predicate.value, []).append(tr.object)
    names: dict[object, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
        tr.subject: tr.object for tr in triples if tr.predicate.value == NS.foaf + "name"
    }  # the agents
    rows = [
        (d.iri_term(p), [d.term(names.get(o, o)) for o in objs if not isinstance(names.get(o, o), ox.BlankNode)])
        for p, objs in own.items()
        if p != NS.dcat + "distribution"
    ]
    sources = [
        {"term": d.term(s), "licenses": [d.term(o) for o in d.objects(s, NS.dcterms + "license")]}
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
