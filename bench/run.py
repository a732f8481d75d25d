"""`make bench` / `python -m bench`: build and query graphs of several sizes, print the tables, write JSON.

For each size (the real data, then generated graphs of 10^4, 10^5, 10^6 data triples; 10^7 with
BENCH_FULL=1): make a project copy, time `kg build` step by step in a child process, then start each
endpoint in turn over the release (ours, Oxigraph server, rdflib-endpoint), measure every named
query cold and warm and the throughput at 1, 8 and 32 clients, and stop it. Every knob is an
environment variable (for make) and a flag; see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import build, client, generate, load, report, search, servers

CHECKOUT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _size(token: str) -> tuple[str, int | None]:
    """("real", None) or (label, triples) from "real", "1e5" or "100000"."""
    token = token.strip().lower()
    if token == "real":
        return "real", None
    n = int(float(token))
    exponent = len(str(n)) - 1
    return (f"1e{exponent}" if n == 10**exponent else str(n)), n


def shown(path: Path) -> str:
    """A path as results record it: relative to the checkout when inside it (no machine paths)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


@dataclass
class Options:
    sizes: list[str] = field(default_factory=lambda: ["real", "1e4", "1e5", "1e6"])
    seed: int = 8
    endpoints: list[str] = field(default_factory=lambda: list(servers.ENDPOINTS))
    clients: list[int] = field(default_factory=lambda: [1, 8, 32])
    window: float = 3.0  # seconds of each throughput level
    drain: float = 2.0  # seconds to wait for in-flight requests after a window
    timeout: float = 10.0  # seconds one query may take (our service's own default deadline)
    warm_runs: int = 10  # warm repetitions of a query, at most ...
    warm_seconds: float = 0.5  # ... or until it has used this much warm time (at least one run)
    latency_budget: float = 90.0  # seconds of latency measurement per endpoint and size
    rdflib_budget: float = 60.0  # the same, for rdflib-endpoint (its queries take seconds) ...
    rdflib_timeout: float = 5.0  # ... and the seconds one of its requests may take
    rdflib_max: int = 100_000  # larger sizes skip rdflib-endpoint (load and queries over budget)
    step_budget: float = 120.0  # seconds SHACL validation or the reasoner may take per build
    memory_mb: float = 20480.0  # a build using more is stopped
    workdir: Path | None = None
    keep: bool = False
    out: Path = RESULTS

    @classmethod
    def parse(cls, argv: list[str] | None = None) -> Options:
        d = cls()
        full = _env("BENCH_FULL", "0") not in ("0", "")
        p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
        p.add_argument(
            "--sizes",
            default=_env("BENCH_SIZES", ",".join(d.sizes + (["1e7"] if full else []))),
            help="comma-separated: real and/or triple counts (1e4, 100000); env BENCH_SIZES, BENCH_FULL=1 adds 1e7",
        )
        p.add_argument("--seed", type=int, default=int(_env("BENCH_SEED", str(d.seed))))
        p.add_argument("--endpoints", default=_env("BENCH_ENDPOINTS", ",".join(d.endpoints)))
        p.add_argument("--clients", default=_env("BENCH_CLIENTS", ",".join(map(str, d.clients))))
        for name, help_ in (
            ("window", "seconds per throughput level"),
            ("drain", "seconds to let in-flight requests end"),
            ("timeout", "seconds one request may take"),
            ("warm_seconds", "warm time per query (after at least one warm run)"),
            ("latency_budget", "latency seconds per endpoint and size"),
            ("rdflib_budget", "the same for rdflib-endpoint"),
            ("rdflib_timeout", "seconds one rdflib-endpoint request may take"),
            ("step_budget", "seconds for SHACL or the reasoner per build"),
            ("memory_mb", "memory limit of a build (MiB)"),
        ):
            p.add_argument(
                f"--{name.replace('_', '-')}",
                type=float,
                default=float(_env(f"BENCH_{name.upper()}", str(getattr(d, name)))),
                help=help_,
            )
        p.add_argument("--warm-runs", type=int, default=int(_env("BENCH_WARM_RUNS", str(d.warm_runs))))
        p.add_argument(
            "--rdflib-max",
            type=float,
            default=float(_env("BENCH_RDFLIB_MAX", str(d.rdflib_max))),
            help="largest size (data triples) rdflib-endpoint is run on",
        )
        p.add_argument("--workdir", type=Path, default=_env("BENCH_WORKDIR", "") or None)
        p.add_argument(
            "--keep",
            action="store_true",
            default=_env("BENCH_KEEP", "0") not in ("0", ""),
            help="keep the project copies and builds",
        )
        p.add_argument("--out", type=Path, default=Path(_env("BENCH_OUT", str(d.out))))
        a = p.parse_args(argv)
        return cls(
            sizes=[t for t in a.sizes.split(",") if t.strip()],
            seed=a.seed,
            endpoints=[e.strip() for e in a.endpoints.split(",") if e.strip()],
            clients=[int(c) for c in a.clients.split(",")],
            window=a.window,
            drain=a.drain,
            timeout=a.timeout,
            warm_runs=a.warm_runs,
            warm_seconds=a.warm_seconds,
            latency_budget=a.latency_budget,
            rdflib_budget=a.rdflib_budget,
            rdflib_timeout=a.rdflib_timeout,
            rdflib_max=int(a.rdflib_max),
            step_budget=a.step_budget,
            memory_mb=a.memory_mb,
            workdir=a.workdir,
            keep=a.keep,
            out=a.out,
        )


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


