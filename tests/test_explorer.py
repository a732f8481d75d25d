"""The explorer (kg.explorer, docs/explorer.md): ranked full-text search and facets over the index
`kg build` writes into each release."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

import kg
from kg import explorer
from kg.errors import SearchError, SearchSyntaxError
from kg.namespaces import NS
from kg.release import directory

from conftest import select

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def release(current):
    return current.path


def labels(found: dict) -> list[str]:
    return [r["label"] for r in found["results"]]


def ids(found: dict) -> set[str]:
    return {r["id"] for r in found["results"]}


# (query, a label that must be among the first ten hits, why)
QUERIES = [
    ("red-teaming", "Red teaming", "punctuation splits words as the index does"),
    ('"red team"', "Red teaming", "a phrase, stemmed"),
    ("red teaming", "Red-Team for Dangerous Behaviors", "stemming: teaming ~ team"),
    ("watermark", "Watermarking", "stemming: watermark ~ watermarking"),
    ("watermarking", "Robust Watermarks for AI generated content", "stemming the other way"),
    ("WATERMARK", "Watermarking", "case folding"),
    ("water*", "Watermarking", "a prefix"),
    ('"incident reporting"', "Incident reporting", "a phrase"),
    ("model weights security", "Tracking model weights", "AND across fields, ranked"),
    ("watermark OR 'incident reporting'", "Watermarking", "OR"),
    ("name:watermarking", "Watermarking", "a field"),
]


@pytest.mark.parametrize(("query", "expected", "why"), QUERIES)
def test_query_finds(release, query, expected, why):
    found = explorer.explore(release, query, limit=10)
    assert expected in labels(found), why


def test_ranked_name_above_evidence(release):
    found = explorer.explore(release, "watermarking", limit=50)
    scores = [r["score"] for r in found["results"]]
    assert scores == sorted(scores, reverse=True)
    named = [r for r in found["results"] if "watermark" in r["label"].lower()]
    unnamed = [r for r in found["results"] if "watermark" not in r["label"].lower()]
    assert named and unnamed and min(r["score"] for r in named) > max(r["score"] for r in unnamed)


def test_snippets_highlight_and_escape(release):
    found = explorer.explore(release, "watermark", limit=5)
    assert all("<mark>" in r["snippet"] for r in found["results"])
    amp = explorer.explore(release, '"Technical & Security"', limit=1)
    assert amp["total"] and "&amp;" in amp["results"][0]["snippet"] and "& " not in amp["results"][0]["snippet"]


def test_accents_fold_both_ways(release):
    # the data spells Gipiskis without the háček and Lucía with the accent
    assert explorer.explore(release, "Gipiškis")["total"] == explorer.explore(release, "gipiskis")["total"] > 0
    assert explorer.explore(release, "Lucia Gamboa")["total"] == explorer.explore(release, "Lucía Gamboa")["total"] > 0


def test_not_excludes(release):
    both = ids(explorer.explore(release, "watermark", limit=100))
    without = ids(explorer.explore(release, "watermark -robust", limit=100))
    robust = ids(explorer.explore(release, "watermark robust", limit=100))
    assert robust and without == both - robust
    assert ids(explorer.explore(release, "watermark NOT robust", limit=100)) == without


def test_empty_and_punctuation_only_list_everything_by_name(release):
    everything = explorer.explore(release, "", limit=1000)
    (count,) = select_count(release)
    assert everything["total"] == count
    assert explorer.explore(release, " && ... ", limit=0)["total"] == count
    names = [r["label"].casefold() for r in everything["results"]]
    assert names == sorted(names)


def select_count(release) -> tuple[int]:
    store = ox.Store.read_only(str(release / "store"))
    rows = select(store, f"SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {{ ?m a <{NS.airm}Mitigation> }}")
    return (int(rows[0]["n"] or 0),)


def test_a_10kb_query(release):
    long = "model " * 1700
    assert len(long) > 10_000
    assert explorer.explore(release, long)["total"] == explorer.explore(release, "model")["total"] > 0
    noisy = ("x-y (a OR b) " * 800)[:10_240]
    with pytest.raises(SearchSyntaxError):  # cut inside a parenthesis: a clear error, not a crash
        explorer.explore(release, noisy)


@pytest.mark.parametrize(
    ("query", "position"),
    [
        ('"open phrase', 0),
        ("(a OR b", 0),
        ("a)", 1),
        ("a AND", 5),
        ("OR a", 0),
        ("()", 1),
        ("NOT a", 0),
        ("a OR NOT b", 5),
    ],
)
def test_syntax_errors_say_where(release, query, position):
    with pytest.raises(SearchSyntaxError) as caught:
        explorer.explore(release, query)
    assert caught.value.position == position
    assert caught.value.http_status == 400 and f"character {position + 1}" in str(caught.value)


def test_bad_parameters(release):
    for call in (
        lambda: explorer.explore(release, filters={"colour": "red"}),
        lambda: explorer.explore(release, sort="random"),
        lambda: explorer.explore(release, limit=-1),
        lambda: explorer.explore(release, offset=-1),
    ):
        with pytest.raises(SearchError):
            call()


def test_deterministic_pages(release):
    first = explorer.explore(release, "risk", limit=10)
    again = explorer.explore(release, "risk", limit=10)
    assert first == again
    second = explorer.explore(release, "risk", limit=10, offset=10)
    whole = explorer.explore(release, "risk", limit=20)
    assert labels(first) + labels(second) == labels(whole)
    tied = [r for r in whole["results"] if r["score"] == whole["results"][0]["score"]]
    assert [r["iri"] for r in tied] == sorted(r["iri"] for r in tied)


def test_facet_counts_are_the_totals_of_the_filtered_sets(release):
    found = explorer.explore(release, "model", limit=0)
    assert set(found["facets"]) == set(explorer.FACETS)
    checked = 0
    for key, items in found["facets"].items():
        for item in items[:8]:
            narrowed = explorer.explore(release, "model", {key: item["value"]}, limit=0)
            assert narrowed["total"] == item["count"], (key, item)
            checked += 1
    assert checked > 20


def test_filters_or_within_and_across(release):
    docs = explorer.explore(release, "", limit=0)["facets"]["document"]
    a, b = docs[0]["value"], docs[1]["value"]
    either = explorer.explore(release, "", {"document": [a, b]}, limit=0)
    assert either["total"] == docs[0]["count"] + docs[1]["count"]
    fn = explorer.explore(release, "", {"document": a}, limit=0)["facets"]["function"]
    if fn:
        both = explorer.explore(release, "", {"document": a, "function": fn[0]["value"]}, limit=0)
        assert both["total"] == fn[0]["count"]


def test_facet_counts_agree_with_sparql(release):
    store = ox.Store.read_only(str(release / "store"))
    facets = explorer.explore(release, "", limit=0)["facets"]
    for key, prop in (("document", "sourceDocument"), ("function", "airmFunction"), ("risk", "addressesRisk")):
        rows = select(
            store,
            f"SELECT ?v (COUNT(DISTINCT ?m) AS ?n) WHERE {{ ?m a <{NS.airm}Mitigation> ; <{NS.airm}{prop}> ?v }} GROUP BY ?v",
        )
        sparql = {r["v"]: int(r["n"]) for r in rows}
        ours = {i["value"]: i["count"] for i in facets[key] if key != "risk" or i["value"] in sparql}
        assert ours == sparql, key
    rows = select(
        store,
        f"""SELECT ?top (COUNT(DISTINCT ?m) AS ?n) WHERE {{
              ?m a <{NS.airm}Mitigation> ; <{NS.airm}mitigationCategory>/<{NS.skos}broader>* ?top .
              ?top <{NS.skos}topConceptOf> ?scheme }} GROUP BY ?top""",
    )
    cats = {i["value"]: i["count"] for i in facets["category"]}
    for r in rows:  # a top concept's count covers its whole subtree
        assert cats[r["top"]] >= int(r["n"])


def test_curies_and_subtrees(release):
    by_iri = explorer.explore(release, "", {"category": NS.mtax + "2"}, limit=0)
    by_curie = explorer.explore(release, "", {"category": "mtax:2"}, limit=0)
    assert by_iri["total"] == by_curie["total"] > 0
    children = [i for i in by_iri["facets"]["category"] if i.get("code", "").startswith("2.")]
    assert children and all(c["count"] <= by_iri["total"] for c in children)


def test_api_and_facade(built_settings, release):
    assert kg.search("watermark", built_settings) == explorer.explore(release, "watermark")
    narrowed = kg.search("", built_settings, limit=0, document=["kg:document/shi2024"])
    assert narrowed["total"] > 0 and narrowed["filters"] == {"document": [NS.kg + "document/shi2024"]}


def test_csv_rows_are_the_export_columns(release):
    from kg.records.columns import MITIGATION_COLUMNS

    rows = explorer.rows(release, "watermark")
    assert len(rows) == explorer.explore(release, "watermark")["total"]
    assert all(tuple(r) == MITIGATION_COLUMNS for r in rows)


def test_build_records_and_verifies_the_index(current):
    entry = current.manifest["index"]
    assert entry["name"] == explorer.FILE and (current.path / explorer.FILE).stat().st_size == entry["bytes"]
    assert directory.verify(current) == []
    assert "index" in current.manifest["timings"]


def test_cli_search(built_settings, capsys, monkeypatch):
    from kg import cli

    monkeypatch.setenv("KG_BUILD_DIR", str(built_settings.build_path))
    code = cli.main(["--root", str(built_settings.root), "search", "watermark", "--format", "json", "--limit", "2"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["results"]) == 2
    assert cli.main(["--root", str(built_settings.root), "search", '"open']) == 2


DERIVED = """
@prefix airm: <https://w3id.org/airm-kg/ontology#> .
@prefix m: <https://w3id.org/airm-kg/mitigation/> .
@prefix c: <https://w3id.org/airm-kg/classification/> .
@prefix stage: <https://w3id.org/airm-kg/vocab/lifecycle-stage/> .
@prefix cmethod: <https://w3id.org/airm-kg/vocab/classification-method/> .
@prefix mtax: <https://w3id.org/airm-kg/vocab/mitigation-taxonomy/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
m:a a airm:Mitigation ; rdfs:label "Watermark outputs" ;
    airm:primaryLifecycleStage stage:deploy ; airm:lifecycleStage stage:deploy .
