"""Hostile requests against the real server: each gets its documented answer within the deadline plus
one second, in the one error shape, and after each the service still answers queries.

The server runs with a 2 s deadline; every case comes from its own client address (the server trusts
X-Forwarded-For here) so that the per-client budget, tested separately below, does not mix cases."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import httpx
import pytest

from servers import replica_build, running_server
from virtuoso import virtuoso_server

from recorder import recording_server

pytestmark = pytest.mark.server
DEADLINE = 2.0
CROSS_JOIN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"


@pytest.fixture(scope="module")
def trap():
    """A local HTTP server that must never be called: the service may not fetch anything."""
    with recording_server() as (url, seen):
        yield f"{url}/", seen


SETTINGS = {
    "KG_QUERY_TIMEOUT": str(DEADLINE),
    "KG_TRUST_PROXY": "1",
    "KG_CLIENT_ERRORS": "5",
    "KG_CLIENT_QUERY_SECONDS": "5",
    "KG_QUERY_WORKERS": "2",
}


@pytest.fixture(scope="module", params=["embedded", "virtuoso"])
def hostile_server(request, built_settings, current, tmp_path_factory):
    """`kg serve` over the embedded store, then as a replica of a real Virtuoso 7 holding the release
    (docs/deployment.md): the same table, the same answers (`Case.remote` where a replica differs)."""
    folder = tmp_path_factory.mktemp(f"hostile-{request.param}")
    if request.param == "embedded":
        with running_server(built_settings.root, built_settings.build_dir, folder / "server.log", **SETTINGS) as url:
            yield url, folder / "server.log", "embedded"
        return
    from kg.remote import publish

    with virtuoso_server(folder / "virtuoso") as virtuoso:
        publish.publish(current, virtuoso.store, virtuoso.query)
        build = replica_build(current, folder / "build")
        log = folder / "server.log"
        with running_server(built_settings.root, build, log, KG_SPARQL_ENDPOINT=virtuoso.query, **SETTINGS) as url:
            yield url, log, "virtuoso"


@dataclass
class Case:
    name: str
    method: str
    params: dict = field(default_factory=dict)
    data: object = None
    content: object = None
    headers: dict = field(default_factory=dict)
    status: int = 400
    says: str = ""  # a phrase the error's detail must contain
    path: str = "/sparql"
    remote: tuple[int, str] | None = None  # (status, says) on a replica, where it differs


def nested(n):
    return "SELECT * WHERE " + "{" * n + " ?s ?p ?o " + "}" * n


def streamed(total: int, chunk: int = 64 * 1024):
    """A request body sent in chunks without Content-Length (the server must stop reading it)."""
    sent = 0
    while sent < total:
        yield b"#" * chunk
        sent += chunk


CASES = [
    Case("deadline", "GET", {"query": CROSS_JOIN}, status=503, says=f"within {DEADLINE:g} s"),
    Case("client asks for less time", "GET", {"query": CROSS_JOIN, "timeout": "0.5"}, status=503, says="within 0.5 s"),
    Case(
        "client asks for more time",
        "GET",
        {"query": CROSS_JOIN, "timeout": "3600"},
        status=503,
        says=f"within {DEADLINE:g} s",
    ),
    Case(
        "memory-hungry sort",
        "GET",
        {"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY DESC(?c) ?f"},
        status=503,
        says="stopped",
        remote=(503, f"within {DEADLINE:g} s"),  # a replica has no worker to stop: the deadline holds
    ),
    Case(
        "body over the cap, declared",
        "POST",
        content=b"#" * 200_000,
        headers={"Content-Type": "application/sparql-query"},
        status=413,
        says="at most 100,000",
    ),
    Case(
        "body over the cap, streamed",
        "POST",
        content=streamed(5_000_000),
        headers={"Content-Type": "application/sparql-query"},
        status=413,
        says="at most 100,000",
    ),
    Case("URL over the cap", "GET", {"query": "SELECT * WHERE { ?s ?p ?o } #" + "x" * 20_000}, status=414, says="POST"),
    Case("nested groups", "POST", data={"query": nested(3000)}, says="nests more than"),
    Case("run of !", "POST", data={"query": "ASK { FILTER(" + "!" * 5_000 + "true) }"}, says="nests more than"),
    Case(
        "UNION branches",
        "POST",
        data={"query": "SELECT * WHERE { " + " UNION ".join("{ ?s ?p %d }" % i for i in range(600)) + " }"},
        says="UNION branches",
    ),
    Case(
        "long path",
        "POST",
        data={"query": "SELECT * WHERE { ?s " + "/".join(["<urn:p>"] * 1000) + " ?o }"},
        says="property path",
    ),
    Case("token flood", "POST", data={"query": "ASK { FILTER(" + "+".join(["1"] * 9000) + ") }"}, says="tokens"),
    Case("SERVICE", "GET", {"query": "SELECT * WHERE { SERVICE <{trap}sparql> { ?s ?p ?o } }"}, says="SERVICE"),
    Case(
        "SERVICE escaped",
        "GET",
        {"query": r"SELECT * WHERE { \u0053ERVICE <{trap}sparql> { ?s ?p ?o } }"},
        says="SERVICE",
    ),
    Case("update as query", "GET", {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}, status=403, says="read-only"),
    Case(
        "update escaped",
        "GET",
        {"query": r"\u0049NSERT DATA { <urn:a> <urn:b> <urn:c> }"},
        status=403,
        says="read-only",
    ),
    Case("LOAD", "POST", data={"update": "LOAD <{trap}data.ttl>"}, status=403, says="read-only"),
    Case(
        "update body",
        "POST",
        content=b"CLEAR ALL",
        headers={"Content-Type": "application/sparql-update"},
        status=403,
        says="read-only",
    ),
    Case("rows over the cap", "GET", {"query": "SELECT * WHERE { ?s ?p ?o }"}, status=422, says="LIMIT"),
    Case(
        "triples over the cap",
        "GET",
        {"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"Accept": "text/turtle"},
        status=422,
        says="LIMIT",
    ),
    Case("malformed", "GET", {"query": "SELECT * WHERE { ?s ?p ?o"}, says="line 1"),
    Case(
        "not UTF-8",
        "POST",
        content=b"SELECT * WHERE { ?s ?p '\xff\xfe' }",
        headers={"Content-Type": "application/sparql-query"},
        says="utf-8",
    ),
    Case("bad surrogate escape", "GET", {"query": r"SELECT * WHERE { ?s ?p '\uD800' }"}, says="not a character"),
    Case("bad timeout", "GET", {"query": "ASK {}", "timeout": "soon"}, says="timeout"),
    Case("unknown format", "GET", {"query": "ASK {}", "format": "pdf"}, status=406, says="format"),
    Case("named query, hostile parameter", "GET", {"text": "(a+)+$" * 50}, status=200, path="/queries/search"),
    Case("FROM a file", "GET", {"query": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"}, status=200),
    Case(
        "FROM the network",
        "GET",
        {"query": "SELECT * FROM <{trap}g> FROM NAMED <{trap}n> WHERE { ?s ?p ?o }"},
        status=200,
    ),
    Case(
        "dataset from the network",
        "GET",
        {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "{trap}g"},
        status=200,
    ),
    Case("regex", "GET", {"query": "SELECT ?l WHERE { ?m rdfs:label ?l FILTER(REGEX(?l, '^(a+)+$')) }"}, status=200),
]
ADDRESSES = (f"10.0.{i // 250}.{i % 250 + 1}" for i in itertools.count())


def fill(value, trap):
    if isinstance(value, str):
        return value.replace("{trap}", trap)
    if isinstance(value, dict):
        return {k: fill(v, trap) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_request(case, hostile_server, trap):
    url, log, backend = hostile_server
    trap, seen = trap
    status, says = case.remote if backend != "embedded" and case.remote else (case.status, case.says)
    headers = {"Accept": "application/sparql-results+json", "X-Forwarded-For": next(ADDRESSES), **case.headers}
    with httpx.Client(base_url=url, timeout=DEADLINE + 30) as client:
        started = time.monotonic()
        response = client.request(
            case.method,
            case.path,
            params=fill(case.params, trap),
            data=fill(case.data, trap),
            content=case.content,
            headers=headers,
        )
        took = time.monotonic() - started
        assert response.status_code == status, response.text[:500]
        assert took < DEADLINE + 1, f"{case.name} took {took:.2f} s"
        if status >= 400:
            error = response.json()["error"]
            assert error["status"] == status and says.lower() in error["detail"].lower(), error
            assert "Traceback" not in response.text and 'File "' not in response.text
        # ... and the service still answers, through a worker (a query no cache has seen) and ASK {}
        probe = client.get(
            "/sparql",
            params={"query": f"ASK {{ <urn:probe:{time.monotonic_ns()}> ?p ?o }}"},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert probe.status_code == 200 and probe.json()["boolean"] is False
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    assert seen == [], "the service fetched something"
    assert "Traceback" not in log.read_text()


def test_budget_of_errors_per_client(hostile_server):
    url, _, _ = hostile_server
    with httpx.Client(base_url=url, timeout=30) as client:
        bad = {"X-Forwarded-For": "192.0.2.1"}
        statuses = [
            client.get("/sparql", params={"query": "SELECT nonsense"}, headers=bad).status_code for _ in range(6)
        ]
        assert statuses == [400] * 5 + [429]
        refused = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers=bad)
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "failing queries" in refused.json()["error"]["detail"]
        other = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"X-Forwarded-For": "192.0.2.2"})
        assert other.status_code == 200


def test_budget_of_query_seconds_per_client(hostile_server):
    url, _, _ = hostile_server
    with httpx.Client(base_url=url, timeout=30) as client:
        heavy = {"X-Forwarded-For": "192.0.2.3"}
        first = [
            client.get("/sparql", params={"query": CROSS_JOIN + f" # {i}"}, headers=heavy).status_code for i in range(3)
        ]
        assert first == [503, 503, 503]  # 3 × 2 s reaches the 5 s budget
        refused = client.get("/sparql", params={"query": "ASK {}"}, headers=heavy)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert "query time" in refused.json()["error"]["detail"]


def test_cached_answers_cost_no_worker(hostile_server):
    url, _, backend = hostile_server
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a airm:Mitigation }"
    with httpx.Client(base_url=url, timeout=30) as client:
        before = client.get("/-/health").json()
        first = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
        again = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
        after = client.get("/-/health").json()
    assert first.headers["X-Cache"] == "miss" and again.headers["X-Cache"] == "hit"
    assert first.content == again.content and first.headers["X-Result-Rows"] == "1"
    assert after["cache"]["hits"] == before["cache"]["hits"] + 1
    if backend == "embedded":
        assert after["workers"]["running"] == 2
    else:  # a replica has no workers: its health names the server instead
        assert "workers" not in after and after["remote"]["reachable"]
    assert all(r.headers["Server-Timing"].startswith("app;dur=") for r in (first, again))
