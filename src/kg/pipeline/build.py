"""`kg build`: parse, validate (SHACL), reason (HermiT), materialise, write a release.

Nothing reaches a release before every check has passed; see `kg.release.directory` for the atomic switch.

Every source is parsed once, by Oxigraph, into one store with a named graph per file (screened
first: `kg.rdf.sources`). The reasoner (a child process: HermiT on Java) starts as soon as the data is
parsed and runs while SHACL validates the same store; SHACL's verdict is reported first when both
fail, and the reasoner is killed when validation fails. The staging directory is made (and locked)
first, so the reasoner's files live in it and a killed build leaves one directory for the next
build to remove.
"""

from __future__ import annotations

import errno
import shutil
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kg import explorer, reasoner
from kg.config import Settings
from kg.errors import DiskFull, ReasonerUnavailable, ValidationFailed
from kg.namespaces import DEFAULT_BASE
from kg.pipeline import infer, overlay, qc
from kg.rdf.sources import Source, TermConverter, collect, graph_of, load_into, parse_rdflib, shape_sources
from kg.release import directory
from kg.shacl.validation import Violation, failing, validate_graphs, validate_store
from kg.sparql.execute import graph_sizes
from kg.version import __version__


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
        out.append(
            f"inferred {sum(self.inferred.values())} triples "
            + "("
            + ", ".join(f"{k} {v}" for k, v in self.inferred.items())
            + ")"
        )
        out.append(f"reasoner: {self.reasoner}")
        out += [f"warning: {w}" for w in self.warnings]
        out += [f"{step:<11} {secs:7.2f} s" for step, secs in self.timings.items()]
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


def parse_all(
    sources: list[Source], max_bytes: int | None = None, *, graphs: bool = True
) -> tuple[dict[Source, Graph], ox.Store]:
    """Parse every source once (Oxigraph) into a store with one named graph per source, apply the
    curated imports' overrides (data/imports/) and return the store with, when `graphs`, each
    source's graph as an rdflib Graph (converted from the store, not parsed again)."""
    memory = ox.Store()
    for src in sources:
        load_into(memory, src, max_bytes=max_bytes)
    convert = TermConverter()
    rdflib_graphs: dict[Source, Graph] = {}
    if graphs or any(overlay.is_import(s.rel) for s in sources):
        rdflib_graphs = {src: graph_of(memory, src, convert) for src in sources}
        overlay.apply(rdflib_graphs, memory)  # curated imports override fields of other files
    return (rdflib_graphs if graphs else {}), memory


def parse_graphs(
    sources: Iterable[Source], settings: Settings, replace: dict[Source, Graph] | None = None
) -> dict[Source, Graph]:
    """Each source parsed by rdflib (or taken from `replace`), the curated imports' overrides applied
    (data/imports/), as `kg build` sees them: what `kg validate` and `kg import --dry-run` check."""
    graphs = {s: (replace or {}).get(s) or parse_rdflib(s, settings.max_source_bytes) for s in sources}
    graphs.update({s: g for s, g in (replace or {}).items() if s not in graphs})
    overlay.apply(graphs)
    return graphs


def shape_results(
    data: dict[Source, Graph] | ox.Store,
    settings: Settings,
    sources: Iterable[Source] = (),
    blame: Iterable[Source] | None = None,
) -> list[Violation]:
    """Validate `data` with the project's shapes (`shapes/`); every result, each naming the file of its
    focus node.

    `data`: rdflib graphs by source, or a store holding one named graph per source of `sources`
    (violations name the first of them describing the focus node). With graphs, `blame` limits the
    files results are attributed to (the others' results have no source)."""
    shapes = union(parse_rdflib(s, settings.max_source_bytes) for s in shape_sources(settings.root))
    if isinstance(data, ox.Store):
        return validate_store(
            data, shapes, graph_files={s.graph_iri: s.rel for s in sources}, timeout=settings.shacl_timeout
        )
    subjects: dict = {}
    for src in data if blame is None else blame:
        for s in data[src].subjects():
            subjects.setdefault(s, src.rel)
    return validate_graphs(union(data.values()), shapes, sources=subjects, timeout=settings.shacl_timeout)


def check_shapes(data: dict[Source, Graph] | ox.Store, settings: Settings, sources: Iterable[Source] = ()) -> list:
    """Validate everything (`shape_results`); raise ValidationFailed on any sh:Violation, return the
    warnings."""
    results = shape_results(data, settings, sources)
    if failing(results):
        raise ValidationFailed(failing(results))
    return results


def rebase_store(store: ox.Store, base: str) -> None:
    """Move every IRI under the default base to the configured base (in place)."""
    if base == DEFAULT_BASE:
        return

    def move(term):
        if isinstance(term, ox.NamedNode) and term.value.startswith(DEFAULT_BASE):
            return ox.NamedNode(base + term.value[len(DEFAULT_BASE) :])
        return term

    quads = list(store)
    store.clear()
    store.extend(ox.Quad(move(q.subject), move(q.predicate), move(q.object), move(q.graph_name)) for q in quads)


