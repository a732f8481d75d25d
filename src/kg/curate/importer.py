"""`kg import`: bring a spreadsheet export of the source database into the graph, transactionally.

    read the files (CSV/XLSX)  ->  check every row (cells, then references across rows and data)
    ->  compare each valid row with the current data, column group by column group
    ->  write data/imports/<source>.ttl (new records, changed groups, provenance)
    ->  `kg build` (SHACL over the result, HermiT)  ->  stamp a release version

Nothing is half-changed: the data file is swapped in atomically and put back exactly as it was
when the build (or the stamping) fails, and the build itself only switches `build/current` once
everything passed. Every run writes a report (JSON and text) to build/import-reports/.
See docs/curation.md for the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph, URIRef

from kg.config import Settings
from kg.curate.changes import assemble, plan
from kg.curate.checks import Context, check_documents, check_mitigations, read_sheets
from kg.curate.mapping import Mapper, add_activity, add_importer
from kg.curate.report import Entry, ImportReport, finish, reject
from kg.curate.rows import Problem
from kg.errors import DiskFull, InputError, ValidationFailed
from kg.iris import classification_iri, evidence_iri, slug
from kg.namespaces import KG
from kg.pipeline import build, journal, overlay
from kg.pipeline.build import check_shapes, parse_graphs
from kg.rdf.canonical import canonical_turtle
from kg.rdf.sources import Source, collect
from kg.release import directory, stamp
from kg.version import __version__

DEFAULT_SOURCE = "curated"


# --- the project as the import sees it ------------------------------------------------------


# --- checking the rows ----------------------------------------------------------------------


# --- comparing with the current data --------------------------------------------------------


# --- the new import file ----------------------------------------------------------------------


# --- running it -----------------------------------------------------------------------------


@dataclass
class Prepared:
    report: ImportReport
    ctx: Context
    path: Path


def prepare(
    paths: list[Path],
    settings: Settings,
    *,
    source: str = DEFAULT_SOURCE,
    strict: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
    ctx: Context | None = None,
    update: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> Prepared:
    """Read and check the files and compare them with the data (`ctx`, loaded when not given);
    raise ImportRejected when nothing can be imported. Changes nothing but the report folder."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    slug_ = slug(source)
    if not slug_:
        raise InputError(f"--source {source!r}: give a name with letters or digits")
    if not paths:
        raise InputError("kg import: name the export's file(s)")
    own_rel = f"{overlay.IMPORTS_DIR}{slug_}.ttl"
    report = ImportReport(
        slug_, own_rel, started=now.isoformat().replace("+00:00", "Z"), strict=strict, dry_run=dry_run
    )
    log(f"reading {', '.join(Path(p).name for p in paths)}")
    sheets = read_sheets([Path(p) for p in paths], report, settings.max_source_bytes)
    if report.errors:
        reject(settings, report, "the file(s) cannot be imported; nothing changed")
    log(f"read {sum(len(s.rows) for s in sheets.values()):,} rows; reading the current data")
    ctx = ctx if ctx is not None and ctx.own_rel == own_rel else Context.load(settings, own_rel)
    docs_valid, docs_rejected = check_documents(sheets.get("documents"), ctx, report)
    mits_valid, mits_rejected = check_mitigations(
        sheets.get("mitigations"), ctx, report, docs_valid, docs_rejected, "documents" in sheets
    )
    if not update:
        refuse_moves(ctx, sheets.get("mitigations"), mits_valid, mits_rejected, report)
    report.rejected_rows = len({(p.sheet, p.row) for p in report.errors})
    log(f"checked {sum(len(s.rows) for s in sheets.values()):,} rows: {report.rejected_rows:,} rejected; comparing")
    if strict and report.errors:
        reject(settings, report, f"--strict: {report.rejected_rows} row(s) with errors, so nothing was imported")
    report.entries = plan(
        ctx,
        sheets,
        {"documents": docs_valid, "mitigations": mits_valid},
        {"documents": docs_rejected, "mitigations": mits_rejected},
    )
    return Prepared(report, ctx, settings.root / own_rel)


def refuse_moves(ctx: Context, sheet, valid: dict, rejected: dict, report: ImportReport) -> None:
    """A row that gives an existing mitigation another document is refused (without --update): it is
    most likely a new record under a taken ID, and would silently rewrite the existing one."""
    for rid, (number, cells) in list(valid.items()):
        current = ctx.current_m.get(rid)
        if current is None or not current["Source"] or cells["Source"] == current["Source"]:
            continue
        report.errors.append(
            Problem(
                sheet.label if sheet else "",
                number,
                sheet.column_name("Source") if sheet else "Source",
                f"{rid} is an existing mitigation of {current['Source']}, not of {cells['Source']}: give a new "
                "record its own ID, or pass --update to move this record to the other document",
                rid,
            )
        )
        del valid[rid]
        rejected[rid] = number


