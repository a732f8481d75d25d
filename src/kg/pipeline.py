"""`kg build`: parse, validate (SHACL), reason (HermiT), materialise, write a release.

Nothing reaches a release before every check has passed; see `kg.release` for the atomic switch.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import pyoxigraph as ox
from rdflib import Graph

from kg import __version__, infer, reasoner, release
from kg.config import Settings
from kg.curate import overlay
from kg.errors import ValidationFailed
from kg.namespaces import DEFAULT_BASE
from kg.shacl import failing, validate_graphs
from kg.sources import Source, collect, load_into, parse_rdflib, shape_sources


@dataclass
class BuildReport:
    release_id: str = ""
    path: str = ""
    inputs: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    inferred: dict[str, int] = field(default_factory=dict)
    triples: int = 0
    warnings: list = field(default_factory=list)
    reasoner: str = "skipped"

    def lines(self) -> list[str]:
        out = [f"loaded {i['path']}: {i['triples']} triples" for i in self.inputs]
        out.append(f"inferred {sum(self.inferred.values())} triples " +
                   "(" + ", ".join(f"{k} {v}" for k, v in self.inferred.items()) + ")")
        out.append(f"reasoner: {self.reasoner}")
        out += [f"warning: {w}" for w in self.warnings]
        out += [f"{step:<10} {secs:7.2f} s" for step, secs in self.timings.items()]
        out.append(f"release {self.release_id}: {self.triples} quads in {self.path}")
        return out


class _Timer:
    def __init__(self, timings: dict[str, float], log: Callable[[str], None]) -> None:
        self.timings, self.log = timings, log

    @contextmanager
    def __call__(self, step: str):
        start = time.perf_counter()
        yield
        self.timings[step] = time.perf_counter() - start
        self.log(f"{step}: {self.timings[step]:.2f} s")


def union(graphs) -> Graph:
    g = Graph()
    for part in graphs:
        for t in part:
            g.add(t)
    return g


def parse_all(sources: list[Source]) -> tuple[dict[Source, Graph], ox.Store]:
    graphs = {src: parse_rdflib(src) for src in sources}
    memory = ox.Store()
    for src in sources:
        load_into(memory, src)
    overlay.apply(graphs, memory)   # curated imports (data/imports/) override fields of other files
    return graphs, memory


def check_shapes(graphs: dict[Source, Graph], settings: Settings) -> list:
    """Validate everything; raise ValidationFailed on any sh:Violation, return the warnings."""
    shapes = union(parse_rdflib(s) for s in shape_sources(settings.root))
    sources = {}
    for src, g in graphs.items():
        for s in g.subjects():
            sources.setdefault(s, src.rel)
    results = validate_graphs(union(graphs.values()), shapes, sources=sources)
    if failing(results):
        raise ValidationFailed(failing(results))
    return results


def rebase_store(store: ox.Store, base: str) -> None:
    """Move every IRI under the default base to the configured base (in place)."""
    if base == DEFAULT_BASE:
        return

    def move(term):
        if isinstance(term, ox.NamedNode) and term.value.startswith(DEFAULT_BASE):
            return ox.NamedNode(base + term.value[len(DEFAULT_BASE):])
        return term

    quads = list(store)
    store.clear()
    store.extend(ox.Quad(move(q.subject), move(q.predicate), move(q.object), move(q.graph_name))
                 for q in quads)


def build(settings: Settings, log: Callable[[str], None] = lambda _: None) -> BuildReport:
    report = BuildReport()
    timer = _Timer(report.timings, log)
    sources = collect(settings.root)
    with timer("parse"):
        graphs, memory = parse_all(sources)
    report.inputs = [{"path": s.rel, "graph": s.graph_iri, "triples": len(graphs[s]),
                      "sha256": release.sha256(s.path)} for s in sources]
    with timer("validate"):
        report.warnings = check_shapes(graphs, settings)
    if settings.reasoner:
        with timer("reason"):
            result = reasoner.check(union(graphs.values()), settings.java, settings.reasoner_timeout)
            reasoner.require_ok(result)
            report.reasoner = str(result)
    with timer("infer"):
        report.inferred = infer.materialise(memory)
        rebase_store(memory, settings.base_iri)
    with timer("write"):
        _write_release(settings, memory, report)
    return report


def _write_release(settings: Settings, memory: ox.Store, report: BuildReport) -> None:
    report.release_id = release.new_id()
    staging = release.staging_dir(settings, report.release_id)
    try:
        release.write_store(staging, memory)
        files = release.write_dumps(staging, memory)
        files += release.copy_shapes(staging, [s.path for s in shape_sources(settings.root)])
        report.triples = len(memory)
        manifest = {
            "id": report.release_id, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "generator": f"kg {__version__}", "base_iri": settings.base_iri, "quads": report.triples,
            "inputs": report.inputs, "inferred": report.inferred, "reasoner": report.reasoner,
            "files": files, "timings": report.timings,
        }
        published = release.publish(settings, staging, manifest)
    except BaseException:
        release.discard(staging)
        raise
    report.path = str(published.path)
