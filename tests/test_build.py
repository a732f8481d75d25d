"""`kg build`: what a release contains, and that bad input never replaces the last good release."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from kg import api
from kg.errors import InputError, KGError, ValidationFailed
from kg.formats import lookup
from kg.namespaces import GRAPH
from kg.rdf.sources import collect, parse_rdflib
from kg.release import directory

from conftest import ROOT, project_settings, select

pytestmark = pytest.mark.slow


def test_manifest_lists_every_source_with_its_triple_count(current):
    inputs = {i["path"]: i for i in current.manifest["inputs"]}
    sources = collect(ROOT)
    assert set(inputs) == {s.rel for s in sources}
    for src in sources:
        assert inputs[src.rel]["triples"] == len(parse_rdflib(src)), src.rel
        assert inputs[src.rel]["graph"] == src.graph_iri


def test_each_source_is_its_own_named_graph_and_inferences_have_theirs(store):
    graphs = {g.value for g in store.named_graphs()}
    assert {s.graph_iri for s in collect(ROOT)} | {f"{GRAPH}inferred"} == graphs


@pytest.mark.parametrize("name", ["trig", "nquads", "turtle", "ntriples", "jsonld"])
def test_dumps_have_their_checksum_and_parse(current, name):
    entry = next(f for f in current.manifest["files"] if f["format"] == name)
    path = current.path / entry["name"]
    assert directory.sha256(path) == entry["sha256"]
    assert path.stat().st_size == entry["bytes"]
    parsed = set(ox.parse(path=str(path), format=lookup(name).oxigraph))
    if name in ("trig", "nquads"):
        assert len(parsed) == current.manifest["quads"]
    else:
        distinct = select(
            current.open_store(), "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
        )
        assert len(parsed) == int(distinct[0]["n"])


def test_inverse_and_transitive_closures_are_materialised(store):
    rows = select(
        store,
        """
        SELECT ?a ?b WHERE { ?a skos:broader ?b FILTER NOT EXISTS { ?b skos:narrower ?a } }""",
    )
    assert rows == [], "every skos:broader has its skos:narrower after the build"
    rows = select(
        store,
        """
        SELECT ?a ?c WHERE { ?a skos:broader/skos:broader ?c FILTER NOT EXISTS { ?a skos:broaderTransitive ?c } }""",
    )
    assert rows == [], "skos:broaderTransitive is closed over two steps"
    inferred = select(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}inferred> {{ ?s ?p ?o }} }}")
    assert int(inferred[0]["n"]) > 0


def test_subproperties_and_superclasses_are_materialised(store):
    missing = select(
        store,
        """
        SELECT ?m ?x WHERE { ?m airm:primaryActor ?x FILTER NOT EXISTS { ?m airm:actor ?x } }""",
    )
    assert missing == []
    missing = select(
        store,
        """
        SELECT ?c WHERE { ?c a airm:MitigationCategory FILTER NOT EXISTS { ?c a skos:Concept } }""",
    )
    assert missing == []


def _break(root, kind):
    if kind == "shacl":
        (root / "data" / "broken.ttl").write_text(
            "@prefix airm: <https://w3id.org/airm-kg/ontology#> .\n"
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
            '<https://w3id.org/airm-kg/mitigation/orphan> a airm:Mitigation ; rdfs:label "orphan" .\n'
        )
        return ValidationFailed, "broken.ttl"
    if kind == "syntax":
        (root / "data" / "broken.ttl").write_text(
            "@prefix airm: <https://w3id.org/airm-kg/ontology#> .\n\n<https://w3id.org/airm-kg/x> a airm:Mitigation \n"
        )
        return InputError, "broken.ttl"
    (root / "ontology" / "broken.ttl").write_text(  # an unsatisfiable class: the reasoner must refuse it
        "@prefix airm: <https://w3id.org/airm-kg/ontology#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "airm:Impossible a owl:Class ; rdfs:subClassOf airm:Mitigation, airm:Risk .\n"
    )
    return KGError, "Impossible"


@pytest.mark.parametrize("kind", ["shacl", "syntax", "reasoner"])
def test_bad_input_is_refused_and_the_last_good_release_keeps_serving(project_copy, kind):
    settings = project_settings(root=project_copy, build_dir=project_copy / "build")
    good = api.build(settings)
    expected_error, mention = _break(project_copy, kind)
    with pytest.raises(expected_error) as info:
        api.build(settings)
    detail = str(info.value) + " ".join(str(v) for v in getattr(info.value, "violations", []))
    assert mention in detail
    now = directory.current(settings)
    assert now.id == good.release_id
    assert json.loads((now.path / "manifest.json").read_text())["quads"] == good.triples
    assert len(now.open_store()) == good.triples
    assert [p.name for p in settings.releases_dir.iterdir()] == [good.release_id], "no staging left behind"


def test_base_iri_setting_moves_every_instance_iri(project_copy):
    base = "http://example.org/kg/"
    settings = project_settings(root=project_copy, build_dir=project_copy / "build", base_iri=base, reasoner=False)
    api.build(settings)
    store = directory.current(settings).open_store()
    assert not bool(
        store.query(
            "ASK { ?s ?p ?o FILTER(STRSTARTS(STR(?s), 'https://w3id.org/airm-kg/')) }", use_default_graph_as_union=True
        )
    )
    assert bool(
        store.query(
            f"ASK {{ <{base}ontology> a <http://www.w3.org/2002/07/owl#Ontology> }}", use_default_graph_as_union=True
        )
    )
    assert all(g.value.startswith(base) for g in store.named_graphs())


def test_store_is_opened_read_only(current):
    store = current.open_store()
    with pytest.raises(RuntimeError, match="read-write"):
        store.add(ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("o")))
