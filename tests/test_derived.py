"""Derived facts (docs/model.md, "Derived facts"): the stages and actors of the NIST AI 600-1 actions
and the v2 categories of the MIT v1 mitigations that `kg generate` derives from the mapping sets,
the effective-category precedence the build applies, the shapes that keep each derived fact
traceable, and the one-hop answer to "where does this come from?"."""

from __future__ import annotations

import csv
from collections import defaultdict

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF

from kg.namespaces import ACTOR as ACTOR_NS
from kg.namespaces import AIRM, CMETHOD, KG, NS, PREFIXES, SH, STAGE, bind_all
from kg.pipeline import infer
from kg.shacl.validation import validate_graphs

from conftest import ROOT, select

MAPPINGS = ROOT / "data" / "mappings"
SHAPES = sorted((ROOT / "shapes").glob("*.ttl"))


def parse(*rels: str) -> Graph:
    g = Graph()
    bind_all(g)
    for rel in rels:
        g.parse(ROOT / rel, format="turtle")
    return g


def sssom_rows(name: str) -> list[dict]:
    """The rows of a mapping set, CURIEs expanded with its own curie_map (read here, not by kg.align)."""
    lines = (MAPPINGS / f"{name}.sssom.tsv").read_text(encoding="utf-8").splitlines()
    prefixes = {"skos": NS.skos}
    for line in lines:
        if line.startswith("#   ") and ": http" in line:
            key, value = line[4:].split(": ", 1)
            prefixes[key.strip()] = value.strip()

    def iri(curie: str) -> str:
        prefix, local = curie.split(":", 1)
        return prefixes[prefix] + local

    rows = list(csv.DictReader([x for x in lines if not x.startswith("#")], delimiter="\t"))
    keys = ("record_id", "subject_id", "predicate_id", "object_id")
    return [{**r, **{k: iri(r[k]) for k in keys}, "confidence": float(r["confidence"])} for r in rows]


@pytest.fixture(scope="module")
def nist() -> Graph:
    return parse("data/nist-ai-600-1.ttl", "data/derived/nist-stage-actor.ttl")


@pytest.fixture(scope="module")
def v1() -> Graph:
    return parse("data/mit-v1.ttl", "data/derived/mit-v1-v2-category.ttl")


# --- the rules, recomputed from the TSV ------------------------------------------------------------


def test_nist_stages_and_actors_follow_the_task_rows_of_confidence_at_least_0_7(nist):
    rows = sssom_rows("nist-ai-actor-task-alignment")
    expected: dict[tuple, set[str]] = defaultdict(set)
    for m in set(nist.subjects(AIRM.aiActorTask, None)):
        for task in nist.objects(m, AIRM.aiActorTask):
            for r in rows:
                if r["subject_id"] == str(task) and r["confidence"] >= 0.7:
                    kind = "stage" if r["object_id"].startswith(NS.stage) else "actor"
                    expected[(str(m), kind)].add(r["object_id"])
    actual: dict[tuple, set[str]] = defaultdict(set)
    for kind, prop in (("stage", AIRM.derivedLifecycleStage), ("actor", AIRM.derivedActor)):
        for m, v in nist.subject_objects(prop):
            actual[(str(m), kind)].add(str(v))
    assert actual == expected
    assert sum(map(len, actual.values())) == len(set(nist.subjects(RDF.type, AIRM.Derivation)))
    # The rows below the threshold give nothing: no action is given the governance actor.
    low = {r["object_id"] for r in rows if r["confidence"] < 0.7} - {
        r["object_id"] for r in rows if r["confidence"] >= 0.7
    }
    assert low and not low & {v for vs in actual.values() for v in vs}
    actions = {m for m, _ in actual}
    assert 150 < len(actions) <= 212


def test_v1_categories_follow_only_mappings_that_entail_membership(v1):
    rows = sssom_rows("mit-v1-to-mitigation-taxonomy")
    entailing = {NS.skos + p for p in ("exactMatch", "closeMatch", "broadMatch")}
    expected = set()
    for m, cat in v1.subject_objects(AIRM.mitigationCategory):
        for r in rows:
            if r["subject_id"] == str(cat) and r["predicate_id"] in entailing:
                expected.add((str(m), r["object_id"], r["record_id"], r["confidence"]))
    derived = set()
    for c in v1.subjects(AIRM.classificationMethod, CMETHOD.derived):
        (m,) = v1.objects(c, AIRM.classifies)
        (cat,) = v1.objects(c, AIRM.category)
        (record,) = v1.objects(c, PROV.wasDerivedFrom)
        (confidence,) = v1.objects(c, URIRef(NS.sssom + "confidence"))
        assert (m, AIRM.hasClassification, c) in v1
        derived.add((str(m), str(cat), str(record), confidence.toPython()))
    assert derived == expected and len(derived) > 200
    narrow_only = {r["subject_id"] for r in rows} - {r["subject_id"] for r in rows if r["predicate_id"] in entailing}
    assert narrow_only, "the mapping set has v1 concepts with only narrow or related matches"
    assert not {m for m, cat in v1.subject_objects(AIRM.mitigationCategory) if str(cat) in narrow_only} & {
        d[0] for d in derived
    }


