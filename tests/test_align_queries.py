"""The cross-vocabulary named queries (queries/align-*.rq) and the /mappings page, run through
`kg.api.query` against a build made for this module (without the reasoner). Each expected answer is
computed in Python from the SSSOM files, the extracts and the source files, not by SPARQL."""

from __future__ import annotations

import warnings
from collections import defaultdict

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg import align, api
from kg.generate import nist
from kg.namespaces import AIRM, CMETHOD, KG, RDOM, V1TAX
from kg.sparql import named

from conftest import ROOT, project_settings

CATALOGUE = named.load_all(ROOT / "queries")
ALIGN = sorted(n for n in CATALOGUE if n.startswith("align-"))
SETS = align.mapping_sets(ROOT)
DPV = Namespace("https://w3id.org/dpv#")
RISK = Namespace("https://w3id.org/dpv/risk#")
AIRO = Namespace("https://w3id.org/airo#")
NEXUS = Namespace("https://w3id.org/ai-atlas-nexus/")
NIST_DOC = KG["document/NIST.AI.600-1"]


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    s = project_settings(build_dir=tmp_path_factory.mktemp("align-build"), reasoner=False)
    api.build(s)
    return s


def run(settings, name: str, **values) -> list[dict]:
    query = CATALOGUE[name]
    result = api.query(query.text, settings, query.substitutions(values))
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


# --- what the files say ---------------------------------------------------------------------------------

ROWS = [
    {
        **row,
        "set": ms.name,
        "s": ms.iri(row["subject_id"], ""),
        "p": ms.iri(row["predicate_id"], ""),
        "o": ms.iri(row["object_id"], ""),
        "m": ms.iri(row["record_id"], ""),
        "j": ms.iri(row["mapping_justification"], ""),
    }
    for ms in SETS
    for row in ms.rows
]


@pytest.fixture(scope="module")
def files() -> Graph:
    g = Graph()
    for p in [
        ROOT / "ontology" / "airm.ttl",
        ROOT / "ontology" / "reused.ttl",
        ROOT / "ontology" / "alignment.ttl",
        ROOT / "ontology" / "nist.ttl",
        *(ROOT / "ontology" / "vocab").glob("*.ttl"),
        *(ROOT / "ontology" / "imports").glob("*.ttl"),
        *(ROOT / "data").glob("*.ttl"),
    ]:
        g.parse(p, format="turtle")
    return g


def below(g: Graph, concept) -> set:
    """The concept and every concept under it (skos:broader, transitively)."""
    return set(g.transitive_subjects(SKOS.broader, URIRef(concept)))


def subclasses(g: Graph, cls) -> set[str]:
    return {str(c) for c in g.transitive_subjects(RDFS.subClassOf, URIRef(cls))}


@pytest.fixture(scope="module")
def derived() -> Graph:
    """The facts `kg generate` derives from the mapping sets (data/derived/)."""
    g = Graph()
    for p in sorted((ROOT / "data" / "derived").glob("*.ttl")):
        g.parse(p, format="turtle")
    return g


def derived_reached(files: Graph, derived: Graph, subject: str) -> set[str]:
    """The mitigations a term reaches only through a derived fact: a derived category that is effective
    (no other method classified the mitigation in that taxonomy), a derived lifecycle stage or actor."""
    s = URIRef(subject)
    if (s, RDF.type, OWL.Class) in files:
        return set()
    out = set()
    under = below(files, s)
    for c in derived.subjects(AIRM.classificationMethod, CMETHOD.derived):
        m, cat = derived.value(c, AIRM.classifies), derived.value(c, AIRM.category)
        scheme = files.value(cat, SKOS.inScheme)
        others = {
            files.value(k, SKOS.inScheme)
            for o in files.subjects(AIRM.classifies, m)
            for k in files.objects(o, AIRM.category)
        }
        if cat in under and scheme not in others:
            out.add(str(m))
    for p in (AIRM.derivedLifecycleStage, AIRM.derivedActor):
        out |= {str(m) for m in derived.subjects(p, s)}
    return out


def reached(g: Graph, subject: str) -> set[str]:
    """The mitigations an AIRM-KG term reaches, as align-linked-to says it does."""
    s = URIRef(subject)
    if (s, RDF.type, OWL.Class) in g:
        return set()
    out = set()
    for c in below(g, s):
        out |= {str(m) for m in g.subjects(AIRM.mitigationCategory, c)}
        out |= {str(m) for m in g.subjects(AIRM.addressesRisk, c)}
    for p in (
        AIRM.primaryLifecycleStage,
        AIRM.otherLifecycleStage,
        AIRM.primaryActor,
        AIRM.otherActor,
        AIRM.primaryAIRMFunction,
        AIRM.otherAIRMFunction,
        AIRM.aiActorTask,
    ):
        out |= {str(m) for m in g.subjects(p, s)}
    return out


