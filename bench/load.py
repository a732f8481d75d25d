"""The service under abuse (real data, `kg serve` only): an ordinary client's latency for cheap queries
no cache has seen, alone and while abusive clients send queries that run into the deadline; how
long past its deadline a query takes to be refused; and an ordinary client's `ASK {}` latency while
1,000 silent and 100 slowloris sockets come from one other address (`flood`). Figures only:
`tests/web/test_load.py` and `tests/web/test_hostile_connections.py` check the behaviour (every
ordinary query answered, the abusive ones refused or closed, the service answering after)."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Callable

import httpx

DEADLINE = 3.0
ABUSERS = 4
ABUSE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i # {n}"
ORDINARY = (
    "SELECT ?label WHERE {{ ?m a airm:Mitigation ; rdfs:label ?label ; airm:sourceDocument ?d }} "
    "ORDER BY ?label LIMIT 20 OFFSET {n}"
)
# The settings the service runs with here: a short deadline, clients told apart by X-Forwarded-For,
# and no result cache (every ordinary query is new to the service anyway).
SETTINGS = {"KG_QUERY_TIMEOUT": str(DEADLINE), "KG_TRUST_PROXY": "1", "KG_RESULT_CACHE_MB": "0"}


def ordinary_client(url: str, seconds: float, out: list[float], failures: list) -> None:
    """Cheap queries, each a text no cache has seen, for `seconds`; latencies into `out`."""
    n = 0
    headers = {"X-Forwarded-For": "198.51.100.1", "Accept": "application/sparql-results+json"}
    with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            n += 1
            started = time.monotonic()
            response = client.get("/sparql", params={"query": ORDINARY.format(n=n % 800 + 1000 * len(out))})
            took = time.monotonic() - started
            if response.status_code != 200:
                failures.append((response.status_code, response.text[:200]))
            out.append(took)
            time.sleep(0.05)


def abusive_client(url: str, index: int, seconds: float, statuses: list[int]) -> None:
    """Cross joins that run into the deadline, for `seconds`; every answer's status into `statuses`."""
    n = 0
    with httpx.Client(base_url=url, timeout=60, headers={"X-Forwarded-For": f"203.0.113.{index + 1}"}) as client:
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            n += 1
            response = client.get("/sparql", params={"query": ABUSE.replace("{n}", f"{index}-{n}")})
            statuses.append(response.status_code)
            if response.status_code == 429:
                time.sleep(min(float(response.headers.get("Retry-After", 1)), 2))