class Suite:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.python = sys.executable
        self.kg = str(Path(sys.executable).with_name("kg"))
        self.history: dict[str, list[dict]] = {step: [] for step in build.BUDGETED}

    def run(self, save) -> dict:
        """Every size in turn; `save(results)` after each (a crash keeps what was measured)."""
        started = datetime.now(UTC)
        t0 = time.monotonic()
        work = Path(self.o.workdir or tempfile.mkdtemp(prefix="airm-bench-"))
        work.mkdir(parents=True, exist_ok=True)
        results = {
            "version": 1,
            "started": started.isoformat(timespec="seconds"),
            "machine": machine(),
            "options": {k: (shown(v) if isinstance(v, Path) else v) for k, v in asdict(self.o).items()},
            "software": software(),
            "sizes": [],
        }
        try:
            for token in self.o.sizes:
                try:
                    results["sizes"].append(self.size(token, work))
                except Exception as exc:  # recorded, and the other sizes still run
                    log(f"{token}: failed: {type(exc).__name__}: {exc}")
                    results["sizes"].append({"name": token, "error": f"{type(exc).__name__}: {exc}"})
                results["wall_seconds"] = round(time.monotonic() - t0, 1)
                results["summary"] = report.summary(results["sizes"])[1]
                save(results)
        finally:
            if not self.o.keep:
                shutil.rmtree(work, ignore_errors=True)
        return results

    def size(self, token: str, work: Path) -> dict:
        name, n = _size(token)
        root = work / name
        log(f"{name}: preparing the project copy")
        t = time.monotonic()
        if n is None:
            generate.project_copy(root)
            meta = {"params": {}}
        else:
            meta = generate.generate(root, n, self.o.seed)
        out = {
            "name": name,
            "target_triples": n,
            "prepare_seconds": round(time.monotonic() - t, 2),
            "params": meta["params"],
            "loadavg_start": os.getloadavg(),
        }
        out["build"] = result = self.build(name, root, meta.get("data_triples"), generated=n is not None)
        if result["status"] != "ok":
            log(f"{name}: build failed ({result['reason']}); no query measurements")
            out["data_triples"] = meta.get("data_triples")
            self.cleanup(root)
            return out
        out["data_triples"] = sum(v for k, v in result["inputs"].items() if k.startswith("data/"))
        out["endpoints"] = self.endpoints(name, root, n or out["data_triples"], meta["params"])
        out["mismatches"] = row_mismatches(out["endpoints"])
        try:  # the explorer (bench/search.py): search, facets, beside FILTER(CONTAINS) SPARQL
            out["search"] = search.measure((root / "build" / "current").resolve())
        except Exception as exc:  # recorded; the rest of the run goes on
            out["search"] = {"error": f"{type(exc).__name__}: {exc}"}
        if n is None and "ours" in self.o.endpoints:
            out["load"] = self.load(root)
        out["loadavg_end"] = os.getloadavg()
        self.cleanup(root)
        return out

    def load(self, root: Path) -> dict:
        """The service under abuse (bench/load.py), on the real data."""
        log("real: the service under abuse (load)")
        release = (root / "build" / "current").resolve()

        @contextmanager
        def start(settings: dict):
            server = servers.start(
                "ours",
                root=root,
                build_dir=root / "build",
                dump=release / "airm-kg.nq",
                workdir=root,
                kg=self.kg,
                timeout=load.DEADLINE,
                ready_limit=300.0,
                settings={**settings, "KG_CLIENT_QUERY_SECONDS": "60", "KG_CLIENT_ERRORS": "60"},
            )
            try:
                yield server.url.rsplit("/sparql", 1)[0]
            finally:
                server.stop()

        try:
            figures = load.measure(start)
        except Exception as exc:  # recorded; the rest of the run goes on
            return {"error": f"{type(exc).__name__}: {exc}"}
        log(f"  alone median {figures['alone']['median_ms']} ms, under abuse {figures['under_abuse']['median_ms']} ms")
        return figures

    def cleanup(self, root: Path) -> None:
        if not self.o.keep:
            shutil.rmtree(root, ignore_errors=True)

    def build(self, name: str, root: Path, n: int | None, generated: bool) -> dict:
        """Measure the build of `root`; SHACL and the reasoner are planned from the generated sizes
        before (one shape of data), and the generated sizes' times are kept for the next."""
        n = n or _count_data(root)
        skip, notes = [], {}
        for step in build.BUDGETED:
            why = build.plan(step, n, self.history[step], self.o.step_budget)
            if why:
                skip.append(step)
                notes[step] = why
        log(f"{name}: kg build of {n:,} data triples" + (f" (skipping {', '.join(skip)})" if skip else ""))
        budgets = dict.fromkeys(build.BUDGETED, self.o.step_budget)
        wall = 600 + 4 * self.o.step_budget + n / 1000
        result = build.measure(root, root / "build", self.python, budgets, skip, wall, self.o.memory_mb, root)
        for step, why in notes.items():
            result.setdefault("steps", {})[step] = {"status": why, "seconds": None}
        for step in build.BUDGETED:
            st = result.get("steps", {}).get(step)
            if generated and st and not st["status"].startswith("skipped"):
                self.history[step].append({"n": n, "seconds": st.get("seconds"), "status": st["status"]})
        if result["status"] == "ok":
            log(
                f"{name}: built {result['quads']:,} quads in {result['total_seconds']:.1f} s, "
                f"peak {result['group_peak_rss_mb']:.0f} MiB: "
                + ", ".join(f"{k} {report.step_cell(v)}" for k, v in result["steps"].items())
            )
        return result

    def endpoints(self, name: str, root: Path, n: int, params: dict) -> dict:
        """Every endpoint over the release of `root`, one after the other (n: the size, by its target).
        The peers get the queries cheapest first (by our cold time), so that a budget cuts the dearest;
        every endpoint's throughput uses the same mix: the queries ours answered."""
        queries = client.load(root / "queries", params)
        release = (root / "build" / "current").resolve()
        out, order, mix = {}, queries, None
        for e in self.o.endpoints:
            if e == "rdflib" and n > self.o.rdflib_max:
                out[e] = {"status": f"skipped (size > BENCH_RDFLIB_MAX {self.o.rdflib_max:,})"}
                log(f"{name}: {e} {out[e]['status']}")
                continue
            if e == "replica" and servers.replica_missing():
                out[e] = {"status": f"skipped ({servers.replica_missing()})"}
                log(f"{name}: {e} {out[e]['status']}")
                continue
            log(f"{name}: {e}: starting")
            out[e] = self.endpoint(e, root, release, order, mix)
            if e == "ours":
                mine = out[e].get("queries", {})
                order = sorted(queries, key=lambda q: mine.get(q.name, {}).get("cold_ms") or 1e9)
                mix = [q for q in queries if mine.get(q.name, {}).get("status") == "ok"]
        return out

    def endpoint(
        self, e: str, root: Path, release: Path, queries: list[client.Query], mix: list[client.Query] | None
    ) -> dict:
        """Latency of `queries`, then throughput with `mix` (None: the queries this endpoint answered)."""
        slow = e == "rdflib"
        budget = self.o.rdflib_budget if slow else self.o.latency_budget
        timeout = self.o.rdflib_timeout if slow else self.o.timeout
        try:
            ep = servers.Endpoint(
                e,
                root=root,
                build_dir=root / "build",
                dump=release / "airm-kg.nq",
                workdir=root,
                kg=self.kg,
                timeout=timeout,
                ready_limit=300.0,
            )
        except RuntimeError as exc:
            log(f"  {e}: did not start: {exc}")
            return {"status": f"failed to start: {exc}"}
        rec = {
            "status": "ok",
            "startup_seconds": ep.startup_seconds,
            "load_seconds": ep.load_seconds,
            "notes": ep.server.notes,
        }
        try:
            rec["queries"] = client.latency(ep, queries, timeout, self.o.warm_runs, self.o.warm_seconds, budget)
            answered = {n for n, q in rec["queries"].items() if q["status"] == "ok"}
            warm = report.geomean([rec["queries"][n].get("warm_median_ms") for n in answered])
            log(f"  {e}: {len(answered)}/{len(queries)} queries answered, warm geomean {report.fmt(warm)} ms")
            mix = mix if mix is not None else sorted((q for q in queries if q.name in answered), key=lambda q: q.name)
            rec["throughput_queries"] = len(mix)
            if not mix:
                rec["throughput_status"] = "skipped (no query answered)"
            elif not ep.deadline and any(q.name not in answered for q in mix):  # busy past every window
                rec["throughput_status"] = "skipped (not every query answered)"
            else:
                rec["throughput"] = {}
                for i, c in enumerate(self.o.clients):
                    t = client.throughput(
                        ep.url, mix, c, self.o.window, timeout + (client.GRACE if ep.deadline else 0), self.o.drain
                    )
                    rec["throughput"][str(c)] = t
                    log(f"  {e}: {c} clients: {t['qps']:.1f} queries/s")
                    if t["abandoned"] and i < len(self.o.clients) - 1:
                        ep.restart()  # still busy with requests past their timeout
        finally:
            ep.stop()
        rec["peak_rss_mb"], rec["restarts"] = ep.peak_rss, ep.restarts
        return rec


