"""Compare two benchmark runs: `python -m bench.compare OLD.json NEW.json`.

For every size both runs have: the build steps (seconds, NEW / OLD), and per endpoint the geometric
mean of the warm median and of the cold latency over the queries both runs answered, and the
throughput at each client count (NEW / OLD). Below 1 NEW is faster (times) or slower (throughput).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.build import STEPS
from bench.report import PEER_LABEL, fmt, geomean, ratio, table


def _sizes(run: dict) -> dict[str, dict]:
    return {s["name"]: s for s in run["sizes"]}


def compare(old: dict, new: dict) -> str:
    a, b = _sizes(old), _sizes(new)
    common = [n for n in b if n in a]
    build_rows, endpoint_rows = [], []
    for n in common:
        ba, bb = a[n].get("build", {}), b[n].get("build", {})
        if ba.get("status") == bb.get("status") == "ok":
            cells = [
                fmt(ratio(bb["steps"].get(s, {}).get("seconds"), ba["steps"].get(s, {}).get("seconds")), 2)
                for s in STEPS
            ]
            build_rows.append(
                [
                    n,
                    *cells,
                    fmt(ratio(bb["total_seconds"], ba["total_seconds"]), 2),
                    fmt(ratio(bb["group_peak_rss_mb"], ba["group_peak_rss_mb"]), 2),
                ]
            )
        for e, rb in b[n].get("endpoints", {}).items():
            ra = a[n].get("endpoints", {}).get(e, {})
            qa, qb = ra.get("queries", {}), rb.get("queries", {})
            both = [q for q in qb if qb[q].get("status") == "ok" and qa.get(q, {}).get("status") == "ok"]
            warm = geomean([ratio(qb[q].get("warm_median_ms"), qa[q].get("warm_median_ms")) for q in both])
            cold = geomean([ratio(qb[q]["cold_ms"], qa[q]["cold_ms"]) for q in both])
            qps = [
                fmt(
                    ratio(
                        rb.get("throughput", {}).get(c, {}).get("qps"), ra.get("throughput", {}).get(c, {}).get("qps")
                    ),
                    2,
                )
                for c in ("1", "8", "32")
            ]
            endpoint_rows.append([n, PEER_LABEL.get(e, e), str(len(both)), fmt(warm, 2), fmt(cold, 2), *qps])
    return "\n".join(
        [
            f"old: {old.get('started')}  new: {new.get('started')}\n",
            table(["size", *STEPS, "total", "peak mem"], build_rows, "build: new / old"),
            table(
                ["size", "endpoint", "queries", "warm median", "cold", "qps@1", "qps@8", "qps@32"],
                endpoint_rows,
                "queries: new / old (geometric mean over the queries both runs answered)",
            ),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    old, new = (json.loads(Path(p).read_text(encoding="utf-8")) for p in args)
    print(compare(old, new))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
