"""The navigator's seed data is preliminary: the dataset and each of its records carry an ADMS status
and the source's own words on rights, and every page of such a record shows them (real server)."""

from __future__ import annotations

import html

import pytest

from kg.namespaces import DEFAULT_BASE, NS

pytestmark = pytest.mark.server

BROWSER = {"Accept": "text/html"}
SEED_DATASET = f"{DEFAULT_BASE}dataset/mitigation-navigator-seeds"
UNDER_DEVELOPMENT = f"{NS.admsstatus}UnderDevelopment"


def records(store, status: bool) -> list[str]:
    test = "" if status else "FILTER NOT EXISTS { ?r <%sstatus> ?s }" % NS.adms
    query = f"""SELECT DISTINCT ?r WHERE {{ ?r void:inDataset ?d . {test}
        {"FILTER (?d = <%s>)" % SEED_DATASET if status else "FILTER (?d != <%s>)" % SEED_DATASET}
        ?r a airm:Mitigation }} ORDER BY ?r LIMIT 40"""
    return [
        row["r"].value
        for row in store.query(query, prefixes={"void": NS.void, "airm": NS.airm}, use_default_graph_as_union=True)
    ]


def test_the_seed_dataset_states_its_status_and_the_sources_words_and_no_licence(store):
    q = f"SELECT ?p ?o WHERE {{ <{SEED_DATASET}> ?p ?o }}"
    facts = {(row["p"].value, row["o"].value) for row in store.query(q, use_default_graph_as_union=True)}
    assert (f"{NS.adms}status", UNDER_DEVELOPMENT) in facts
    assert not [o for p, o in facts if p == f"{NS.dcterms}license"]
    rights = [o for p, o in facts if p == f"{NS.dcterms}rights"]
    assert rights and "Please do not share or cite these figures publicly." in rights[0]
    unmarked = store.query(
        f"""SELECT ?r WHERE {{ ?r <{NS.void}inDataset> <{SEED_DATASET}> ; a ?t .
            VALUES ?t {{ <{NS.airm}Mitigation> <{NS.airm}EvidenceQuote> <{NS.airm}Classification> <{NS.airm}SourceDocument> }}
            FILTER NOT EXISTS {{ ?r <{NS.adms}status> <{UNDER_DEVELOPMENT}> }} }}""",
        use_default_graph_as_union=True,
    )
    assert not list(unmarked)


def test_every_page_of_a_seed_record_shows_the_status(http, store):
    seed = records(store, True)
    q = f"SELECT DISTINCT ?r WHERE {{ ?r <{NS.adms}status> <{UNDER_DEVELOPMENT}> }}"
    marked = [row["r"].value for row in store.query(q, use_default_graph_as_union=True)]
    assert len(seed) >= 12 and set(seed) <= set(marked)
    for iri in marked:
        page = http.get(iri.removeprefix(DEFAULT_BASE.rstrip("/")), headers=BROWSER)
        assert page.status_code == 200, iri
        notice = page.text.split('class="status-notice"', 1)
        assert len(notice) == 2, f"{iri}: no status notice"
        assert "Under development" in notice[1][:400]
        assert "Please do not share or cite these figures publicly." in html.unescape(notice[1][:1200])


def test_pages_of_other_records_show_no_status(http, store):
    others = records(store, False)[:5]
    assert others
    for iri in others:
        page = http.get(iri.removeprefix(DEFAULT_BASE.rstrip("/")), headers=BROWSER)
        assert page.status_code == 200 and 'class="status-notice"' not in page.text
