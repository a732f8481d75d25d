"""The MCP server with the SDK's real client: over stdio (`kg mcp` spawned as an assistant would) and
over streamable HTTP against the real `kg serve` (/mcp). Answers are checked against SPARQL on the
same release; hostile calls are refused as /sparql refuses them, and the server keeps answering.

The HTTP server runs with a 2 s deadline and trusts X-Forwarded-For, so each test can be its own client
(its own budget); the stdio server gets the same deadline."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import pyoxigraph as ox
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from servers import running_server

from conftest import select

pytestmark = pytest.mark.server
DEADLINE = 2.0
CROSS_JOIN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
COUNT = "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a airm:Mitigation }"
RECORD = "A0086_Future_of_Life_Institute2024"
KG = "https://w3id.org/airm-kg/"
TOOLS = {"search_mitigations", "get_mitigation", "get_document", "list_concepts", "coverage", "sparql"}
ADDRESSES = (f"198.51.100.{i}" for i in itertools.count(1))  # documentation range: only ever a header value

Scenario = Callable[[ClientSession], Awaitable[Any]]


@pytest.fixture(scope="module")
def mcp_server(built_settings, tmp_path_factory):
    log = tmp_path_factory.mktemp("mcp") / "server.log"
    with running_server(
        built_settings.root,
        built_settings.build_dir,
        log,
        KG_QUERY_TIMEOUT=str(DEADLINE),
        KG_TRUST_PROXY="1",
        KG_CLIENT_ERRORS="5",
    ) as url:
        yield url


@asynccontextmanager
async def stdio_session(settings):
    env = {
        "KG_ROOT": str(settings.root),
        "KG_BUILD_DIR": str(settings.build_dir),
        "KG_QUERY_TIMEOUT": str(DEADLINE),
        "PATH": os.environ.get("PATH", ""),
    }
    params = StdioServerParameters(command=sys.executable, args=["-m", "kg.cli", "mcp"], env=env)
    with open(os.devnull, "w") as quiet:
        async with stdio_client(params, errlog=quiet) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session


@asynccontextmanager
async def http_session(url: str, address: str):
    async with (
        httpx2.AsyncClient(headers={"X-Forwarded-For": address}, timeout=30) as client,
        streamable_http_client(f"{url}/mcp", http_client=client) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


class Connection:
    """Runs scenarios against one transport: a new session each time, as a new assistant would."""

    def __init__(self, transport: str, settings, url: str | None) -> None:
        self.transport, self.settings, self.url = transport, settings, url
        self.address = next(ADDRESSES)

    def run(self, scenario: Scenario) -> Any:
        async def main():
            opened = (
                stdio_session(self.settings) if self.transport == "stdio" else http_session(str(self.url), self.address)
            )
            async with opened as session:
                return await scenario(session)

        # a thread of its own: a session-wide Playwright (the browser tests) keeps an event loop running
        # in the main thread, where asyncio.run() refuses to start another
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, main()).result()

    def call(self, tool: str, arguments: dict) -> Any:
        return self.run(lambda s: s.call_tool(tool, arguments))


@pytest.fixture(params=["stdio", "http"])
def mcp(request, built_settings) -> Connection:
    url = request.getfixturevalue("mcp_server") if request.param == "http" else None
    return Connection(request.param, built_settings, url)


def structured(result) -> dict:
    assert not result.is_error, result.content[0].text
    assert result.structured_content is not None
    return result.structured_content


def text_of(resource):
    """The text of a resource's (only) contents."""
    return resource.contents[0].text


def error_text(result) -> str:
    assert result.is_error, result.structured_content
    return result.content[0].text


def turtle_subjects(text: str, pattern: str) -> set[str]:
    """The subjects of `?s PATTERN` in a Turtle document."""
    graph = ox.Store()
    graph.load(text.encode(), format=ox.RdfFormat.TURTLE)
    return {row["s"] for row in select(graph, f"SELECT ?s WHERE {{ ?s {pattern} }}") if row["s"]}


