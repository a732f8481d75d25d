"""JSON-LD as a JSON consumer meets it, with pyld against the real server: the context at its stable
IRI, compacted documents with `@type`, the `profile` parameter, framing by `@type`, and a round trip
to the same triples as the Turtle. pyld never fetches anything: its document loader answers our
context from the release's own `context.jsonld` and refuses every other URL."""

from __future__ import annotations

import json

import pytest
from pyld import jsonld
from rdflib import Graph
from rdflib.compare import isomorphic

pytestmark = pytest.mark.server

BASE = "https://w3id.org/airm-kg/"
CONTEXT_IRI = BASE + "context.jsonld"
PROFILE = "http://www.w3.org/ns/json-ld#"
MITIGATION = "mitigation/shi2024-1f14fbf250b9f161"


@pytest.fixture(scope="module")
def loader(current):
    """pyld's document loader: our context from the release directory, nothing from the network."""
    context = json.loads((current.path / "context.jsonld").read_text(encoding="utf-8"))

    def load(url, options=None):
        if url != CONTEXT_IRI:
            raise jsonld.JsonLdError(
                f"no network in tests: {url}", "jsonld.LoadDocumentError", code="loading document failed"
            )
        return {"contextUrl": None, "documentUrl": url, "document": context}

    return load


def options(loader, **more):
    return {"documentLoader": loader, **more}


def triples_of(doc, loader) -> Graph:
    nquads = jsonld.to_rdf(doc, options(loader, format="application/n-quads"))
    return Graph().parse(data=nquads, format="nt")  # the default graph only: N-Triples lines


def types_of(node) -> set[str]:
    value = node.get("@type", [])
    return {value} if isinstance(value, str) else set(value)


def turtle(http, path) -> Graph:
    return Graph().parse(data=http.get(f"/{path}.ttl").text, format="turtle")


def test_the_context_is_served_at_its_iri_and_shipped_in_the_release(http, current):
    r = http.get("/context.jsonld")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    assert r.content == (current.path / "context.jsonld").read_bytes()
    assert "context.jsonld" in {f["name"] for f in current.manifest["files"]}
    context = r.json()["@context"]
    assert context["@vocab"] == BASE + "ontology#"
    assert context["label"] == "http://www.w3.org/2000/01/rdf-schema#label"
    assert context["evidence"] == {"@id": BASE + "ontology#hasEvidence", "@type": "@id"}
    assert context["category"]["@id"] == BASE + "ontology#mitigationCategory"
    assert context["stage"]["@id"] == BASE + "ontology#lifecycleStage"
    assert context["skos"] == "http://www.w3.org/2004/02/skos/core#"


def test_a_resource_is_compacted_by_default_with_types_as_type(http, loader):
    r = http.get(f"/{MITIGATION}", headers={"Accept": "application/ld+json"})
    assert r.status_code == 200
    assert r.headers["content-type"] == f'application/ld+json; profile="{PROFILE}compacted"'
    assert f'<{CONTEXT_IRI}>; rel="{PROFILE}context"' in r.headers["link"]
    doc = r.json()
    node = next(n for n in doc["@graph"] if n["@id"] == "kg:" + MITIGATION)
    assert "Mitigation" in types_of(node)
    assert {"category", "evidence", "stage", "label"} <= set(node)
    assert not any("rdf-syntax-ns#type" in key or key == "rdf:type" for n in doc["@graph"] for key in n)
    # pyld compacts the document with the context at its IRI to the same keys
    again = jsonld.compact(doc, CONTEXT_IRI, options(loader))
    node2 = next(n for n in again["@graph"] if n["@id"] == "kg:" + MITIGATION)
    assert types_of(node2) == types_of(node) and set(node2) == set(node)


def test_framing_by_type_finds_the_mitigation(http, loader):
    doc = http.get(f"/{MITIGATION}.jsonld").json()
    framed = jsonld.frame(doc, {"@context": CONTEXT_IRI, "@type": "Mitigation"}, options(loader))
    found = framed["@graph"] if "@graph" in framed else [framed]
    assert [n["@id"] for n in found] == ["kg:" + MITIGATION]
    assert found[0]["category"]["@id"].startswith("mtax:")


@pytest.mark.parametrize(
    "path", [MITIGATION, "document/shi2024", "vocab/lifecycle-stage", "ontology", "vocab/mitigation-taxonomy/1.1"]
)
def test_every_profile_round_trips_to_the_triples_of_the_turtle(http, loader, path):
    expected = turtle(http, path)
    for profile in ("compacted", "expanded", "flattened"):
        r = http.get(f"/{path}", headers={"Accept": f'application/ld+json;profile="{PROFILE}{profile}"'})
        assert r.headers["content-type"] == f'application/ld+json; profile="{PROFILE}{profile}"'
        doc = r.json()
        if profile == "expanded":
            assert isinstance(doc, list) and all(k.startswith(("@", "http")) for n in doc for k in n)
        else:
            assert set(doc) == {"@context", "@graph"}
        assert isomorphic(triples_of(doc, loader), expected), (path, profile)
    assert (
        http.get(f"/{path}.jsonld").content == http.get(f"/{path}", headers={"Accept": "application/ld+json"}).content
    )


def test_the_void_description_is_compacted_too(http, loader):
    doc = http.get("/.well-known/void", headers={"Accept": "application/ld+json"}).json()
    framed = jsonld.frame(doc, {"@context": CONTEXT_IRI, "@type": "void:Dataset"}, options(loader))
    ids = {n["@id"] for n in framed["@graph"]}
    assert "kg:.well-known/void#airm-kg" in ids
    expected = Graph().parse(data=http.get("/.well-known/void", headers={"Accept": "text/turtle"}).text)
    assert isomorphic(triples_of(doc, loader), expected)


def test_the_jsonld_dump_uses_the_context_and_holds_the_graph(current, loader):
    doc = json.loads((current.path / "airm-kg.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"] == json.loads((current.path / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    types = {t for n in doc["@graph"] for t in types_of(n)}
    assert {"Mitigation", "SourceDocument", "skos:Concept"} <= types
    framed = jsonld.frame(doc, {"@context": CONTEXT_IRI, "@type": "SourceDocument"}, options(loader))
    assert len(framed["@graph"]) > 10
    assert isomorphic(triples_of(doc, loader), Graph().parse(current.path / "airm-kg.ttl"))
