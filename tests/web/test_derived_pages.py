"""Derived facts where users meet them (real server): the home page's category counts and stage ×
function matrix give direct and with-derived numbers, and a mitigation's page marks a derived stage,
actor or category with a badge linking to the mapping record it follows."""

from __future__ import annotations

import re

import pytest

from kg.namespaces import DEFAULT_BASE
from kg.sparql import named

pytestmark = pytest.mark.server

BROWSER = {"Accept": "text/html"}
CATALOGUE = named.load_all(named.Path(__file__).resolve().parents[2] / "queries")
FUNCTIONS = ("govern", "map", "measure", "manage")


def path(iri: str) -> str:
    return iri.removeprefix(DEFAULT_BASE.rstrip("/"))


def matrix_from_query(store, derived: bool) -> list[int]:
    rows = named.execute(CATALOGUE["stage-function-matrix"], store, {"derived": str(derived).lower()})
    return sorted(int(row[f].value) for row in rows for f in FUNCTIONS if int(row[f].value))


def test_home_matrix_shows_direct_and_with_derived_counts(http, store):
    page = http.get("/", headers=BROWSER).text
    matrix = page[page.index('class="matrix"') : page.index("</table>", page.index('class="matrix"'))]
    cells = re.findall(r'<span class="direct"[^>]*>(\d+)</span> / <span class="with-derived"[^>]*>(\d+)</span>', matrix)
    shown = [(int(d), int(w)) for d, w in cells]
    # the cells of the four functions (the page also has the other function columns, empty here)
    assert sorted(w for _, w in shown if w) == matrix_from_query(store, True)
    assert sorted(d for d, _ in shown if d) == matrix_from_query(store, False)
    assert sum(w for _, w in shown) > sum(d for d, _ in shown) > 0
    assert "/queries/stage-function-matrix?derived=false" in page


def test_home_v2_counts_show_direct_and_with_derived(http, store):
    page = http.get("/", headers=BROWSER).text
    counts = {}
    for scheme in ("mitigation-taxonomy", "mit-v1-mitigation-taxonomy"):
        rows = named.execute(
            CATALOGUE["category-counts"], store, {"scheme": f"<{DEFAULT_BASE}vocab/{scheme}>", "derived": "false"}
        )
        counts.update({row["concept"].value: int(row["subtree_mitigations"].value) for row in rows})
    shown = re.findall(
        r'<a class="category" href="([^"]+)">[^<]*</a></td><td class="number direct">(?:<a [^>]*>)?(\d+)(?:</a>)?</td>'
        r'<td class="number with-derived">(?:<a [^>]*>)?(\d+)(?:</a>)?</td>',
        page,
    )
    assert len(shown) >= 7
    for href, direct, _ in shown:
        assert counts[DEFAULT_BASE.rstrip("/") + href] == int(direct), href
    assert any(int(w) > int(d) for _, d, w in shown)
    assert "/mitigations?category=" in page and "&amp;derived=false" in page  # each count opens the explorer


def badge_links(page: str) -> list[str]:
    return re.findall(r'class="badge derived"[^>]*>derived</span> from <a class="derived-from" href="([^"]+)"', page)


def test_a_nist_action_page_marks_its_derived_stage_and_actor(http, store):
    iri = f"{DEFAULT_BASE}mitigation/NIST.AI.600-1_GV-1.4-001"
    q = f"SELECT ?r WHERE {{ ?d airm:derivationOf <{iri}> ; prov:wasDerivedFrom ?r }}"
    records = {
        row["r"].value
        for row in store.query(
            q,
            prefixes={"airm": f"{DEFAULT_BASE}ontology#", "prov": "http://www.w3.org/ns/prov#"},
            use_default_graph_as_union=True,
        )
    }
    page = http.get(path(iri), headers=BROWSER).text
    links = badge_links(page)
    assert records and {DEFAULT_BASE.rstrip("/") + h for h in links} == records
    assert http.get(links[0], headers=BROWSER).status_code == 200  # the mapping record has a page


def test_a_v1_mitigation_page_marks_its_derived_category(http):
    page = http.get("/mitigation/A0006_Bengio2025", headers=BROWSER).text
    assert badge_links(page) == ["/mapping/mit-v1-to-mitigation-taxonomy/008"]
    seed = http.get("/mitigation/shi2024-7a79d1d984c96b88", headers=BROWSER)
    assert seed.status_code == 200 and not badge_links(seed.text)
