"""Results as HTML table cells: how terms are shown and where IRIs link (pure functions)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.web.tables import cell, href, of_result

BASE = "https://w3id.org/airm-kg/"


@pytest.mark.parametrize(
    "iri, root, expected",
    [
        (BASE + "mitigation/A0086_Future_of_Life_Institute2024", "", "/mitigation/A0086_Future_of_Life_Institute2024"),
        (BASE + "vocab/mitigation-taxonomy/1.1", "/kg", "/kg/vocab/mitigation-taxonomy/1.1"),
        ("https://futureoflife.org/document/x/", "", "https://futureoflife.org/document/x/"),
        ("javascript:alert(1)", "", ""),  # never a link a page would follow
        ("urn:isbn:123", "", ""),
        (BASE, "", BASE),
    ],
)
def test_href(iri, root, expected):
    assert href(iri, BASE, root) == expected


@pytest.mark.parametrize(
    "term, kind, text, note, number",
    [
        (ox.NamedNode(BASE + "document/shi2024"), "iri", "kg:document/shi2024", "", False),
        (ox.Literal("Risk Management", language="en"), "literal", "Risk Management", "en", False),
        (ox.Literal("x"), "literal", "x", "", False),
        (
            ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
            "literal",
            "42",
            "xsd:integer",
            True,
        ),
        (
            ox.Literal("2024", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")),
            "literal",
            "2024",
            "xsd:gYear",
            False,
        ),
        (None, "", "", "", False),
    ],
)
def test_cell(term, kind, text, note, number):
    c = cell(term, BASE)
    assert (c.kind, c.text, c.note, c.number) == (kind, text, note, number)


def test_tables_of_each_kind_of_result():
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("v")))
    select = of_result(store.query("SELECT ?s ?o WHERE { ?s ?p ?o }"), BASE)
    assert (select.columns, select.count, select.records()[0]["o"].text) == (["s", "o"], 1, "v")
    construct = of_result(store.query("CONSTRUCT WHERE { ?s ?p ?o }"), BASE)
    assert (construct.columns, construct.count) == (["subject", "predicate", "object"], 1)
    assert of_result(store.query("ASK { ?s ?p ?o }"), BASE).boolean is True
    many = of_result(store.query("SELECT ?n WHERE { VALUES ?n { 1 2 3 } }"), BASE, limit=2)
    assert (many.count, many.truncated) == (2, True)