def values(store, query: str, var: str) -> list[str | None]:
    return [row[var] for row in select(store, query)]


# --- what a client sees first ---------------------------------------------------------------


def test_lists_tools_with_descriptions_and_schemas_resources_and_prompts(mcp, built_settings):
    async def scenario(s: ClientSession):
        return await s.list_tools(), await s.list_resources(), await s.list_prompts()

    tools, resources, prompts = mcp.run(scenario)
    by_name = {t.name: t for t in tools.tools}
    assert TOOLS <= set(by_name)
    for tool in by_name.values():
        assert len(tool.description or "") > 80, tool.name
        assert tool.input_schema["type"] == "object" and tool.input_schema["properties"], tool.name
        assert tool.output_schema and "properties" in tool.output_schema, tool.name
        assert tool.annotations is not None and tool.annotations.read_only_hint
    assert by_name["get_mitigation"].input_schema["properties"]["id"]["type"] == "string"
    assert by_name["get_mitigation"].input_schema["required"] == ["id"]
    uris = {str(r.uri) for r in resources.resources}
    vocabularies = {p.stem for p in (built_settings.root / "ontology" / "vocab").glob("*.ttl")}
    queries = {p.stem for p in (built_settings.root / "queries").glob("*.rq")}
    assert {"airm-kg://ontology", "airm-kg://dataset"} <= uris
    assert {f"airm-kg://vocab/{v}" for v in vocabularies} <= uris
    assert {f"airm-kg://queries/{q}" for q in queries} <= uris
    assert {p.name for p in prompts.prompts} == queries


def test_resources_are_the_release_graphs_and_the_query_texts(mcp, built_settings, store):
    async def scenario(s: ClientSession):
        ontology = await s.read_resource("airm-kg://ontology")
        vocab = await s.read_resource("airm-kg://vocab/lifecycle-stage")
        query = await s.read_resource("airm-kg://queries/category-counts")
        dataset = await s.read_resource("airm-kg://dataset")
        prompt = await s.get_prompt("mitigations-in-subtree", {"category": "v1tax:1.2"})
        return ontology, vocab, query, dataset, prompt

    ontology, vocab, query, dataset, prompt = mcp.run(scenario)
    assert ontology.contents[0].mime_type == "text/turtle"
    classes = turtle_subjects(ontology.contents[0].text, "a owl:Class")
    assert KG + "ontology#Mitigation" in classes
    assert classes == set(
        values(store, f"SELECT ?c WHERE {{ GRAPH <{KG}graph/ontology/airm> {{ ?c a owl:Class }} }}", "c")
    )
    stages = set(values(store, f"SELECT ?c WHERE {{ ?c skos:inScheme <{KG}vocab/lifecycle-stage> }}", "c"))
    assert stages and turtle_subjects(vocab.contents[0].text, f"skos:inScheme <{KG}vocab/lifecycle-stage>") == stages
    assert query.contents[0].text == (built_settings.root / "queries" / "category-counts.rq").read_text()
    described = json.loads(dataset.contents[0].text)
    datasets = set(values(store, "SELECT ?d WHERE { ?d a void:Dataset }", "d"))
    assert {d["iri"] for d in described["datasets"]} == datasets
    said = prompt.messages[0].content.text
    assert "VALUES (?category" in said and "mit-v1-mitigation-taxonomy/1.2" in said


# --- each tool, checked against SPARQL on the same release ------------------------------------


