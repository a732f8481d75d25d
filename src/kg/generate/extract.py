"""`ontology/imports/{airo,vair,dpv,nexus}-extract.ttl`: the parts of the foreign ontologies AIRM-KG
ships so that queries can join its mitigations with AIRO, VAIR, DPV and AI Atlas Nexus terms
inside one endpoint (ODK's habit: import modules extracted by term lists).

Seeds: the term list `ontology/imports/term-lists/{extract}.txt` (one CURIE or IRI a line, `#`
comments) plus every foreign IRI the mapping sets (`data/mappings/*.sssom.tsv`) and the logical
alignment (`ontology/alignment.ttl`) use. Each seed must exist in the shipped copy of its
ontology (`data/sources/...`), else the generator fails. The extract is the seeds with their
superclass and superproperty chains (and the named domains and ranges of properties), like ROBOT's
BOT extraction, each term with its type, labels, definition and `rdfs:isDefinedBy`.

The extracts are OWL 2 DL and safe to reason with together with the AIRM-KG ontology:
- DPV is read from its default (RDFS + SKOS) serialisation, because its IRIs are the canonical DPV
  IRIs; DPV's `owl/` serialisation uses other namespaces (`https://w3id.org/dpv/owl#`), which DPV
  users do not have. It is written in OWL the way DPV's own OWL serialisation reads it (every
  `skos:broader` between classes becomes `rdfs:subClassOf`; that was checked against DPV 2.3's
  owl/ files, term by term). Dropped: `skos:Concept` typing and the typing of a class as an
  instance of its top concept (`dpv:AIGovernance a dpv:OrganisationalMeasure`), which would make
  DPV's classes answer "?x a dpv:TechnicalOrganisationalMeasure" beside our mitigations; and the
  `rdfs:subClassOf rdfs:Class` of DPV's 13 metaclasses (tech:LifecycleStage, risk:RiskManagement,
  ...), under which their instances (our concepts, if we typed them so) would become classes.
- VAIR's terms are punned (owl:Class, owl:NamedIndividual, skos:Concept, vair:Concept): only
  owl:Class is kept. Its dangling superclasses (airo:Technique) and its stray
  `owlapi/turtle#` nodes are never extracted.
- Superclass links to IRIs no shipped ontology defines (rdfs:Class, a DCAT spec page URL) are
  dropped; each drop is recorded on the term as an skos:editorialNote.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg import align
from kg.errors import InputError
from kg.namespaces import DEFAULT_BASE
from kg.records.write import new_graph

IMPORTS = "ontology/imports/"
EXTRACT_BASE = DEFAULT_BASE + "ontology/imports/"
NEXUS_REPO = URIRef(align.NEXUS_REPO)

# Axioms of the sources that are known defects (data/sources/dpv/SOURCE.md): never extracted.
DROPPED = {
    ("https://w3id.org/dpv/risk#RiskSource", "https://w3id.org/dpv/risk#RiskIdentification"),
    ("https://w3id.org/dpv/risk#Threat", "https://w3id.org/dpv/risk#RiskIdentification"),
    ("https://w3id.org/dpv/risk#Vulnerability", "https://w3id.org/dpv/risk#RiskIdentification"),
}
DROP_REASON = {
    str(RDFS.Class): "rdfs:subClassOf rdfs:Class (a metaclass declaration, a known DPV 2.3 defect: its "
    "instances would become classes)",
}

TITLES = {
    "airo": "AIRO (AI Risk Ontology) 1.0",
    "vair": "VAIR (Vocabulary of AI Risks) 1.0",
    "dpv": "W3C Data Privacy Vocabulary (DPV) 2.3: core, RISK, AI, TECH and EU AI Act",
    "nexus": "IBM AI Atlas Nexus",
}
NOTICES = {
    "airo": "AIRO (c) Delaram Golpayegani, licensed under CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/). Cite: D. Golpayegani, H. J. Pandit, D. Lewis, "
    "AIRO: an ontology for representing AI risks based on the proposed EU AI Act and ISO risk "
    "management standards, 2022. This extract keeps some of its terms; changes: see rdfs:comment.",
    "vair": "VAIR (c) Delaram Golpayegani, licensed under CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/). Cite: Golpayegani, Pandit, Lewis, To Be "
    "High-Risk, or Not To Be, ACM FAccT 2023. This extract keeps some of its terms; changes: see "
    "rdfs:comment.",
    "dpv": "This document includes material copied from or derived from the Data Privacy Vocabulary "
    "(DPV) 2.3, https://w3id.org/dpv. Copyright (c) 2026 World Wide Web Consortium. "
    "https://www.w3.org/copyright/software-license-2023/ . The full notice is in "
    "data/sources/dpv/LICENSE.md. Changes: see rdfs:comment.",
    "nexus": "Records of IBM AI Atlas Nexus (https://github.com/IBM/ai-atlas-nexus), Apache License 2.0 "
    "(data/sources/risk-atlas-nexus/LICENSE); the MIT AI Risk Repository content is CC BY 4.0 "
    "(https://airisk.mit.edu/), NIST AI 600-1 is a work of the US Government.",
}
VERSIONS = {
    "airo": "AIRO 1.0 (https://w3id.org/airo/1.0), commit 6c67de43abd154393b09bb54da1fe1fa7501215b",
    "vair": "VAIR 1.0 (https://w3id.org/vair/1.0), commit 9ae41f59391c6754861179daefae9522084624e0",
    "dpv": "DPV 2.3 (https://w3id.org/dpv/2.3), tag dpv-2.3, commit cbcd21567808812677eeb3bb0f05b2ff2c2211a5",
    "nexus": "AI Atlas Nexus commit a8af9d79b72fe12c165bd51f855bc888d9acaeb4 (v1.2.3)",
}
LICENCES = {"nexus": URIRef("https://www.apache.org/licenses/LICENSE-2.0")}
METHOD = (
    "Generated by `kg generate` (src/kg/generate/extract.py) from the shipped copies in "
    "data/sources/ and the term list {terms}, plus every term of this ontology the mapping sets "
    "(data/mappings/) and ontology/alignment.ttl use, with their superclass and superproperty "
    "chains. Each term keeps its type as an OWL 2 entity, its labels, definition and comment, its "
    "named superclasses, superproperties, domains and ranges; everything else is left out. Do not "
    "edit: change the term list and run `kg generate`."
)
DPV_METHOD = (
    " DPV is read from its default serialisation (canonical dpv: IRIs); skos:broader between "
    "classes is written as rdfs:subClassOf, as DPV's own OWL serialisation does; skos:Concept "
    "typing, the typing of a class as an instance of its top concept, and rdfs:subClassOf "
    "rdfs:Class (DPV's metaclass defect) are dropped."
)


@dataclass
class Source:
    """A foreign module's triples, indexed by subject (rdflib terms)."""

    module: align.Module
    by_subject: dict = field(default_factory=lambda: defaultdict(list))
    header: dict = field(default_factory=dict)  # the owl:Ontology subject's (p, o) pairs
    ontology: URIRef | None = None


