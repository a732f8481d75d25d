"""JSON-LD for JSON consumers: the project's context document and triples written with it.

The context (`context(base)`, served at `<base>context.jsonld`, shipped in every release as
`context.jsonld`) sets `@vocab` to the ontology, binds the project prefixes and gives short keys to
the terms people read (`label`, `evidence`, `category`, `stage`, ...). `document(triples, base,
profile)` writes triples as a JSON-LD document in one of the three forms of JSON-LD 1.1
(<http://www.w3.org/ns/json-ld#expanded>, `#compacted`, `#flattened`): types as `@type`, every node
object at the top level of `@graph` (so the compacted form is also the flattened one), the context
embedded (nothing to fetch; the IRI it is published at is `context_iri(base)`). Every term and
value is chosen so that expanding the document gives back exactly the triples it was written from
(tests/web/test_jsonld.py checks that with pyld).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pyoxigraph as ox

from kg.namespaces import NS, PREFIXES, rebase

CONTEXT_NAME = "context.jsonld"
JSONLD = "http://www.w3.org/ns/json-ld#"
PROFILES = {name: JSONLD + name for name in ("expanded", "compacted", "flattened")}
RDF_TYPE = NS.rdf + "type"
XSD_STRING = NS.xsd + "string"
LANG_STRING = NS.rdf + "langString"

# short key -> (prefixed name, whether its values are IRIs: coerced with "@type": "@id")
TERMS: dict[str, tuple[str, bool]] = {
    "label": ("rdfs:label", False),
    "comment": ("rdfs:comment", False),
    "seeAlso": ("rdfs:seeAlso", True),
    "subClassOf": ("rdfs:subClassOf", True),
    "subPropertyOf": ("rdfs:subPropertyOf", True),
    "domain": ("rdfs:domain", True),
    "range": ("rdfs:range", True),
    "prefLabel": ("skos:prefLabel", False),
    "altLabel": ("skos:altLabel", False),
    "definition": ("skos:definition", False),
    "notation": ("skos:notation", False),
    "broader": ("skos:broader", True),
    "narrower": ("skos:narrower", True),
    "inScheme": ("skos:inScheme", True),
    "topConceptOf": ("skos:topConceptOf", True),
    "hasTopConcept": ("skos:hasTopConcept", True),
    "exactMatch": ("skos:exactMatch", True),
    "closeMatch": ("skos:closeMatch", True),
    "title": ("dcterms:title", False),
    "description": ("dcterms:description", False),
    "abstract": ("dcterms:abstract", False),
    "issued": ("dcterms:issued", False),
    "modified": ("dcterms:modified", False),
    "identifier": ("dcterms:identifier", False),
    "creator": ("dcterms:creator", True),
    "publisher": ("dcterms:publisher", True),
    "license": ("dcterms:license", True),
    "rights": ("dcterms:rights", False),
    "source": ("dcterms:source", True),
    "name": ("foaf:name", False),
    "authorList": ("bibo:authorList", True),
    "wasDerivedFrom": ("prov:wasDerivedFrom", True),
    "wasAttributedTo": ("prov:wasAttributedTo", True),
    "evidence": ("airm:hasEvidence", True),
    "quote": ("airm:quoteText", False),
    "quotedFrom": ("airm:quotedFrom", True),
    "document": ("airm:sourceDocument", True),
    "classification": ("airm:hasClassification", True),
    "method": ("airm:classificationMethod", True),
    "category": ("airm:mitigationCategory", True),
    "stage": ("airm:lifecycleStage", True),
    "primaryStage": ("airm:primaryLifecycleStage", True),
    "otherStage": ("airm:otherLifecycleStage", True),
    "actor": ("airm:actor", True),
    "primaryActor": ("airm:primaryActor", True),
    "otherActor": ("airm:otherActor", True),
    "function": ("airm:airmFunction", True),
    "primaryFunction": ("airm:primaryAIRMFunction", True),
    "otherFunction": ("airm:otherAIRMFunction", True),
    "risk": ("airm:addressesRisk", True),
    "parent": ("airm:parentMitigation", True),
    "children": ("airm:childMitigation", True),
}


def _expand(curie: str, base: str) -> str:
    prefix, _, local = curie.partition(":")
    return rebase(PREFIXES[prefix], base) + local


def prefixes(base: str) -> dict[str, str]:
    """The context's prefixes: the project's, less those whose name is a short key (`stage`, `actor`:
    their concepts are written with `kg:`)."""
    return {p: rebase(iri, base) for p, iri in PREFIXES.items() if p not in TERMS}


def context(base: str) -> dict:
    """The context document's `@context` for a graph under `base`."""
    ctx: dict[str, object] = {"@version": 1.1, "@vocab": rebase(NS.airm, base)}
    ctx.update(prefixes(base))
    for key, (curie, is_iri) in TERMS.items():
        ctx[key] = {"@id": _expand(curie, base), "@type": "@id"} if is_iri else _expand(curie, base)
    return ctx


