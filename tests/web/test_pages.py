"""Pages, named queries over HTTP, health, static assets and the one error shape, against the real server."""

from __future__ import annotations

import csv
import io
import json
import re

import pyoxigraph as ox
import pytest

from kg.sparql import fulltext, named

pytestmark = pytest.mark.server

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
CATALOGUE = named.load_all(named.Path(__file__).resolve().parents[2] / "queries")
RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "tsv": ox.QueryResultsFormat.TSV,
    "csv": None,
}
GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


def alternates(html: str) -> list[str]:
    return re.findall(r'<link rel="alternate" type="([^"]+)"', html)


def test_health(http, store):
    r = http.get("/-/health")
    body = r.json()
    assert body["status"] == "ok" and body["triples"] == len(store) and re.fullmatch(r"\d{8}T\d+Z", body["release"])


def test_home_page_has_a_search_box(http):
    r = http.get("/", headers=BROWSER)
    assert r.status_code == 200 and '<input type="search" id="q" name="q"' in r.text
    assert re.search(r"of (<a [^>]*>)?\d+ mitigations(</a>)? of AI risk from\s+\d+ source documents", r.text)


def test_home_search_answers_from_the_graph(http, store):
    expected = {row["resource"].value for row in named.execute(CATALOGUE["search"], store, {"text": "watermark"})}
    r = http.get("/", params={"q": "watermark"}, headers=BROWSER)
    hits = set(re.findall(r'<li class="hit">\s*<a href="[^"]*" title="([^"]+)"', r.text))
    assert expected and hits == expected
    assert 'href="/mitigation/' in r.text  # links to resource pages
    assert "/queries/search?text=watermark&amp;format=csv" in r.text  # the same search, downloadable
    assert 'rel="alternate"' in r.headers["link"]


def test_query_catalogue(http):
    page = http.get("/queries", headers=BROWSER)
    assert page.status_code == 200 and all(f'href="/queries/{name}"' in page.text for name in CATALOGUE)
    listed = http.get("/queries").json()["queries"]
    assert [q["name"] for q in listed] == list(CATALOGUE)
    subtree = next(q for q in listed if q["name"] == "mitigations-in-subtree")
    assert subtree["params"] == [
        {
            "name": "category",
            "type": "iri",
            "default": "v1tax:1.2",
            "required": False,
            "description": "the concept at the top of the subtree, e.g. mtax:1.1 or v1tax:3",
        }
    ]


def parse(body: bytes, fmt_name: str, form: str):
    if form in ("CONSTRUCT", "DESCRIBE"):
        return list(ox.parse(body, format=GRAPH_FORMATS[fmt_name]))
    if fmt_name == "csv":
        return list(csv.reader(io.StringIO(body.decode())))[1:]
    results = ox.parse_query_results(body, RESULT_FORMATS[fmt_name])
    assert isinstance(results, ox.QuerySolutions), form  # no named query is an ASK
    return list(results)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_named_query_in_every_format(http, store, current, name):
    query = CATALOGUE[name]
    formats = GRAPH_FORMATS if query.form in ("CONSTRUCT", "DESCRIBE") else RESULT_FORMATS
    expected = len(list(named.execute(query, store, {}, fulltext.functions(current.path))))  # kgf: too
    for fmt in formats:
        r = http.get(f"/queries/{name}", params={"format": fmt})
        assert r.status_code == 200, (fmt, r.text)
        assert len(parse(r.content, fmt, query.form)) == expected, fmt
    page = http.get(f"/queries/{name}", headers=BROWSER)
    assert page.status_code == 200 and f"<h1>{query.title.replace('&', '&amp;')}</h1>" in page.text
    assert len(alternates(page.text)) == len(formats) and page.headers["link"].count('rel="alternate"') == len(formats)