m:b a airm:Mitigation ; rdfs:label "Watermarking audits" ;
    airm:derivedLifecycleStage stage:deploy ; airm:lifecycleStage stage:deploy ;
    airm:mitigationCategory mtax:2.2.1 .
c:b-derived a airm:Classification ; airm:classifies m:b ;
    airm:classificationMethod cmethod:derived ; airm:category mtax:2.2.1 .
mtax:2.2.1 skos:broader mtax:2.2 ; skos:notation "2.2.1" ; skos:prefLabel "Audits"@en .
stage:deploy skos:prefLabel "Deploy"@en .
"""


def test_derived_facts_are_indexed_and_distinguishable(tmp_path):
    store = ox.Store()
    store.load(DERIVED.encode(), ox.RdfFormat.TURTLE)
    explorer.write_index(tmp_path, store)
    found = explorer.explore(tmp_path, "watermark")
    (deploy,) = found["facets"]["stage"]
    assert deploy["count"] == 2 and deploy["derived"] == 1 and deploy["label"] == "Deploy"
    (derived_method,) = found["facets"]["method"]
    assert derived_method["value"] == NS.cmethod + "derived"
    b = next(r for r in found["results"] if r["iri"].endswith("/b"))
    assert b["stages"] == [{"value": NS.stage + "deploy", "label": "Deploy", "derived": True}]
    assert b["categories"][0]["derived"] is True and b["categories"][0]["code"] == "2.2.1"
    assert explorer.explore(tmp_path, "", {"category": "mtax:2.2"})["total"] == 1  # the subtree
    asserted = explorer.explore(tmp_path, "watermark", {"stage": "stage:deploy"}, derived=False)
    assert [r["iri"] for r in asserted["results"]] == [NS.kg + "mitigation/a"]
    assert asserted["facets"]["stage"][0]["count"] == 1


def test_text_score_in_sparql(built_settings, release):
    rows = list(
        kg.query(
            'SELECT ?m ?s WHERE { ?m a airm:Mitigation BIND (kgf:textScore(?m, "watermark") AS ?s) FILTER (?s > 0) } '
            "ORDER BY DESC(?s) ?m",
            built_settings,
        )
    )
    found = explorer.explore(release, "watermark", limit=100)
    assert [r["m"].value for r in rows] == [r["iri"] for r in found["results"]]
    assert [float(r["s"].value) for r in rows] == [r["score"] for r in found["results"]]
    bad = list(kg.query('SELECT ?s WHERE { BIND (kgf:textScore(kg:x, "\\"open") AS ?s) }', built_settings))
    assert bad[0]["s"] is None  # a malformed text query leaves the score unbound


def test_ranked_search_named_query(built_settings):
    rows = list(kg.api.query_named("ranked-search", {"text": "watermarking"}, built_settings))
    assert rows and "atermark" in rows[0]["label"].value
