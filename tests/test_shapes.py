"""The SHACL shapes (shapes/*.ttl): each constraint catches the break it is written for.

A small valid graph (tests/fixtures/shapes/valid.ttl: a vocabulary fixture, a few ontology axioms
and instance data using every constrained property) must give no validation result at all. Each
case of CASES breaks it in exactly one way and expects a result from the intended shape, on the
intended focus node, carrying that shape's own sh:message and sh:severity; any other shape that
fires must be listed in the case (`also`), so a constraint that fires too eagerly fails as well.
Meta-tests check that every constraint has a message and a severity, that every constraint is
covered by a case, and that the real data conforms.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, VOID, XSD

from kg.namespaces import ACTOR, AIRM, BIBO, CMETHOD, DEFAULT_BASE, FN, KG, MTAX, PREFIXES, RDOM, SH, STAGE, V1TAX
from kg.rdf.canonical import check as check_canonical
from kg.shacl.validation import failing, subject_sources, validate_graphs

ROOT = Path(__file__).resolve().parents[1]
SHAPES_DIR = ROOT / "shapes"
FIXTURE = ROOT / "tests" / "fixtures" / "shapes" / "valid.ttl"
AIRMSH = Namespace("https://w3id.org/airm-kg/shapes#")
SHAPES_GRAPH_IRI = URIRef("https://w3id.org/airm-kg/shapes")


def scheme(name: str) -> URIRef:
    return URIRef(f"{DEFAULT_BASE}vocab/{name}")


# The fixtures `shapes`, `valid` and `prepared_sparql_queries` are in tests/conftest.py (the SHACL
# engine's tests use them too).
pytestmark = pytest.mark.usefixtures("prepared_sparql_queries")


def copy(g: Graph) -> Graph:
    out = Graph()
    out += g
    return out


# --------------------------------------------------------------------------- the fixture's resources

M = KG["mitigation/shi2024-mitigating-social-bias"]  # named, under a heading, fully described
H = KG["mitigation/shi2024-value-misalignment"]  # the heading
A = KG["mitigation/A0086_Future_of_Life_Institute2024"]  # unnamed v1 record, evidence only
E = KG["evidence/shi2024-mitigating-social-bias"]
EA = KG["evidence/A0086_Future_of_Life_Institute2024"]
CC = KG["classification/shi2024-mitigating-social-bias/curator"]
CL = KG["classification/shi2024-mitigating-social-bias/classifier"]
D = KG["document/shi2024"]
DF = KG["document/FLI2024"]
P = KG["person/shi-dan"]
ORG = KG["organization/future-of-life-institute"]
R = KG["risk/shi2024-value-misalignment"]
DS = KG["dataset/test"]


# --------------------------------------------------------------------------- ways to break it

Mutation = Callable[[Graph], None]


def add(*triples) -> Mutation:
    def f(g: Graph) -> None:
        for t in triples:
            g.add(t)

    return f


def remove(*patterns) -> Mutation:
    def f(g: Graph) -> None:
        for s, p, o in patterns:
            g.remove((s, p, o))

    return f


def put(s, p, o) -> Mutation:
    """Replace every value of s p by o."""

    def f(g: Graph) -> None:
        g.set((s, p, o))

    return f


def forget(node) -> Mutation:
    """Remove a resource entirely (as subject and as object)."""

    def f(g: Graph) -> None:
        g.remove((node, None, None))
        g.remove((None, None, node))

    return f


def both(*mutations: Mutation) -> Mutation:
    def f(g: Graph) -> None:
        for m in mutations:
            m(g)

    return f


def author_list(*members) -> Mutation:
    """Replace the author list of D by a fresh, well-formed list of `members`."""

    def f(g: Graph) -> None:
        old = g.value(D, BIBO.authorList)
        g.remove((D, BIBO.authorList, None))
        while old is not None and old != RDF.nil:
            nxt = g.value(old, RDF.rest)
            g.remove((old, None, None))
            old = nxt
        head = BNode()
        Collection(g, head, list(members))
        g.add((D, BIBO.authorList, head))

    return f


def truncated_author_list(g: Graph) -> None:
    """Cut the rdf:rest off the last node of D's author list: the list never reaches rdf:nil."""
    node = g.value(D, BIBO.authorList)
    while g.value(node, RDF.rest) != RDF.nil:
        node = g.value(node, RDF.rest)
    g.remove((node, RDF.rest, None))


def second_author_list(g: Graph) -> None:
    node = BNode()
    g.add((D, BIBO.authorList, node))
    Collection(g, node, [P])


