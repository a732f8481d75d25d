"""The query page and the search box in a real headless Chromium (Debian's `chromium`), driven by
Playwright against the real server. Skipped only where Chromium is missing and CI is unset; in CI
(`.ci/run` installs Chromium) they always run."""

from __future__ import annotations

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