def run(
    paths: list[Path],
    settings: Settings,
    *,
    source: str = DEFAULT_SOURCE,
    strict: bool = False,
    dry_run: bool = False,
    version: str | None = None,
    curator: str | None = None,
    now: datetime | None = None,
    update: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> ImportReport:
    """Import the export in `paths` (one XLSX, or CSV files: mitigations and/or documents)."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    journal.recover(settings)  # what a killed import left: finished or undone first (said on stderr)
    with journal.locked(settings):
        prepared = prepare(
            paths, settings, source=source, strict=strict, dry_run=dry_run, now=now, update=update, log=log
        )
        report, ctx, path = prepared.report, prepared.ctx, prepared.path
        dataset = KG[f"dataset/{report.source}"]
        if dataset in ctx.outside_typed:
            raise InputError(f"--source {source!r}: {dataset} is another dataset; choose another source name")
        if not any(e.status in ("added", "changed", "removed") for e in report.entries):
            report.status = "unchanged"
            report.message = "no changes: the data already holds every valid row; nothing written, no new release"
            if report.rejected_rows:
                report.message += f" ({report.rejected_rows} row(s) rejected)"
            return finish(settings, report)
        taken = {stamp.label(r) for r in stamp.versioned(settings)}
        report.version = stamp.check_version(settings, version) if version else stamp.next_version(settings, now, taken)
        graph = import_graph(ctx, report, dataset, curator, now)
        if dry_run:
            problems = _validate(settings, report.data_file, graph, report)
            report.status = "dry-run"
            report.message = (
                "dry run: the valid rows would import"
                if not problems
                else f"dry run: the result would fail validation ({len(problems)} violation(s))"
            )
            return finish(settings, report)
        new = canonical_turtle(graph).encode("utf-8") if len(graph) else None
        return _apply(settings, report, path, new, now, log)


def import_graph(ctx: Context, report: ImportReport, dataset: URIRef, curator: str | None, now: datetime) -> Graph:
    """The new import file of the source: the entries' records and the import's provenance."""
    started = now.strftime("%Y%m%dT%H%M%SZ")
    activity = KG[f"import/{report.source}/{started}"]
    mapper = Mapper(
        ctx.vocab,
        dataset,
        activity,
        KG["agent/" + (slug(curator) if curator else "curator")],
        KG["agent/llm-classifier"],
    )
    graph = assemble(ctx, report.entries, mapper, report.source, curator or "AIRM-KG curator")
    if len(graph):
        importer = KG["agent/kg-importer-" + slug(__version__)]
        add_importer(graph, importer, __version__)
        names = ", ".join(f["name"] for f in report.files)
        add_activity(
            graph,
            activity,
            label=f"kg import of {names} (source {report.source})",
            started=report.started,
            files=report.files,
            importer=importer,
            release=KG[f"release/{report.version}"],
            version=report.version,
        )
    return graph


def _apply(
    settings: Settings, report: ImportReport, path: Path, new: bytes | None, now: datetime, log: Callable[[str], None]
) -> ImportReport:
    """Swap the new file in, build and stamp; put the old file (and release) back on any failure."""
    old = path.read_bytes() if path.exists() else None
    before = directory.current(settings).id if directory.current_path(settings) else None
    created = not path.parent.exists()
    journal.begin(settings, report.data_file, old, before, report.version)  # a kill from here on is undone
    journal.write_atomic(path, new)
    try:
        log("building")
        built = build.build(settings, log)
    except ValidationFailed as exc:
        journal.write_atomic(path, old)
        journal.end(settings)
        report.errors += _violations(exc.violations, report, report.data_file)
        _tidy(path, created)
        return reject(
            settings,
            report,
            "the imported rows are not valid together with the data "
            f"({len(exc.violations)} SHACL violation(s)); nothing changed",
            violations=[str(v) for v in exc.violations],
            exit_code=ValidationFailed.exit_code,
        )
    except BaseException as exc:
        journal.write_atomic(path, old)
        journal.end(settings)
        _tidy(path, created)
        if isinstance(exc, DiskFull):  # said clearly, in the report too; the data file is back
            return reject(settings, report, f"nothing changed: {exc}", exit_code=DiskFull.exit_code)
        raise
    try:
        stamped = stamp.stamp(settings, report.version, now)
    except BaseException:
        journal.write_atomic(path, old)
        _tidy(path, created)
        if before:
            directory.switch(settings, before)
        else:
            settings.current_link.unlink(missing_ok=True)
        journal.end(settings)
        raise
    journal.end(settings)
    report.release_id, report.status = stamped.id, "imported"
    counts = report.counts("mitigations")
    report.message = (
        f"imported into {report.data_file}: release {report.version} ({stamped.id}); mitigations "
        f"{counts.get('added', 0)} added, {counts.get('changed', 0)} changed, "
        f"{counts.get('removed', 0)} removed"
        + (f"; {report.rejected_rows} row(s) rejected" if report.rejected_rows else "")
    )
    log(f"built {built.release_id}")
    return finish(settings, report)


def _validate(settings: Settings, own_rel: str, graph: Graph, report: ImportReport) -> list:
    """SHACL over the project with `graph` as the import file (for --dry-run)."""
    own = Source(settings.root / own_rel, own_rel)
    graphs = parse_graphs([s for s in collect(settings.root) if s.rel != own_rel], settings, replace={own: graph})
    try:
        check_shapes(graphs, settings)
    except ValidationFailed as exc:
        report.errors += _violations(exc.violations, report, own_rel)
        return exc.violations
    return []


def _violations(violations: list, report: ImportReport, own_rel: str) -> list[Problem]:
    """SHACL violations as row problems where the focus node is one of the imported records."""
    rows: dict[str, Entry] = {}
    for e in report.entries:
        if e.row:
            rows[str(e.iri)] = e
            if e.kind == "mitigations":
                rows[str(evidence_iri(e.id))] = e
                for method in ("curator", "classifier"):
                    rows[str(classification_iri(e.id, method))] = e
    out = []
    for v in violations:
        focus = (v.focus or "").strip("<>")
        entry = rows.get(focus)
        message = f"{v.message} ({v.focus}{' ' + v.path if v.path else ''})"
        out.append(
            Problem(entry.sheet, entry.row, "", message, entry.id)
            if entry
            else Problem(v.source or own_rel, None, "", message)
        )
    return out


def _tidy(path: Path, created: bool) -> None:
    """Remove data/imports/ again when this import created it and left nothing in it."""
    if created and path.parent.is_dir() and not any(path.parent.iterdir()):
        path.parent.rmdir()
