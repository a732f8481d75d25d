"""The gate before the engine (kg.sparql.gate): what it refuses, what it lets through, and that what it lets
through at its limits does not crash pyoxigraph (checked in a child process, where a crash is safe)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kg.errors import Federated, Refused
from kg.sparql import gate
from kg.sparql.gate import DEFAULT


def nested(n: int) -> str:
    return "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * n + "true" + ")" * n + ") }"


def unions(n: int) -> str:
    return "SELECT * WHERE { " + " UNION ".join("{ ?s ?p %d }" % i for i in range(n)) + " }"


def path(n: int) -> str:
    return "SELECT * WHERE { ?s " + "/".join(["<http://e/p>"] * n) + " ?o }"


def bangs(n: int) -> str:
    return "SELECT * WHERE { ?s ?p ?o FILTER(" + "!" * n + "true) }"


def collection(n: int) -> str:
    return "SELECT * WHERE { ?s ?p " + "( " * n + "?o" + " )" * n + " }"


def chain(n: int) -> str:
    return "SELECT * WHERE { ?s ?p ?o FILTER(" + "+".join(["1"] * n) + ") }"


REFUSED = [
    ("nested brackets", nested(DEFAULT.max_depth + 1), "nests more than"),
    ("nested collections", collection(DEFAULT.max_depth + 1), "nests more than"),
    ("run of !", bangs(DEFAULT.max_depth + 1), "nests more than"),
    ("UNION branches", unions(DEFAULT.max_unions + 2), "UNION branches"),
    ("long property path", path(DEFAULT.max_path + 1), "property path"),
    ("token count", chain(DEFAULT.max_tokens), "tokens"),
    ("characters", "SELECT * WHERE { ?s ?p ?o } #" + "x" * DEFAULT.max_chars, "characters long"),
]


@pytest.mark.parametrize("name,query,reason", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_with_a_reason(name, query, reason):
    with pytest.raises(Refused, match=reason):
        gate.check(query)


def test_refusal_names_the_position():
    query = "SELECT *\nWHERE {\n  ?s ?p ?o\n  FILTER(" + "(" * 70 + "true" + ")" * 70 + ")\n}"
    with pytest.raises(Refused, match=r"line 4, column \d+"):
        gate.check(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "select * where { service <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o } }",
        r"SELECT * WHERE { \u0053ERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        r"SELECT * WHERE { SERV\U00000049CE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "PREFIX x: <http://x/>\nSELECT * WHERE {\n  # a comment\n  SERVICE ?endpoint { ?s ?p ?o } }",
    ],
)
def test_service_refused_even_escaped(query):
    with pytest.raises(Federated, match="SERVICE"):
        gate.check(query)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE" }',
        "SELECT ?service WHERE { ?service a <http://x/Service> }",
        "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
        "PREFIX ex: <http://example.org/>\nSELECT * WHERE { ?s ex:SERVICE ?o }",
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/>",
        "SELECT * WHERE { ?s ?p '''a long\nSERVICE string''' }",
        r"SELECT * WHERE { ?s ?p '\u0053ERVICE' }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o = 'UNION UNION') }",
        "SELECT * WHERE { ?a (<http://e/p>/<http://e/q>)* ?b . ?b ^<http://e/r>|!(<http://e/s>) ?c }",
        "SELECT (?x / 2 / 3 / 4 AS ?y) WHERE { VALUES ?x { 1 2 3 } }",
        nested(DEFAULT.max_depth - 2),
        unions(DEFAULT.max_unions),
        path(DEFAULT.max_path - 1),
    ],
)
def test_legitimate_queries_pass(query):
    gate.check(query)


def test_named_queries_pass():
    from kg.sparql import named

    from conftest import project_settings

    for query in named.load_all(named.folder(project_settings())).values():
        gate.check(query.standalone())


def test_escapes_are_read_as_sparql_reads_them():
    assert gate.unescape(r"S\u0045LECT \U0001F600") == "SELECT \U0001f600"
    with pytest.raises(Refused, match="not a character"):
        gate.unescape(r"SELECT * WHERE { ?s ?p '\uD800' }")


# What the gate lets through at its limits must not crash the engine (measured crash points:
# ~300 nested collections, ~700 path steps, ~10,000 `!`, ~10,000 UNION branches, ~20,000 tokens).
AT_THE_LIMITS = [
    nested(DEFAULT.max_depth - 2),
    collection(DEFAULT.max_depth - 2),
    bangs(DEFAULT.max_depth - 3),
    unions(DEFAULT.max_unions),
    path(DEFAULT.max_path - 1),
    chain(DEFAULT.max_tokens // 2 - 20),
]
PROBE = """
import sys, pyoxigraph as ox
list(ox.Store().query(sys.stdin.read()))
print("answered")
"""


@pytest.mark.parametrize("query", AT_THE_LIMITS, ids=["brackets", "collections", "bangs", "unions", "path", "tokens"])
def test_engine_survives_what_the_gate_admits(query):
    gate.check(query)
    done = subprocess.run([sys.executable, "-c", PROBE], input=query, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "answered" in done.stdout, done.stderr[-500:]