def _count_data(root: Path) -> int:
    import pyoxigraph as ox

    store = ox.Store()
    for path in sorted((root / "data").rglob("*.ttl")):
        if "sources" not in path.relative_to(root / "data").parts:
            store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(path.as_uri()))
    return len(store)


def row_mismatches(endpoints: dict) -> list[dict]:
    """Queries where a peer's answer has another number of rows than ours (both answered)."""
    ours = endpoints.get("ours", {}).get("queries", {})
    out = []
    for peer, rec in endpoints.items():
        if peer == "ours":
            continue
        for name, q in rec.get("queries", {}).items():
            mine = ours.get(name, {})
            if q.get("rows") is not None and mine.get("rows") is not None and q["rows"] != mine["rows"]:
                out.append({"query": name, "peer": peer, "ours": mine["rows"], "theirs": q["rows"]})
    return out


def machine() -> dict:
    mem = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_start": os.getloadavg(),
    }


def software() -> dict:
    """Versions, with the checkout's commit and the files of src/ changed since (read-only git)."""
    import subprocess
    from importlib.metadata import version

    out = {d: version(d) for d in ("airm-kg", "pyoxigraph", "rdflib", "pyshacl", "owlready2", "uvicorn", "httpx")}
    git = lambda *args: subprocess.run(
        ["git", *args],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    out["commit"] = git("rev-parse", "--short", "HEAD")
    out["changed since"] = git("status", "--porcelain", "--", "src").splitlines()
    return {**out, **{f"peer {k}": v for k, v in servers.peer_versions().items()}}


def main(argv: list[str] | None = None) -> int:
    options = Options.parse(argv)
    missing = servers.check_peers()
    if missing and set(options.endpoints) & set(servers.PEERS):
        print(
            f"bench: the peers are not installed ({', '.join(missing)}): run `make bench`, which "
            "creates bench/.venv from bench/requirements-peers.txt",
            file=sys.stderr,
        )
        return 2
    options.out.mkdir(parents=True, exist_ok=True)
    path = options.out / f"{datetime.now(UTC).strftime('%Y-%m-%dT%H%M%SZ')}.json"

    def save(results: dict) -> None:
        path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")

    results = Suite(options).run(save)
    print(report.render(results))
    print(f"wrote {path} ({results['wall_seconds']:.0f} s in all)")
    return 0 if all("error" not in s for s in results["sizes"]) else 1
