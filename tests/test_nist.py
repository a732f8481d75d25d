"""data/nist-ai-600-1.ttl: the 212 suggested actions of NIST AI 600-1 say what the Nexus YAML says,
as mitigations of the document data/mit-v1.ttl already describes, with our AI RMF functions; and the
203 MIT v1 controls citing NIST AI 600-1 are linked to them, one to one, never merged."""

from __future__ import annotations

import copy
import re

import pytest
import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg.errors import InputError
from kg.generate import nist
from kg.namespaces import AIRM, FN, KG

from conftest import ROOT

NEXUS = ROOT / "data" / "sources" / "risk-atlas-nexus"
ACTIONS = yaml.safe_load((NEXUS / "nist_ai_rmf_actions_data.yaml").read_text(encoding="utf-8"))["actions"]
NIST_DATA = yaml.safe_load((NEXUS / "nist_ai_rmf_data.yaml").read_text(encoding="utf-8"))
RISKS = [e for e in NIST_DATA["entries"] if e["type"] == "Risk"]
DOC = KG["document/NIST.AI.600-1"]


@pytest.fixture(scope="module")
def g() -> Graph:
    return Graph().parse(ROOT / "data" / "nist-ai-600-1.ttl")


@pytest.fixture(scope="module")
def v1() -> Graph:
    return Graph().parse(ROOT / "data" / "mit-v1.ttl")


def test_212_actions_are_mitigations_of_nist_ai_600_1(g):
    mitigations = set(g.subjects(RDF.type, AIRM.Mitigation))
    assert len(ACTIONS) == len(mitigations) == 212
    for a in ACTIONS:
        m = nist.mitigation_iri(a["id"])
        assert m in mitigations
        assert g.value(m, AIRM.sourceDocument) == DOC
        assert g.value(m, DCTERMS.identifier) == Literal(a["id"])
        assert g.value(m, RDFS.label) == Literal(a["name"])
        quote = g.value(m, AIRM.hasEvidence)
        assert g.value(quote, AIRM.quoteText) == Literal(str(a["description"]).strip()), "verbatim text"
        assert g.value(quote, AIRM.quotedFrom) == DOC


def test_the_document_is_referred_to_not_described_again(g, v1):
    assert (DOC, RDF.type, AIRM.SourceDocument) in v1
    assert set(g.predicates(DOC, None)) == {AIRM.documentMitigation}
    assert (None, None, DOC) in g


def test_functions_are_our_concepts_and_subcategory_codes_are_notations(g):
    fn = {"GV": FN.govern, "MP": FN.map, "MS": FN.measure, "MG": FN.manage}
    for a in ACTIONS:
        m = nist.mitigation_iri(a["id"])
        assert list(g.objects(m, AIRM.primaryAIRMFunction)) == [fn[a["id"][:2]]]
        sub = g.value(m, AIRM.airmfSubcategory)
        code = re.match(r"^([A-Z]{2}-\d+\.\d+)-\d{3}$", a["id"]).group(1)
        assert g.value(sub, SKOS.notation) == Literal(code)
        category = g.value(sub, SKOS.broader)
        assert g.value(category, SKOS.notation) == Literal(code.split(".")[0])
        for concept in (sub, category):
            assert (concept, RDF.type, AIRM.AIRMFCategory) in g
            assert (concept, AIRM.nameStatus, AIRM.NameUnknown) in g, "names are not in the sources: never invented"
            assert g.value(concept, SKOS.prefLabel) is None


def test_risks_are_risk_categories_addressed_as_the_yaml_says(g):
    assert len(RISKS) == 12
    for r in RISKS:
        concept = nist.risk_iri(r["id"])
        assert (concept, RDF.type, AIRM.RiskCategory) in g
        assert g.value(concept, SKOS.prefLabel) == Literal(" ".join(r["name"].split()), lang="en")
        assert g.value(concept, DCTERMS.identifier) == Literal(r["id"])
        addressing = {str(m) for m in g.subjects(AIRM.addressesRisk, concept)}
        assert addressing == {str(nist.mitigation_iri(a)) for a in r.get("hasRelatedAction") or []}


