"""The Oxigraph SHACL engine (kg.shacl.core, kg.shacl.sparql_constraints) against pyshacl, the reference.

The key gate: both engines give the same set of results (focus, path, value, severity, shape) on
every broken example of tests/test_shapes.py, on the real data (with and without breaks), and on a
fixture exercising the constraint components our shapes do not use. Then: what the compiler cannot
run goes to pyshacl (or fails), validation keeps its deadline (pyshacl in a child process that is
killed), owl:imports are never followed, and results name their files when validating a store.
"""

from __future__ import annotations

import multiprocessing
import re
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDFS

from kg.errors import UnsupportedShapes, ValidationTimeout
from kg.namespaces import AIRM, KG
from kg.shacl import core, sparql_constraints
from kg.shacl.validation import validate_graphs, validate_store
from shacl_synthetic import synthetic
from test_shapes import CASES, copy

from recorder import recording_server

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "shacl"
# the fixtures `shapes` and `valid` are in tests/conftest.py; pyshacl parses each SPARQL query once
pytestmark = pytest.mark.usefixtures("prepared_sparql_queries")
EX = "http://example.org/"


def results(violations) -> set[tuple]:
    """What both engines must agree on; blank node labels differ between them."""

    def norm(x):
        return re.sub(r"_:\w+", "_:b", x) if x else x

    return {(norm(v.focus), v.path, norm(v.value), v.severity, norm(v.shape)) for v in violations}


def messages(violations) -> set[tuple]:
    def norm(x):
        return re.sub(r"_:\w+|\bn?[0-9a-f]{32}b\d+\b|\b[0-9a-f]{32}\b", "_:b", x)

    return {(norm(v.shape or ""), norm(v.message)) for v in violations}


# --------------------------------------------------------------------------- equivalence


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_engines_agree_on_every_broken_example(case, shapes, valid):
    g = copy(valid)
    case.mutate(g)
    fast = validate_graphs(g, shapes, fallback=False)
    reference = validate_graphs(g, shapes, engine="pyshacl")
    assert fast, "every case breaks something"
    assert results(fast) == results(reference), (
        f"fast only: {results(fast) - results(reference)}\npyshacl only: {results(reference) - results(fast)}"
    )
    assert messages(fast) == messages(reference)


def _real_data() -> Graph:
    g = Graph()
    for p in [*sorted((ROOT / "data").glob("*.ttl")), *sorted((ROOT / "ontology").rglob("*.ttl"))]:
        g.parse(p, format="turtle")
    return g


def _break_real_data(g: Graph) -> None:
    """A handful of breaks of different kinds, so the comparison on the real data is not of two empty sets."""
    doc = next(g.subjects(RDFS.label, None))
    m = sorted(s for s in g.subjects(AIRM.sourceDocument, None) if isinstance(s, URIRef))[0]
    g.remove((m, AIRM.sourceDocument, None))  # minCount, equals, sparql
    g.add((m, RDFS.label, Literal("a second name")))  # maxCount
    g.add((m, AIRM.addressesRisk, KG["risk/does-not-exist"]))  # class, dangling (sparql)
    g.add((doc, DCTERMS.identifier, Literal(42)))  # datatype
    mapping_set = sorted(s for s in g.subjects(AIRM.mappingCount, None) if isinstance(s, URIRef))[0]
    g.set((mapping_set, AIRM.mappingCount, Literal(1)))  # sparql count


@pytest.mark.slow
def test_engines_agree_on_the_real_data(shapes):
    data = _real_data()
    assert (
        results(validate_graphs(data, shapes, fallback=False))
        == results(validate_graphs(data, shapes, engine="pyshacl"))
        == set()
    )
    _break_real_data(data)
    fast = validate_graphs(data, shapes, fallback=False)
    reference = validate_graphs(data, shapes, engine="pyshacl")
    assert len(results(fast)) >= 5
    assert results(fast) == results(reference), (
        f"fast only: {results(fast) - results(reference)}\npyshacl only: {results(reference) - results(fast)}"
    )
    assert messages(fast) == messages(reference)


def test_engines_agree_on_the_components_our_shapes_do_not_use():
    """sh:closed, sh:languageIn, sh:uniqueLang, sh:lessThan, sh:disjoint, sh:xone, sh:and, sh:not,
    qualified max counts, min/max counts above 1, zero-or-one paths, implicit class, node and
    objects-of targets, node-level sh:class/sh:in/sh:equals/sh:hasValue, ill-typed literals,
    sh:flags, deactivated shapes."""
    shapes = Graph().parse(FIXTURES / "components-shapes.ttl")
    data = Graph().parse(FIXTURES / "components-data.ttl")
    plan = core.compile_shapes(shapes)
    assert plan.fallback == {}
    fast = validate_graphs(data, shapes, fallback=False)
    reference = validate_graphs(data, shapes, engine="pyshacl")
    assert len(results(fast)) > 30
    assert results(fast) == results(reference), (
        f"fast only: {results(fast) - results(reference)}\npyshacl only: {results(reference) - results(fast)}"
    )
    components = {q.component for q in plan.core}
    assert {
        "sh:closed",
        "sh:xone",
        "sh:uniqueLang",
        "sh:languageIn",
        "sh:lessThan",
        "sh:disjoint",
        "sh:qualifiedMaxCount",
        "sh:minLength",
        "sh:maxLength",
        "sh:and",
        "sh:not",
        "sh:equals",
        "sh:hasValue",
        "sh:datatype",
        "sh:pattern",
    } <= components