def _term(t):
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if t.language:
        return Literal(t.value, lang=t.language)
    return Literal(t.value, datatype=URIRef(t.datatype.value))


def load_source(root: Path, module: align.Module) -> Source:
    src = Source(module)
    for rel in module.files:
        if not rel.endswith(".ttl"):
            continue
        try:
            quads = list(ox.parse(path=str(root / rel), format=ox.RdfFormat.TURTLE))
        except (OSError, SyntaxError) as exc:
            raise InputError(f"{rel}: cannot read: {exc}") from exc
        for q in quads:
            s, p, o = _term(q.subject), _term(q.predicate), _term(q.object)
            src.by_subject[s].append((p, o))
            if p == RDF.type and o == OWL.Ontology and module.kind == "rdf":
                src.ontology = s
    if src.ontology is not None:
        src.header = dict(src.by_subject[src.ontology])
    return src


def read_term_list(root: Path, name: str) -> list[str]:
    path = root / align.TERM_LISTS_DIR / f"{name}.txt"
    if not path.exists():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip() if not line.strip().startswith("<") else line.strip()
        if text:
            out.append(align.expand(text, align.CURIE_MAP, f"{path.relative_to(root)} line {n}"))
    return out


def alignment_iris(root: Path) -> set[str]:
    """The foreign IRIs ontology/alignment.ttl uses."""
    path = root / align.ALIGNMENT
    if not path.exists():
        return set()
    out = set()
    for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        for t in (q.subject, q.object):
            if isinstance(t, ox.NamedNode) and align.module_of(t.value) is not None:
                out.add(t.value)
    return out


def seeds(root: Path) -> dict[str, set[str]]:
    """Extract name -> the IRIs it must contain before closure."""
    out: dict[str, set[str]] = {name: set() for name in align.EXTRACTS}
    for name in align.EXTRACTS:
        for iri in read_term_list(root, name):
            m = align.module_of(iri)
            if m is None or m.extract != name:
                raise InputError(f"{align.TERM_LISTS_DIR}/{name}.txt: {iri} is not a term of that extract")
            out[name].add(iri)
    for iri in align.used_iris(root) | alignment_iris(root):
        m = align.module_of(iri)
        if m is not None:
            out[m.extract].add(iri)
    return out