def test_what_the_source_leaves_out_stays_out(g):
    """Nexus lost 'Harmful Bias and Homogenization' and 'Environmental Impacts' from every action (its raw
    CSV has them): 20 actions have no risk and 2 risks no action. Recorded, not repaired by guessing."""
    without = [a["id"] for a in ACTIONS if not a.get("hasRelatedRisk")]
    assert len(without) == 20
    assert all((nist.mitigation_iri(a), AIRM.addressesRisk, None) not in g for a in without)
    unaddressed = {str(r) for r in g.subjects(RDF.type, AIRM.RiskCategory)} - {
        str(o) for o in g.objects(None, AIRM.addressesRisk)
    }
    assert unaddressed == {
        str(nist.risk_iri("nist-environmental-impacts")),
        str(nist.risk_iri("nist-harmful-bias-and-homogenization")),
    }


def test_actor_tasks_are_concepts_and_spelling_variants_are_hidden_labels(g):
    names = {t for a in ACTIONS for t in a["hasAiActorTask"]}
    tasks = set(g.subjects(RDF.type, AIRM.AIActorTask))
    assert len(names) == 15 and len(tasks) == 13  # "third-party entities", "End Users" are variants
    for a in ACTIONS:
        got = {str(g.value(t, SKOS.prefLabel)) for t in g.objects(nist.mitigation_iri(a["id"]), AIRM.aiActorTask)}
        hidden = {
            str(h)
            for t in g.objects(nist.mitigation_iri(a["id"]), AIRM.aiActorTask)
            for h in g.objects(t, SKOS.hiddenLabel)
        }
        assert set(a["hasAiActorTask"]) <= got | hidden
    third = nist.task_iri("Third-party entities")
    assert g.value(third, SKOS.hiddenLabel) == Literal("third-party entities", lang="en")


def test_the_dataset_keeps_origin_and_licence(g):
    ds = nist.DATASET
    assert g.value(ds, DCTERMS.license) == nist.APACHE
    assert "US Government" in str(g.value(ds, DCTERMS.rights))
    assert all(
        g.value(nist.mitigation_iri(a["id"]), URIRef("http://rdfs.org/ns/void#inDataset")) == ds for a in ACTIONS
    )


def test_inconsistent_sources_are_refused():
    actions = copy.deepcopy(ACTIONS)
    actions[0]["hasRelatedRisk"] = actions[0]["hasRelatedRisk"] + ["nist-confabulation"]
    with pytest.raises(InputError, match="differ"):
        nist.check(actions, RISKS, NIST_DATA)
    actions = copy.deepcopy(ACTIONS)
    actions[1]["id"] = "GV-1.2"
    with pytest.raises(InputError, match="action id"):
        nist.check(actions, RISKS, NIST_DATA)
    actions = copy.deepcopy(ACTIONS)
    actions[2]["hasDocumentation"] = ["NIST.AI.100-1"]
    with pytest.raises(InputError, match="cites"):
        nist.check(actions, RISKS, NIST_DATA)


# --- the MIT v1 controls that are the same actions ---------------------------------------------------


def test_the_203_v1_controls_citing_nist_are_matched_one_to_one():
    controls = yaml.safe_load((NEXUS / "mit_ai_risk_repository_data_controls.yaml").read_text(encoding="utf-8"))[
        "controls"
    ]
    citing = {c["id"] for c in controls if c.get("hasDocumentation") == ["NIST.AI.600-1"]}
    matches = nist.match_v1_controls(ROOT)
    assert {m.control for m in matches} == citing and len(citing) == 203
    assert len({m.action for m in matches}) == 203
    assert sum(m.runner_up is None for m in matches) == 197, "197 identical texts"
    assert all(m.score >= nist.THRESHOLD and m.score - (m.runner_up or 0) >= nist.MARGIN for m in matches)


def test_matched_records_stay_two_resources_linked_by_exact_match(v1, g):
    mapping = Graph().parse(ROOT / "ontology" / "mappings" / "mit-v1-to-nist-ai-600-1.ttl")
    pairs = set(mapping.subject_objects(SKOS.exactMatch))
    assert len(pairs) == 203
    for control, action in pairs:
        assert (control, RDF.type, AIRM.Mitigation) in v1 and (action, RDF.type, AIRM.Mitigation) in g
        assert control != action
    for graph in (v1, g, mapping):
        assert (None, OWL.sameAs, None) not in graph