def second_curator_classification(g: Graph) -> None:
    c2 = KG["classification/shi2024-mitigating-social-bias/curator-2"]
    g.add((c2, RDF.type, AIRM.Classification))
    g.add((c2, AIRM.classifies, M))
    g.add((c2, AIRM.category, MTAX["1.1"]))
    g.add((c2, AIRM.classificationMethod, CMETHOD.curator))
    g.add((c2, PROV.wasAttributedTo, KG["agent/curators"]))
    g.add((M, AIRM.hasClassification, c2))


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Mutation
    focus: URIRef
    shape: str  # local name under airmsh:
    also: tuple[str, ...] = ()  # other shapes that rightly fire on the same break


CASES = [
    # ---- mitigation
    Case(
        "mitigation-without-document",
        remove((M, AIRM.sourceDocument, None)),
        M,
        "Mitigation-sourceDocument",
        also=(
            "Mitigation-parentMitigation-sameDocument",
            "EvidenceQuote-quotedFrom-sameDocument",
            "SourceDocument-documentMitigation-inverse",
        ),
    ),
    Case(
        "mitigation-with-two-documents",
        add((M, AIRM.sourceDocument, DF)),
        M,
        "Mitigation-sourceDocument",
        also=(
            "Mitigation-parentMitigation-sameDocument",
            "EvidenceQuote-quotedFrom-sameDocument",
            "SourceDocument-documentMitigation-inverse",
        ),
    ),
    Case(
        "mitigation-document-is-not-a-document",
        both(put(M, AIRM.sourceDocument, DS), remove((D, AIRM.documentMitigation, M)), put(E, AIRM.quotedFrom, DS)),
        M,
        "Mitigation-sourceDocument",
        also=("Mitigation-parentMitigation-sameDocument", "EvidenceQuote-quotedFrom"),
    ),
    Case(
        "empty-label-and-no-evidence",
        both(put(M, RDFS.label, Literal("")), forget(E)),
        M,
        "MitigationShape",
        also=("Mitigation-label",),
    ),
    Case("no-label-and-no-evidence", forget(EA), A, "MitigationShape"),
    Case("two-labels", add((M, RDFS.label, Literal("Mitigating social bias"))), M, "Mitigation-label"),
    Case(
        "label-with-language-tag",
        put(M, RDFS.label, Literal("Mitigating social bias", lang="en")),
        M,
        "Mitigation-label",
    ),
    Case("two-identifiers", add((M, DCTERMS.identifier, Literal("S-2"))), M, "Mitigation-identifier"),
    Case(
        "parent-from-another-document",
        both(put(M, AIRM.parentMitigation, A), remove((H, AIRM.childMitigation, M))),
        M,
        "Mitigation-parentMitigation-sameDocument",
    ),
    Case(
        "parent-is-itself",
        both(put(M, AIRM.parentMitigation, M), remove((H, AIRM.childMitigation, M))),
        M,
        "Mitigation-parentMitigation-acyclic",
    ),
    Case(
        "parent-cycle",
        add((H, AIRM.parentMitigation, M)),
        H,
        "Mitigation-parentMitigation-acyclic",
        also=("Mitigation-childMitigation-inverse",),
    ),
    Case(
        "two-parents",
        add((M, AIRM.parentMitigation, A)),
        M,
        "Mitigation-parentMitigation",
        also=("Mitigation-parentMitigation-sameDocument",),
    ),
    Case(
        "parent-is-not-a-mitigation",
        both(put(M, AIRM.parentMitigation, R), remove((H, AIRM.childMitigation, M))),
        M,
        "Mitigation-parentMitigation",
        also=("Mitigation-parentMitigation-sameDocument",),
    ),
    Case(
        "category-is-not-a-mitigation-category",
        put(M, AIRM.mitigationCategory, STAGE.deploy),
        M,
        "Mitigation-mitigationCategory",
        also=("Mitigation-mitigationCategory-backed",),
    ),
    Case(
        "category-not-backed-by-a-classification",
        put(M, AIRM.mitigationCategory, MTAX["1"]),
        M,
        "Mitigation-mitigationCategory-backed",
    ),
    Case(
        "classification-is-not-a-classification",
        add((M, AIRM.hasClassification, E)),
        M,
        "Mitigation-hasClassification",
        also=("Mitigation-hasClassification-inverse",),
    ),
    Case(
        "classification-links-disagree",
        remove((M, AIRM.hasClassification, CL)),
        M,
        "Mitigation-hasClassification-inverse",
    ),
    Case("evidence-links-disagree", add((A, AIRM.hasEvidence, E)), A, "Mitigation-hasEvidence-inverse"),
    Case("child-links-disagree", add((H, AIRM.childMitigation, A)), H, "Mitigation-childMitigation-inverse"),
    Case(
        "document-links-disagree",
        remove((D, AIRM.documentMitigation, H)),
        D,
        "SourceDocument-documentMitigation-inverse",
    ),
    Case("risk-links-disagree", remove((R, AIRM.addressedBy, H)), R, "Risk-addressedBy-inverse"),
    Case(
        "primary-stage-from-the-actor-scheme",
        put(M, AIRM.primaryLifecycleStage, ACTOR.developer),
        M,
        "Mitigation-primaryLifecycleStage-scheme",
    ),
    Case(
        "two-primary-stages",
        add((M, AIRM.primaryLifecycleStage, STAGE.deploy)),
        M,
        "Mitigation-primaryLifecycleStage-count",
    ),
    Case(
        "other-stage-from-the-function-scheme",
        put(M, AIRM.otherLifecycleStage, FN.manage),
        M,
        "Mitigation-otherLifecycleStage-scheme",
    ),
    Case(
        "primary-actor-from-the-stage-scheme",
        put(M, AIRM.primaryActor, STAGE.deploy),
        M,
        "Mitigation-primaryActor-scheme",
    ),
    Case("two-primary-actors", add((M, AIRM.primaryActor, ACTOR.deployer)), M, "Mitigation-primaryActor-count"),
    Case(
        "other-actor-from-the-method-scheme",
        put(M, AIRM.otherActor, CMETHOD.curator),
        M,
        "Mitigation-otherActor-scheme",
    ),
    Case(
        "primary-function-from-the-actor-scheme",
        put(M, AIRM.primaryAIRMFunction, ACTOR.developer),
        M,
        "Mitigation-primaryAIRMFunction-scheme",
    ),
    Case(
        "two-primary-functions",
        add((M, AIRM.primaryAIRMFunction, FN.measure)),
        M,
        "Mitigation-primaryAIRMFunction-count",
    ),
    Case(
        "other-function-from-the-taxonomy",
        put(M, AIRM.otherAIRMFunction, MTAX["1"]),
        M,
        "Mitigation-otherAIRMFunction-scheme",
    ),
    Case("addressed-risk-is-not-a-risk", add((M, AIRM.addressesRisk, DS)), M, "Mitigation-addressesRisk"),
    Case(
        "evidence-is-not-a-quote",
        add((M, AIRM.hasEvidence, CC)),
        M,
        "Mitigation-hasEvidence",
        also=("Mitigation-hasEvidence-inverse",),
    ),
    Case(
        "additional-information-is-an-iri",
        put(M, AIRM.additionalInformation, URIRef("https://example.org/info")),
        M,
        "Mitigation-additionalInformation",
        also=("NoDanglingReferenceShape",),
    ),
    Case("mitigation-without-dataset", remove((M, VOID.inDataset, None)), M, "Mitigation-inDataset"),
    # ---- evidence quote
    Case("quote-with-blank-text", put(E, AIRM.quoteText, Literal("  ")), E, "EvidenceQuote-quoteText"),
    Case("quote-without-text", remove((E, AIRM.quoteText, None)), E, "EvidenceQuote-quoteText"),
    Case("quote-from-another-document", put(E, AIRM.quotedFrom, DF), E, "EvidenceQuote-quotedFrom-sameDocument"),
    Case(
        "quote-without-document",
        remove((E, AIRM.quotedFrom, None)),
        E,
        "EvidenceQuote-quotedFrom",
        also=("EvidenceQuote-quotedFrom-sameDocument",),
    ),
    Case("quote-for-two-mitigations", add((E, AIRM.evidenceFor, H)), E, "EvidenceQuote-evidenceFor"),
    Case("quote-text-is-a-number", put(E, AIRM.quoteText, Literal(42)), E, "EvidenceQuote-quoteText"),
    Case("quote-with-two-texts", add((E, AIRM.quoteText, Literal("Another quote."))), E, "EvidenceQuote-quoteText"),
    Case(
        "quote-from-a-non-document",
        put(E, AIRM.quotedFrom, DS),
        E,
        "EvidenceQuote-quotedFrom",
        also=("EvidenceQuote-quotedFrom-sameDocument",),
    ),
    # ---- classification
    Case(
        "classification-of-nothing",
        remove((CL, AIRM.classifies, None)),
        CL,
        "Classification-classifies",
        also=("Mitigation-hasClassification-inverse",),
    ),
    Case("category-outside-both-taxonomies", put(CL, AIRM.category, RDOM["1.2"]), CL, "Classification-category-scheme"),
    Case("classification-without-category", remove((CL, AIRM.category, None)), CL, "Classification-category-count"),
    Case(
        "classification-with-two-categories", add((CL, AIRM.category, MTAX["1"])), CL, "Classification-category-count"
    ),
    Case(
        "method-outside-its-scheme",
        put(CL, AIRM.classificationMethod, MTAX["1"]),
        CL,
        "Classification-classificationMethod",
    ),
    Case(
        "two-curator-classifications",
        second_curator_classification,
        KG["classification/shi2024-mitigating-social-bias/curator-2"],
        "Classification-classificationMethod-unique",
    ),
    Case("two-reasonings", add((CC, AIRM.reasoning, Literal("Another reason."))), CC, "Classification-reasoning"),
    Case(
        "classification-without-attribution",
        remove((CL, PROV.wasAttributedTo, None)),
        CL,
        "Classification-wasAttributedTo",
    ),
    Case(
        "classification-attributed-to-a-string",
        put(CL, PROV.wasAttributedTo, Literal("GPT")),
        CL,
        "Classification-wasAttributedTo",
    ),
    Case(
        "classification-of-a-non-mitigation",
        both(put(CL, AIRM.classifies, DS), remove((M, AIRM.hasClassification, CL))),
        CL,
        "Classification-classifies",
    ),
    Case(
        "classification-without-method",
        remove((CL, AIRM.classificationMethod, None)),
        CL,
        "Classification-classificationMethod",
    ),
    # ---- source document
    Case("document-without-title", remove((D, DCTERMS.title, None)), D, "SourceDocument-title"),
    Case("document-with-empty-title", put(D, DCTERMS.title, Literal("")), D, "SourceDocument-title"),
    Case("year-1850", put(D, DCTERMS.issued, Literal("1850", datatype=XSD.gYear)), D, "SourceDocument-issued-range"),
    Case("year-as-plain-string", put(D, DCTERMS.issued, Literal("2024")), D, "SourceDocument-issued"),
    Case("two-years", add((D, DCTERMS.issued, Literal("2023", datatype=XSD.gYear))), D, "SourceDocument-issued"),
    Case("date-that-is-not-a-date", put(D, DCTERMS.date, Literal("December 2024")), D, "SourceDocument-date"),
    Case(
        "document-with-two-identifiers", add((D, DCTERMS.identifier, Literal("doc-2"))), D, "SourceDocument-identifier"
    ),
    Case("broken-doi", put(D, BIBO.doi, Literal("https://doi.org/10.48550/arXiv.2412.17686")), D, "SourceDocument-doi"),
    Case("page-as-string", put(D, FOAF.page, Literal("https://arxiv.org/abs/2412.17686")), D, "SourceDocument-page"),
    Case(
        "author-list-member-is-not-an-agent",
        both(author_list(P, ORG, DS), add((D, DCTERMS.creator, DS))),
        D,
        "SourceDocument-authorList-members",
        also=("SourceDocument-creator",),
    ),
    Case("author-is-not-a-creator", remove((D, DCTERMS.creator, ORG)), D, "SourceDocument-authorList-creators"),
    Case("author-list-without-nil", truncated_author_list, D, "SourceDocument-authorList-wellFormed"),
    Case("two-author-lists", second_author_list, D, "SourceDocument-authorList"),
    Case("creator-is-not-an-agent", add((D, DCTERMS.creator, DS)), D, "SourceDocument-creator"),
    Case(
        "author-list-is-a-string",
        both(author_list(), put(D, BIBO.authorList, Literal("Dan Shi and FLI"))),
        D,
        "SourceDocument-authorList",
        also=("SourceDocument-authorList-wellFormed",),
    ),
    # ---- person, organisation, risk, dataset
    Case("person-without-name", remove((P, FOAF.name, None)), P, "Person-name"),
    Case("person-with-two-names", add((P, FOAF.name, Literal("D. Shi"))), P, "Person-name"),
    Case("person-with-blank-name", put(P, FOAF.name, Literal(" ")), P, "Person-name", ("Text-no-surrounding-blanks",)),
    Case("person-with-two-family-names", add((P, FOAF.familyName, Literal("Shih"))), P, "Person-familyName"),
    Case("person-with-two-given-names", add((P, FOAF.givenName, Literal("Daniel"))), P, "Person-givenName"),
    Case(
        "organization-without-name", remove((ORG, FOAF.name, None), (ORG, RDFS.label, None)), ORG, "Organization-name"
    ),
    Case("organization-with-two-names", add((ORG, FOAF.name, Literal("FLI"))), ORG, "Organization-name"),
    Case("risk-without-name", remove((R, RDFS.label, None)), R, "RiskShape"),
    Case("dataset-without-title", remove((DS, DCTERMS.title, None)), DS, "Dataset-title"),
    Case("dataset-without-licence", remove((DS, DCTERMS.license, None)), DS, "Dataset-license"),
    Case("dataset-licence-as-string", put(DS, DCTERMS.license, Literal("CC BY 4.0")), DS, "Dataset-license"),
    # ---- no dangling references
    Case(
        "dangling-risk",
        add((M, AIRM.addressesRisk, KG["risk/does-not-exist"])),
        M,
        "NoDanglingReferenceShape",
        also=("Mitigation-addressesRisk",),
    ),
    Case(
        "dangling-creator",
        add((D, DCTERMS.creator, KG["person/ghost"])),
        D,
        "NoDanglingReferenceShape",
        also=("SourceDocument-creator",),
    ),
    Case(
        "dangling-broader",
        put(MTAX["1.1"], SKOS.broader, MTAX["9"]),
        MTAX["1.1"],
        "NoDanglingReferenceShape",
        also=("Concept-broader", "Concept-broader-sameScheme"),
    ),
    Case(
        "dangling-scheme",
        put(STAGE.deploy, SKOS.inScheme, URIRef(scheme("lifecycle-stage") + "s")),
        STAGE.deploy,
        "NoDanglingReferenceShape",
        also=("Concept-inScheme", "Mitigation-otherLifecycleStage-scheme"),
    ),
    # ---- concepts and schemes
    Case("concept-without-definition", remove((MTAX["1.1"], SKOS.definition, None)), MTAX["1.1"], "Concept-definition"),
    Case(
        "unnamed-concept-without-NameUnknown",
        remove((MTAX["1.1.2"], AIRM.nameStatus, None)),
        MTAX["1.1.2"],
        "ConceptShape",
    ),
    Case(
        "named-concept-marked-NameUnknown",
        add((MTAX["1"], AIRM.nameStatus, AIRM.NameUnknown)),
        MTAX["1"],
        "ConceptShape",
    ),
    Case(
        "unknown-name-status", add((MTAX["1.1.2"], AIRM.nameStatus, STAGE.deploy)), MTAX["1.1.2"], "Concept-nameStatus"
    ),
    Case(
        "empty-preferred-label",
        put(MTAX["1.1"], SKOS.prefLabel, Literal("", lang="en")),
        MTAX["1.1"],
        "Concept-prefLabel",
    ),
    Case(
        "two-english-preferred-labels",
        add((MTAX["1"], SKOS.prefLabel, Literal("AI systems", lang="en"))),
        MTAX["1"],
        "Concept-prefLabel",
    ),
    Case(
        "concept-in-two-schemes", add((STAGE.deploy, SKOS.inScheme, scheme("actor"))), STAGE.deploy, "Concept-inScheme"
    ),
    Case(
        "concept-without-scheme",
        remove((STAGE.deploy, SKOS.inScheme, None)),
        STAGE.deploy,
        "Concept-inScheme",
        also=("Mitigation-otherLifecycleStage-scheme",),
    ),
    Case(
        "notation-not-starting-with-the-parents",
        put(MTAX["1.1.3"], SKOS.notation, Literal("2.1.3")),
        MTAX["1.1.3"],
        "Concept-notation-broader",
    ),
    Case(
        "notation-skipping-a-level",
        put(MTAX["1.1.3"], SKOS.broader, MTAX["1"]),
        MTAX["1.1.3"],
        "Concept-notation-broader",
    ),
    Case(
        "malformed-notation",
        put(MTAX["1.1.3"], SKOS.notation, Literal("1.1.3a")),
        MTAX["1.1.3"],
        "Concept-notation-code",
    ),
    Case(
        "four-level-notation",
        put(RDOM["1.2"], SKOS.notation, Literal("1.2.1.1")),
        RDOM["1.2"],
        "Concept-notation-code",
        also=("Concept-notation-broader",),
    ),
    Case(
        "coded-concept-without-notation",
        remove((V1TAX["1.1"], SKOS.notation, None)),
        V1TAX["1.1"],
        "Concept-notation-code",
    ),
    Case(
        "two-notations",
        add((FN.manage, SKOS.notation, Literal("MG")), (FN.manage, SKOS.notation, Literal("M"))),
        FN.manage,
        "Concept-notation",
    ),
    Case(
        "broader-in-another-scheme",
        put(V1TAX["1.1"], SKOS.broader, MTAX["1"]),
        V1TAX["1.1"],
        "Concept-broader-sameScheme",
    ),
    Case(
        "broader-is-not-a-concept",
        put(MTAX["1.1"], SKOS.broader, DS),
        MTAX["1.1"],
        "Concept-broader",
        also=("Concept-broader-sameScheme",),
    ),
    Case(
        "top-concept-of-another-scheme",
        add((RDOM["1"], SKOS.topConceptOf, scheme("mitigation-taxonomy"))),
        RDOM["1"],
        "Concept-topConceptOf-inScheme",
    ),
    Case("scheme-without-name", remove((scheme("actor"), SKOS.prefLabel, None)), scheme("actor"), "ConceptSchemeShape"),
    Case(
        "scheme-with-two-english-labels",
        add((scheme("actor"), SKOS.prefLabel, Literal("Roles", lang="en"))),
        scheme("actor"),
        "ConceptScheme-prefLabel",
    ),
    Case(
        "top-concept-is-not-a-concept",
        add((scheme("actor"), SKOS.hasTopConcept, DS)),
        scheme("actor"),
        "ConceptScheme-hasTopConcept",
    ),
    # ---- text quality: labels, names and titles (airm-text-shapes.ttl)
    Case(
        "label-with-a-trailing-blank",
        put(M, RDFS.label, Literal("Mitigating social bias ")),
        M,
        "Text-no-surrounding-blanks",
    ),
    Case(
        "title-with-a-leading-line-break",
        put(D, DCTERMS.title, Literal("\nLarge language model alignment")),
        D,
        "Text-no-surrounding-blanks",
    ),
    Case("name-with-a-leading-blank", put(P, FOAF.name, Literal(" Dan Shi")), P, "Text-no-surrounding-blanks"),
    Case(
        "concept-label-with-blanks",
        put(MTAX["1"], SKOS.prefLabel, Literal("Governance ", lang="en")),
        MTAX["1"],
        "Text-no-surrounding-blanks",
    ),
    Case(
        "title-with-mojibake-quote",
        put(D, DCTERMS.title, Literal("Large language modelâ€™s alignment")),
        D,
        "Text-no-mojibake",
    ),
    Case("name-with-mojibake-letter", put(P, FOAF.familyName, Literal("ShiÃ©")), P, "Text-no-mojibake"),
    Case("label-with-mac-roman-mojibake", put(M, RDFS.label, Literal("AÔ¨Äected communities")), M, "Text-no-mojibake"),
]