def _inputs(sources, counts: dict) -> list[dict]:
    """The manifest's record of each input file: path, graph, triples, SHA-256."""
    return [
        {"path": s.rel, "graph": s.graph_iri, "triples": counts.get(s.graph_iri, 0), "sha256": directory.sha256(s.path)}
        for s in sources
    ]


def build(settings: Settings, log: Callable[[str], None] = lambda _: None) -> BuildReport:
    report = BuildReport()
    timer = _Timer(report.timings, log)
    began = time.perf_counter()
    sources = collect(settings.root)
    report.release_id = directory.new_id()
    staging = directory.staging_dir(settings, report.release_id)
    job = None
    try:
        with timer("parse"):
            _, memory = parse_all(sources, settings.max_source_bytes, graphs=False)
        report.inputs = _inputs(sources, graph_sizes(memory))
        unavailable = None
        if settings.reasoner:  # HermiT runs in its child process while SHACL validates
            try:
                job = reasoner.start(memory, settings.java, settings.reasoner_timeout, workdir=staging / ".reasoner")
                log("reason: started")
            except ReasonerUnavailable as exc:
                unavailable = exc
        with timer("validate"):
            report.warnings = check_shapes(memory, settings, sources)
        if unavailable is not None:
            raise unavailable
        if job is not None:  # settings.reasoner, and HermiT started
            with timer("reason_wait"):  # what validation did not cover of the reasoner's time
                result = job.wait()
            report.timings["reason"] = job.seconds
            log(f"reason: {job.seconds:.2f} s (alongside validate)")
            reasoner.require_ok(result)
            report.reasoner = str(result)
        with timer("infer"):
            report.inferred = infer.materialise(memory)
        with timer("qc"):  # queries/qc/*.rq on the project's own IRIs, before they are rebased
            qc.require_ok(settings.root, memory)
        rebase_store(memory, settings.base_iri)
        try:
            with timer("index"):  # the explorer's search index, in the release so it switches with it
                explorer.write_index(staging, memory, settings.base_iri)
            with timer("write"):
                _write_release(settings, staging, memory, report)
        except OSError as exc:
            if not disk_full(exc):
                raise
            directory.discard(staging)
            raise DiskFull(no_space_message(settings, report.release_id, exc)) from None
    except BaseException:
        if job is not None:
            job.kill()
        directory.discard(staging)
        raise
    report.timings["total"] = time.perf_counter() - began
    log(f"total: {report.timings['total']:.2f} s")
    return report


def disk_full(exc: OSError) -> bool:
    """ENOSPC or EDQUOT, as the OS says it, or as pyoxigraph's store does (in its message only)."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in str(exc)


def no_space_message(settings: Settings, release_id: str, exc: OSError) -> str:
    """What filled up, where, how much is free and about how much a release needs."""
    free = shutil.disk_usage(settings.build_path).free
    in_service = directory.current_path(settings)
    needed = sum(f.stat().st_size for f in in_service.rglob("*") if f.is_file()) if in_service else 0
    need = f"; a release needs about {needed / 1e6:,.0f} MB (the size of the one in service)" if needed else ""
    text = str(exc)  # pyoxigraph's: "IO error: ...: While appending to file: PATH: No space left on device"
    where = getattr(exc, "filename", None) or (
        text.split("file: ", 1)[1].rsplit(": ", 1)[0] if "file: " in text else ""
    )
    return (
        f"no space left on the device of {settings.build_path} while writing release {release_id}"
        f"{f' ({where})' if where else ''}: {free / 1e6:,.1f} MB free{need}. Free some space (fewer "
        "releases kept: KG_KEEP_RELEASES) and run again; the release in service is unchanged"
    )


def _write_release(settings: Settings, staging: Path, memory: ox.Store, report: BuildReport) -> None:
    shutil.rmtree(staging / ".reasoner", ignore_errors=True)
    directory.write_store(staging, memory)
    files = directory.write_dumps(staging, memory, settings.base_iri)
    files += directory.copy_shapes(staging, [s.path for s in shape_sources(settings.root)])
    report.triples = len(memory)
    manifest = {
        "id": report.release_id,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "generator": f"kg {__version__}",
        "base_iri": settings.base_iri,
        "quads": report.triples,
        "inputs": report.inputs,
        "inferred": report.inferred,
        "reasoner": report.reasoner,
        "files": files,
        "index": directory.file_entry(staging / explorer.FILE, "sqlite", "application/vnd.sqlite3"),
        "timings": report.timings,
    }
    published = directory.install(settings, staging, manifest)
    report.path = str(published.path)
