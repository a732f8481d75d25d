"""data/nist-ai-600-1.ttl: the 212 suggested actions of NIST AI 600-1 say what the Nexus YAML says
(their risks what the raw CSV extraction says),
as mitigations of the document data/mit-v1.ttl already describes, with our AI RMF functions; and the
203 MIT v1 controls citing NIST AI 600-1 are linked to them, one to one, never merged."""

from __future__ import annotations

import copy
import csv
import hashlib
import re
import shutil

import pytest
import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg.errors import InputError
from kg.generate import nist, nist_risks
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


def csv_risks() -> dict[str, set[str]]:
    """Each action's risk ids read here from the raw CSV and the spelling table, independently of the
    generator: names as Nexus spells them, else the table's row."""
    names = {" ".join(r["name"].split()): r["id"] for r in RISKS}
    table = {}
    lines = (ROOT / nist_risks.SPELLINGS).read_text(encoding="utf-8").splitlines()
    for line in [x for x in lines if x and not x.startswith("#")][1:]:
        spelling, ids, _note = line.split("\t")
        table[spelling] = set(ids.split())
    with (ROOT / nist_risks.CSV).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for row in rows:
        spellings = [s.strip() for s in row["NIST GAI Risks"].split(";") if s.strip()]
        out[row["NIST Action ID"]] = set().union(*({names[s]} if s in names else table[s] for s in spellings))
    return out


def test_risks_are_risk_categories_addressed_as_the_raw_csv_says(g):
    assert len(RISKS) == 12
    expected = csv_risks()
    assert len(expected) == len(ACTIONS)
    for r in RISKS:
        concept = nist.risk_iri(r["id"])
        assert (concept, RDF.type, AIRM.RiskCategory) in g
        assert g.value(concept, SKOS.prefLabel) == Literal(" ".join(r["name"].split()), lang="en")
        assert g.value(concept, DCTERMS.identifier) == Literal(r["id"])
        addressing = {str(m) for m in g.subjects(AIRM.addressesRisk, concept)}
        assert addressing == {str(nist.mitigation_iri(a)) for a, ids in expected.items() if r["id"] in ids}
        assert addressing, f"{r['id']} is addressed by no action"
    for a in ACTIONS:
        got = {str(o) for o in g.objects(nist.mitigation_iri(a["id"]), AIRM.addressesRisk)}
        assert got == {str(nist.risk_iri(r)) for r in expected[a["id"]]}


def test_the_csv_is_more_complete_than_the_yaml_and_keeps_all_it_says(g):
    """Nexus's YAML lost 'Harmful Bias and Homogenization' and 'Environmental Impacts' from every action;
    the counts here come from the CSV, compared with the YAML."""
    expected = csv_risks()
    yaml_risks = {a["id"]: set(a.get("hasRelatedRisk") or []) for a in ACTIONS}
    assert all(yaml_risks[a] <= expected[a] for a in expected)
    fuller = [a for a in expected if len(expected[a]) > len(yaml_risks[a])]
    assert fuller, "the CSV names more risks than the YAML for some actions"
    for rid in ("nist-harmful-bias-and-homogenization", "nist-environmental-impacts"):
        n = sum(rid in ids for ids in expected.values())
        assert n > 0 and not any(rid in ids for ids in yaml_risks.values())
        assert len(set(g.subjects(AIRM.addressesRisk, nist.risk_iri(rid)))) == n


def test_the_raw_csv_and_the_spelling_table_ship_with_their_checksums():
    readme = (ROOT / "data" / "sources" / "README.md").read_text(encoding="utf-8")
    for rel in (nist_risks.CSV, nist_risks.SPELLINGS):
        digest = hashlib.sha256((ROOT / rel).read_bytes()).hexdigest()
        assert f"{digest}  {rel.removeprefix('data/sources/')}" in readme, rel


def test_an_unknown_spelling_is_refused_with_its_row(tmp_path):
    for rel in (nist_risks.CSV, nist_risks.SPELLINGS):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    path = tmp_path / nist_risks.CSV
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Data Privacy; Harmful Bias", "Data Privacy; Harmful Bais", 1), encoding="utf-8")
    with pytest.raises(
        InputError, match=r"row 2 \(GV-1.1-001\).*unknown spelling 'Harmful Bais and Homogenization'.*spellings.tsv"
    ):
        nist_risks.action_risks(tmp_path, ACTIONS, RISKS)
    path.write_text(text, encoding="utf-8")
    table = tmp_path / nist_risks.SPELLINGS
    table.write_text(table.read_text(encoding="utf-8") + "Risky\tnist-no-such-risk\tnote\n", encoding="utf-8")
    with pytest.raises(InputError, match="'nist-no-such-risk' is not a risk"):
        nist_risks.action_risks(tmp_path, ACTIONS, RISKS)


def test_the_csv_must_keep_what_the_yaml_says():
    actions = copy.deepcopy(ACTIONS)
    actions[0]["hasRelatedRisk"] = ["nist-confabulation"]
    with pytest.raises(InputError, match="GV-1.1-001 lacks 'nist-confabulation'"):
        nist_risks.action_risks(ROOT, actions, RISKS)


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