def test_search_mitigations_finds_red_teaming_with_facets(mcp, store):
    record = structured(mcp.call("search_mitigations", {"query": "red teaming", "limit": 100}))
    found = [r["iri"] for r in record["results"]]
    named = values(
        store, "SELECT ?m WHERE { ?m a airm:Mitigation ; rdfs:label ?l FILTER(CONTAINS(LCASE(?l), 'red team')) }", "m"
    )
    assert named and set(named) <= set(found) and record["total"] >= len(named)
    mitigations = set(values(store, "SELECT ?m WHERE { ?m a airm:Mitigation }", "m"))
    assert set(found) <= mitigations
    scores = [r["score"] for r in record["results"]]
    assert scores == sorted(scores, reverse=True)
    first = record["results"][0]
    assert first["id"] == first["iri"].rsplit("/", 1)[-1] and "**" in first["snippet"]
    assert {"category", "stage", "actor", "function", "document", "year", "method", "risk", "dataset"} <= set(
        record["facets"]
    )
    assert sum(v["count"] for v in record["facets"]["dataset"]) >= record["total"]


def test_search_mitigations_filters_by_a_facet(mcp, store):
    record = structured(
        mcp.call("search_mitigations", {"query": "red teaming", "filters": {"category": ["v1tax:3.1"]}, "limit": 100})
    )
    under = set(
        values(
            store,
            f"SELECT ?m WHERE {{ ?m airm:mitigationCategory/skos:broaderTransitive* <{KG}vocab/mit-v1-mitigation-taxonomy/3.1> }}",
            "m",
        )
    )
    assert record["results"] and {r["iri"] for r in record["results"]} <= under
    assert record["total"] == len(record["results"])


def test_search_mitigations_refuses_a_malformed_query_with_its_position(mcp):
    assert "never closed at character 1" in error_text(mcp.call("search_mitigations", {"query": '"red team'}))
    assert "Input should be" in error_text(
        mcp.call("search_mitigations", {"query": "x", "filters": {"colour": ["red"]}})
    )
    assert "less than or equal to 100" in error_text(mcp.call("search_mitigations", {"query": "x", "limit": 10_000}))


def test_a_new_user_finds_red_teaming_reads_one_with_its_citation_and_counts(mcp, store):
    """The issue's done-when: search, fetch one with evidence and citation, a SPARQL count; no SERVICE,
    no update, nothing past the deadline."""

    async def scenario(s: ClientSession):
        found = structured(await s.call_tool("search_mitigations", {"query": "red teaming"}))
        records = [structured(await s.call_tool("get_mitigation", {"id": r["id"]})) for r in found["results"][:5]]
        count = structured(await s.call_tool("sparql", {"query": COUNT}))
        refused = [
            await s.call_tool("sparql", {"query": q})
            for q in ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "CLEAR ALL", CROSS_JOIN)
        ]
        return found, records, count, refused

    found, records, count, refused = mcp.run(scenario)
    assert found["total"] > 0
    assert [r["iri"] for r in records] == [r["iri"] for r in found["results"][:5]]
    for record in records:
        quotes = values(store, f"SELECT ?q WHERE {{ <{record['iri']}> airm:hasEvidence/airm:quoteText ?q }}", "q")
        assert sorted(e["quote"] for e in record["evidence"]) == sorted(quotes)
        assert record["cite"]["url"] == record["iri"]
        assert record["documents"] and record["documents"][0]["title"] in record["cite"]["text"]
    assert any(record["evidence"] for record in records)
    assert count["rows"][0]["n"] == values(store, COUNT, "n")[0]
    assert all(r.is_error for r in refused)


