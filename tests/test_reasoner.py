"""HermiT through owlready2: consistency and unsatisfiable classes are reported, not hidden."""

from __future__ import annotations

import pytest
from rdflib import Graph

from kg import reasoner
from kg.errors import Inconsistent

from conftest import ROOT

pytestmark = pytest.mark.slow

ONTOLOGY = Graph().parse(ROOT / "ontology" / "airm.ttl").parse(ROOT / "ontology" / "reused.ttl")
PREFIXES = """@prefix airm: <https://w3id.org/airm-kg/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def _with(extra: str) -> Graph:
    g = Graph()
    for t in ONTOLOGY:
        g.add(t)
    g.parse(data=PREFIXES + extra, format="turtle")
    return g


def test_the_ontology_alone_is_consistent():
    report = reasoner.check(ONTOLOGY)
    assert report.consistent and report.unsatisfiable == []


@pytest.mark.parametrize(
    "extra, consistent, unsat",
    [
        ("<http://x/a> a airm:Mitigation, airm:SourceDocument .", False, []),  # disjoint classes
        ("<http://x/q> a airm:EvidenceQuote, airm:Risk .", False, []),
        (
            "airm:Both a owl:Class ; rdfs:subClassOf airm:Mitigation, airm:Risk .",
            True,
            ["https://w3id.org/airm-kg/ontology#Both"],
        ),
        (
            "<http://x/m> a airm:Mitigation ; airm:sourceDocument <http://x/d> . <http://x/d> a airm:SourceDocument ;"
            ' <http://purl.org/dc/terms/issued> "2024"^^xsd:gYear .',
            True,
            [],
        ),  # gYear is filtered, not fatal
    ],
)
def test_reasoner_reports(extra, consistent, unsat):
    report = reasoner.check(_with(extra))
    assert report.consistent is consistent
    assert report.unsatisfiable == unsat
    if not report.ok:
        with pytest.raises(Inconsistent):
            reasoner.require_ok(report)


def test_author_lists_are_kept_out_of_the_reasoner_input_but_owl_lists_stay():
    g = _with("<http://x/d> <http://purl.org/ontology/bibo/authorList> ( <http://x/p1> <http://x/p2> ) .")
    data = reasoner.reasoner_input(g)
    rdf_first = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first"
    firsts = {str(o) for s, p, o in data if str(p) == rdf_first}
    assert "http://x/p1" not in firsts
    assert "https://w3id.org/airm-kg/ontology#Mitigation" in firsts  # owl:AllDisjointClasses members
