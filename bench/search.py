"""The explorer's speed (docs/explorer.md), server-side, beside the SPARQL a user would otherwise write.

For each size, over the built release: the p50 and p95 of `kg.explorer.explore` for a few text
queries (one page, with every facet's counts: what /mitigations.json computes), of the explorer
page's whole computation (the same plus the stage × function matrix), and of the equivalent
substring search in SPARQL (`FILTER(CONTAINS(LCASE(...)))` over names and evidence, as the named
query `search` does) on the release's store in memory. The index's build time is the pipeline's
own `index` timing. In-process, warm (each measured after one unmeasured run); not a test.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

QUERIES = ("model weights security", "red teaming", '"incident reporting"', "water*", "risk")
RUNS = 15
CONTAINS = """SELECT DISTINCT ?m WHERE {{
  ?m a airm:Mitigation .
  {{ ?m rdfs:label ?t }} UNION {{ ?m airm:hasEvidence/airm:quoteText ?t }}
  {filters}
}}"""


def _times(fn, runs: int = RUNS) -> dict:
    fn()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    seconds.sort()
    return {
        "p50_ms": round(statistics.median(seconds) * 1000, 2),
        "p95_ms": round(seconds[int(0.95 * (len(seconds) - 1))] * 1000, 2),
    }


def contains_query(text: str) -> str:
    words = [w.strip('"*').lower() for w in text.split() if w.strip('"*')]
    words = [" ".join(words)] if text.startswith('"') else words
    filters = " ".join(f'FILTER (CONTAINS(LCASE(STR(?t)), "{w}"))' for w in words)
    return CONTAINS.format(filters=filters)


def measure(release: Path) -> dict:
    import pyoxigraph as ox

    from kg import explorer
    from kg.sparql import execute

    store = ox.Store()
    store.load(path=str(release / "airm-kg.nq"), format=ox.RdfFormat.N_QUADS)
    out: dict = {"queries": {}}
    for q in QUERIES:
        found = explorer.explore(release, q, limit=20)
        sparql = contains_query(q)
        out["queries"][q] = {
            "hits": found["total"],
            "explore": _times(lambda q=q: explorer.explore(release, q, limit=20)),
            "sparql_contains": _times(lambda s=sparql: list(execute.run(store, s)), runs=5),
            "sparql_hits": len(list(execute.run(store, sparql))),
        }

    def page() -> None:
        explorer.explore(release, "", {}, limit=20)
        explorer.matrix(release, "stage", "function")

    out["page_all_facets"] = _times(page)
    out["csv_all_rows"] = _times(lambda: explorer.rows(release, ""), runs=5)
    return out


def table(size: dict) -> str:
    from bench.report import fmt
    from bench.report import table as render

    s = size["search"]
    rows = [
        [q, fmt(v["hits"], 0), fmt(v["explore"]["p50_ms"], 2), fmt(v["explore"]["p95_ms"], 2),
         fmt(v["sparql_hits"], 0), fmt(v["sparql_contains"]["p50_ms"], 1)]
        for q, v in s["queries"].items()
    ]  # fmt: skip
    index = size.get("build", {}).get("pipeline_timings", {}).get("index")
    title = (
        f"{size['name']}: search p50/p95 ms (explore: one page + every facet count) beside FILTER(CONTAINS) "
        f"SPARQL; explorer page {fmt(s['page_all_facets']['p50_ms'], 2)} ms p50; CSV of every row "
        f"{fmt(s['csv_all_rows']['p50_ms'], 1)} ms; index build {fmt(index, 2)} s"
    )
    return render(["query", "hits", "explore p50", "p95", "CONTAINS hits", "CONTAINS p50"], rows, title)
