"""The benchmark's generator and helpers (bench/): not timed, only that they do what they say."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from bench import build, client, compare, generate, report
from kg import api
from kg.config import Settings
from kg.namespaces import GRAPH
from kg.pipeline import infer
from kg.sparql.named import load_all


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A generated project of about 20,000 data triples."""
    root = tmp_path_factory.mktemp("bench") / "p20k"
    return root, generate.generate(root, 20_000, seed=3)


def test_same_seed_same_data(tmp_path, small):
    root, meta = small
    again = generate.generate(tmp_path / "again", 20_000, seed=3)
    assert again == meta
    assert (tmp_path / "again/data/generated.ttl").read_bytes() == (root / "data/generated.ttl").read_bytes()
    other = generate.generate(tmp_path / "other", 20_000, seed=4)
    assert (tmp_path / "other/data/generated.ttl").read_bytes() != (root / "data/generated.ttl").read_bytes()
    assert abs(other["data_triples"] - 20_000) < 2_000


@pytest.mark.parametrize("target", [30_000, 60_000])
def test_size_lands_near_the_target(tmp_path, target):
    meta = generate.generate(tmp_path / "p", target, seed=8)
    store = ox.Store()
    for path in (tmp_path / "p/data").glob("*.ttl"):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(path.as_uri()))
    assert len(store) == meta["data_triples"]
    assert abs(meta["data_triples"] - target) / target < 0.05


def test_project_copy_has_what_a_build_needs(small):
    root, meta = small
    for name in ("ontology", "shapes", "queries", "data"):
        assert (root / name).is_dir()
    assert sorted(p.name for p in (root / "data").iterdir()) == sorted([*generate.KEPT_DATA, generate.GENERATED])
    assert set(meta["params"]) == {"document", "mitigation"}


@pytest.mark.slow
def test_generated_data_passes_the_shapes(small):
    root, _ = small
    problems = [v for v in api.validate(None, Settings(root=root)) if v.severity == "Violation"]
    assert problems == []


@pytest.mark.slow
def test_named_queries_return_rows(small):
    """Over the generated data with its inferences, the named queries find what they look for
    (the two gap queries may rightly find nothing)."""
    root, meta = small
    store = ox.Store()
    for folder in ("ontology", "data"):
        for path in sorted((root / folder).rglob("*.ttl")):
            graph = f"{GRAPH}{path.relative_to(root).with_suffix('').as_posix()}"
            store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(graph))
    infer.materialise(store)
    empty = []
    for q in client.load(root / "queries", meta["params"]):
        if not list(store.query(q.text, use_default_graph_as_union=True)):
            empty.append(q.name)
    assert set(empty) <= {"stage-function-gaps", "taxonomy-gaps"}


def test_every_named_query_runs_stand_alone():
    """The text sent to the peers parses without the project's predeclared prefixes."""
    queries = client.load(generate.CHECKOUT / "queries", {})
    catalogue = load_all(generate.CHECKOUT / "queries").values()
    assert len(queries) == len([q for q in catalogue if "extension" not in q.tags])  # kgf: is ours alone
    for q in queries:
        ox.Store().query(q.text)
        assert client.ACCEPT[q.form]


def test_growth_and_budget_planning():
    assert build.growth(1e4, 1.0, 1e5, 10.0) == pytest.approx(1.0)
    assert build.growth(1e4, 1.0, 1e5, 100.0) == pytest.approx(2.0)
    assert build.predict([(1e4, 2.0), (1e5, 20.0)], 1e6) == pytest.approx(200.0)
    assert build.predict([(1e5, 20.0)], 1e6) == pytest.approx(200.0)
    ok = [{"n": 1e4, "seconds": 2.0, "status": "ok"}, {"n": 1e5, "seconds": 20.0, "status": "ok"}]
    assert build.plan("validate", 1e6, ok, 300) is None
    assert build.plan("validate", 1e6, ok, 100).startswith("skipped: predicted 200 s")
    assert build.plan("reason", 1e6, [{"n": 1e5, "seconds": 9, "status": "over budget"}], 1e9).startswith(
        "skipped: over budget"
    )


def test_percentile_and_row_count():
    assert client.percentile([5, 1, 4, 2, 3], 50) == 3
    assert client.percentile([1, 2, 3], 95) == 3
    select = client.Query("q", "SELECT * {}", "SELECT")
    assert client.count(select, b'{"head": {"vars": []}, "results": {"bindings": [{}, {}]}}') == 2
    construct = client.Query("q", "CONSTRUCT {} WHERE {}", "CONSTRUCT")
    assert client.count(construct, b"<a> <b> <c> .\n<a> <b> <d> .\n") == 2


def _run(ms: float, qps: float) -> dict:
    q = {"status": "ok", "cold_ms": 2 * ms, "warm_median_ms": ms}
    return {
        "started": "t",
        "sizes": [
            {
                "name": "1e4",
                "build": {
                    "status": "ok",
                    "total_seconds": ms,
                    "group_peak_rss_mb": 100.0,
                    "steps": {"parse": {"status": "ok", "seconds": ms}},
                },
                "endpoints": {"ours": {"queries": {"a": q}, "throughput": {"1": {"qps": qps}}}},
            }
        ],
    }


def test_compare_two_runs():
    text = compare.compare(_run(10.0, 100.0), _run(5.0, 300.0))
    ours = next(line for line in text.splitlines() if line.startswith("1e4") and "ours" in line)
    assert ours.split()[3:6] == ["0.50", "0.50", "3.00"]


def test_report_renders_failures_and_ratios():
    q = {"status": "ok", "rows": 2, "cold_ms": 20.0, "warm_n": 3, "warm_median_ms": 10.0, "warm_p95_ms": 12.0}
    peer = {**q, "cold_ms": 10.0, "warm_median_ms": 5.0}
    sizes = [
        {
            "name": "1e4",
            "data_triples": 10_000,
            "build": {
                "status": "ok",
                "quads": 30_000,
                "total_seconds": 10.0,
                "group_peak_rss_mb": 300.0,
                "steps": {
                    "parse": {"status": "ok", "seconds": 1.0},
                    "validate": {"status": "skipped: predicted 500 s > budget 120 s", "seconds": None},
                },
            },
            "endpoints": {
                "ours": {"status": "ok", "queries": {"a": q}, "throughput": {"1": {"qps": 10.0}}},
                "oxigraph": {"status": "ok", "queries": {"a": peer}, "throughput": {"1": {"qps": 20.0}}},
                "rdflib": {"status": "skipped (over budget)"},
            },
            "mismatches": [{"query": "a", "peer": "oxigraph", "ours": 2, "theirs": 3}],
        },
        {"name": "1e5", "data_triples": 100_000, "build": {"status": "failed", "reason": "exit code 1"}},
    ]
    text = report.render({"sizes": sizes})
    assert "failed: exit code 1" in text and "skip" in text
    _, rows = report.summary(sizes)
    oxigraph = next(r for r in rows if r["peer"] == "oxigraph")
    assert oxigraph["warm_median_ms"] == pytest.approx(2.0) and oxigraph["qps_1"] == pytest.approx(0.5)
    assert oxigraph["row_mismatches"] == 1
