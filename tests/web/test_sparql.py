"""The SPARQL 1.1 Protocol at /sparql, in-process over the small fixture project (`app_client`):
one table of requests and answers. What needs a real socket (size limits, SPARQLWrapper and
rdflib clients, hostile requests) is tested against the real server elsewhere."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from kg.namespaces import SD
from kg.sparql import execute


@pytest.fixture(scope="module")
def http(app_client):
    return app_client


@pytest.fixture(scope="module")
def store(small_store):
    return small_store


@pytest.fixture
def server():
    return "http://testserver"


SEED = "https://w3id.org/airm-kg/graph/data/seed"
SELECT = """SELECT ?concept ?code ?label WHERE {
  ?concept skos:inScheme <https://w3id.org/airm-kg/vocab/mitigation-taxonomy> ; skos:notation ?code .
  OPTIONAL { ?concept skos:prefLabel ?label } } ORDER BY ?code"""
ASK = "ASK { ?m a airm:Mitigation }"
CONSTRUCT = "CONSTRUCT { ?d dcterms:title ?t ; dcterms:issued ?y } WHERE { ?d a airm:SourceDocument ; dcterms:title ?t ; dcterms:issued ?y }"
RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def rows(body: bytes, fmt) -> list[tuple] | bool:
    """Results as tuples of lexical values (CSV keeps only those), in order; a bool for ASK."""
    if fmt == ox.QueryResultsFormat.CSV:
        return csv_rows(body)
    parsed = ox.parse_query_results(body, fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    names = [v.value for v in parsed.variables]
    return [tuple(s[n].value if s[n] is not None else None for n in names) for s in parsed]


def csv_rows(body: bytes):
    text = body.decode("utf-8")
    if text.strip() in ("true", "false"):
        return text.strip() == "true"
    return [tuple(cell if cell != "" else None for cell in row) for row in csv.reader(io.StringIO(text))][1:]


def expected_rows(store, query: str):
    return rows(execute.render(execute.run_dataset(store, query), "json"), ox.QueryResultsFormat.JSON)


def graph(body: bytes, fmt: ox.RdfFormat) -> Graph:
    """Parsed by pyoxigraph (any format), as an rdflib Graph (for isomorphism: blank nodes)."""
    parsed = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, format=fmt)]
    data = ox.serialize(parsed, format=ox.RdfFormat.N_TRIPLES)
    assert data is not None  # bytes: no output given
    return Graph().parse(data=data.decode(), format="nt")


def expected_graph(store, query: str) -> Graph:
    return graph(execute.render(execute.run_dataset(store, query), "ntriples"), ox.RdfFormat.N_TRIPLES)


@pytest.mark.parametrize("media_type", RESULT_TYPES)
@pytest.mark.parametrize("query", [SELECT, ASK])
@pytest.mark.parametrize("method", ["GET", "POST form", "POST query"])
def test_results_in_every_format_and_method(http, store, media_type, query, method):
    headers = {"Accept": media_type}
    if method == "GET":
        r = http.get("/sparql", params={"query": query}, headers=headers)
    elif method == "POST form":
        r = http.post("/sparql", data={"query": query}, headers=headers)
    else:
        r = http.post(
            "/sparql", content=query.encode(), headers={**headers, "Content-Type": "application/sparql-query"}
        )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in r.headers["vary"]
    assert rows(r.content, RESULT_TYPES[media_type]) == expected_rows(store, query)


@pytest.mark.parametrize("media_type", GRAPH_TYPES)
@pytest.mark.parametrize("query", [CONSTRUCT, "DESCRIBE kg:document\\/shi2024"])
def test_graphs_in_every_format(http, store, media_type, query):
    r = http.get("/sparql", params={"query": query}, headers={"Accept": media_type})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media_type
    got, expected = graph(r.content, GRAPH_TYPES[media_type]), expected_graph(store, query)
    assert len(expected) > 0 and isomorphic(got, expected)


@pytest.mark.parametrize(
    "fmt, media_type",
    [
        ("json", "application/sparql-results+json"),
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
    ],
)
def test_format_parameter_beats_accept(http, fmt, media_type):
    r = http.get("/sparql", params={"query": ASK, "format": fmt}, headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media_type


@pytest.mark.parametrize(
    "request_, status, says",
    [
        ({"params": {"query": "SELECT * WHERE { ?s ?p }"}}, 400, "error at 1:25"),
        ({"params": {"query": "SELECT * WHERE {\n  ?s ?p ?o .\n  ?s nope:x ?o\n}"}}, 400, "line 3:   ?s nope:x ?o"),
        ({"params": {"query": ""}}, 400, "empty"),
        ({"params": {"query": [ASK, ASK]}}, 400, "one query"),
        ({"params": {"query": ASK, "default-graph-uri": "not an iri"}}, 400, "not an IRI"),
        ({"params": {"query": "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}}, 400, "SERVICE"),
        ({"params": {"query": ASK}, "headers": {"Accept": "image/png"}}, 406, "image/png"),
        ({"params": {"query": ASK, "format": "turtle"}}, 406, "turtle"),
        ({"params": {"query": CONSTRUCT, "format": "csv"}}, 406, "csv"),
        ({"params": {"query": "INSERT DATA { <x:a> <x:b> <x:c> }"}}, 403, "read-only"),
        ({"params": {"query": "PREFIX x: <x:>\n# a comment\nDELETE WHERE { ?s ?p ?o }"}}, 403, "read-only"),
        ({"method": "POST", "data": {"update": "INSERT DATA { <x:a> <x:b> <x:c> }"}}, 403, "read-only"),
        (
            {"method": "POST", "content": b"DROP ALL", "headers": {"Content-Type": "application/sparql-update"}},
            403,
            "read-only",
        ),
        (
            {"method": "POST", "content": b"ASK {}", "headers": {"Content-Type": "text/plain"}},
            415,
            "application/sparql-query",
        ),
        ({"method": "POST", "data": {}}, 400, "no query"),
        ({"method": "PUT", "content": b"x"}, 405, "GET or POST"),
        ({"method": "DELETE"}, 405, "GET or POST"),
    ],
)
def test_errors(http, request_, status, says):
    method = request_.pop("method", "GET")
    r = http.request(method, "/sparql", **request_)
    assert r.status_code == status
    error = r.json()["error"]
    assert error["status"] == status and says in error["detail"]
    if status == 405:
        assert "POST" in r.headers["allow"]


def test_update_gets_a_clear_message(http):
    r = http.post("/sparql", data={"update": "CLEAR ALL"})
    assert r.json()["error"]["detail"].startswith("SPARQL Update is not accepted: this endpoint is read-only")


COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
COUNT_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def count(store, graph_name: str) -> int:
    return sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph_name)))


def test_default_graph_is_the_union_of_all_named_graphs(http, store):
    r = http.get("/sparql", params={"query": COUNT}, headers={"Accept": "text/csv"})
    assert rows(r.content, ox.QueryResultsFormat.CSV) == [(str(len(store)),)]


def test_named_graphs_are_addressable_with_graph(http, store):
    r = http.get("/sparql", params={"query": COUNT_GRAPHS}, headers={"Accept": "text/csv"})
    got = dict(rows(r.content, ox.QueryResultsFormat.CSV))
    assert got[SEED] == str(count(store, SEED))
    assert "https://w3id.org/airm-kg/graph/inferred" in got and len(got) >= 10


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"default-graph-uri": SEED}, "seed"),  # the default graph is that graph
        ({"named-graph-uri": SEED}, 0),  # only named graphs: empty default graph
        ({"default-graph-uri": "https://example.org/no-such-graph"}, 0),  # never fetched
    ],
)
def test_protocol_dataset(http, store, params, expected):
    r = http.get("/sparql", params={"query": COUNT, **params}, headers={"Accept": "text/csv"})
    n = count(store, SEED) if expected == "seed" else expected
    assert rows(r.content, ox.QueryResultsFormat.CSV) == [(str(n),)]


def test_named_graph_uri_limits_graph(http, store):
    r = http.get("/sparql", params={"query": COUNT_GRAPHS, "named-graph-uri": SEED}, headers={"Accept": "text/csv"})
    assert rows(r.content, ox.QueryResultsFormat.CSV) == [(SEED, str(count(store, SEED)))]


def test_from_in_the_query_is_honoured(http, store):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{SEED}> WHERE {{ ?s ?p ?o }}"
    r = http.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert rows(r.content, ox.QueryResultsFormat.CSV) == [(str(count(store, SEED)),)]


@pytest.mark.parametrize(
    "accept, fmt",
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("*/*", ox.RdfFormat.TURTLE),
        ("", ox.RdfFormat.TURTLE),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_service_description(http, server, accept, fmt):
    r = http.get("/sparql", headers={"Accept": accept})
    assert r.status_code == 200
    g = graph(r.content, fmt)
    service = g.value(None, RDF.type, URIRef(f"{SD}Service"), any=False)
    assert str(g.value(service, URIRef(f"{SD}endpoint"))) == f"{server}/sparql"
    assert URIRef(f"{SD}UnionDefaultGraph") in set(g.objects(service, URIRef(f"{SD}feature")))
    names = {str(n) for n in g.objects(None, URIRef(f"{SD}name"))}
    assert SEED in names and "https://w3id.org/airm-kg/graph/inferred" in names


def test_browsers_get_the_query_page(http):
    r = http.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "PREFIX airm: &lt;https://w3id.org/airm-kg/ontology#&gt;" in r.text


def test_cors(http):
    r = http.get("/sparql", params={"query": ASK}, headers={"Origin": "https://elsewhere.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    preflight = http.options(
        "/sparql",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_options_without_cors_lists_the_methods(http):
    r = http.options("/sparql")
    assert r.status_code == 204 and "POST" in r.headers["allow"]


def test_head(http):
    r = http.head("/sparql", params={"query": ASK})
    assert r.status_code == 200 and r.headers["content-type"] == "application/sparql-results+json"
