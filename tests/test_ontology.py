"""The ontology is documented and declared the way OWL 2 DL and its users need."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.namespaces import AIRM, ONTOLOGY_IRI, VS

from conftest import ROOT

# the ontology and the module declaring the terms it reuses (ontology/reused.ttl, imported by it)
G = Graph().parse(ROOT / "ontology" / "airm.ttl").parse(ROOT / "ontology" / "reused.ttl")
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
OWN_TERMS = sorted({s for s in G.subjects() if isinstance(s, URIRef) and str(s).startswith(str(AIRM))})


def test_ontology_header():
    onto = URIRef(ONTOLOGY_IRI)
    assert (onto, RDF.type, OWL.Ontology) in G
    for p in (
        OWL.versionIRI,
        URIRef("http://purl.org/dc/terms/license"),
        URIRef("http://purl.org/dc/terms/creator"),
        URIRef("http://purl.org/dc/terms/title"),
    ):
        assert G.value(onto, p) is not None, p


@pytest.mark.parametrize("term", OWN_TERMS, ids=lambda t: t.split("#")[-1])
def test_every_term_has_label_definition_status_and_is_defined_by(term):
    missing = [p for p in (RDFS.label, SKOS.definition, VS.term_status, RDFS.isDefinedBy) if G.value(term, p) is None]
    assert not missing, f"{term} lacks {missing}: add them in ontology/airm.ttl"
    assert any(G.value(term, RDF.type) == k or (term, RDF.type, k) in G for k in KINDS)


def test_every_used_property_is_declared_exactly_once_as_object_data_or_annotation_property():
    props = {p for p in G.predicates() if p != RDF.type}
    props |= {s for k in KINDS[1:4] for s in G.subjects(RDF.type, k)}
    for p in props:
        if str(p).startswith((str(RDF), str(RDFS), str(OWL))):
            continue
        kinds = [k for k in KINDS[1:4] if (p, RDF.type, k) in G]
        assert len(kinds) == 1, f"{p} declared as {kinds}"


@pytest.mark.parametrize(
    "prop",
    sorted(s for s in G.subjects(RDF.type, OWL.ObjectProperty) if isinstance(s, URIRef) and s.startswith(str(AIRM))),
    ids=lambda t: t.split("#")[-1],
)
def test_object_properties_have_a_range_and_inverses_are_paired(prop):
    assert G.value(prop, RDFS.range) is not None
    inverse = G.value(prop, OWL.inverseOf)
    if inverse is not None:
        assert G.value(inverse, RDFS.domain) == G.value(prop, RDFS.range)
        assert G.value(inverse, RDFS.range) == G.value(prop, RDFS.domain)


def test_the_ontology_imports_the_extracts_that_declare_the_foreign_terms_its_document_uses():
    """Every foreign class or property that the served ontology document (ontology/airm.ttl and the
    axioms on its terms in ontology/alignment.ttl) names is declared in the ontology or in one of the
    shipped extracts it imports (OWL 2 DL: every entity declared in the imports closure)."""
    imports = sorted(G.objects(URIRef(ONTOLOGY_IRI), OWL.imports))
    assert imports, "the ontology declares owl:imports of the extracts"
    closure = Graph()
    for t in G:
        closure.add(t)
    for imported in imports:
        path = ROOT / (str(imported).removeprefix("https://w3id.org/airm-kg/") + ".ttl")
        closure.parse(path)
    document = Graph().parse(ROOT / "ontology" / "alignment.ttl")
    used = {
        o
        for s, p, o in document
        if isinstance(s, URIRef) and str(s).startswith(str(AIRM)) and p in (RDFS.subClassOf, RDFS.subPropertyOf)
    }
    foreign = {o for o in used if isinstance(o, URIRef) and not str(o).startswith(str(AIRM))}
    assert foreign, "the alignment places our terms under foreign ones"
    undeclared = [o for o in foreign if not any((o, RDF.type, k) in closure for k in KINDS)]
    assert undeclared == [], f"not declared in the ontology's imports closure: {undeclared}"