def test_get_mitigation_by_id_or_iri_is_the_whole_record(mcp, store):
    iri = f"{KG}mitigation/{RECORD}"
    by_id, by_iri = mcp.run(
        lambda s: asyncio.gather(
            s.call_tool("get_mitigation", {"id": RECORD}), s.call_tool("get_mitigation", {"id": iri})
        )
    )
    record = structured(by_id)
    assert record == structured(by_iri)
    assert record["iri"] == iri and record["id"] == RECORD and record["cite"]["url"] == iri
    assert record["name"] == values(store, f"SELECT ?l WHERE {{ <{iri}> rdfs:label ?l }}", "l")[0]
    quotes = values(store, f"SELECT ?q WHERE {{ <{iri}> airm:hasEvidence/airm:quoteText ?q }}", "q")
    assert sorted(e["quote"] for e in record["evidence"]) == sorted(quotes) and quotes
    categories = values(store, f"SELECT ?c WHERE {{ <{iri}> airm:mitigationCategory ?c }}", "c")
    assert sorted(c["iri"] for c in record["categories"]) == sorted(categories)
    methods = values(store, f"SELECT ?x WHERE {{ <{iri}> airm:hasClassification/airm:classificationMethod ?x }}", "x")
    assert sorted(m["iri"] for c in record["classifications"] for m in c["method"]) == sorted(methods)
    assert all(c["attributed_to"] for c in record["classifications"])
    authors = values(
        store, f"SELECT ?a WHERE {{ <{iri}> airm:sourceDocument/bibo:authorList/rdf:rest*/rdf:first ?a }}", "a"
    )
    assert [a["iri"] for d in record["documents"] for a in d["authors"]] == authors and authors
    text = by_id.content[0].text
    assert iri in text and quotes[0] in text and record["documents"][0]["title"] in text


def test_a_seed_record_says_it_is_preliminary_and_not_to_be_cited(mcp, store):
    seeds = values(
        store, "SELECT ?m WHERE { GRAPH <https://w3id.org/airm-kg/graph/data/seed> { ?m a airm:Mitigation } }", "m"
    )
    record = structured(mcp.call("get_mitigation", {"id": seeds[0]}))
    statuses = values(
        store, f"SELECT ?s WHERE {{ <{seeds[0]}> void:inDataset/<http://www.w3.org/ns/adms#status> ?s }}", "s"
    )
    assert record["preliminary"] == ("http://purl.org/adms/status/UnderDevelopment" in statuses)
    roles = values(
        store,
        f"SELECT ?x WHERE {{ <{seeds[0]}> airm:primaryLifecycleStage|airm:primaryActor|airm:primaryAIRMFunction ?x }}",
        "x",
    )
    assert {r["concept"]["iri"] for r in record["roles"] if r["rank"] == "primary"} == set(roles)


def test_get_mitigation_of_an_unknown_id_says_how_to_find_one(mcp):
    assert "search_mitigations" in error_text(mcp.call("get_mitigation", {"id": "NoSuchRecord"}))
    assert "neither" in error_text(mcp.call("get_mitigation", {"id": "../../etc passwd"}))


def test_get_document_lists_its_mitigations(mcp, store):
    record = structured(mcp.call("get_document", {"id": "FLI2024"}))
    doc = f"{KG}document/FLI2024"
    assert record["iri"] == doc
    expected = values(store, f"SELECT ?m WHERE {{ ?m airm:sourceDocument <{doc}> }}", "m")
    assert sorted(m["iri"] for m in record["mitigations"]) == sorted(expected)
    assert record["title"] == values(store, f"SELECT ?t WHERE {{ <{doc}> dcterms:title ?t }}", "t")[0]
    again = structured(mcp.call("get_document", {"id": record["id"]}))
    assert again["iri"] == doc


def test_list_concepts_of_a_vocabulary(mcp, store):
    record = structured(mcp.call("list_concepts", {"scheme": "mit-v1-mitigation-taxonomy"}))
    expected = values(store, f"SELECT ?c WHERE {{ ?c skos:inScheme <{KG}vocab/mit-v1-mitigation-taxonomy> }}", "c")
    assert sorted(c["iri"] for c in record["concepts"]) == sorted(expected)
    direct = {
        r["c"]: int(r["n"])
        for r in select(
            store, "SELECT ?c (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m airm:mitigationCategory ?c } GROUP BY ?c"
        )
    }
    assert all(c["direct"] == direct.get(c["iri"], 0) for c in record["concepts"])
    assert "lifecycle-stage" in error_text(mcp.call("list_concepts", {"scheme": "no-such-scheme"}))


