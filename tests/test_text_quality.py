"""Text quality is data quality: the generators take labels, names and titles from the sources without
blanks around them and with mojibake undone, and say so in a note (shapes/airm-text-shapes.ttl refuses
what is left; its cases are in tests/test_shapes.py)."""

from __future__ import annotations

import pytest
import yaml
from rdflib import Graph, Literal
from rdflib.namespace import SKOS

from kg.namespaces import RDOM
from kg.records.write import tidy

from conftest import ROOT


@pytest.mark.parametrize(
    "source, clean, note",
    [
        ("Multi-agent risks ", "Multi-agent risks", "drops the blanks around it"),
        ("\tAudits\n", "Audits", "drops the blanks around it"),
        ("Donâ€™t panic", "Don’t panic", "undoes its mojibake"),
        ("Ã©valuation ", "évaluation", "drops the blanks around it and undoes its mojibake"),
        ("Gipiškis", "Gipiškis", None),
        ("Ã", "Ã", None),  # not mojibake: left alone
    ],
)
def test_tidy(source, clean, note):
    got, said = tidy(source)
    assert got == clean
    if note is None:
        assert said is None
    else:
        assert said is not None and note in said and repr(source) in said


def test_the_source_label_with_a_trailing_blank_is_normalised_with_a_note():
    data = yaml.safe_load((ROOT / "data/sources/risk-atlas-nexus/mit_ai_risk_repository_data.yaml").read_text("utf-8"))
    raw = [e["name"] for e in data["groups"] + data.get("entries", []) if e.get("id") == "mit-ai-risk-subdomain-7.6"]
    assert raw == ["Multi-agent risks "], "the source still has the stray blank this test is about"
    g = Graph().parse(ROOT / "ontology" / "vocab" / "risk-domain.ttl")
    assert g.value(RDOM["7.6"], SKOS.prefLabel) == Literal("Multi-agent risks", lang="en")
    note = str(g.value(RDOM["7.6"], SKOS.editorialNote))
    assert "'Multi-agent risks '" in note and "drops the blanks" in note
