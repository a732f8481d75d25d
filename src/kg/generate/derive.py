"""`data/derived/*.ttl`: facts the project derives from its mapping sets, each file its own named graph.

The rules (stated for users in docs/model.md, "Derived facts"):

- `data/derived/nist-stage-actor.ttl`: the lifecycle stage and actor of a NIST AI 600-1 action, from
  its AI actor tasks (airm:aiActorTask). The mapping set nist-ai-actor-task-alignment ties a task to
  the stage at which it takes place and to the actor who performs it (its objects in the
  lifecycle-stage and actor vocabularies). A row with confidence at least `MIN_TASK_CONFIDENCE` gives
  the action airm:derivedLifecycleStage / airm:derivedActor its object; rows below it are partial or
  disputed (their comments say so: "also cover", "our governance actor is external") and give nothing.
  Each fact is also an airm:Derivation node: what it is of, the property, the value, the mapping
  record(s) it follows (prov:wasDerivedFrom) and its confidence (the highest of those records').
- `data/derived/mit-v1-v2-category.ttl`: the v2 category of an MIT v1 mitigation, from its effective
  v1 category (airm:mitigationCategory in the v1 taxonomy) through the mapping set
  mit-v1-to-mitigation-taxonomy, where the mapping entails membership: skos:exactMatch, skos:closeMatch,
  or skos:broadMatch (the v2 concept is broader than the v1 one). Never from skos:narrowMatch (the v2
  concept is narrower: only some members belong) or skos:relatedMatch. Each is an airm:Classification
  with airm:classificationMethod cmethod:derived, prov:wasDerivedFrom the mapping record and the
  mapping's sssom:confidence; the effective category it may become is computed by the build
  (`kg.pipeline.infer`, curator > published > classifier > derived).

Nothing is derived for a mitigation that already states the same value directly.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, RDFS, SKOS, VOID

from kg import align
from kg.errors import InputError
from kg.iris import classification_iri, derivation_iri
from kg.namespaces import ACTOR, AIRM, CMETHOD, MTAX, NS, STAGE, V1TAX
from kg.records.write import CC_BY, en, new_graph

NIST_DATA = "data/nist-ai-600-1.ttl"
V1_DATA = "data/mit-v1.ttl"
STAGE_ACTOR = "data/derived/nist-stage-actor.ttl"
V2_CATEGORY = "data/derived/mit-v1-v2-category.ttl"
TASK_SET = "nist-ai-actor-task-alignment"
V1_SET = "mit-v1-to-mitigation-taxonomy"
MIN_TASK_CONFIDENCE = 0.7
TASK_PREDICATES = frozenset(str(p) for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.relatedMatch))
ENTAILING = frozenset(str(p) for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch))
SSSOM_CONFIDENCE = URIRef(NS.sssom + "confidence")
DATASET = URIRef(NS.kg + "dataset/derived")
DATASET_TITLE = "Facts derived by AIRM-KG"
DATASET_DESCRIPTION = (
    "Lifecycle stages and actors of the NIST AI 600-1 actions, from their AI actor tasks, and v2 "
    "categories of the MIT v1 mitigations, from their v1 categories: derived by the project from its "
    "mapping sets by the rules of docs/model.md; each fact names the mapping record it follows."
)
DIRECT = (AIRM.primaryLifecycleStage, AIRM.otherLifecycleStage, AIRM.primaryActor, AIRM.otherActor)
DERIVED_PROPERTY = {"stage": AIRM.derivedLifecycleStage, "actor": AIRM.derivedActor}


def build(root: Path, outputs: dict[str, Graph]) -> dict[str, Graph]:
    """The derived graphs, from the generated graphs `outputs` and the mapping sets of `root`."""
    sets = {ms.name: ms for ms in align.mapping_sets(root)}
    for name in (TASK_SET, V1_SET):
        if name not in sets:
            raise InputError(f"data/mappings/{name}.sssom.tsv is missing: the derived facts follow it")
    for rel in (NIST_DATA, V1_DATA):
        if rel not in outputs:
            raise InputError(f"{rel} is not generated: the derived facts are derived from it")
    return {
        STAGE_ACTOR: stage_actor_graph(outputs[NIST_DATA], mappings(sets[TASK_SET], TASK_PREDICATES)),
        V2_CATEGORY: category_graph(outputs[V1_DATA], mappings(sets[V1_SET], ENTAILING)),
    }


Row = tuple[URIRef, URIRef, Literal]  # (object, mapping record, confidence)


def mappings(ms: align.MappingSet, predicates: frozenset[str]) -> dict[str, list[Row]]:
    """subject -> its rows whose predicate is in `predicates`."""
    out: dict[str, list[Row]] = defaultdict(list)
    for row in ms.rows:
        where = f"line {row['_line']}"
        if ms.iri(row["predicate_id"], where) not in predicates:
            continue
        record = URIRef(ms.iri(row["record_id"], where))
        out[ms.iri(row["subject_id"], where)].append(
            (URIRef(ms.iri(row["object_id"], where)), record, align.literal_double(row["confidence"], where))
        )
    return out


def add_dataset(g: Graph) -> URIRef:
    g.bind("sssom", NS.sssom)
    g.add((DATASET, RDF.type, VOID.Dataset))
    g.add((DATASET, RDF.type, DCAT.Dataset))
    g.add((DATASET, DCTERMS.title, en(DATASET_TITLE)))
    g.add((DATASET, DCTERMS.description, en(DATASET_DESCRIPTION)))
    g.add((DATASET, DCTERMS.license, CC_BY))
    g.add((DATASET, DCTERMS.creator, align.CURATORS))
    for name in (TASK_SET, V1_SET):
        g.add((DATASET, PROV.wasDerivedFrom, URIRef(align.MAPPING_SET + name)))
        g.add((DATASET, DCTERMS.source, URIRef(align.MAPPING_SET + name)))  # what the VoID/DCAT readers look for
    return DATASET


def local_id(m: URIRef) -> str:
    return str(m).rsplit("/", 1)[1]


def stage_actor_graph(nist: Graph, task_map: dict[str, list[Row]]) -> Graph:
    g = new_graph()
    add_dataset(g)
    for m in sorted({URIRef(str(s)) for s in nist.subjects(AIRM.aiActorTask, None)}):
        found: dict[tuple[str, URIRef], list[tuple[URIRef, Literal]]] = defaultdict(list)
        for task in nist.objects(m, AIRM.aiActorTask):
            for value, record, confidence in task_map.get(str(task), []):
                kind = next((k for k, ns in (("stage", STAGE), ("actor", ACTOR)) if str(value).startswith(str(ns))), "")
                if kind and confidence.toPython() >= MIN_TASK_CONFIDENCE:
                    found[(kind, value)].append((record, confidence))
        direct = {o for p in DIRECT for o in nist.objects(m, p)}
        for (kind, value), records in sorted(found.items()):
            if value not in direct:
                add_derivation(g, m, kind, value, records)
    return g


def add_derivation(g: Graph, m: URIRef, kind: str, value: URIRef, records: list[tuple[URIRef, Literal]]) -> None:
    prop = DERIVED_PROPERTY[kind]
    g.add((m, prop, value))
    d = derivation_iri(local_id(m), kind, str(value).rsplit("/", 1)[1])
    g.add((d, RDF.type, AIRM.Derivation))
    g.add((d, RDFS.label, en(f"{local_id(m)}: derived {'lifecycle stage' if kind == 'stage' else 'actor'}")))
    g.add((d, AIRM.derivationOf, m))
    g.add((d, AIRM.derivedProperty, prop))
    g.add((d, AIRM.derivedValue, value))
    for record, _ in records:
        g.add((d, PROV.wasDerivedFrom, record))
    g.add((d, SSSOM_CONFIDENCE, max((c for _, c in records), key=lambda c: c.toPython())))
    g.add((d, PROV.wasAttributedTo, align.CURATORS))
    g.add((d, VOID.inDataset, DATASET))


def category_graph(v1: Graph, v1_map: dict[str, list[Row]]) -> Graph:
    g = new_graph()
    add_dataset(g)
    for m, category in sorted((URIRef(str(s)), str(o)) for s, o in v1.subject_objects(AIRM.mitigationCategory)):
        if not category.startswith(str(V1TAX)):
            continue
        direct = set(v1.objects(m, AIRM.mitigationCategory))
        for value, record, confidence in sorted(v1_map.get(category, [])):
            if not str(value).startswith(str(MTAX)) or value in direct:
                continue
            c = classification_iri(local_id(m), "derived/" + str(value)[len(str(MTAX)) :])
            g.add((c, RDF.type, AIRM.Classification))
            g.add((c, AIRM.classifies, m))
            g.add((m, AIRM.hasClassification, c))
            g.add((c, AIRM.category, value))
            g.add((c, AIRM.classificationMethod, CMETHOD.derived))
            g.add((c, PROV.wasDerivedFrom, record))
            g.add((c, SSSOM_CONFIDENCE, confidence))
            g.add((c, PROV.wasAttributedTo, align.CURATORS))
            g.add((c, VOID.inDataset, DATASET))
    return g
