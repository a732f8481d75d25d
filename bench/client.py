"""The HTTP side: the named queries as the text every endpoint receives, latency, throughput.

Every request is a SPARQL 1.1 Protocol POST with `Content-Type: application/sparql-query`, the same
bytes to every endpoint, and `Accept: application/sparql-results+json` (SELECT, ASK) or
`application/n-triples` (CONSTRUCT, DESCRIBE). A request counts when its status is 200 and its whole
body has arrived. Only HTTP is used: nothing here knows how an endpoint works inside.

- cold: the first time this exact query text is sent to a server since it started (one sample per
  query; all queries get their cold run before any gets a warm one).
- warm: the same text again, repeated up to `warm_runs` times or until the query has used
  `warm_seconds` of warm time, whichever comes first (at least once).
- throughput: `clients` threads, each with its own keep-alive connection, sending a mix of queries
  (the suite gives every endpoint the ones ours answered) in rotation, each thread starting at its
  own offset, for `window` seconds; completed requests per second, counting those that finished
  inside the window.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

from kg.namespaces import PREFIXES
from kg.sparql import named as named
from kg.sparql import syntax

ACCEPT = {
    "SELECT": "application/sparql-results+json",
    "ASK": "application/sparql-results+json",
    "CONSTRUCT": "application/n-triples",
    "DESCRIBE": "application/n-triples",
}


@dataclass(frozen=True)
class Query:
    name: str
    text: str
    form: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/sparql-query", "Accept": ACCEPT[self.form]}


PROBE = Query("probe", "ASK { }", "ASK")


def standalone_text(query: named.NamedQuery, values: dict[str, str]) -> str:
    """The query with its parameters fixed (`NamedQuery.standalone`) and any project prefix it uses
    without declaring declared, so that any SPARQL 1.1 endpoint runs it as it is."""
    text = query.standalone(values)
    try:
        ox.Store().query(text)
        return text
    except SyntaxError:
        missing = [p for p in PREFIXES if f"{p}:" in text and f"PREFIX {p}:" not in text]
        return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in missing) + text


def load(queries_dir: Path, params: dict[str, str]) -> list[Query]:
    """The named queries of `queries_dir` with `params` (values for parameters of that name; the
    others keep their declared defaults)."""
    out = []
    for name, q in named.load_all(queries_dir).items():
        if "extension" in q.tags:  # kgf: functions: only our embedded engine has them, the peers do not
            continue
        values = {p.name: params[p.name] for p in q.params if p.name in params}
        text = standalone_text(q, values)
        out.append(Query(name, text, syntax.query_form(text) or "SELECT"))
    return out


def count(query: Query, body: bytes) -> int:
    """Rows of a SELECT (bindings), 1 for an ASK, triples of a CONSTRUCT/DESCRIBE (N-Triples lines)."""
    if query.form in ("CONSTRUCT", "DESCRIBE"):
        return sum(1 for line in body.splitlines() if line.strip() and not line.startswith(b"#"))
    doc = json.loads(body)
    return 1 if "boolean" in doc else len(doc["results"]["bindings"])


def send(client: httpx.Client, url: str, query: Query) -> tuple[float, int, bytes]:
    """(seconds, status, body) of one request; status 0 with the error text on a transport error."""
    start = time.perf_counter()
    try:
        r = client.post(url, content=query.text.encode("utf-8"), headers=query.headers)
        return time.perf_counter() - start, r.status_code, r.content
    except httpx.HTTPError as exc:
        return time.perf_counter() - start, 0, f"{type(exc).__name__}: {exc}".encode()


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (with few samples, the p95 is the largest)."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, int(-(-p * len(ordered) // 100)) - 1))]


GRACE = 5.0  # seconds a client waits past the timeout for a server that enforces it to say so


def latency(
    endpoint, queries: list[Query], timeout: float, warm_runs: int, warm_seconds: float, budget: float
) -> dict[str, dict]:
    """Cold then warm latency of every query (see the module docstring), in milliseconds, against a
    `bench.servers.Endpoint`. A server that stops a query at `timeout` itself is given GRACE seconds
    more to answer so; one that does not (rdflib-endpoint) is left busy by a request that times out,
    so it is restarted, and a query whose cold run was on an earlier instance is sent once, untimed,
    before its warm runs.
    The cold pass and the warm pass each get half the `budget` (seconds): queries still to run when
    their half is spent are skipped."""
    out: dict[str, dict] = {}
    deadline = time.monotonic() + budget / 2
    with httpx.Client(timeout=timeout + (GRACE if endpoint.deadline else 0)) as client:
        send(client, endpoint.url, PROBE)  # connect outside the measurements
        for q in queries:
            if time.monotonic() > deadline:
                out[q.name] = {"status": "skipped (over budget)"}
                continue
            seconds, status, body = send(client, endpoint.url, q)
            endpoint.sent.add(q.name)
            out[q.name] = entry = {"status": "ok" if status == 200 else _error(status, body), "cold_ms": seconds * 1000}
            if status == 200:
                try:
                    entry["rows"] = count(q, body)
                except (ValueError, KeyError) as exc:
                    entry["status"] = f"invalid answer: {type(exc).__name__}: {exc}"
            if entry["status"] != "ok" and seconds >= timeout:  # an error, or a stream cut, at the deadline
                entry["status"] = f"timeout (> {timeout:.0f} s): {entry['status']}"[:200]
                if not endpoint.deadline:
                    endpoint.restart()
        deadline = time.monotonic() + budget / 2
        for q in queries:
            entry = out[q.name]
            if entry["status"] != "ok":
                continue
            if time.monotonic() > deadline:
                entry["warm_status"] = "skipped (over budget)"
                continue
            if q.name not in endpoint.sent:
                send(client, endpoint.url, q)
                endpoint.sent.add(q.name)
            warm: list[float] = []
            while len(warm) < warm_runs and (not warm or sum(warm) < warm_seconds):
                seconds, status, body = send(client, endpoint.url, q)
                if status != 200:
                    entry["status"] = f"warm: {_error(status, body)}"
                    break
                warm.append(seconds)
            if warm:
                entry.update(
                    warm_n=len(warm),
                    warm_median_ms=statistics.median(warm) * 1000,
                    warm_p95_ms=percentile(warm, 95) * 1000,
                )
    return out


def _error(status: int, body: bytes) -> str:
    text = body[:300].decode("utf-8", errors="replace").strip().replace("\n", " ")
    return f"HTTP {status}: {text}" if status else text


def throughput(url: str, queries: list[Query], clients: int, window: float, timeout: float, drain: float) -> dict:
    """Completed queries per second with `clients` concurrent clients over `window` seconds. After
    the window no request is started; those in flight are waited for (up to `drain` seconds, as
    long as a request may take) so that the next level starts on an idle server; threads still
    busy after that are `abandoned`."""
    done: list[float] = []  # completion times of successful requests
    errors: list[str] = []
    lock = threading.Lock()
    start = time.perf_counter()
    end = start + window

    def worker(offset: int) -> None:
        with httpx.Client(timeout=timeout) as client:
            i = offset
            while time.perf_counter() < end:
                _, status, body = send(client, url, queries[i % len(queries)])
                with lock:
                    (done.append(time.perf_counter()) if status == 200 else errors.append(_error(status, body)))
                i += 1

    threads = [
        threading.Thread(target=worker, args=(k * len(queries) // clients,), daemon=True) for k in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, end + drain + timeout - time.perf_counter()))
    in_window = sum(1 for t in done if t <= end)
    return {
        "clients": clients,
        "window_s": window,
        "completed": in_window,
        "qps": in_window / window,
        "late": len(done) - in_window,
        "drain_s": round(time.perf_counter() - end, 2),
        "errors": len(errors),
        "abandoned": sum(1 for t in threads if t.is_alive()),
        "first_error": errors[0] if errors else None,
    }