# --- the query files ---------------------------------------------------------------------------------------


def test_the_align_queries_exist_and_run_as_shipped(settings):
    assert set(ALIGN) >= {
        "align-linked-to",
        "align-dpv-control-mitigations",
        "align-risk-domain-mitigations",
        "align-nist-actions-in-category",
        "align-mapping-sets",
        "align-foreign-terms",
    }
    for name in ALIGN:
        q = CATALOGUE[name]
        assert q.title and q.description and "alignment" in q.tags
        assert run(settings, name), f"{name} answers nothing with its defaults"


def test_align_mapping_sets_lists_every_set_with_its_counts(settings):
    rows = {r["name"]: r for r in run(settings, "align-mapping-sets")}
    assert set(rows) == {ms.name for ms in SETS}
    for ms in SETS:
        r = rows[ms.name]
        preds = [row["predicate_id"] for row in ms.rows]
        assert int(r["mappings"]) == len(ms.rows)
        for col, pred in (
            ("exact", "skos:exactMatch"),
            ("close", "skos:closeMatch"),
            ("broad", "skos:broadMatch"),
            ("narrow", "skos:narrowMatch"),
            ("related", "skos:relatedMatch"),
        ):
            assert int(r[col]) == preds.count(pred), (ms.name, col)
        assert int(r["logical"]) == sum(p.startswith("rdfs:") for p in preds)
        assert set(r["justifications"].split(", ")) == {row["mapping_justification"][7:] for row in ms.rows}
        mean = sum(float(row["confidence"]) for row in ms.rows) / len(ms.rows)
        assert float(r["meanConfidence"]) == pytest.approx(mean, abs=0.006)
        assert r["license"] == ms.meta["license"] and r["title"] == ms.meta["mapping_set_title"]


@pytest.mark.parametrize(
    "iri",
    [
        str(DPV.Audit),
        str(AIRO.AIDeveloper),
        str(DPV.OrganisationalMeasure),
        str(NEXUS["mit-ai-risk-subdomain-2.1"]),
        str(RISK.RiskControl),
    ],
)
def test_align_linked_to_a_foreign_iri_gives_mitigations_with_justification_and_confidence(
    settings, files, derived, iri
):
    """The done-when of the issue: take an AIRO/DPV (or Nexus) IRI, get everything linked to it; with
    derived=false only through what the sources and curators state, by default through derived facts too."""
    rows = run(settings, "align-linked-to", iri=iri, derived="false")
    targets = subclasses(files, iri)
    expected_mappings = {r["m"]: r for r in ROWS if r["o"] in targets}
    assert expected_mappings, iri
    assert {r["mapping"] for r in rows} == set(expected_mappings)
    for r in rows:
        row = expected_mappings[r["mapping"]]
        assert (r["subject"], r["predicate"], r["justification"]) == (row["s"], row["p"], row["j"])
        assert float(r["confidence"]) == float(row["confidence"])
        assert r["set"] == align.MAPPING_SET + row["set"]
    got = {(r["mapping"], r["mitigation"]) for r in rows if r["mitigation"]}
    expected = {(m, mit) for m, row in expected_mappings.items() for mit in reached(files, row["s"])}
    assert got == expected
    rows = run(settings, "align-linked-to", iri=iri)
    got = {(r["mapping"], r["mitigation"]) for r in rows if r["mitigation"]}
    expected |= {(m, mit) for m, row in expected_mappings.items() for mit in derived_reached(files, derived, row["s"])}
    assert got == expected


