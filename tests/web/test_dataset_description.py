"""The dataset description (`/.well-known/void`, VoID and DCAT) validated with shapes of our own
(tests/web/dataset_description_shapes.ttl: DCAT-AP's Dataset and Distribution properties that apply,
and VoID's counts) by pyshacl; each source dataset's licence agrees with data/sources/README.md; the
version is the one `kg release` stamped."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, XSD

from kg import api
from kg.release import stamp

from conftest import ROOT, project_settings, small_copy

pytestmark = pytest.mark.server

SHAPES = Graph().parse(Path(__file__).with_name("dataset_description_shapes.ttl"))
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
BASE = "https://w3id.org/airm-kg/"
DS = URIRef(BASE + ".well-known/void#airm-kg")
LICENCES = {
    "CC BY 4.0": "https://creativecommons.org/licenses/by/4.0/",
    "Apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0",
}
# source dataset -> (the row of data/sources/README.md it comes from, the licence that row gives it)
# (the seed dataset's rights are being changed to a preliminary-status statement elsewhere: not here)
SOURCES = {
    "dataset/mit-mitigation-database-v1": ("`risk-atlas-nexus/*.yaml`", "CC BY 4.0"),
    "dataset/nist-ai-600-1": ("`risk-atlas-nexus/nist_ai_rmf_actions_data.yaml`", "Apache-2.0"),
}


def description(client) -> Graph:
    r = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    return Graph().parse(data=r.text, format="turtle")


def conforms(g: Graph) -> tuple[bool, str]:
    ok, _, text = validate(g, shacl_graph=SHAPES, inference="none", advanced=True)
    return ok, text


def test_the_description_conforms_to_the_shapes(http):
    g = description(http)
    ok, text = conforms(g)
    assert ok, text
    assert (DS, DCTERMS.publisher, None) in g and (DS, DCTERMS.creator, None) in g and (DS, DCTERMS.modified, None) in g
    # the shapes do catch what they are for
    for predicate in (DCTERMS.publisher, DCTERMS.modified, URIRef(VOID + "triples")):
        broken = Graph()
        for t in g:
            if not (t[0] == DS and t[1] == predicate):
                broken.add(t)
        assert not conforms(broken)[0], predicate


def test_each_subset_counts_the_triples_of_its_file(http, store):
    g = description(http)
    subsets = set(g.objects(DS, URIRef(VOID + "subset")))
    assert {URIRef(BASE + path) for path in SOURCES} <= subsets
    graphs = {"dataset/mit-mitigation-database-v1": "data/mit-v1", "dataset/nist-ai-600-1": "data/nist-ai-600-1"}
    for path, graph in graphs.items():
        import pyoxigraph as ox

        expected = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(f"{BASE}graph/{graph}")))
        assert g.value(URIRef(BASE + path), URIRef(VOID + "triples")) == Literal(expected, datatype=XSD.integer)


def test_each_licence_agrees_with_the_sources_readme(http):
    g = description(http)
    readme = (ROOT / "data" / "sources" / "README.md").read_text(encoding="utf-8")
    lines = [line for line in readme.splitlines() if line.startswith("| `")]
    rows = {
        row: next(line for line in lines if line.split("|")[1].strip().startswith(row)) for row, _ in SOURCES.values()
    }
    for path, (row, licence) in SOURCES.items():
        assert licence in rows[row].split("|")[3], f"data/sources/README.md gives {row} another licence"
        assert list(g.objects(URIRef(BASE + path), DCTERMS.license)) == [URIRef(LICENCES[licence])], path
    nist_rights = str(g.value(URIRef(BASE + "dataset/nist-ai-600-1"), DCTERMS.rights))
    assert (
        "work of the US Government" in nist_rights
        and "work of the US Government" in rows[SOURCES["dataset/nist-ai-600-1"][0]]
    )
    # README.md says the same as the description
    licensing = (ROOT / "README.md").read_text(encoding="utf-8").split("Where the data comes from", 1)[1][:900]
    assert "Apache-2.0" in licensing and "NIST AI 600-1" in licensing


def test_the_version_is_the_one_kg_release_stamped(tmp_path):
    from starlette.testclient import TestClient

    from kg.web.app import create_app

    root = small_copy(tmp_path / "project")
    settings = project_settings(root=root, build_dir=root / "build", reasoner=False)
    api.build(settings)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        unstamped = description(client)
        assert (DS, URIRef(DCAT + "version"), None) not in unstamped and (DS, OWL.versionInfo, None) not in unstamped
    released = stamp.stamp(settings, "1.2.3")
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        g = description(client)
    assert g.value(DS, URIRef(DCAT + "version")) == Literal("1.2.3") == g.value(DS, OWL.versionInfo)
    assert g.value(DS, DCTERMS.identifier) == Literal(released.id)
    assert g.value(DS, DCTERMS.issued) == Literal(released.manifest["issued"], datatype=XSD.dateTime)
    assert (DS, RDF.type, URIRef(VOID + "Dataset")) in g
    assert conforms(g)[0]