def test_coverage_counts_by_two_dimensions(mcp, store):
    record = structured(mcp.call("coverage", {"dim_a": "category", "dim_b": "document"}))
    expected = {
        (r["c"], r["d"]): int(r["n"])
        for r in select(
            store,
            "SELECT ?c ?d (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a airm:Mitigation ; airm:mitigationCategory ?c ; "
            "airm:sourceDocument ?d } GROUP BY ?c ?d",
        )
    }
    assert {(c["a"]["iri"], c["b"]["iri"]): c["mitigations"] for c in record["cells"]} == expected
    counts = [c["mitigations"] for c in record["cells"]]
    assert counts == sorted(counts, reverse=True)
    assert "stage" in error_text(mcp.call("coverage", {"dim_a": "colour"}))


def test_coverage_without_derived_facts(mcp, store):
    record = structured(mcp.call("coverage", {"dim_a": "category", "dim_b": "stage", "derived": False}))
    expected = {
        (r["c"], r["s"]): int(r["n"])
        for r in select(
            store,
            "SELECT ?c ?s (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m airm:mitigationCategory ?c ; airm:hasClassification ?k ; "
            "airm:primaryLifecycleStage|airm:otherLifecycleStage ?s . ?k airm:category ?c ; airm:classificationMethod ?x "
            "FILTER (?x != cmethod:derived) } GROUP BY ?c ?s",
        )
    }
    assert {(c["a"]["iri"], c["b"]["iri"]): c["mitigations"] for c in record["cells"]} == expected and expected


def test_sparql_counts_with_the_project_prefixes(mcp, store):
    record = structured(mcp.call("sparql", {"query": COUNT}))
    assert record["kind"] == "solutions" and record["variables"] == ["n"]
    assert record["rows"] == [{"n": values(store, COUNT, "n")[0]}]
    ask = structured(mcp.call("sparql", {"query": f"ASK {{ <{KG}mitigation/{RECORD}> a airm:Mitigation }}"}))
    assert ask["kind"] == "boolean" and ask["boolean"] is True
    graph = structured(mcp.call("sparql", {"query": f"DESCRIBE <{KG}mitigation/{RECORD}>"}))
    assert graph["kind"] == "graph" and RECORD in graph["turtle"] and graph["count"] > 3


# --- hostile calls: refused as /sparql refuses them, and the server keeps answering ---------------

HOSTILE = [
    (
        "service",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SERVICE (federated query) at line 1, column 18",
    ),
    (
        "escaped service",
        "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SERVICE (federated query)",
    ),
    ("update", "INSERT DATA { <urn:a> <urn:b> <urn:c> }", "SPARQL Update is not accepted"),
    ("delete", "DELETE WHERE { ?s ?p ?o }", "SPARQL Update is not accepted"),
    ("cross product", CROSS_JOIN, f"did not finish within {DEADLINE:g} s"),
    ("too many rows", "SELECT * WHERE { ?s ?p ?o }", "more than 10,000 rows"),
    ("syntax", "SELECT * WHERE { ?s ?p }", "line 1"),
    ("nesting", "SELECT * WHERE " + "{" * 200 + " ?s ?p ?o " + "}" * 200, "nests more than 64 levels deep"),
]


