"""Hostile requests against the real server: each gets its documented answer within the deadline plus
one second, in the one error shape, and after each the service still answers queries.

The server runs with a 2 s deadline; every case comes from its own client address (the server trusts
X-Forwarded-For here) so that the per-client budget, tested separately below, does not mix cases."""

from __future__ import annotations

import itertools
import json
import re
import socket
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
    Case(
        "a 25 MB literal",
        "POST",
        data={
            "query": 'SELECT ?a23 WHERE { BIND("abc" AS ?a0) '
            + " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(23))
            + " }"
        },
        status=422,
        says="value",
        remote=(503, f"within {DEADLINE:g} s"),  # Virtuoso builds the string past the deadline instead
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
    headers = {
        "Accept": "application/sparql-results+json",
        "X-Forwarded-For": next(ADDRESSES),
        "Origin": "https://elsewhere.example",
        **case.headers,
    }
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
        assert response.headers.get("access-control-allow-origin") == "*", "no CORS"
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
        deadline = time.monotonic() + 30
        while backend == "embedded" and before["workers"]["running"] < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # a worker an earlier row killed is still being replaced: wait for a full pool
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


HEADED = ["/-/health", "/", "/sparql?query=ASK%20%7B%7D", "/queries", "/-/dumps", "/vocab/", "/-/openapi.json"]


@pytest.mark.parametrize("path", HEADED)
def test_head_works_wherever_get_does(hostile_server, path):
    """Health checkers and caches use HEAD: it answers as GET does (status, type, length), without a body."""
    url, _, backend = hostile_server
    if backend != "embedded":
        pytest.skip("not yet checked against a replica (merged after issue 19's replica table; see its report)")
    with httpx.Client(base_url=url, timeout=30) as client:
        got, head = client.get(path), client.head(path)
    assert got.status_code == 200 and head.status_code == 200, (path, head.status_code)
    assert head.headers["content-type"] == got.headers["content-type"] and head.content == b""


def test_every_get_route_takes_head():
    """No route of the app answers GET but not HEAD (a HEAD would fall through to the resource pages' 404)."""
    import importlib
    import pkgutil

    from fastapi.routing import APIRoute

    from kg.web import routes as package

    modules = [importlib.import_module(f"kg.web.routes.{m.name}") for m in pkgutil.iter_modules(package.__path__)]
    routes = [r for m in modules for r in m.router.routes if isinstance(r, APIRoute) and "GET" in r.methods]
    assert len(routes) > 10 and [r.path for r in routes if "HEAD" not in r.methods] == []


@dataclass
class Oversized:
    name: str
    target: str
    headers: dict
    status: int
    says: str


OVERSIZED = [
    Oversized("URL of 131 kB", "/sparql?query=ASK%20%7B%7D%20%23" + "x" * 131_000, {}, 414, "POST"),
    Oversized("URL of 1 MB", "/sparql?query=ASK%20%7B%7D%20%23" + "x" * 1_000_000, {}, 414, "POST"),
    Oversized("header of 200 kB", "/-/health", {"X-Big": "x" * 200_000}, 431, "headers"),
    Oversized(
        "100 cookies of 8 kB",
        "/-/health",
        {"Cookie": "; ".join(f"c{i}={'x' * 8000}" for i in range(100))},
        431,
        "headers",
    ),
]


def raw_exchange(url: str, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send a request head over a plain socket and read the answer to the end of the connection
    (a reset raises ConnectionResetError): its status, headers and body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    top, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = top.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize("case", OVERSIZED, ids=[c.name for c in OVERSIZED])
def test_oversized_request_head_gets_an_answer(hostile_server, case):
    """A request head past the limits gets its JSON 414 or 431 (with CORS) and a clean close, never a reset;
    five times over, since a reset is a race the server can win or lose."""
    url, _, _ = hostile_server
    fields = {"Host": "localhost", "Origin": "https://elsewhere.example", **case.headers}
    head = f"GET {case.target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    for _ in range(5):
        status, headers, body = raw_exchange(url, head.encode())
        assert status == case.status, body[:300]
        error = json.loads(body)["error"]
        assert error["status"] == case.status and case.says in error["detail"], error
        assert headers["access-control-allow-origin"] == "*" and headers["connection"] == "close"


PAGES = ["/", "/sparql", "/queries", "/vocab/", "/no/such/page", "/sparql?query=SELECT%20nonsense"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_forbid_framing_sniffing_and_foreign_scripts(hostile_server, path):
    """Every HTML page, error pages too: a Content-Security-Policy that allows only our own scripts and
    styles and no framing, and nosniff (which every answer carries)."""
    url, _, _ = hostile_server
    response = httpx.get(url + path, headers={"Accept": "text/html"}, timeout=30)
    assert response.headers["content-type"].startswith("text/html")
    policy = dict(p.strip().split(" ", 1) for p in response.headers["content-security-policy"].split(";") if p.strip())
    assert policy["frame-ancestors"] == "'none'" and policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in response.text and " style=" not in response.text and " on" + "click=" not in response.text
    data = httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=30)
    assert data.headers["x-content-type-options"] == "nosniff"


def test_format_parameter_on_resource_pages(hostile_server, built_settings):
    """`?format=ttl` on a resource is honoured as the `.ttl` suffix is; a format it has not is 406."""
    url, _, backend = hostile_server
    if backend != "embedded":
        pytest.skip("not yet checked against a replica (merged after issue 19's replica table; see its report)")
    with httpx.Client(base_url=url, timeout=30) as client:
        found = client.get(
            "/sparql",
            params={"query": "SELECT ?m WHERE { ?m a airm:Mitigation } ORDER BY ?m LIMIT 1"},
            headers={"Accept": "application/sparql-results+json"},
        )
        path = "/" + found.json()["results"]["bindings"][0]["m"]["value"].removeprefix(built_settings.base_iri)
        suffixed = client.get(path + ".ttl")
        asked = client.get(path, params={"format": "ttl"}, headers={"Accept": "text/html"})
        unknown = client.get(path, params={"format": "pdf"}, headers={"Accept": "text/html"})
    assert suffixed.status_code == 200 and asked.status_code == 200
    assert asked.headers["content-type"].startswith("text/turtle") and asked.content == suffixed.content
    assert unknown.status_code == 406 and "format" in unknown.text


@pytest.mark.parametrize(
    "path", ["/sparql?query=SELECT%20(%22evil%E2%80%AEexe.txt%22%20AS%20?name)%20%7B%7D", "/x%E2%80%AEy"]
)
def test_bidi_overrides_are_isolated_on_pages(hostile_server, path):
    """A right-to-left override (U+202E) in a value shown on a page stays inside its own <bdi>, so it
    cannot turn the text after it around."""
    url, _, backend = hostile_server
    if backend != "embedded":
        pytest.skip("not yet checked against a replica (merged after issue 19's replica table; see its report)")
    response = httpx.get(url + path, headers={"Accept": "text/html"}, timeout=30)
    text = re.sub(r"<(textarea|title)\b.*?</\1>", "", response.text, flags=re.S)  # raw text: no markup there
    assert "\u202e" in text
    for at in [i for i, c in enumerate(text) if c == "\u202e"]:
        opened, closed = text.rfind("<bdi>", 0, at), text.rfind("</bdi>", 0, at)
        in_tag = text.rfind("<", 0, at) > text.rfind(">", 0, at)  # inside an attribute: not rendered as text
        assert in_tag or opened > closed, text[max(at - 80, 0) : at + 40]