# --------------------------------------------------------------------------- helpers


def _local(term: str | None) -> str | None:
    """'<https://w3id.org/airm-kg/shapes#X>' -> 'X' (None for results of anonymous shapes)."""
    if term and term.startswith(f"<{AIRMSH}"):
        return term[len(str(AIRMSH)) + 1 : -1]
    return None


def _message_pattern(template: str) -> re.Pattern:
    """A shape's sh:message as a regex: SPARQL templates ({$this}, {?value}) match any text."""
    parts = re.split(r"\{[$?]\w+\}", template)
    return re.compile(".+".join(re.escape(p) for p in parts), re.S)


def _severity(shapes: Graph, shape: URIRef) -> str:
    return str(shapes.value(shape, SH.severity)).rsplit("#", 1)[-1]


# --------------------------------------------------------------------------- tests


def test_valid_fixture_gives_no_result_at_all(shapes, valid):
    results = validate_graphs(valid, shapes)
    assert results == [], "\n".join(map(str, results))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_break_is_reported_by_the_intended_constraint(case, shapes, valid):
    g = copy(valid)
    case.mutate(g)
    results = validate_graphs(g, shapes)
    report = "\n".join(map(str, results)) or "(no results)"

    shape = AIRMSH[case.shape]
    hits = [v for v in results if _local(v.shape) == case.shape and v.focus == f"<{case.focus}>"]
    assert hits, f"expected a result of airmsh:{case.shape} on <{case.focus}>, got:\n{report}"

    pattern = _message_pattern(str(shapes.value(shape, SH.message)))
    for v in hits:
        assert pattern.fullmatch(v.message), f"message of another constraint: {v.message!r}"
        assert not re.search(r"\{[$?]\w+\}", v.message), f"unfilled template: {v.message!r}"
        assert v.severity == _severity(shapes, shape)

    # pyshacl attaches the result of a shape used through sh:node as sh:detail of the outer result,
    # and kg.shacl.validation currently lists details as results too: accept those, but only from the helpers.
    details = [v for v in results if _local(v.shape) is None]
    helper_messages = {
        str(m)
        for h in shapes.objects(None, SH.node)
        for ps in shapes.objects(h, SH.property)
        for m in shapes.objects(ps, SH.message)
    }
    assert all(v.message in helper_messages for v in details), report
    unexpected = {_local(v.shape) for v in results} - {case.shape, *case.also, None}
    assert not unexpected, f"other shapes fired too: {sorted(unexpected)}\n{report}"