def test_every_query_is_set_oriented(shapes):
    """Oxigraph re-runs a FILTER (NOT) EXISTS pattern for every row: quadratic. The core queries use
    none; the SPARQL constraints run once over all focus nodes, none per focus node."""
    plan = core.compile_shapes(shapes)
    assert plan.core and plan.sparql and plan.fallback == {}
    assert not [q.text for q in plan.core if "EXISTS" in q.text]
    assert all(sparql_constraints._injection_point(s.constraint.select) is not None for s in plan.sparql)


# --------------------------------------------------------------------------- what the compiler cannot run

UNSUPPORTED = """
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
ex:Plain a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
ex:Odd a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:part ; sh:qualifiedValueShape [ sh:class ex:Thing ] ; sh:qualifiedMinCount 1 ;
                  sh:qualifiedValueShapesDisjoint true ] .
"""
UNSUPPORTED_DATA = """
@prefix ex: <http://example.org/> .
ex:a a ex:Thing ; ex:part ex:b .
ex:b a ex:Other .
"""


def test_what_the_compiler_cannot_run_goes_to_pyshacl_or_fails():
    shapes = Graph().parse(data=UNSUPPORTED, format="turtle")
    data = Graph().parse(data=UNSUPPORTED_DATA, format="turtle")
    plan = core.compile_shapes(shapes)
    assert list(plan.fallback) == [URIRef(EX + "Odd")]
    assert "qualifiedValueShapesDisjoint" in plan.fallback[URIRef(EX + "Odd")]
    fast = validate_graphs(data, shapes)
    assert results(fast) == results(validate_graphs(data, shapes, engine="pyshacl"))
    assert len(results(fast)) == 2  # ex:a has no ex:name; no qualified ex:Thing part
    with pytest.raises(UnsupportedShapes, match="qualifiedValueShapesDisjoint"):
        validate_graphs(data, shapes, fallback=False)


def test_a_regex_oxigraph_cannot_run_is_not_taken_for_a_mismatch():
    shapes = Graph().parse(
        data="""
        @prefix ex: <http://example.org/> . @prefix sh: <http://www.w3.org/ns/shacl#> .
        ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ex:code ; sh:pattern "^(?=x)x" ] .
        """,
        format="turtle",
    )
    data = Graph().parse(data='<http://example.org/a> <http://example.org/code> "y" .', format="turtle")
    with pytest.raises(UnsupportedShapes, match="sh:pattern"):
        validate_graphs(data, shapes, fallback=False)
    assert results(validate_graphs(data, shapes)) == results(validate_graphs(data, shapes, engine="pyshacl"))


def test_sparql_constraints_run_per_focus_node_where_a_join_would_change_their_meaning():
    point = sparql_constraints._injection_point
    assert point("SELECT $this ?value WHERE { $this <p> ?value . FILTER NOT EXISTS { $this <q> ?value } }")
    assert point("SELECT $this WHERE { ?x <p> ?y . OPTIONAL { ?y <q> $this FILTER(?y != $this) } }")
    assert point("SELECT ?value WHERE { $this <p> ?value }")  # ?this added to the projection
    assert point("SELECT $this WHERE { { ?a <p> ?b FILTER(?b = $this) } UNION { $this <q> ?c } }") is None
    assert point("SELECT $this WHERE { $this <p> ?x { SELECT ?x WHERE { ?x <q> $this } } }") is None
    assert point("SELECT $this WHERE { $this <p> ?x MINUS { ?x <q> ?y } }") is None
    assert point("SELECT $this WHERE { VALUES ?x { 1 } $this <p> ?x }") is None
    assert point("SELECT (COUNT(*) AS ?n) WHERE { $this <p> ?x } GROUP BY ?x") is None