@pytest.mark.parametrize(
    "accept, media_type",
    [
        ("text/csv", "text/csv"),
        ("*/*", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
    ],
)
def test_named_query_negotiates_accept(http, accept, media_type):
    r = http.get("/queries/documents-by-year", headers={"Accept": accept})
    assert r.headers["content-type"].split(";")[0] == media_type and "Accept" in r.headers["vary"]


def test_named_query_parameters_come_from_the_query_string(http, store):
    r = http.get("/queries/mitigations-in-subtree", params={"category": "v1tax:3.5", "format": "json"})
    bindings = r.json()["results"]["bindings"]
    assert bindings and {b["code"]["value"] for b in bindings} == {"3.5"}
    page = http.get("/queries/mitigations-in-subtree", params={"category": "v1tax:3.5"}, headers=BROWSER)
    assert 'name="category" value="v1tax:3.5"' in page.text
    assert "category=v1tax%3A3.5&amp;format=csv" in page.text  # downloads keep the parameters


def test_named_query_page_opens_in_the_editor(http, store):
    page = http.get("/queries/actor-at-stage", headers=BROWSER)
    href = re.search(r'<a href="([^"]+)" id="open-in-editor"', page.text)[1].replace("&amp;", "&")
    editor = http.get(href, headers=BROWSER)
    assert editor.status_code == 200 and 'id="row-count">3<' in editor.text


@pytest.mark.parametrize(
    "path, params, status, says",
    [
        ("/queries/no-such-query", {}, 404, "no named query 'no-such-query'"),
        ("/queries/actor-at-stage", {"stage": "not an iri"}, 400, "parameter stage: expected an IRI"),
        ("/queries/documents-by-year", {"year": "2024"}, 400, "unknown parameter year"),
        ("/queries/documents-by-year", {"format": "turtle"}, 406, "format='turtle'"),
        ("/no/such/page", {}, 404, "Not Found"),
        ("/-/health", {"x": "1"}, None, None),
    ],
)
def test_errors_have_one_shape_in_json_and_html(http, path, params, status, says):
    r = http.get(path, params=params)
    if status is None:
        assert r.status_code == 200
        return
    assert r.status_code == status and r.headers["content-type"] == "application/json"
    assert set(r.json()) == {"error"} and set(r.json()["error"]) == {"status", "title", "detail"}
    assert r.json()["error"]["status"] == status and says in r.json()["error"]["detail"]
    page = http.get(path, params=params, headers=BROWSER)
    assert page.status_code == status and page.headers["content-type"].startswith("text/html")
    assert f"<h1>{status} " in page.text and 'id="error"' in page.text


def test_a_broken_query_in_the_browser_shows_the_editor_with_the_message(http):
    r = http.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"}, headers=BROWSER)
    assert r.status_code == 400 and 'id="query-form"' in r.text and "error at 1:25" in r.text
    assert "SELECT * WHERE { ?s ?p }</textarea>" in r.text


def test_results_page_links_resources_and_every_download(http):
    query = "SELECT ?d ?t WHERE { ?d a airm:SourceDocument ; dcterms:title ?t } ORDER BY ?d"
    r = http.get("/sparql", params={"query": query}, headers=BROWSER)
    assert r.status_code == 200 and 'href="/document/shi2024"' in r.text
    downloads = re.findall(r'class="download" href="([^"]+)" download="results\.(\w+)"', r.text)
    assert [suffix for _, suffix in downloads] == ["srj", "srx", "csv", "tsv"]
    for href, _ in downloads:
        assert http.get(href.replace("&amp;", "&")).status_code == 200
    assert alternates(r.text) == [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ]


def test_query_page_assets_are_all_served_here(http):
    page = http.get("/sparql", headers=BROWSER).text
    assets = re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', page)
    assert len(assets) == 5 and all(a.startswith("/-/static/") for a in assets)
    for asset in assets:
        assert http.get(asset).status_code == 200
    assert "MIT License" in http.get("/-/static/codemirror/LICENSE").text
    assert not re.search(r'(src|href)="(https?:)?//(?!w3id\.org|www\.w3\.org)', page)  # no CDN


def test_query_page_examples_are_the_named_queries(http):
    page = http.get("/sparql", headers=BROWSER).text
    names = re.findall(r'class="example" href="/queries/([\w-]+)"', page)
    assert sorted(names) == sorted(CATALOGUE)


def test_service_description_is_an_alternate_of_the_query_page(http):
    r = http.get("/sparql", headers=BROWSER)
    assert alternates(r.text) == ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]
    assert json.loads(http.get("/sparql", params={"format": "jsonld"}).text)