def _sparql_cases(shapes: Graph) -> list[Case]:
    return [c for c in CASES if any(shapes.value(AIRMSH[n], SH.sparql) is not None for n in (c.shape, *c.also))]


def _comparable(results) -> list[tuple]:
    """Results without what differs between engines only in spelling: blank node labels, ^^xsd:string."""

    def norm(x):
        x = re.sub(r"_:\w+|\bn?[0-9a-f]{32}b\d+\b|\b[0-9a-f]{32}\b", "_:b", str(x))
        return x.replace(f"^^<{XSD.string}>", "")

    return sorted(tuple(norm(x) for x in (v.focus, v.path, v.value, v.shape, v.severity, v.message)) for v in results)


def test_sparql_constraints_give_the_same_results_in_the_reference_engine(shapes, valid):
    """kg.shacl.validation evaluates sh:sparql with Oxigraph by default; pyshacl is the reference (standard SHACL-SPARQL)."""
    cases = _sparql_cases(shapes)
    assert len(cases) >= 8
    for case in cases:
        g = copy(valid)
        case.mutate(g)
        fast = _comparable(validate_graphs(g, shapes))
        reference = _comparable(validate_graphs(g, shapes, engine="pyshacl"))
        assert fast == reference, f"{case.id}: engines differ\nfast: {fast}\npyshacl: {reference}"


