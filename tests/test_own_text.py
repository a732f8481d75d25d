"""Text the project wrote is marked as its own, and no definition cites a source the project does not
ship (docs/model.md, "Text the project wrote"); names the reference only infers are marked inferred."""

from __future__ import annotations

import pytest
import yaml
from rdflib import Graph, Literal
from rdflib.namespace import RDF, SKOS

from kg.generate.skos import OWN_DEFINITION
from kg.iris import slug
from kg.namespaces import ACTOR, AIRM, MTAX, NS, STAGE, bind_all

from conftest import ROOT

REFERENCE = ROOT / "data" / "sources" / "reference" / "mitigation-taxonomy-v2.yaml"
OWN = Literal(OWN_DEFINITION, lang="en")


@pytest.fixture(scope="module")
def g() -> Graph:
    out = Graph()
    bind_all(out)
    for path in [*(ROOT / "ontology" / "vocab").glob("*.ttl"), ROOT / "data" / "nist-ai-600-1.ttl"]:
        out.parse(path, format="turtle")
    return out


def scheme_members(g: Graph, name: str) -> set:
    return set(g.subjects(SKOS.inScheme, g.namespace_manager.expand_curie(f"kg:vocab/{name}")))


def test_no_shipped_file_cites_an_appendix_no_source_has():
    files = [*ROOT.glob("ontology/**/*.ttl"), *ROOT.glob("data/*.ttl"), *ROOT.glob("data/mappings/*.tsv")]
    assert files
    assert not [p for p in files if "Appendix A" in p.read_text(encoding="utf-8")]


def test_the_definitions_the_project_wrote_are_marked_its_own(g):
    own = set(g.subjects(SKOS.editorialNote, OWN))
    tasks = scheme_members(g, "nist-ai-actor-task")
    nist_codes = scheme_members(g, "nist-ai-rmf-subcategory")
    domains = {c for c in scheme_members(g, "risk-domain") if "." not in str(g.value(c, SKOS.notation))}
    unnamed = set(g.subjects(AIRM.nameStatus, AIRM.NameUnknown)) & scheme_members(g, "mitigation-taxonomy")
    assert (
        len(tasks) == len(set(g.subjects(RDF.type, AIRM.AIActorTask))) > 10
        and len(domains) == 7
        and len(nist_codes) > 50
    )
    ref = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    assert len(unnamed) == sum(e["name"] is None for e in ref["taxonomy"]) > 0
    assert tasks | nist_codes | domains | unnamed <= own
    assert len(own) >= 90


def test_definitions_a_source_gives_are_not_marked(g):
    own = set(g.subjects(SKOS.editorialNote, OWN))
    seed_text = " ".join(
        " ".join(p.read_text(encoding="utf-8").split()) for p in (ROOT / "data/sources/seeds").glob("*.txt")
    )
    from_seeds = {c for c, d in g.subject_objects(SKOS.definition) if str(d) in seed_text}
    gai_risks = scheme_members(g, "nist-gai-risk")
    subdomains = {c for c in scheme_members(g, "risk-domain") if "." in str(g.value(c, SKOS.notation))}
    assert len(from_seeds) >= 6 and {MTAX["1.1.3"], ACTOR.developer} <= from_seeds
    assert not (from_seeds | gai_risks | subdomains) & own


def test_names_the_reference_infers_are_marked_inferred(g):
    ref = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    expected = {STAGE[slug(e["label"])] for e in ref["lifecycle_stages"] if e["status"] == "inferred"}
    expected |= {ACTOR[slug(e["label"])] for e in ref["actors"] if e["status"] == "inferred"}
    assert len(expected) == 5
    assert set(g.subjects(AIRM.nameStatus, AIRM.NameInferred)) == expected
    assert all((c, RDF.type, SKOS.Concept) in g and g.value(c, SKOS.prefLabel) for c in expected)
    assert str(AIRM.NameInferred).startswith(NS.airm)