def build(root: Path) -> dict[str, Graph]:
    wanted = seeds(root)
    missing = align.undefined(root, {i for s in wanted.values() for i in s})
    if missing:
        raise InputError(
            "these IRIs are used by AIRM-KG but do not exist in the shipped copies of their "
            "ontologies (data/sources/): " + ", ".join(missing)
        )
    sources = {m.prefix: load_source(root, m) for m in align.MODULES}
    terms = closure(wanted, sources)
    out = {}
    for name in align.EXTRACTS:
        g = new_graph()
        for m in align.MODULES:
            if m.extract == name or (name == "vair" and m.prefix == "airo"):
                g.bind(m.prefix, m.namespace)
        header(g, name, sources)
        for iri in sorted(terms[name]):
            module = align.module_of(iri)
            if module is None:  # closure() keeps only IRIs of a module
                raise InputError(f"{iri} is in none of the foreign modules (kg.align.MODULES)")
            if module.kind == "nexus":
                nexus_term(g, URIRef(iri), sources[module.prefix], root, terms)
            else:
                rdf_term(g, URIRef(iri), sources[module.prefix], terms)
        out[f"{IMPORTS}{name}-extract.ttl"] = g
    return out


# --- closure ---------------------------------------------------------------------------------

PARENTS = (RDFS.subClassOf, RDFS.subPropertyOf, SKOS.broader, RDFS.domain, RDFS.range)


def closure(wanted: dict[str, set[str]], sources: dict[str, Source]) -> dict[str, set[str]]:
    """The seeds with every foreign IRI their chains reach (across extracts: VAIR -> AIRO)."""
    terms: dict[str, set[str]] = {name: set() for name in wanted}
    queue = sorted(i for s in wanted.values() for i in s)
    while queue:
        iri = queue.pop()
        m = align.module_of(iri)
        if m is None or iri in terms[m.extract]:
            continue
        terms[m.extract].add(iri)
        for parent in parents(URIRef(iri), sources[m.prefix]):
            if align.module_of(str(parent)) is not None:
                queue.append(str(parent))
    return terms


def parents(iri: URIRef, src: Source) -> list[URIRef]:
    return [
        o
        for p, o in src.by_subject.get(iri, [])
        if p in PARENTS and isinstance(o, URIRef) and (str(iri), str(o)) not in DROPPED
    ]


# --- writing -----------------------------------------------------------------------------------

KIND = {
    OWL.Class: OWL.Class,
    RDFS.Class: OWL.Class,
    OWL.ObjectProperty: OWL.ObjectProperty,
    OWL.DatatypeProperty: OWL.DatatypeProperty,
    OWL.AnnotationProperty: OWL.AnnotationProperty,
    RDF.Property: OWL.ObjectProperty,
}
COPIED = (RDFS.label, SKOS.prefLabel, SKOS.definition, RDFS.comment)


def rdf_term(g: Graph, iri: URIRef, src: Source, terms: dict[str, set[str]], notes: bool = True) -> None:
    pairs = src.by_subject.get(iri, [])
    types = {o for p, o in pairs if p == RDF.type}
    kinds = {KIND[t] for t in types if t in KIND}
    if OWL.DatatypeProperty in kinds or OWL.AnnotationProperty in kinds:
        kinds.discard(OWL.ObjectProperty)
    if not kinds:
        raise InputError(f"{iri}: the shipped ontology gives it no class or property type ({sorted(types)})")
    for k in kinds:
        g.add((iri, RDF.type, k))
    for p, o in pairs:
        if p in COPIED and isinstance(o, Literal):
            g.add((iri, p, o))
    if g.value(iri, RDFS.label) is None:
        label = next((o for p, o in pairs if p == SKOS.prefLabel and isinstance(o, Literal)), None)
        if label is not None:
            g.add((iri, RDFS.label, label))
    g.add((iri, RDFS.isDefinedBy, ontology_iri(src)))
    known = {i for s in terms.values() for i in s}
    for p, o in pairs:
        if p not in PARENTS:
            continue
        axiom = {SKOS.broader: RDFS.subClassOf}.get(p, p)
        if isinstance(o, BNode):
            if not notes:
                continue
            g.add(
                (
                    iri,
                    SKOS.editorialNote,
                    Literal(f"AIRM-KG extract: a {_curie(axiom)} that is a class expression was left out.", lang="en"),
                )
            )
        elif (str(iri), str(o)) in DROPPED:
            g.add(
                (
                    iri,
                    SKOS.editorialNote,
                    Literal(
                        f"AIRM-KG extract: {_curie(axiom)} {o} was left out (a known defect of the source, see "
                        "data/sources/dpv/SOURCE.md).",
                        lang="en",
                    ),
                )
            )
        elif str(o) in known:
            if p == SKOS.broader and OWL.Class not in kinds:
                continue
            g.add((iri, axiom, o))
        elif align.module_of(str(o)) is None:
            reason = DROP_REASON.get(str(o), f"{_curie(axiom)} {o}, a term no shipped ontology defines")
            g.add((iri, SKOS.editorialNote, Literal(f"AIRM-KG extract: left out {reason}.", lang="en")))


