"""Linked-data pages in a real headless Chromium (Debian's `chromium`, never `playwright install`):
a new user's walk from the home page, and a smoke test of every kind of page."""

from __future__ import annotations

import pytest

from .conftest import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.server]

require_chromium()

PAGES = [
    "/",
    "/mitigation/A0086_Future_of_Life_Institute2024",
    "/mitigation/shi2024-value-misalignment",
    "/document/shi2024",
    "/person/shi-dan",
    "/vocab/mitigation-taxonomy/1.1",
    "/vocab/mitigation-taxonomy",
    "/vocab/mit-v1-mitigation-taxonomy",
    "/vocab/lifecycle-stage/build-and-use-model",
    "/vocab/actor/developer",
    "/vocab/airm-function/manage",
    "/risk/shi2024-value-misalignment",
    "/vocab/risk-domain/1",
    "/dataset/mit-mitigation-database-v1",
    "/ontology",
    "/shapes",
    "/vocab/",
    "/mitigation/",
    "/document/",
    "/person/",
    "/-/dumps",
    "/.well-known/void",
    "/evidence/A0086_Future_of_Life_Institute2024",
    "/classification/A0086_Future_of_Life_Institute2024/curator",
]


def test_category_to_mitigation_to_document_to_author_and_back(page, server):
    page.goto(server + "/")
    with page.expect_navigation():
        page.locator("table.counts a.category").first.click()
    assert page.url.startswith(server + "/vocab/")
    category = page.url
    with page.expect_navigation():
        page.locator("ul.mitigations a").first.click()
    assert "/mitigation/" in page.url
    mitigation = page.url
    assert page.locator("h2", has_text="Source").count() == 1
    with page.expect_navigation():
        page.locator("span.citation cite").first.click()
    assert "/document/" in page.url
    document = page.url
    assert page.locator("ul.mitigations li").count() >= 1
    with page.expect_navigation():
        page.locator("p.authors a").first.click()
    assert "/person/" in page.url and page.locator("h1").inner_text().strip()
    assert page.locator(f'ul.documents a[href="{document[len(server) :]}"]').count() >= 1
    for expected in (document, mitigation, category):
        page.go_back()
        assert page.url == expected
    assert page.errors == [] and all(u.startswith(server) for u in page.requests)


@pytest.mark.parametrize("path", PAGES)
def test_page_smoke(page, server, path):
    response = page.goto(server + path)
    assert response.status == 200
    assert page.locator("main h1").first.inner_text().strip(), "a main heading"
    assert page.errors == [], page.errors
    assert all(u.startswith((server, "data:")) for u in page.requests), "no other origin"
