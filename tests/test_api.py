"""The Python API (`import kg`) does what the `kg` command does."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

import kg

from conftest import ROOT

pytestmark = pytest.mark.slow


def test_query_returns_solutions_with_project_prefixes(built_settings):
    rows = list(kg.query("SELECT ?l WHERE { mtax:1.1.3 skos:prefLabel ?l }", built_settings))
    assert [r["l"].value for r in rows] == ["Capability Modification"]


def test_query_binds_parameters_safely(built_settings):
    code = ox.Literal('2.4.1" } UNION { ?x ?y ?z')  # an injection attempt stays a literal
    rows = list(
        kg.query(
            "SELECT ?c ?code WHERE { ?c skos:notation ?code }",
            built_settings,
            substitutions={ox.Variable("code"): code},
        )
    )
    assert rows == []
    rows = list(
        kg.query(
            "SELECT ?c ?code WHERE { ?c skos:notation ?code }",
            built_settings,
            substitutions={ox.Variable("code"): ox.Literal("2.4.1")},
        )
    )
    assert [r["c"].value for r in rows] == ["https://w3id.org/airm-kg/vocab/mitigation-taxonomy/2.4.1"]


def test_validate_a_single_file_reports_only_that_file(built_settings):
    assert kg.validate([ROOT / "data" / "seed.ttl"], built_settings) == []


def test_export_by_suffix(built_settings, tmp_path):
    path = kg.export(tmp_path / "all.jsonld", settings=built_settings)
    triples = list(ox.parse(path=str(path), format=ox.RdfFormat.JSON_LD))
    assert any(t.object == ox.NamedNode("https://w3id.org/airm-kg/ontology#Mitigation") for t in triples)


def test_settings_and_version():
    assert kg.settings({"KG_PORT": "8123"}).port == 8123
    assert kg.__version__
