"""Synthetic data shaped like the real data, of any size, for SHACL engine tests and measurements.

The real mitigation records of data/mit-v1.ttl (a mitigation with its evidence quotes and
classifications) are cloned under new IRIs (`.../mitigation/A0001_Bengio2025-c7`), together with the
statements that point at them (`airm:documentMitigation` of their document), on top of a context of
the ontology, the vocabularies and mit-v1's documents, people and datasets. Every copy conforms to
the shapes as the original does, so a clone of N triples validates like the real data, only bigger.
(A proper benchmark generator lives in bench/; this one only serves the SHACL tests.)
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

ROOT = Path(__file__).resolve().parents[1]
RECORD_KINDS = ("mitigation/", "evidence/", "classification/")
KG = "https://w3id.org/airm-kg/"
_MATCHES = {SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch}


def _is_record(node) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(KG) and str(node)[len(KG) :].startswith(RECORD_KINDS)


def _records(v1: Graph) -> list[list[tuple]]:
    """mit-v1's statements grouped by mitigation: the triples about it, its quotes and classifications,
    and the triples of other resources pointing at any of them (mappings, which need records of their
    own, are left out)."""
    owner: dict = {}
    for m in v1.subjects(
        predicate=URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        object=URIRef("https://w3id.org/airm-kg/ontology#Mitigation"),
    ):
        owner[m] = m
    for s, o in v1.subject_objects(URIRef("https://w3id.org/airm-kg/ontology#evidenceFor")):
        owner[s] = o
    for s, o in v1.subject_objects(URIRef("https://w3id.org/airm-kg/ontology#classifies")):
        owner[s] = o
    groups: dict = {}
    for s, p, o in v1:
        if p in _MATCHES:
            continue
        if _is_record(s) or _is_record(o):
            key = owner.get(s if _is_record(s) else o)
            groups.setdefault(key, []).append((s, p, o))
    return [groups[k] for k in sorted(groups, key=str)]


def context(root: Path = ROOT) -> Graph:
    """The ontology, the vocabularies and mit-v1 without its mitigation records."""
    g = Graph()
    g.parse(root / "ontology" / "airm.ttl")
    g.parse(root / "ontology" / "reused.ttl")
    for path in sorted((root / "ontology" / "vocab").glob("*.ttl")):
        g.parse(path)
    v1 = Graph().parse(root / "data" / "mit-v1.ttl")
    for s, p, o in v1:
        if not (_is_record(s) or _is_record(o)):
            g.add((s, p, o))
    return g


def synthetic(triples: int, root: Path = ROOT) -> Graph:
    """A graph of about `triples` triples (at least the context): context plus cloned records."""
    g = context(root)
    records = _records(Graph().parse(root / "data" / "mit-v1.ttl"))
    copy = 0
    while len(g) < triples:
        suffix = "" if copy == 0 else f"-c{copy}"

        def rename(node, suffix=suffix):
            return URIRef(f"{node}{suffix}") if suffix and _is_record(node) else node

        for record in records:
            if len(g) >= triples:
                break
            for s, p, o in record:
                g.add((rename(s), p, rename(o)))
        copy += 1
    return g
