"""The tables `make bench` prints, from the results dictionary it also writes as JSON.

Ratios are ours / peer: below 1 ours is faster (latency) or slower (throughput, where it is
ours / peer of queries per second, so above 1 ours serves more). Geometric means are over the
queries both endpoints answered.
"""

from __future__ import annotations

import math

from bench import load, search
from bench.build import STEPS, growth

PEER_LABEL = {"ours": "ours", "replica": "replica-virtuoso", "oxigraph": "oxigraph", "rdflib": "rdflib-ep"}


def geomean(values: list[float | None]) -> float | None:
    positive = [v for v in values if v and v > 0]  # ratios: None where one side had none
    return math.exp(sum(math.log(v) for v in positive) / len(positive)) if positive else None


def fmt(value, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if abs(value) >= 1000:
        return f"{value:,.0f}{suffix}"
    return f"{value:.{digits}f}{suffix}"


def ratio(a, b) -> float | None:
    return a / b if a and b else None


def table(header: list[str], rows: list[list[str]], title: str) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(
        str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
    )
    return "\n".join([f"== {title} ==", line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]) + "\n"


def step_cell(step: dict | None) -> str:
    if not step:
        return "-"
    if step.get("status") == "ok":
        return fmt(step.get("seconds"), 2)
    return "skip" if step["status"].startswith("skipped") else "over"


def build_tables(sizes: list[dict]) -> str:
    rows, grow = [], []
    previous = None  # growth is over the generated sizes (one shape), smallest first
    for s in sorted(sizes, key=lambda s: (s.get("target_triples") is not None, s.get("data_triples") or 0)):
        b = s.get("build", {})
        if b.get("status") != "ok":
            rows.append(
                [
                    s["name"],
                    fmt(s.get("data_triples"), 0),
                    "-",
                    *["-"] * len(STEPS),
                    f"failed: {b.get('reason', '?')}",
                    fmt(b.get("group_peak_rss_mb"), 0),
                    "-",
                ]
            )
            continue
        steps = b["steps"]
        rows.append(
            [
                s["name"],
                fmt(s["data_triples"], 0),
                fmt(b["quads"], 0),
                *(step_cell(steps.get(n)) for n in STEPS),
                fmt(b["total_seconds"], 1),
                fmt(b["group_peak_rss_mb"], 0),
                fmt(steps.get("reason", {}).get("child_peak_rss_mb"), 0),
            ]
        )
        if previous and s.get("target_triples"):
            cells = []
            for n in (*STEPS, "total"):
                t1 = previous[1]["total_seconds"] if n == "total" else previous[1]["steps"].get(n, {}).get("seconds")
                t2 = b["total_seconds"] if n == "total" else steps.get(n, {}).get("seconds")
                cells.append(fmt(growth(previous[0], t1 or 0, s["data_triples"], t2 or 0), 2))
            grow.append([f"{previous[2]} -> {s['name']}", *cells])
        previous = (s["data_triples"], b, s["name"]) if s.get("target_triples") else None
    out = table(
        ["size", "data triples", "quads", *STEPS, "total s", "peak MiB", "HermiT MiB"],
        rows,
        "kg build: seconds per step (skip: not run, over: stopped at its budget); peak memory "
        "of the build and of the reasoner's processes (Java)",
    )
    notes = [
        f"  {s['name']} {n}: {st['status']}"
        for s in sizes
        for n, st in s.get("build", {}).get("steps", {}).items()
        if st.get("status", "ok") != "ok"
    ]
    if notes:
        out += "\n".join(notes) + "\n"
    if grow:
        out += "\n" + table(
            ["between", *STEPS, "total"],
            grow,
            "growth: exponent k of time ~ size^k (1.00 = linear in the data triples)",
        )
    return out


def latency_table(size: dict) -> str:
    eps = size.get("endpoints", {})
    peers = [p for p in eps if p != "ours"]
    ours = eps.get("ours", {}).get("queries", {})
    header = [
        "query",
        "rows",
        *(f"{PEER_LABEL[e]} warm" for e in eps),
        *(f"{PEER_LABEL[e]} cold" for e in eps),
        *(f"warm /{PEER_LABEL[p]}" for p in peers),
    ]
    rows = []
    for name, q in ours.items():
        rows.append(
            [
                name,
                fmt(q.get("rows"), 0),
                *(_warm(eps[e].get("queries", {}).get(name)) for e in eps),
                *(fmt(_get(eps, e, name, "cold_ms"), 1) for e in eps),
                *(fmt(ratio(q.get("warm_median_ms"), _get(eps, p, name, "warm_median_ms")), 2) for p in peers),
            ]
        )
    return table(
        header,
        rows,
        f"{size['name']}: latency in ms (warm: median/p95 of up to "
        "BENCH_WARM_RUNS runs; cold: the first run); ratio ours/peer",
    )


def _get(eps: dict, endpoint: str, query: str, key: str):
    q = eps.get(endpoint, {}).get("queries", {}).get(query) or {}
    return q.get(key) if q.get("status") == "ok" else None


def _warm(q: dict | None) -> str:
    if not q:
        return "-"
    if q.get("status") != "ok":
        return (
            "timeout"
            if q["status"].startswith("timeout")
            else ("skipped" if q["status"].startswith("skipped") else "error")
        )
    if "warm_median_ms" not in q:
        return "cold only"
    return f"{fmt(q['warm_median_ms'])}/{fmt(q['warm_p95_ms'])}"


def summary(sizes: list[dict]) -> tuple[str, list[dict]]:
    """The ratio table (ours / peer by size) and its rows as dictionaries for the JSON."""
    rows, records = [], []
    for s in sizes:
        eps = s.get("endpoints", {})
        ours = eps.get("ours")
        for peer in (p for p in eps if p != "ours"):
            other = eps[peer]
            rec = {"size": s["name"], "peer": peer}
            if other.get("status") != "ok" or not ours or ours.get("status") != "ok":
                rows.append([s["name"], PEER_LABEL[peer], other.get("status", "?")] + ["-"] * 7)
                records.append({**rec, "status": other.get("status")})
                continue
            both = [
                n
                for n, q in ours["queries"].items()
                if q.get("status") == "ok" and other["queries"].get(n, {}).get("status") == "ok"
            ]
            for key in ("warm_median_ms", "warm_p95_ms", "cold_ms"):
                rec[key] = geomean([ratio(ours["queries"][n][key], other["queries"][n][key]) for n in both])
            for c, t in ours.get("throughput", {}).items():
                rec[f"qps_{c}"] = ratio(t.get("qps"), other.get("throughput", {}).get(c, {}).get("qps"))
            rec["compared"] = len(both)
            rec["unanswered"] = len(ours["queries"]) - len(both)
            rec["row_mismatches"] = len([m for m in s.get("mismatches", []) if m["peer"] == peer])
            records.append(rec)
            rows.append(
                [
                    s["name"],
                    PEER_LABEL[peer],
                    f"{rec['compared']}/{len(ours['queries'])}",
                    fmt(rec["warm_median_ms"], 2),
                    fmt(rec["warm_p95_ms"], 2),
                    fmt(rec["cold_ms"], 2),
                    *(fmt(rec.get(f"qps_{c}"), 2) for c in ("1", "8", "32")),
                    str(rec["row_mismatches"]),
                ]
            )
    text = table(
        ["size", "peer", "queries", "warm median", "warm p95", "cold", "qps@1", "qps@8", "qps@32", "row mismatches"],
        rows,
        "ours / peer (latency: geometric mean over the queries both answered, < 1 = ours faster; "
        "qps: > 1 = ours serves more)",
    )
    return text, records


def throughput_table(sizes: list[dict]) -> str:
    rows = []
    for s in sizes:
        for e, r in s.get("endpoints", {}).items():
            t = r.get("throughput") or {}
            if not t:
                rows.append([s["name"], PEER_LABEL[e], r.get("throughput_status") or r.get("status", "-"), "", ""])
                continue
            rows.append([s["name"], PEER_LABEL[e], *(fmt(t.get(c, {}).get("qps"), 1) for c in ("1", "8", "32"))])
    return table(
        ["size", "endpoint", "1 client", "8 clients", "32 clients"],
        rows,
        "throughput: queries completed per second, the named queries ours answered in rotation",
    )


def endpoint_table(sizes: list[dict]) -> str:
    rows = []
    for s in sizes:
        for e, r in s.get("endpoints", {}).items():
            g = geomean([q.get("warm_median_ms") for q in r.get("queries", {}).values() if q.get("status") == "ok"])
            answered = sum(1 for q in r.get("queries", {}).values() if q.get("status") == "ok")
            rows.append(
                [
                    s["name"],
                    PEER_LABEL[e],
                    r.get("status", "-"),
                    fmt(r.get("startup_seconds"), 2),
                    fmt(r.get("load_seconds"), 2),
                    fmt(r.get("peak_rss_mb"), 0),
                    f"{answered}/{len(r.get('queries', {}))}",
                    fmt(g, 1),
                    str(r.get("restarts", 0)),
                ]
            )
    return table(
        ["size", "endpoint", "status", "startup s", "load s", "peak MiB", "answered", "warm geomean ms", "restarts"],
        rows,
        "endpoints: start, load, memory, queries answered",
    )


def mismatches(sizes: list[dict]) -> str:
    lines = [
        f"  {s['name']} {m['query']}: ours {m['ours']} rows, {PEER_LABEL[m['peer']]} {m['theirs']}"
        for s in sizes
        for m in s.get("mismatches", [])
    ]
    return (
        ("== row-count mismatches (peer vs ours) ==\n" + "\n".join(lines) + "\n")
        if lines
        else "== row counts: every peer answer has as many rows as ours ==\n"
    )


def render(results: dict) -> str:
    sizes = [s for s in results["sizes"] if "error" not in s]
    parts = [
        build_tables(sizes),
        *(latency_table(s) for s in sizes if s.get("endpoints")),
        throughput_table(sizes),
        endpoint_table(sizes),
        mismatches(sizes),
        *(search.table(s) for s in sizes if s.get("search") and "error" not in s["search"]),
        *(load.table(s["load"]) for s in sizes if s.get("load") and "error" not in s["load"]),
        summary(sizes)[0],
    ]
    failed = [f"  {s['name']}: {s['error']}" for s in results["sizes"] if "error" in s]
    if failed:
        parts.append("== sizes that failed ==\n" + "\n".join(failed) + "\n")
    return "\n".join(parts)