def test_filter_not_exists_becomes_minus_only_where_it_means_the_same():
    rewrite = sparql_constraints._anti_joins
    q = "SELECT ?this ?v WHERE { ?this <p> ?v . FILTER NOT EXISTS { ?m <a> <M> ; <s> ?this ; <o> ?v } }"
    assert "MINUS { ?m <a> <M> ; <s> ?this ; <o> ?v }" in rewrite(q) and "NOT EXISTS" not in rewrite(q)
    lookup = "SELECT ?this ?v WHERE { ?this <p> ?v . FILTER NOT EXISTS { ?this <q> ?v } }"
    assert rewrite(lookup) == lookup  # one index lookup per row
    unbound = "SELECT ?this WHERE { ?this <p> ?v . OPTIONAL { ?this <r> ?w } FILTER NOT EXISTS { ?w <a>/<b> ?v } }"
    assert rewrite(unbound) == unbound  # ?w may be unbound: MINUS differs
    nested = "SELECT ?this WHERE { ?this <p> ?v . FILTER NOT EXISTS { ?v <a> ?x FILTER(?x > 1) } }"
    assert rewrite(nested) == nested


# --------------------------------------------------------------------------- deadlines


def test_pyshacl_is_killed_at_the_deadline(shapes):
    data = synthetic(10_000)  # pyshacl needs seconds for it
    started = time.monotonic()
    with pytest.raises(ValidationTimeout, match=r"SHACL validation exceeded 1 s"):
        validate_graphs(data, shapes, engine="pyshacl", timeout=1)
    assert time.monotonic() - started < 15
    assert multiprocessing.active_children() == [], "the pyshacl child process is gone"


def test_pyshacl_in_its_child_process_gives_the_same_results(shapes, valid):
    case = next(c for c in CASES if c.id == "two-parents")
    g = copy(valid)
    case.mutate(g)
    in_process = validate_graphs(g, shapes, engine="pyshacl")
    child = validate_graphs(g, shapes, engine="pyshacl", timeout=120)
    assert results(child) == results(in_process) and messages(child) == messages(in_process)
    assert multiprocessing.active_children() == []


def test_the_oxigraph_engine_keeps_its_deadline(shapes):
    data = synthetic(30_000)
    started = time.monotonic()
    with pytest.raises(ValidationTimeout, match=r"SHACL validation exceeded 0.2 s"):
        validate_graphs(data, shapes, timeout=0.2)
    assert time.monotonic() - started < 10
    store = ox.Store()
    store.load(data.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    with pytest.raises(ValidationTimeout):
        validate_store(store, shapes, timeout=0.05)
    assert validate_store(store, shapes, timeout=300) == []


# --------------------------------------------------------------------------- no owl:imports


@pytest.fixture
def import_server():
    with recording_server(b"@prefix ex: <http://example.org/> . ex:imported a ex:Thing .", "text/turtle") as trap:
        yield trap


def test_owl_imports_are_never_followed(import_server, shapes, valid):
    here, requests = import_server
    data = copy(valid)
    data.parse(
        data=f"""
        @prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix sh: <http://www.w3.org/ns/shacl#> .
        <{here}/data> a owl:Ontology ; owl:imports <{here}/data-import.ttl> ;
            sh:shapesGraph <{here}/more-shapes.ttl> .""",
        format="turtle",
    )
    with_imports = copy(shapes)
    with_imports.parse(
        data=f"""
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        <https://w3id.org/airm-kg/shapes> owl:imports <{here}/shapes-import.ttl> .""",
        format="turtle",
    )
    store = ox.Store()
    store.load(data.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)

    assert validate_graphs(data, with_imports) == []
    assert validate_graphs(data, with_imports, engine="pyshacl") == []
    assert validate_graphs(data, with_imports, engine="pyshacl", timeout=120) == []
    assert validate_store(store, with_imports, timeout=120) == []
    assert requests == [], f"fetched: {requests}"

    # the control: the server is reachable, and pyshacl asked to follow imports does fetch
    from pyshacl import validate

    validate(data, shacl_graph=with_imports, do_owl_imports=True, advanced=True)
    assert requests, "the control should have fetched the imports"


# --------------------------------------------------------------------------- validating a store


def test_a_store_is_validated_in_place_and_results_name_their_file(shapes, valid):
    case = next(c for c in CASES if c.id == "two-identifiers")
    g = copy(valid)
    case.mutate(g)
    store = ox.Store()
    first, second = ox.NamedNode("urn:graph:first"), ox.NamedNode("urn:graph:second")
    store.load(g.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES, to_graph=second)
    focus = ox.NamedNode(str(case.focus))
    store.add(ox.Quad(focus, ox.NamedNode(str(RDFS.comment)), ox.Literal("also here"), first))
    before = len(store)
    found = validate_store(
        store, shapes, graph_files={"urn:graph:first": "data/first.ttl", "urn:graph:second": "data/second.ttl"}
    )
    assert len(store) == before
    assert results(found) == results(
        validate_graphs(
            g + Graph().parse(data=f'<{case.focus}> <{RDFS.comment}> "also here" .', format="turtle"), shapes
        )
    )
    hit = [v for v in found if v.focus == f"<{case.focus}>"]
    assert hit and {v.source for v in hit} == {"data/first.ttl"}, "the first graph describing it wins"
    others = [v for v in found if v.focus != f"<{case.focus}>"]
    assert all(v.source in ("data/second.ttl", None) for v in others)
