"""The explorer over HTTP (the real server): /mitigations, .json, .csv and /mitigations/coverage."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from kg import explorer
from kg.records.columns import MITIGATION_COLUMNS

pytestmark = pytest.mark.server


def test_json_is_explore(http, current):
    r = http.get("/mitigations.json", params=[("q", "watermark"), ("limit", "5"), ("page", "2")])
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json() == explorer.explore(current.path, "watermark", limit=5, offset=5)


def test_repeated_values_or_and_facets_and(http, current):
    facets = explorer.explore(current.path, "", limit=0)["facets"]
    a, b = facets["document"][0]["value"], facets["document"][1]["value"]
    body = http.get("/mitigations.json", params=[("document", a), ("document", b), ("limit", "0")]).json()
    assert body["total"] == facets["document"][0]["count"] + facets["document"][1]["count"]


def test_malformed_queries_are_400_never_500(http):
    for q in ['"open', "(a", "a)", "OR", "NOT a", "a AND", "x" * 10_240 + '"']:
        r = http.get("/mitigations.json", params={"q": q})
        assert r.status_code == 400, q
        assert "character" in r.json()["error"]["detail"]
        page = http.get("/mitigations", params={"q": q}, headers={"Accept": "text/html"})
        assert page.status_code == 400 and 'id="search-error"' in page.text
    for params in ({"sort": "random"}, {"page": "0"}, {"limit": "x"}, {"colour": "red", "derived": "maybe"}):
        assert http.get("/mitigations.json", params=params).status_code == 400, params


def test_csv_holds_every_row_in_the_export_columns(http, current):
    r = http.get("/mitigations.csv", params={"q": "risk", "limit": "5"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == MITIGATION_COLUMNS
    assert len(rows) - 1 == explorer.explore(current.path, "risk", limit=0)["total"] > 5


def test_page_links_add_and_remove_facet_values(http):
    page = http.get("/mitigations", params={"q": "model"}, headers={"Accept": "text/html"}).text
    link = re.search(r'<a href="([^"]+)" data-facet="function">', page).group(1).replace("&amp;", "&")
    narrowed = http.get(link, headers={"Accept": "text/html"}).text
    assert "(remove)" in narrowed and 'class="chip"' in narrowed
    chosen = parse_qs(urlsplit(link).query)
    assert chosen["q"] == ["model"] and len(chosen["function"]) == 1
    back = re.search(r'<a class="chip" href="([^"]+)"', narrowed).group(1).replace("&amp;", "&")
    assert "function" not in parse_qs(urlsplit(back).query)


def test_charts_are_svg_links_with_text(http):
    page = http.get("/mitigations", headers={"Accept": "text/html"}).text
    assert page.count('<svg class="chart bars"') >= 4 and '<svg class="chart heatmap"' in page
    assert re.search(r'<a href="/mitigations\?[^"]*function=[^"]*" class="bar"><title>[^<]+: \d+</title>', page)
    assert "<desc id=" in page and "as a table" in page
    assert "<script" not in page.split("<main>")[1]


def test_coverage_shows_gaps(http):
    page = http.get("/mitigations/coverage", headers={"Accept": "text/html"}).text
    assert page.count('<svg class="chart heatmap"') == 2
    assert 'class="cell gap"' in page and 'class="cell"' in page


def test_sparql_link_selects_the_same(http, current):
    page = http.get("/mitigations", params={"q": "watermark", "category": "v1tax:2"}, headers={"Accept": "text/html"})
    href = re.search(r'id="as-sparql" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    query = parse_qs(urlsplit(href).query)["query"][0]
    r = http.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    got = [b["m"]["value"] for b in r.json()["results"]["bindings"]]
    found = explorer.explore(current.path, "watermark", {"category": "v1tax:2"}, limit=1000)
    assert got == [x["iri"] for x in found["results"]] and got


def test_home_and_concept_counts_link_to_the_explorer(http):
    home = http.get("/", headers={"Accept": "text/html"}).text
    assert 'action="/mitigations"' in home
    assert re.search(r'href="/mitigations\?category=[^"]+">\d+</a>', home)
    # a matrix cell: "direct / with derived", one link to the explorer
    cell = r'href="/mitigations\?stage=[^"]+&amp;function=[^"]+"><span class="direct"[^>]*>\d+</span> / '
    assert re.search(cell + r'<span class="with-derived"[^>]*>\d+</span></a>', home)
    concept = http.get("/vocab/mitigation-taxonomy/2.2", headers={"Accept": "text/html"}).text
    assert "/mitigations?category=https%3A//w3id.org/airm-kg/vocab/mitigation-taxonomy/2.2" in concept.replace(
        "%2F", "/"
    )
