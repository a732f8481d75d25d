"""The MIT AI Risk Mitigation Database v1 in the built store agrees with its source files."""

from __future__ import annotations

import csv
from collections import Counter

import pytest
import yaml

from conftest import ROOT, select

pytestmark = pytest.mark.slow

SRC = ROOT / "data" / "sources" / "risk-atlas-nexus"


def tsv_rows():
    with (SRC / "mit_ai_risk_mitigation_mappings.tsv").open(encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def controls():
    return yaml.safe_load((SRC / "mit_ai_risk_repository_data_controls.yaml").read_text(encoding="utf-8"))["controls"]


def test_counts_per_v1_category_equal_the_source_tsv(store):
    expected = Counter(r["object_id"].rsplit("-group-", 1)[1] for r in tsv_rows())
    rows = select(
        store,
        """
        SELECT ?code (COUNT(DISTINCT ?m) AS ?n) WHERE {
          ?k airm:classificationMethod cmethod:curator ; airm:classifies ?m ; airm:category ?c .
          ?c skos:inScheme <https://w3id.org/airm-kg/vocab/mit-v1-mitigation-taxonomy> ; skos:notation ?code }
        GROUP BY ?code""",
    )
    assert {r["code"]: int(r["n"]) for r in rows} == dict(expected)


def test_every_control_is_a_mitigation_with_its_original_identifier_and_document(store):
    rows = select(
        store,
        """
        SELECT ?id ?doc WHERE { ?m a airm:Mitigation ; dcterms:identifier ?id ;
            airm:sourceDocument/dcterms:identifier ?doc ; void:inDataset <https://w3id.org/airm-kg/dataset/mit-mitigation-database-v1> }""",
    )
    got = {r["id"]: r["doc"] for r in rows}
    assert got == {c["id"]: c["hasDocumentation"][0] for c in controls()}
    assert len(got) == 831


def test_thirteen_source_documents_and_a_cc_by_licence(store):
    rows = select(
        store,
        """
        SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?m void:inDataset <https://w3id.org/airm-kg/dataset/mit-mitigation-database-v1> ;
                                            airm:sourceDocument ?d }""",
    )
    assert rows[0]["n"] == "13"
    lic = select(
        store, "SELECT ?l WHERE { <https://w3id.org/airm-kg/dataset/mit-mitigation-database-v1> dcterms:license ?l }"
    )
    assert [r["l"] for r in lic] == ["https://creativecommons.org/licenses/by/4.0/"]


def test_names_and_evidence_are_kept_verbatim(store):
    sample = {c["id"]: c for c in controls()[::97]}
    for cid, c in sample.items():
        rows = select(
            store,
            f"""
            SELECT ?name ?quote WHERE {{ ?m a airm:Mitigation ; dcterms:identifier "{cid}" ; rdfs:label ?name .
                                        OPTIONAL {{ ?m airm:hasEvidence/airm:quoteText ?quote }} }}""",
        )
        assert rows[0]["name"] == c["name"]
        assert rows[0]["quote"] == (c["description"] or None)