def _curie(iri: URIRef) -> str:
    return {
        RDFS.subClassOf: "rdfs:subClassOf",
        RDFS.subPropertyOf: "rdfs:subPropertyOf",
        RDFS.domain: "rdfs:domain",
        RDFS.range: "rdfs:range",
    }.get(iri, str(iri))


def ontology_iri(src: Source) -> URIRef:
    """The ontology IRI a module's terms are defined by (its owl:Ontology, without a trailing '#')."""
    if src.ontology is None:
        return URIRef(src.module.namespace.rstrip("#/"))
    return URIRef(str(src.ontology).rstrip("#/"))


def nexus_term(g: Graph, iri: URIRef, src: Source, root: Path, terms: dict[str, set[str]]) -> None:
    """A Nexus schema class (from the schema TTL) or a Nexus record (from the YAML), as an individual."""
    ident = str(iri)[len(src.module.namespace) :]
    if iri in src.by_subject:
        rdf_term(g, iri, src, terms, notes=False)
        g.set((iri, RDFS.isDefinedBy, NEXUS_REPO))
        return
    record = align.nexus_records(root)[ident]
    g.add((iri, RDF.type, OWL.NamedIndividual))
    cls = URIRef(src.module.namespace + str(record.get("type") or "Entry"))
    if cls not in src.by_subject:
        raise InputError(f"{record['_file']}: {ident} has the type {cls}, which the Nexus schema lacks")
    g.add((iri, RDF.type, cls))
    rdf_term(g, cls, src, {"nexus": set()}, notes=False)
    g.set((cls, RDFS.isDefinedBy, NEXUS_REPO))
    g.add((iri, RDFS.label, Literal(" ".join(str(record.get("name") or ident).split()), lang="en")))
    if str(record.get("description") or "").strip():
        g.add((iri, SKOS.definition, Literal(" ".join(str(record["description"]).split()), lang="en")))
    g.add((iri, DCTERMS.identifier, Literal(ident)))
    g.add((iri, RDFS.isDefinedBy, NEXUS_REPO))


def header(g: Graph, name: str, sources: dict[str, Source]) -> None:
    onto = URIRef(f"{EXTRACT_BASE}{name}-extract")
    mods = [m for m in align.MODULES if m.extract == name]
    g.add((onto, RDF.type, OWL.Ontology))
    g.add((onto, DCTERMS.title, Literal(f"Extract of {TITLES[name]} for AIRM-KG", lang="en")))
    g.add((onto, RDFS.label, Literal(f"{TITLES[name]} (extract)", lang="en")))
    method = METHOD.format(terms=f"{align.TERM_LISTS_DIR}/{name}.txt") + (DPV_METHOD if name == "dpv" else "")
    g.add((onto, RDFS.comment, Literal(method, lang="en")))
    g.add((onto, DCTERMS.rights, Literal(NOTICES[name], lang="en")))
    licences = set()
    for m in mods:
        src = sources[m.prefix]
        if m.kind == "nexus":
            g.add((onto, DCTERMS.source, NEXUS_REPO))
            continue
        g.add((onto, DCTERMS.source, ontology_iri(src)))
        for p, o in src.header.items():
            if p == DCTERMS.license:
                licences.add(URIRef(str(o)))
        version = src.header.get(OWL.versionIRI)
        if version is not None:
            g.add((onto, RDFS.seeAlso, version))
    for lic in licences or {LICENCES[name]}:
        g.add((onto, DCTERMS.license, lic))
    files = ", ".join(sorted({f for m in mods for f in m.files}))
    g.add(
        (
            onto,
            DCTERMS.description,
            Literal(
                f"The {TITLES[name]} terms AIRM-KG's mappings and queries use, extracted from {files} as shipped.",
                lang="en",
            ),
        )
    )
    g.add((onto, OWL.versionInfo, Literal(VERSIONS[name])))