@pytest.mark.parametrize("name,query,says", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_queries_are_refused_like_on_sparql(mcp, name, query, says):
    async def scenario(s: ClientSession):
        refused = await s.call_tool("sparql", {"query": query})
        after = await s.call_tool("sparql", {"query": COUNT})
        return refused, after

    refused, after = mcp.run(scenario)
    assert says in error_text(refused)
    assert structured(after)["count"] == 1
    if mcp.url is not None:  # the same words as /sparql, from another client address
        answer = httpx.get(
            f"{mcp.url}/sparql", params={"query": query}, headers={"X-Forwarded-For": next(ADDRESSES)}, timeout=30
        )
        assert answer.status_code >= 400
        assert answer.json()["error"]["detail"] in error_text(refused)


def test_wrong_types_are_refused_and_the_server_keeps_answering(mcp):
    async def scenario(s: ClientSession):
        calls: list[tuple[str, dict[str, Any]]] = [
            ("get_mitigation", {"id": 5}),
            ("get_mitigation", {}),
            ("sparql", {"query": ["SELECT"]}),
            ("coverage", {"dim_a": "category", "derived": "perhaps"}),
            ("sparql", {"query": COUNT, "timeout": -1}),
            ("get_mitigation", {"id": "x" * 5000}),
            ("sparql", {"query": COUNT}),
        ]
        return [await s.call_tool(tool, arguments) for tool, arguments in calls]

    number, missing, listed, word, negative, long_id, after = mcp.run(scenario)
    assert "valid string" in error_text(number)
    assert "Field required" in error_text(missing)
    assert "valid string" in error_text(listed)
    assert "valid boolean" in error_text(word)
    assert "greater than 0" in error_text(negative)
    assert "at most 2000 characters" in error_text(long_id)
    assert structured(after)["count"] == 1


MEGABYTE = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 1_000_000


def test_a_megabyte_argument_is_refused_and_the_server_keeps_answering(mcp):
    if mcp.transport == "stdio":  # the gate's size limit, as for /sparql
        assert "characters long; at most 100,000 are accepted" in error_text(mcp.call("sparql", {"query": MEGABYTE}))
    else:  # the service's body limit, before any tool runs (as for a POST to /sparql)
        call = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "sparql", "arguments": {"query": MEGABYTE}},
        }
        response = httpx.post(
            f"{mcp.url}/mcp",
            json=call,
            headers={"Accept": "application/json, text/event-stream", "X-Forwarded-For": mcp.address},
            timeout=30,
        )
        assert response.status_code == 413
        assert "at most 100,000 are accepted" in response.json()["error"]["detail"]
    assert structured(mcp.call("sparql", {"query": COUNT}))["count"] == 1


def test_budget_is_shared_with_sparql_per_client(mcp_server, built_settings):
    """An address that spent its failed queries on /sparql is refused by the MCP server too (429's words)."""
    mcp = Connection("http", built_settings, mcp_server)
    for i in range(5):
        response = httpx.get(
            f"{mcp_server}/sparql",
            params={"query": f"SELECT * WHERE {{ ?s ?p }} # {i}"},
            headers={"X-Forwarded-For": mcp.address},
        )
        assert response.status_code == 400
    assert "failing queries" in error_text(mcp.call("sparql", {"query": COUNT}))
    assert structured(Connection("http", built_settings, mcp_server).call("sparql", {"query": COUNT}))["count"] == 1


# --- kg mcp on the current release ---------------------------------------------------------------


def test_kg_mcp_follows_the_current_release(tmp_path):
    """A `kg build` while `kg mcp` runs: the next call answers from the new release."""
    from kg import api
    from kg.release import directory

    from conftest import built_copy

    settings = built_copy(tmp_path / "project")
    first = directory.current(settings).id

    async def scenario(s: ClientSession):
        before = json.loads(text_of(await s.read_resource("airm-kg://dataset")))
        await asyncio.to_thread(api.build, settings)
        after = json.loads(text_of(await s.read_resource("airm-kg://dataset")))
        counted = await s.call_tool("sparql", {"query": COUNT})
        return before, after, counted

    before, after, counted = Connection("stdio", settings, None).run(scenario)
    assert before["release"] == first
    assert after["release"] == directory.current(settings).id != first
    assert structured(counted)["count"] == 1


def test_kg_mcp_without_a_release_says_to_build(tmp_path):
    env = {**os.environ, "KG_BUILD_DIR": str(tmp_path / "empty")}
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "mcp"], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 6 and "kg build" in done.stderr