def summary(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def abuse(url: str, alone_seconds: float = 8, abuse_seconds: float = 18) -> dict:
    """The ordinary client alone, then beside ABUSERS abusive clients; the figures and what failed."""
    alone: list[float] = []
    failures: list = []
    ordinary_client(url, alone_seconds, alone, failures)
    under: list[float] = []
    statuses: list[int] = []
    threads = [
        threading.Thread(target=abusive_client, args=(url, i, abuse_seconds + 2, statuses)) for i in range(ABUSERS)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    ordinary_client(url, abuse_seconds, under, failures)
    for thread in threads:
        thread.join()
    return {
        "deadline_s": DEADLINE,
        "abusive_clients": ABUSERS,
        "alone": summary(alone),
        "under_abuse": summary(under),
        "abusive_answers": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "ordinary_failures": failures[:10],
    }


def overshoot(url: str, deadline: float = 1.0, runs: int = 5) -> dict:
    """How long a query that cannot finish takes to be refused, asked with `timeout=deadline`."""
    took = []
    with httpx.Client(base_url=url, timeout=60, headers={"X-Forwarded-For": "192.0.2.9"}) as client:
        for i in range(runs):
            started = time.monotonic()
            client.get("/sparql", params={"query": ABUSE.replace("{n}", f"overshoot-{i}"), "timeout": str(deadline)})
            took.append(time.monotonic() - started)
    return {"deadline_s": deadline, "median_s": round(statistics.median(took), 3), "max_s": round(max(took), 3)}


def asks(url: str, seconds: float) -> tuple[list[float], list]:
    """`ASK {}` from 127.0.0.1 for `seconds`, one at a time: the latencies and what failed."""
    latencies: list[float] = []
    failures: list = []
    with httpx.Client(base_url=url, timeout=10) as client:
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            started = time.monotonic()
            try:
                response = client.get("/sparql", params={"query": "ASK {}"})
                if response.status_code != 200:
                    failures.append(response.status_code)
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
            latencies.append(time.monotonic() - started)
            time.sleep(0.02)
    return latencies, failures


def flood(url: str, silent: int = 1000, slow: int = 100, seconds: float = 12.0) -> dict:
    """The ordinary client alone, then while `silent` sockets that send nothing and `slow` sockets that
    send a header line every 0.3 s (never ending the head) come from 127.0.0.2, reopened when closed."""
    host, port = "127.0.0.1", int(url.rsplit(":", 1)[1])
    alone, _ = asks(url, 4)
    stop, opened, lock = time.monotonic() + seconds, [0], threading.Lock()

    def attacker(count: int, trickle: bool) -> None:
        socks: dict[socket.socket, bool] = {}  # socket -> its request line was sent
        while time.monotonic() < stop:
            while len(socks) < count:
                s = socket.socket()
                s.bind(("127.0.0.2", 0))
                s.setblocking(False)
                s.connect_ex((host, port))
                socks[s] = False
                with lock:
                    opened[0] += 1
            for s, started in list(socks.items()):
                try:
                    if trickle:
                        s.send(b"X-Slow: 1\r\n" if started else b"GET / HTTP/1.1\r\nHost: x\r\n")
                        socks[s] = True
                    if s.recv(65536) == b"":
                        raise ConnectionError
                except BlockingIOError:
                    pass
                except OSError:
                    s.close()
                    del socks[s]
            time.sleep(0.3)
        for s in socks:
            s.close()

    threads = [
        threading.Thread(target=attacker, args=(silent, False)),
        threading.Thread(target=attacker, args=(slow, True)),
    ]
    for thread in threads:
        thread.start()
    time.sleep(1)
    under, failures = asks(url, seconds - 2)
    for thread in threads:
        thread.join()
    return {
        "silent": silent,
        "slowloris": slow,
        "sockets_opened": opened[0],
        "alone": summary(alone),
        "under_flood": summary(under),
        "ordinary_failures": failures[:10],
    }


def measure(start: Callable[[dict], object]) -> dict:
    """`start(settings)` is a context manager yielding the URL of `kg serve` run with those settings."""
    with start(SETTINGS) as url:  # type: ignore[attr-defined]
        figures = abuse(str(url))
        figures["overshoot"] = overshoot(str(url))
    # the per-address connection cap counts TCP peers: off behind a proxy, so without KG_TRUST_PROXY here
    with start({"KG_QUERY_TIMEOUT": str(DEADLINE)}) as url:  # type: ignore[attr-defined]
        figures["flood"] = flood(str(url))
    return figures


def table(load: dict) -> str:
    rows = [("alone", load["alone"]), ("under abuse", load["under_abuse"])]
    lines = [
        f"== the service under abuse ({load['abusive_clients']} clients hitting a {load['deadline_s']:g} s "
        "deadline) ==",
        "ordinary client    requests  median ms  p95 ms  max ms",
    ]
    lines += [
        f"{name:<18} {f['requests']:>8}  {f['median_ms']:>9}  {f['p95_ms']:>6}  {f['max_ms']:>6}" for name, f in rows
    ]
    o = load.get("overshoot")
    if o:
        lines.append(
            f"a query past a {o['deadline_s']:g} s deadline is refused after {o['median_s']} s "
            f"(median; max {o['max_s']} s)"
        )
    lines.append(f"abusive answers: {load['abusive_answers']}")
    f = load.get("flood")
    if f:
        lines.append(
            f"ASK {{}} while {f['silent']:,} silent and {f['slowloris']} slowloris sockets come from one address "
            f"({f['sockets_opened']:,} opened): median {f['under_flood']['median_ms']} ms, "
            f"p95 {f['under_flood']['p95_ms']} ms, max {f['under_flood']['max_ms']} ms "
            f"(alone: p95 {f['alone']['p95_ms']} ms); failures: {len(f['ordinary_failures'])}"
        )
    return "\n".join(lines) + "\n"