# --- effective category: curator > published > classifier > derived --------------------------------

PRECEDENCE_DATA = """
@prefix airm: <https://w3id.org/airm-kg/ontology#> .
@prefix cmethod: <https://w3id.org/airm-kg/vocab/classification-method/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://example.org/> .
ex:a1 skos:inScheme ex:A . ex:a2 skos:inScheme ex:A . ex:a3 skos:inScheme ex:A . ex:a4 skos:inScheme ex:A .
ex:b1 skos:inScheme ex:B .
ex:c1 airm:classifies ex:m1 ; airm:category ex:a1 ; airm:classificationMethod cmethod:derived .
ex:c2 airm:classifies ex:m1 ; airm:category ex:a2 ; airm:classificationMethod cmethod:classifier .
ex:c3 airm:classifies ex:m2 ; airm:category ex:a1 ; airm:classificationMethod cmethod:derived .
ex:c4 airm:classifies ex:m2 ; airm:category ex:b1 ; airm:classificationMethod cmethod:curator .
ex:c5 airm:classifies ex:m3 ; airm:category ex:a1 ; airm:classificationMethod cmethod:classifier .
ex:c6 airm:classifies ex:m3 ; airm:category ex:a2 ; airm:classificationMethod cmethod:published .
ex:c7 airm:classifies ex:m3 ; airm:category ex:a3 ; airm:classificationMethod cmethod:curator .
ex:c8 airm:classifies ex:m4 ; airm:category ex:a4 ; airm:classificationMethod cmethod:published .
ex:c9 airm:classifies ex:m4 ; airm:category ex:a1 ; airm:classificationMethod cmethod:derived .
"""


def test_effective_category_is_the_highest_method_per_taxonomy():
    store = ox.Store()
    store.load(PRECEDENCE_DATA.encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("https://example.org/g"))
    infer.materialise(store)
    effective = {
        (q.subject.value.rsplit("/", 1)[1], q.object.value.rsplit("/", 1)[1])
        for q in store.quads_for_pattern(None, ox.NamedNode(str(AIRM.mitigationCategory)), None, infer.INFERRED)
    }
    # m1: classifier beats derived; m2: derived in A (nothing else there), curator in B;
    # m3: curator beats published and classifier; m4: published beats derived.
    assert effective == {("m1", "a2"), ("m2", "a1"), ("m2", "b1"), ("m3", "a3"), ("m4", "a4")}
    assert infer.PRECEDENCE == ("curator", "published", "classifier", "derived")


# --- shapes -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shapes() -> Graph:
    g = Graph()
    for path in SHAPES:
        g.parse(path, format="turtle")
    return g


@pytest.fixture(scope="module")
def derived_data() -> Graph:
    return parse(
        "ontology/airm.ttl",
        "ontology/reused.ttl",
        "ontology/alignment.ttl",
        "ontology/vocab/actor.ttl",
        "ontology/vocab/lifecycle-stage.ttl",
        "ontology/vocab/classification-method.ttl",
        "ontology/vocab/mitigation-taxonomy.ttl",
        "ontology/mappings/nist-ai-actor-task-alignment.ttl",
        "ontology/mappings/mit-v1-to-mitigation-taxonomy.ttl",
        "data/derived/nist-stage-actor.ttl",
        "data/derived/mit-v1-v2-category.ttl",
        "data/nist-ai-600-1.ttl",
        "data/mit-v1.ttl",
    )


def shapes_hit(data: Graph, shapes: Graph) -> set[tuple[str, str]]:
    return {(v.shape.rsplit("#", 1)[-1].rstrip(">"), v.focus) for v in validate_graphs(data, shapes) if v.shape}


SSSOM_CONFIDENCE = URIRef(NS.sssom + "confidence")
STAGE_D = KG["derivation/NIST.AI.600-1_GV-1.4-001/stage/deploy"]
ACTOR_D = KG["derivation/NIST.AI.600-1_GV-1.4-001/actor/deployer"]
ACTION = KG["mitigation/NIST.AI.600-1_GV-1.4-001"]
DERIVED_C = KG["classification/A0006_Bengio2025/derived/2.2.1"]


def _drop(*patterns):
    return lambda g: [g.remove(p) for p in patterns]


