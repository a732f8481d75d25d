"""Reading a query's text without running it (kg.sparql.execute helpers the endpoint relies on): a table."""

from __future__ import annotations

import pytest

from kg.errors import Federated
from kg.sparql import gate, syntax


@pytest.mark.parametrize(
    "text, form, update, service, dataset",
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT", False, False, False),
        ("PREFIX ex: <http://x/>\nask { ?s ex:SERVICE ?o }", "ASK", False, False, False),  # a prefixed name
        ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT", False, False, False),
        ("BASE <http://a/> DESCRIBE <x>", "DESCRIBE", False, False, False),
        ('SELECT ("SERVICE FROM" AS ?x) {}', "SELECT", False, False, False),  # in a string
        ("# SERVICE <x:y>\nSELECT * {}", "SELECT", False, False, False),  # in a comment
        ("select * { ?s ?p ?o.SERVICE <x:y> { } }", "SELECT", False, True, False),
        ("SELECT * { service silent <x:y> { } }", "SELECT", False, True, False),
        ("SELECT * FROM <x:g> { ?s ?p ?o }", "SELECT", False, False, True),
        ("SELECT * FROM NAMED <x:g> { GRAPH ?g { ?s ?p ?o } }", "SELECT", False, False, True),
        ("PREFIX a: <b:>\nINSERT DATA { a:x a:y a:z }", "INSERT", True, False, False),
        ("DELETE WHERE { ?s ?p ?o }", "DELETE", True, False, False),
        ("WITH <x:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH", True, False, False),
        ("LOAD <http://example.org/data.ttl>", "LOAD", True, False, False),
        ("CLEAR ALL", "CLEAR", True, False, False),
        ("nonsense", None, False, False, False),
    ],
)
def test_reading_query_text(text, form, update, service, dataset):
    assert (syntax.query_form(text), syntax.is_update(text), federated(text), syntax.declares_dataset(text)) == (
        form,
        update,
        service,
        dataset,
    )


def federated(text: str) -> bool:
    """Whether the gate (kg.sparql.gate, the endpoint's one check for SERVICE) refuses the text as federated."""
    try:
        gate.check(text)
    except Federated:
        return True
    return False


@pytest.mark.parametrize(
    "text, before",
    [
        ("SELECT ?x WHERE { ?x ?p ?o }", "SELECT ?x WHERE "),
        ("SELECT ?x { ?x ?p ?o }", "SELECT ?x "),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT { ?s ?p ?o } WHERE "),
        ('# WHERE {\nSELECT ("{" AS ?b) WHERE { ?x ?p ?o }', '# WHERE {\nSELECT ("{" AS ?b) WHERE '),
    ],
)
def test_where_brace(text, before):
    assert syntax.where_brace(text) == len(before)


def test_explain_points_at_the_column():
    message = syntax.explain("SELECT *\nWHERE { ?s ?p }", "error at 2:15: expected one of LATERAL")
    assert message.splitlines() == [
        "error at 2:15: expected one of LATERAL",
        "  line 2: WHERE { ?s ?p }",
        "                        ^",
    ]
    assert syntax.explain("x", "no position here") == "no position here"
