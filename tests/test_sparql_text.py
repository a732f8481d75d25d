"""Query-text helpers of kg.sparql.execute: pure functions, table tests."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.sparql.execute import run
from kg.sparql.syntax import escape_dotted_names


@pytest.mark.parametrize(
    "query, expected",
    [
        ("SELECT * { mtax:1.1.3 ?p ?o }", r"SELECT * { mtax:1.1\.3 ?p ?o }"),
        ("SELECT * { ?s ?p mtax:1.1.3 . ?s ?p v1tax:2.10 }", r"SELECT * { ?s ?p mtax:1.1\.3 . ?s ?p v1tax:2.10 }"),
        ("SELECT * { :1.2.3.4 ?p ?o }", r"SELECT * { :1.2\.3\.4 ?p ?o }"),
        ('SELECT * { ?s ?p "mtax:1.1.3" }', 'SELECT * { ?s ?p "mtax:1.1.3" }'),  # strings untouched
        ("SELECT * { <http://x/mtax:1.1.3> ?p ?o }", "SELECT * { <http://x/mtax:1.1.3> ?p ?o }"),  # IRIs untouched
        ("# mtax:1.1.3\nASK {}", "# mtax:1.1.3\nASK {}"),  # comments untouched
        ("SELECT * { ?s ?p 1.1 }", "SELECT * { ?s ?p 1.1 }"),  # numbers untouched
        (r"SELECT * { mtax:1.1\.3 ?p ?o }", r"SELECT * { mtax:1.1\.3 ?p ?o }"),  # already escaped
    ],
)
def test_escape_dotted_names(query, expected):
    assert escape_dotted_names(query) == expected


def test_a_three_level_code_as_prefixed_name_reaches_its_iri():
    store = ox.Store()
    iri = ox.NamedNode("https://w3id.org/airm-kg/vocab/mitigation-taxonomy/1.1.3")
    store.add(ox.Quad(iri, ox.NamedNode("http://www.w3.org/2004/02/skos/core#notation"), ox.Literal("1.1.3")))
    rows = list(run(store, "SELECT ?n WHERE { mtax:1.1.3 skos:notation ?n }"))
    assert [r["n"].value for r in rows] == ["1.1.3"]
