"""The explorer as a new user meets it, in real headless Chromium against the real server: type a
search on the home page, narrow by clicking a facet and a chart bar, page on, download the CSV,
open the selection as SPARQL; by keyboard alone, and at 390 px wide."""

from __future__ import annotations

import csv
import io

import pytest

from kg import explorer

from .conftest import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.server]

require_chromium()


def total(page) -> int:
    return int(page.inner_text("#total"))


def test_search_narrow_page_download_and_sparql(page, server, current, tmp_path):
    page.goto(f"{server}/")
    page.fill("#q", "model weights security")
    with page.expect_navigation():
        page.press("#q", "Enter")
    assert "/mitigations?q=model+weights+security" in page.url
    expected = explorer.explore(current.path, "model weights security", limit=20)
    assert total(page) == expected["total"] > 0
    assert page.inner_text("li.hit a.hit-title >> nth=0") == expected["results"][0]["label"]
    assert page.locator("li.hit mark").count() > 0  # highlighted

    with page.expect_navigation():  # a facet value
        page.click("#facet-document a >> nth=0")
    narrowed = total(page)
    assert 0 < narrowed <= expected["total"] and "document=" in page.url

    page.goto(f"{server}/mitigations")
    everything = total(page)
    with page.expect_navigation():  # a bar of the function chart
        page.click("#bars-function a.bar >> nth=0")
    assert "function=" in page.url and 0 < total(page) < everything

    page.goto(f"{server}/mitigations?q=risk")
    first = page.inner_text("li.hit a.hit-title >> nth=0")
    with page.expect_navigation():
        page.click("#next-page")
    assert "page=2" in page.url and page.inner_text("li.hit a.hit-title >> nth=0") != first
    assert page.locator("ol.hit-list").get_attribute("start") == "21"

    with page.expect_download() as download:
        page.click("#download-csv")
    saved = tmp_path / "mitigations.csv"
    download.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert len(rows) - 1 == explorer.explore(current.path, "risk", limit=0)["total"]

    with page.expect_navigation():
        page.click("#as-sparql")
    assert "/sparql" in page.url and "kgf:textScore" in page.evaluate("window.sparqlEditor.getValue()")
    assert all(url.startswith(server) for url in page.requests), "everything is served by the service"
    assert page.errors == []


def test_keyboard_only(page, server):
    page.goto(f"{server}/mitigations")
    page.focus("#q")
    page.keyboard.type("watermark")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=watermark" in page.url
    for _ in range(200):  # tab to the first facet link and follow it
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.facet || ''"):
            break
    else:
        pytest.fail("no facet link is reachable by Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "(remove)" in page.content()


def test_at_390_px(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        for path in ("/mitigations?q=model+weights+security", "/mitigations", "/mitigations/coverage"):
            page.goto(f"{server}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
            assert page.locator("#q").is_visible() if path != "/mitigations/coverage" else True
    finally:
        context.close()