def _constraint_shapes(shapes: Graph) -> set:
    """Every shape that can produce a validation result of its own."""
    found = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.sparql):
        found |= set(shapes.subjects(p, None))
    found |= set(shapes.objects(None, SH.property)) | set(shapes.objects(None, SH.node))
    return found


def test_every_shape_has_one_message_and_one_severity(shapes):
    problems = []
    for shape in _constraint_shapes(shapes):
        messages = list(shapes.objects(shape, SH.message))
        severities = list(shapes.objects(shape, SH.severity))
        if len(messages) != 1 or not isinstance(messages[0], Literal) or messages[0].language != "en":
            problems.append(f"{shape}: needs exactly one sh:message in English, has {messages}")
        if len(severities) != 1 or severities[0] not in (SH.Violation, SH.Warning, SH.Info):
            problems.append(f"{shape}: needs exactly one sh:severity, has {severities}")
    assert not problems, "\n".join(problems)


def test_sparql_constraints_repeat_their_shapes_message(shapes):
    """pyshacl reports a shape's sh:message *and* its SPARQL constraint's sh:message when they differ,
    so a result would carry two messages; identical literals give exactly one."""
    problems = []
    for shape, constraint in shapes.subject_objects(SH.sparql):
        if shapes.value(constraint, SH.message) != shapes.value(shape, SH.message):
            problems.append(f"{shape}: the message of its SPARQL constraint differs from its own")
        if shapes.value(constraint, SH.select) is None or shapes.value(constraint, SH.prefixes) != SHAPES_GRAPH_IRI:
            problems.append(f"{shape}: SPARQL constraint needs sh:select and sh:prefixes <{SHAPES_GRAPH_IRI}>")
        if len(list(shapes.objects(shape, SH.sparql))) != 1:
            problems.append(f"{shape}: one SPARQL constraint per shape, so that each has its own message")
    assert not problems, "\n".join(problems)


