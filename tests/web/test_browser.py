"""The query page and the search box in a real headless Chromium (Debian's `chromium`), driven by
Playwright against the real server. Skipped only where Chromium is missing and CI is unset; in CI
(`.ci/run` installs Chromium) they always run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.sparql import execute, named

from .conftest import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.server]

CATALOGUE = named.load_all(Path(__file__).resolve().parents[2] / "queries")

require_chromium()


def editor_text(page) -> str:
    return page.evaluate("window.sparqlEditor.getValue()")


def test_run_an_example_and_download_csv(page, server, store, tmp_path):
    page.goto(f"{server}/sparql")
    page.wait_for_selector(".CodeMirror")
    assert editor_text(page).startswith("PREFIX airm: <https://w3id.org/airm-kg/ontology#>")
    assert page.locator(".CodeMirror .cm-keyword").count() > 0  # highlighted

    page.click('a.example[data-name="documents"]')
    assert editor_text(page) == CATALOGUE["documents"].standalone()
    with page.expect_navigation():
        page.click("#run")

    expected_csv = execute.render(execute.run_dataset(store, CATALOGUE["documents"].standalone()), "csv")
    rows = expected_csv.decode().count("\r\n") - 1
    assert page.inner_text("#row-count") == str(rows)
    assert page.locator('table.results-table a.iri[href="/document/shi2024"]').count() == 1

    with page.expect_download() as download:
        page.click('a.download[data-format="csv"]')
    saved = tmp_path / "results.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "results.csv"
    assert saved.read_bytes() == expected_csv
    href = page.get_attribute('a.download[data-format="csv"]', "href")
    response = page.request.get(f"{server}{href}")
    assert response.headers["content-disposition"] == 'attachment; filename="results.csv"'

    assert all(url.startswith(server) for url in page.requests), "every asset comes from the service itself"
    assert page.errors == []


def test_a_broken_query_says_what_is_wrong(page, server):
    page.goto(f"{server}/sparql")
    page.wait_for_selector(".CodeMirror")
    page.evaluate("window.sparqlEditor.setValue('SELECT * WHERE { ?s ?p }'); window.sparqlEditor.focus()")
    with page.expect_navigation() as navigation:
        page.keyboard.press("Control+Enter")
    assert navigation.value.status == 400
    assert "error at 1:25" in page.inner_text("#error")
    assert editor_text(page) == "SELECT * WHERE { ?s ?p }"  # still there, to fix


def test_a_long_query_is_posted(page, server, store):
    query = "# " + "padding " * 1200 + "\nSELECT (COUNT(*) AS ?n) WHERE { ?m a airm:Mitigation }"
    page.goto(f"{server}/sparql")
    page.wait_for_selector(".CodeMirror")
    page.evaluate("text => window.sparqlEditor.setValue(text)", query)
    with page.expect_navigation() as navigation:
        page.click("#run")
    assert navigation.value.request.method == "POST"
    expected = next(iter(execute.run_dataset(store, query)))["n"].value
    assert page.inner_text("table.results-table tbody td") == expected


def test_home_search_permalinks_still_answer(page, server, store):
    # the home page's box now leads to the explorer (tests/web/test_explorer_browser.py); /?q= still answers
    expected = len(list(named.execute(CATALOGUE["search"], store, {"text": "red team"})))
    page.goto(f"{server}/?q=red+team")
    assert page.inner_text("#row-count") == str(expected)
    assert page.locator("li.hit a").first.get_attribute("href").startswith("/mitigation/")
    assert page.errors == []


def test_named_query_form(page, server, store):
    page.goto(f"{server}/queries/mitigations-in-subtree")
    page.fill('input[name="category"]', "v1tax:4.3")
    with page.expect_navigation():
        page.click("form.params button")
    expected = len(list(named.execute(CATALOGUE["mitigations-in-subtree"], store, {"category": "v1tax:4.3"})))
    assert page.inner_text("#row-count") == str(expected)
    assert "category=v1tax%3A4.3" in page.url


# --- the answer in sight, the error in the text, downloads named, and a phone's width ---------------

ROW_SUMMARY = re.compile(r"^\d+ rows? · \d+\.\d{3} s$")


def test_the_results_appear_under_the_editor_in_view(page, server):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/sparql")
    page.wait_for_selector(".CodeMirror")
    page.click('a.example[data-name="documents"]')
    with page.expect_navigation():
        page.click("#run")
    page.wait_for_selector("#results")
    results, editor = page.locator("#results").bounding_box(), page.locator(".CodeMirror").bounding_box()
    summary = page.locator("#results .summary").bounding_box()
    assert results is not None and editor is not None and summary is not None
    assert 0 <= summary["y"] and summary["y"] + summary["height"] <= 720, "the row count is in view"
    assert editor["y"] + editor["height"] <= results["y"] < editor["y"] + editor["height"] + 120, (
        "right under the editor"
    )
    assert abs(results["x"] - editor["x"]) < 2, "in the editor's column, not below the examples"
    assert ROW_SUMMARY.match(page.inner_text("#results .summary"))
    assert page.errors == []


@pytest.mark.parametrize(
    "query, line, ch, marked",
    [
        ("SELECT * WHERE {\n  ?s ?p\n}", 2, 0, "}"),  # the parser: "error at 3:1"
        ("SELECT * WHERE {\n  SERVICE <http://example.org/> { ?s ?p ?o }\n}", 1, 2, "S"),  # the gate: line 2, column 3
    ],
)
def test_the_editor_marks_where_the_error_is(page, server, query, line, ch, marked):
    page.goto(f"{server}/sparql")
    page.wait_for_selector(".CodeMirror")
    page.evaluate("text => window.sparqlEditor.setValue(text)", query)
    with page.expect_navigation() as navigation:
        page.click("#run")
    assert navigation.value.status == 400
    page.wait_for_selector(".cm-error-mark")
    assert page.locator(".cm-error-mark").count() == 1
    assert page.inner_text(".cm-error-mark") == marked
    assert page.evaluate("window.sparqlErrorMark.find().from") == {"line": line, "ch": ch, "sticky": None}
    assert page.locator(".CodeMirror .error-line").count() == 1
    assert editor_text(page) == query


def test_a_named_query_downloads_under_its_name(page, server):
    page.goto(f"{server}/queries/documents")
    with page.expect_download() as download:
        page.click('a.download[data-format="csv"]')
    assert download.value.suggested_filename == "documents.csv"
    href = page.get_attribute('a.download[data-format="csv"]', "href")
    assert page.request.get(f"{server}{href}").headers["content-disposition"] == 'attachment; filename="documents.csv"'
    dump = page.request.get(f"{server}/-/dumps/airm-kg.ttl")
    assert dump.headers["content-disposition"] == 'attachment; filename="airm-kg.ttl"'


PHONE_PAGES = [
    "/",
    "/sparql",
    "/sparql?query=SELECT+%3Fs+%3Fp+%3Fo+WHERE+%7B+%3Fs+%3Fp+%3Fo+%7D+LIMIT+20",
    "/mitigation/A0086_Future_of_Life_Institute2024",
    "/mitigation/shi2024-1f14fbf250b9f161",
    "/document/shi2024",
    "/ontology",
    "/ontology/imports/dpv-extract",
    "/shapes",
    "/vocab/mitigation-taxonomy/1.1",
    "/queries",
    "/queries/documents",
    "/-/dumps",
    "/.well-known/void",
]


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_a_phone_sees_the_page_without_sideways_scrolling(page, server, path):
    """At 390 px nothing is wider than the screen: the editor, the stage x function matrix and long
    IRIs wrap or scroll inside their own box (a results table scrolls in its wrapper)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}{path}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .filter(e => !e.closest('.table-wrap, .CodeMirror-scroll, .CodeMirror > div'))
            .map(e => e.tagName + '.' + e.className)"""
    )
    assert too_wide == []
    for box in (".CodeMirror", "table.matrix"):
        if page.locator(box).count():
            bounds = page.locator(box).bounding_box()
            assert bounds is not None and bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= 390, box