def context_iri(base: str) -> str:
    """Where the context document is published (the service answers it at `/context.jsonld`)."""
    return base + CONTEXT_NAME


def context_document(base: str) -> bytes:
    return dumps({"@context": context(base)})


def dumps(doc: object) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def profile_of(name: str | None) -> str:
    """A profile's short name ("expanded", "compacted", "flattened") from a `profile` parameter
    (a space-separated list of IRIs); "compacted" when it names none of the three."""
    for iri in (name or "").split():
        for short, full in PROFILES.items():
            if iri.strip('"') == full:
                return short
    return "compacted"


class Compactor:
    """IRIs and terms written with one context: a short key, a vocabulary-relative name, a prefixed
    name or the IRI itself, whichever expands back to the same IRI."""

    def __init__(self, base: str):
        self.vocab = rebase(NS.airm, base)
        self.terms = {_expand(c, base): (key, is_iri) for key, (c, is_iri) in TERMS.items()}
        self.prefixes = sorted(prefixes(base).items(), key=lambda kv: -len(kv[1]))
        self.names = set(TERMS) | {p for p, _ in self.prefixes} | {"@type", "@id"}

    def iri(self, iri: str, vocab: bool = False) -> str:
        if vocab and iri.startswith(self.vocab):
            local = iri[len(self.vocab) :]
            if local and local not in self.names and ":" not in local and local.isidentifier():
                return local
        for prefix, ns in self.prefixes:
            if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns) :].startswith("//"):
                return f"{prefix}:{iri[len(ns) :]}"
        return iri

    def node(self, term) -> str:
        return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"

    def key(self, predicate: str, obj) -> tuple[str, bool]:
        """The key for a predicate with this object, and whether the value is written as a bare IRI."""
        term = self.terms.get(predicate)
        is_node = not isinstance(obj, ox.Literal)
        if term is not None and term[1] == is_node:
            return term[0], term[1]
        return self.iri(predicate, vocab=True), False

    def value(self, obj, bare: bool):
        if isinstance(obj, ox.Literal):
            return literal(obj, self)
        name = self.node(obj) if isinstance(obj, ox.BlankNode) else self.iri(obj.value)
        return name if bare else {"@id": name}


def literal(obj: ox.Literal, compactor: Compactor | None):
    if obj.language:
        return {"@value": obj.value, "@language": obj.language}
    if obj.datatype.value == XSD_STRING:
        return obj.value if compactor else {"@value": obj.value}
    datatype = compactor.iri(obj.datatype.value) if compactor else obj.datatype.value
    return {"@value": obj.value, "@type": datatype}


def _subjects(triples: Iterable[ox.Triple]) -> dict:
    by_subject: dict = {}
    for t in triples:
        if isinstance(t.subject, ox.Triple) or isinstance(t.object, ox.Triple):
            continue  # RDF-star is not JSON-LD 1.1
        by_subject.setdefault(t.subject, []).append(t)
    return by_subject


def expanded(triples: Iterable[ox.Triple]) -> list[dict]:
    """The expanded form: full IRIs, every value an object, types under `@type`."""
    out = []
    for subject, ts in _subjects(triples).items():
        node: dict[str, object] = {"@id": subject.value if isinstance(subject, ox.NamedNode) else f"_:{subject.value}"}
        for t in ts:
            if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
                node.setdefault("@type", []).append(t.object.value)  # type: ignore[attr-defined]
                continue
            obj = t.object
            if isinstance(obj, ox.Literal):
                value = literal(obj, None)
            else:
                value = {"@id": obj.value if isinstance(obj, ox.NamedNode) else f"_:{obj.value}"}
            node.setdefault(t.predicate.value, []).append(value)  # type: ignore[attr-defined]
        out.append(node)
    return out


def compacted(triples: Iterable[ox.Triple], base: str) -> list[dict]:
    """The node objects of the compacted (and flattened) form, without their context."""
    c = Compactor(base)
    out = []
    for subject, ts in _subjects(triples).items():
        node: dict[str, object] = {
            "@id": c.node(subject) if isinstance(subject, ox.BlankNode) else c.iri(subject.value)
        }
        for t in ts:
            if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
                node.setdefault("@type", []).append(c.iri(t.object.value, vocab=True))  # type: ignore[attr-defined]
                continue
            key, bare = c.key(t.predicate.value, t.object)
            node.setdefault(key, []).append(c.value(t.object, bare))  # type: ignore[attr-defined]
        out.append({k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in node.items()})
    return out


def document(triples: Iterable[ox.Triple], base: str, profile: str = "compacted") -> object:
    """Triples as a JSON-LD document in the form `profile` names (see `PROFILES`)."""
    triples = list(triples)
    if profile == "expanded":
        return expanded(triples)
    return {"@context": context(base), "@graph": compacted(triples, base)}


def serialize(triples: Iterable[ox.Triple], base: str, profile: str = "compacted") -> bytes:
    return dumps(document(triples, base, profile))