def test_every_shape_is_reachable(shapes):
    """A shape is evaluated only through a target, sh:property or sh:node: anything else is dead."""
    targets = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
    used = set(shapes.objects(None, SH.property)) | set(shapes.objects(None, SH.node))
    dead = [
        str(s)
        for s in _constraint_shapes(shapes)
        if s not in used and not any(shapes.value(s, t) is not None for t in targets)
    ]
    assert not dead, "never evaluated: " + ", ".join(sorted(dead))


def test_named_shapes_are_documented(shapes):
    problems = []
    for shape in _constraint_shapes(shapes):
        if isinstance(shape, BNode):
            # anonymous shapes only inside the helper shapes used through sh:node (no target of their own)
            owners = set(shapes.subjects(SH.property, shape))
            if not owners or any(o not in set(shapes.objects(None, SH.node)) for o in owners):
                problems.append(f"an anonymous shape of {owners or 'nobody'}: give it an airmsh: IRI")
            continue
        if not str(shape).startswith(str(AIRMSH)):
            problems.append(f"{shape}: shape IRIs live under airmsh: ({AIRMSH})")
        for p in (RDFS.label, RDFS.comment):
            if shapes.value(shape, p) is None:
                problems.append(f"{shape}: missing {p.n3(shapes.namespace_manager)}")
    assert not problems, "\n".join(problems)


