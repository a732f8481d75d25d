"""`ontology/mappings/{set}.ttl`: the SSSOM mapping sets of `data/mappings/*.sssom.tsv` (the source
of truth, curated by hand) as RDF, one named graph per set.

For each row:
- the mapping triple itself (`mtax:2.2.3 skos:closeMatch dpv:Audit`), for the SKOS predicates; the
  rows with rdfs:subClassOf / rdfs:subPropertyOf record the provenance of the logical axioms that
  ontology/alignment.ttl states by hand (the generator fails when the axiom is not there);
- a mapping record `kg:mapping/{set}/{n}` (the row's record_id), an airm:Mapping with its subject,
  predicate and object, its SEMAPV justification, confidence, author, date and comment, in the set
  `kg:mappings/{set}` (an airm:MappingSet with its title, description, licence and airm:mappingCount).

The generator fails (InputError) when a mapping points to a foreign IRI that its shipped ontology
(data/sources/) does not define, uses a predicate other than a SKOS mapping property,
rdfs:subClassOf or rdfs:subPropertyOf, or gives no justification, confidence, author or date.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, VOID, XSD

from kg import align
from kg.errors import InputError
from kg.namespaces import AIRM, NS
from kg.records.write import en, new_graph

OUT_DIR = "ontology/mappings/"
SSSOM = Namespace(NS.sssom)
PAV = Namespace(NS.pav)
SEMAPV = Namespace(NS.semapv)
# SEMAPV's own labels of the justifications the sets use.
SEMAPV_LABELS = {
    "ManualMappingCuration": "manual mapping curation",
    "LexicalSimilarityThresholdMatching": "lexical similarity threshold-based matching",
    "LogicalReasoning": "logical reasoning",
    "MappingChaining": "mapping chaining",
}
AGENTS = {str(align.CURATORS): "AIRM-KG curators"}


def build(root: Path) -> dict[str, Graph]:
    problems = align.check_mapping_sets(root)
    if problems:
        raise InputError("the mapping sets in data/mappings/ have problems:\n  " + "\n  ".join(problems))
    axioms = Graph()
    if (root / align.ALIGNMENT).exists():
        axioms.parse(root / align.ALIGNMENT, format="turtle")
    return {f"{OUT_DIR}{ms.name}.ttl": set_graph(ms, axioms) for ms in align.mapping_sets(root)}


def set_graph(ms: align.MappingSet, axioms: Graph) -> Graph:
    g = new_graph()
    g.bind("sssom", NS.sssom)
    g.bind("pav", NS.pav)
    for prefix, ns in ms.curie_map.items():
        if prefix not in ("kg", "kgm"):
            g.bind(prefix, ns)
    meta = ms.meta
    s = URIRef(meta["mapping_set_id"])
    g.add((s, RDF.type, AIRM.MappingSet))
    g.add((s, DCTERMS.identifier, Literal(ms.name)))
    g.add((s, DCTERMS.title, en(str(meta.get("mapping_set_title") or ms.name))))
    if meta.get("mapping_set_description"):
        g.add((s, DCTERMS.description, en(" ".join(str(meta["mapping_set_description"]).split()))))
    g.add((s, DCTERMS.license, URIRef(str(meta["license"]))))
    if meta.get("mapping_set_version"):
        g.add((s, OWL.versionInfo, Literal(str(meta["mapping_set_version"]))))
    for creator in meta.get("creator_id") or []:
        g.add((s, DCTERMS.creator, agent(g, ms.iri(creator, "creator_id"))))
    g.add((s, AIRM.mappingCount, Literal(len(ms.rows), datatype=XSD.integer)))
    seen: set[tuple[URIRef, URIRef, URIRef]] = set()
    for row in ms.rows:
        add_row(g, ms, row, s, axioms, seen)
    return g


def agent(g: Graph, iri: str) -> URIRef:
    a = URIRef(iri)
    if iri not in AGENTS:
        raise InputError(f"unknown author or creator {iri}: add it to kg.generate.mappings.AGENTS")
    g.add((a, RDF.type, PROV.Agent))
    g.add((a, RDF.type, AIRM.Curator))
    g.add((a, RDFS.label, Literal(AGENTS[iri])))
    g.add((a, FOAF.name, Literal(AGENTS[iri])))
    return a


def add_row(g: Graph, ms: align.MappingSet, row: dict, mapping_set: URIRef, axioms: Graph, seen: set) -> None:
    where = f"line {row['_line']}"
    subject, predicate, obj = (URIRef(ms.iri(row[c], where)) for c in ("subject_id", "predicate_id", "object_id"))
    if (subject, predicate, obj) in seen:
        raise InputError(
            f"{ms.path.name} {where}: the mapping {row['subject_id']} {row['predicate_id']} "
            f"{row['object_id']} is listed twice"
        )
    seen.add((subject, predicate, obj))
    if str(predicate) in align.LOGICAL_PREDICATES:
        if (subject, predicate, obj) not in axioms:
            raise InputError(
                f"{ms.path.name} {where}: the logical mapping {row['subject_id']} {row['predicate_id']} "
                f"{row['object_id']} is not an axiom of {align.ALIGNMENT}: write it there by hand "
                "(with the superclass chain you checked) or make it a SKOS mapping"
            )
    else:
        g.add((subject, predicate, obj))
    m = URIRef(ms.iri(row["record_id"], where))
    g.add((m, RDF.type, AIRM.Mapping))
    g.add((m, AIRM.mappingSubject, subject))
    g.add((m, AIRM.mappingPredicate, predicate))
    g.add((m, AIRM.mappingObject, obj))
    justification = URIRef(ms.iri(row["mapping_justification"], where))
    g.add((m, SSSOM.mapping_justification, justification))
    g.add((justification, RDF.type, OWL.NamedIndividual))
    local = str(justification)[len(NS.semapv) :]
    if local in SEMAPV_LABELS:
        g.add((justification, RDFS.label, en(SEMAPV_LABELS[local])))
        g.add((justification, RDFS.isDefinedBy, URIRef(NS.semapv)))
    g.add((m, SSSOM.confidence, align.literal_double(row["confidence"], where)))
    for author in row["author_id"].split("|"):
        g.add((m, PAV.authoredBy, agent(g, ms.iri(author, where))))
    g.add((m, DCTERMS.created, Literal(row["mapping_date"], datatype=XSD.date)))
    if row.get("comment"):
        g.add((m, RDFS.comment, en(row["comment"])))
    if row.get("similarity_score"):
        g.add((m, SSSOM.similarity_score, align.literal_double(row["similarity_score"], where)))
    if row.get("similarity_measure"):
        g.add((m, SSSOM.similarity_measure, Literal(row["similarity_measure"])))
    if ms.meta.get("mapping_tool"):
        g.add((m, SSSOM.mapping_tool, Literal(str(ms.meta["mapping_tool"]))))
    g.add((m, VOID.inDataset, mapping_set))