def test_align_dpv_control_mitigations_reach_the_categories_mapped_below_the_control(settings, files, derived):
    for control in (RISK.MonitorControl, DPV.OrganisationalMeasure):
        rows = run(settings, "align-dpv-control-mitigations", control=str(control), derived="false")
        targets = subclasses(files, control)
        expected = set()
        for r in ROWS:
            if r["o"] in targets and (URIRef(r["s"]), RDF.type, AIRM.MitigationCategory) in files:
                for c in below(files, r["s"]):
                    expected |= {(r["s"], r["o"], str(m)) for m in files.subjects(AIRM.mitigationCategory, c)}
        assert expected
        assert {(r["category"], r["mappedTo"], r["mitigation"]) for r in rows} == expected
        rows = run(settings, "align-dpv-control-mitigations", control=str(control))
        for r in ROWS:
            if r["o"] in targets and (URIRef(r["s"]), RDF.type, AIRM.MitigationCategory) in files:
                expected |= {(r["s"], r["o"], m) for m in derived_reached(files, derived, r["s"])}
        assert {(r["category"], r["mappedTo"], r["mitigation"]) for r in rows} == expected
    monitoring = {r["category"] for r in run(settings, "align-dpv-control-mitigations")}
    assert str(V1TAX["3.5"]) in monitoring  # post-deployment monitoring is a DPV monitor control


@pytest.mark.parametrize(
    "risk", [str(NEXUS["mit-ai-risk-domain-2"]), str(RDOM["3.1"]), str(NEXUS["mit-ai-risk-subdomain-6.6"])]
)
def test_align_risk_domain_mitigations_given_by_the_mit_or_nexus_iri(settings, files, risk):
    rows = run(settings, "align-risk-domain-mitigations", risk=risk)
    identity = {r["o"]: r["s"] for r in ROWS if r["set"] == "vocabularies-to-nexus"}
    domain = identity.get(risk, risk)
    subdomains = {str(c) for c in below(files, domain)}
    to_nist = defaultdict(set)
    for r in ROWS:
        if r["set"] == "nist-gai-risk-to-mit-risk-domain" and r["o"] in subdomains:
            to_nist[r["s"]].add(r["o"])
    expected = set()
    for aid, rids in nist.read_sources(ROOT).action_risks.items():
        for rid in rids:
            for sub in to_nist.get(str(nist.risk_iri(rid)), ()):
                expected.add((str(nist.mitigation_iri(aid)), sub))
    for sub in subdomains:
        expected |= {(str(m), sub) for m in files.subjects(AIRM.addressesRisk, URIRef(sub))}
    assert {(r["mitigation"], r["subdomain"]) for r in rows} == expected
    assert expected


@pytest.mark.parametrize("category", ["v1tax:3.5", "mtax:2.3.3", "v1tax:1"])
def test_align_nist_actions_in_category_beside_the_mit_mitigations(settings, files, category):
    rows = run(settings, "align-nist-actions-in-category", category=category)
    iri = named.iri(category).value
    classified_in = {str(c) for c in below(files, iri)}
    for r in ROWS:  # v1 categories mapped to the category (or below it) by the v1 -> v2 set
        if (
            r["set"] == "mit-v1-to-mitigation-taxonomy"
            and r["p"] != str(SKOS.broadMatch)
            and r["p"] != str(SKOS.relatedMatch)
            and r["o"] in classified_in
        ):
            classified_in.add(r["s"])
    classified = {str(m) for c in classified_in for m in files.subjects(AIRM.mitigationCategory, URIRef(c))}
    matched = {r["s"]: r["o"] for r in ROWS if r["set"] == "mit-v1-to-nist-ai-600-1"}
    expected_actions = {matched[m] for m in classified if m in matched}
    expected_mit = {m for m in classified if m not in matched}
    got = defaultdict(set)
    for r in rows:
        got[r["kind"]].add(r["mitigation"])
    assert got["NIST AI 600-1 action"] == expected_actions and expected_actions
    assert got["MIT mitigation"] == expected_mit
    for r in rows:
        if r["kind"] == "NIST AI 600-1 action":
            assert (URIRef(r["mitigation"]), AIRM.sourceDocument, NIST_DOC) in files
            assert r["subcategory"] and r["function"] and float(r["confidence"]) >= 0.95


def test_align_foreign_terms_with_their_ontology_and_mapping_counts(settings, files):
    rows = run(settings, "align-foreign-terms")
    counts = defaultdict(int)
    for r in ROWS:
        if align.module_of(r["o"]) is not None:
            counts[r["o"]] += 1
    assert {r["term"]: int(r["mappings"]) for r in rows} == counts
    for r in rows:
        assert (URIRef(r["term"]), RDFS.isDefinedBy, URIRef(r["ontology"])) in files


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_mappings_page_lists_every_set(settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from kg.web.app import create_app

    with TestClient(create_app(settings)) as client:
        html = client.get("/mappings", headers={"Accept": "text/html"})
        assert html.status_code == 200
        for ms in SETS:
            assert ms.name in html.text
        csv = client.get("/mappings", headers={"Accept": "text/csv"})
        assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == len(SETS) + 1