def test_every_constraint_is_exercised_by_a_case(shapes):
    """A shape that can fire on its own must be the intended shape of at least one case."""
    tested = {c.shape for c in CASES}
    # the alignment shapes are exercised case by case in tests/test_alignment.py, the shapes of the
    # derived facts in tests/test_derived.py (on the real derived data)
    for own_tests in ("airm-alignment-shapes.ttl", "airm-derived-shapes.ttl"):
        tested |= {_local(f"<{s}>") for s in Graph().parse(SHAPES_DIR / own_tests).subjects()}
    helpers = set(shapes.objects(None, SH.node))  # reported by the shape that uses them
    only_structure = {
        SH.property,
        SH.targetClass,
        SH.targetSubjectsOf,
        SH.message,
        SH.severity,
        RDF.type,
        RDFS.label,
        RDFS.comment,
    }
    untested = []
    for shape in _constraint_shapes(shapes):
        if isinstance(shape, BNode) or shape in helpers:
            continue
        if set(shapes.predicates(shape, None)) <= only_structure:
            continue  # no constraint of its own
        if _local(f"<{shape}>") not in tested:
            untested.append(str(shape))
    assert not untested, "no case exercises: " + ", ".join(sorted(untested))


@pytest.mark.parametrize("path", sorted(SHAPES_DIR.glob("*.ttl")), ids=lambda p: p.name)
def test_each_shapes_file_works_alone(path, valid):
    """Every file declares its SPARQL prefixes and holds the helper shapes it uses."""
    alone = Graph().parse(path, format="turtle")
    assert alone.value(SHAPES_GRAPH_IRI, SH.declare) is not None
    assert set(alone.objects(None, SH.node)) <= set(alone.subjects(RDF.type, SH.NodeShape))
    assert validate_graphs(valid, alone) == []