# (id, mutation, focus, the shape that must report it)
BREAKS = [
    ("no-mitigation", _drop((STAGE_D, AIRM.derivationOf, None)), STAGE_D, "Derivation-derivationOf"),
    ("no-property", _drop((STAGE_D, AIRM.derivedProperty, None)), STAGE_D, "Derivation-derivedProperty"),
    (
        "other-property",
        lambda g: g.set((STAGE_D, AIRM.derivedProperty, AIRM.primaryActor)),
        STAGE_D,
        "Derivation-derivedProperty",
    ),
    ("no-value", _drop((STAGE_D, AIRM.derivedValue, None)), STAGE_D, "Derivation-derivedValue"),
    ("no-record", _drop((STAGE_D, PROV.wasDerivedFrom, None)), STAGE_D, "Derivation-wasDerivedFrom"),
    (
        "record-not-a-mapping",
        lambda g: g.set((STAGE_D, PROV.wasDerivedFrom, ACTION)),
        STAGE_D,
        "Derivation-wasDerivedFrom",
    ),
    (
        "confidence-above-1",
        lambda g: g.set((STAGE_D, SSSOM_CONFIDENCE, Literal(1.5))),
        STAGE_D,
        "Derivation-confidence",
    ),
    ("fact-not-stated", _drop((ACTION, AIRM.derivedLifecycleStage, STAGE["deploy"])), STAGE_D, "Derivation-stated"),
    (
        "stage-not-a-stage",
        lambda g: g.add((ACTION, AIRM.derivedLifecycleStage, ACTOR_NS["deployer"])),
        ACTION,
        "DerivedLifecycleStage-scheme",
    ),
    ("stage-without-derivation", _drop((STAGE_D, None, None)), ACTION, "DerivedLifecycleStage-derivation"),
    (
        "actor-not-an-actor",
        lambda g: g.add((ACTION, AIRM.derivedActor, STAGE["deploy"])),
        ACTION,
        "DerivedActor-scheme",
    ),
    ("actor-without-derivation", _drop((ACTOR_D, None, None)), ACTION, "DerivedActor-derivation"),
    (
        "classification-without-record",
        _drop((DERIVED_C, PROV.wasDerivedFrom, None)),
        DERIVED_C,
        "Classification-derived-provenance",
    ),
    (
        "classification-without-confidence",
        _drop((DERIVED_C, SSSOM_CONFIDENCE, None)),
        DERIVED_C,
        "Classification-derived-provenance",
    ),
]


def test_the_derived_data_conforms(derived_data, shapes):
    hits = {s for s, _ in shapes_hit(derived_data, shapes)}
    assert not {s for s in hits if "Deriv" in s or "derived" in s}, hits


@pytest.mark.parametrize("case", BREAKS, ids=lambda c: c[0])
def test_a_derived_fact_that_lost_its_source_is_a_violation(case, derived_data, shapes):
    _, mutate, focus, shape = case
    g = Graph()
    g += derived_data
    assert (focus, None, None) in g or (None, None, focus) in g
    mutate(g)
    assert (shape, f"<{focus}>") in shapes_hit(g, shapes)


def test_every_derived_shape_is_broken_by_a_case(shapes):
    own = Graph().parse(ROOT / "shapes" / "airm-derived-shapes.ttl")
    names = {str(s).rsplit("#", 1)[1] for s in own.subjects(RDF.type, SH.PropertyShape)}
    assert names == {c[3] for c in BREAKS}


# --- in the built graph: one hop to the source --------------------------------------------------------


def test_every_derived_fact_names_its_mapping_record_in_one_hop(store):
    rows = select(
        store,
        """SELECT ?m ?p ?v ?record WHERE {
          { ?m airm:derivedLifecycleStage ?v BIND(airm:derivedLifecycleStage AS ?p) }
          UNION { ?m airm:derivedActor ?v BIND(airm:derivedActor AS ?p) }
          OPTIONAL { ?d airm:derivationOf ?m ; airm:derivedProperty ?p ; airm:derivedValue ?v ;
                        prov:wasDerivedFrom ?record . ?record a airm:Mapping ;
                        airm:mappingSubject ?task ; airm:mappingObject ?v . ?m airm:aiActorTask ?task } }""",
    )
    assert len(rows) > 300 and all(r["record"] for r in rows), [r for r in rows if not r["record"]][:3]
    rows = select(
        store,
        """SELECT ?c ?record WHERE { ?c airm:classificationMethod cmethod:derived ; airm:category ?v .
          OPTIONAL { ?c prov:wasDerivedFrom ?record . ?record a airm:Mapping ; airm:mappingObject ?v } }""",
    )
    assert len(rows) > 200 and all(r["record"] for r in rows)


def test_derived_facts_are_in_their_own_graphs_and_counted_both_ways(store):
    graphs = {
        r["g"]
        for r in select(
            store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?x airm:derivedActor|airm:classificationMethod ?y } }"
        )
    }
    assert f"{NS.kg}graph/data/derived/nist-stage-actor" in graphs
    rows = select(
        store,
        """SELECT (COUNT(DISTINCT ?m) AS ?all) (COUNT(DISTINCT ?direct) AS ?direct) WHERE {
          ?m airm:mitigationCategory ?cat . ?cat skos:inScheme <https://w3id.org/airm-kg/vocab/mitigation-taxonomy> .
          OPTIONAL { ?c airm:classifies ?m ; airm:category ?cat ; airm:classificationMethod ?meth
                     FILTER(?meth != cmethod:derived) BIND(?m AS ?direct) } }""",
    )
    assert int(rows[0]["direct"]) == 12 < int(rows[0]["all"])
    assert PREFIXES["cmethod"] == NS.cmethod