def test_sparql_prefix_declarations_match_the_project_namespaces(shapes):
    """The sh:declare literals are the only base-dependent strings the SPARQL constraints use."""
    declared = {
        str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace))
        for d in shapes.objects(SHAPES_GRAPH_IRI, SH.declare)
    }
    assert declared.pop("vocab") == DEFAULT_BASE + "vocab/"
    for prefix, ns in declared.items():
        expected = PREFIXES.get(prefix)
        assert expected == ns, f"sh:declare {prefix}: {ns} differs from kg.namespaces ({expected})"


def test_shapes_files_are_canonical_and_small():
    paths = sorted(SHAPES_DIR.glob("*.ttl"))
    assert paths
    assert check_canonical(paths) == [], "run `kg fmt` on shapes/"
    for p in paths:
        assert len(p.read_text(encoding="utf-8").splitlines()) <= 650, f"{p.name}: split it"


def test_real_data_conforms(shapes) -> None:
    data_files = sorted((ROOT / "data").glob("*.ttl"))
    ontology_files = [
        ROOT / "ontology" / "airm.ttl",
        ROOT / "ontology" / "reused.ttl",
        *sorted((ROOT / "ontology" / "vocab").glob("*.ttl")),
    ]
    missing = [str(p.relative_to(ROOT)) for p in ontology_files[:2] if not p.exists()]
    if not data_files or missing or len(ontology_files) < 3:
        pytest.skip("data/*.ttl, ontology/airm.ttl or ontology/vocab/*.ttl not generated yet")
    graphs = {p: Graph().parse(p, format="turtle") for p in [*data_files, *ontology_files]}
    data, ontology = Graph(), Graph()
    for p, g in graphs.items():
        (data if p in data_files else ontology).__iadd__(g)
    results = failing(validate_graphs(data, shapes, ontology, subject_sources(graphs, ROOT)))
    by_shape: dict[str, list] = {}
    for v in results:
        by_shape.setdefault(v.shape or "?", []).append(v)
    summary = "\n".join(f"{len(vs)} x {shape}, e.g.\n  {vs[0]}" for shape, vs in sorted(by_shape.items()))
    assert not results, f"{len(results)} violations in the real data:\n{summary}"
