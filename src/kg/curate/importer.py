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

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, VOID

from kg import __version__, release, versions
from kg.config import Settings
from kg.curate import overlay, table
from kg.curate import vocab as vocabulary
from kg.curate.columns import COLUMNS, DOCUMENT_COLUMNS, GROUPS, MITIGATION_COLUMNS
from kg.curate.mapping import (
    Mapper, describe_activity, describe_classifier, describe_curator, describe_dataset, describe_importer,
    mitigation_iri)
from kg.curate.read import FileProblem, Sheet, read
from kg.curate.rows import Problem, document, mitigation, mitigation_whole, parse_authors
from kg.errors import InputError, KGError, ValidationFailed
from kg.fmt import canonical_turtle
from kg.generate.common import document_iri, new_graph, slug
from kg.namespaces import AIRM, KG
from kg.sources import Source, TermConverter, collect, graph_of, load_into, parse_rdflib

DEFAULT_SOURCE = "curated"
REPORTS = "import-reports"
RECORD_TYPES = (AIRM.Mitigation, AIRM.SourceDocument, AIRM.EvidenceQuote, AIRM.Classification)
CORE = (RDF.type, DCTERMS.identifier, VOID.inDataset, PROV.wasGeneratedBy)
MEDIA = {".csv": "text/csv", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ImportRejected(KGError):
    """The import changed nothing: its files or rows were refused, or the result failed validation."""

    exit_code = 2
    http_status = 422

    def __init__(self, report: "ImportReport", violations: list | None = None) -> None:
        self.report = report
        self.violations = [str(p) for p in report.errors] if violations is None else violations
        super().__init__(report.message)


@dataclass
class Entry:
    """What the import does to one record."""
    kind: str                       # "mitigations" or "documents"
    id: str
    iri: URIRef
    row: int | None
    sheet: str
    cells: dict[str, str] | None    # the canonical row (every column), None when carried unseen
    status: str = ""                # added / changed / unchanged / kept / removed
    changed: list[str] = field(default_factory=list)
    outside: bool = False           # described by another file (generated data, another import)


@dataclass
class ImportReport:
    source: str
    data_file: str
    files: list[dict] = field(default_factory=list)
    started: str = ""
    importer: str = f"kg {__version__}"
    strict: bool = False
    dry_run: bool = False
    status: str = ""                 # imported / unchanged / rejected / dry-run
    message: str = ""
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    release_id: str = ""
    version: str = ""
    reports: list[str] = field(default_factory=list)
    rejected_rows: int = 0

    def counts(self, kind: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.entries:
            if e.kind == kind:
                out[e.status] = out.get(e.status, 0) + 1
        return out

    def as_dict(self) -> dict:
        return {
            "source": self.source, "data_file": self.data_file, "files": self.files, "started": self.started,
            "importer": self.importer, "strict": self.strict, "dry_run": self.dry_run, "status": self.status,
            "message": self.message, "release": {"id": self.release_id, "version": self.version},
            "errors": [p.as_dict() for p in self.errors], "warnings": [p.as_dict() for p in self.warnings],
            "rejected_rows": self.rejected_rows,
            "counts": {k: self.counts(k) for k in COLUMNS},
            "records": [{"kind": e.kind, "id": e.id, "row": e.row, "status": e.status, "changed": e.changed}
                        for e in self.entries if e.status not in ("unchanged", "kept")],
        }

    def lines(self) -> list[str]:
        out = [f"kg import ({self.importer}), source {self.source!r} -> {self.data_file}, started {self.started}"]
        for f in self.files:
            out.append(f"  file {f['name']} sha256 {f['sha256']}")
        for p in self.errors:
            out.append(f"error: {p}")
        for p in self.warnings:
            out.append(f"warning: {p}")
        for kind in COLUMNS:
            counts = self.counts(kind)
            if counts:
                out.append(f"{kind}: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
        for e in self.entries:
            if e.status in ("added", "changed", "removed"):
                what = f" ({', '.join(e.changed)})" if e.changed and e.status == "changed" else ""
                where = f" (row {e.row})" if e.row else ""
                out.append(f"  {e.status} {e.kind[:-1]} {e.id}{what}{where}")
        if self.rejected_rows:
            out.append(f"{self.rejected_rows} row(s) rejected")
        out.append(self.message)
        return out


# --- the project as the import sees it ------------------------------------------------------


@dataclass
class Context:
    own_rel: str
    own_prev: Graph                      # the source's previous import file, markers included
    outside_typed: set                   # IRIs typed by any other file
    names: dict                          # person/organisation IRI -> foaf:name, in any file
    vocab: vocabulary.Vocab
    current_m: dict[str, dict[str, str]]  # the current data as canonical rows (overlay applied)
    current_d: dict[str, dict[str, str]]

    @classmethod
    def load(cls, settings: Settings, own_rel: str) -> "Context":
        sources = collect(settings.root)
        store = ox.Store()          # every file parsed once (Oxigraph), then seen as rdflib graphs
        for src in sources:
            load_into(store, src, max_bytes=settings.max_source_bytes)
        convert = TermConverter()
        graphs = {s: graph_of(store, s, convert) for s in sources}
        own = next((s for s in sources if s.rel == own_rel), None)
        own_prev = graph_of(store, own, convert) if own else Graph()    # markers included
        outside_typed = {s for src, g in graphs.items() if src.rel != own_rel for s in g.subjects(RDF.type)}
        names = {s: str(o) for g in graphs.values() for s, o in g.subject_objects(FOAF.name)}
        overlay.apply(graphs, store)
        vocab = vocabulary.load(store)
        doc_ids = table.document_ids(store)
        return cls(own_rel, own_prev, outside_typed, names, vocab,
                   table.mitigation_rows(store, vocab, doc_ids=doc_ids), table.document_rows(store))

    def own_records(self, rdf_type) -> set:
        return {s for s in self.own_prev.subjects(RDF.type, rdf_type) if s not in self.outside_typed}


# --- checking the rows ----------------------------------------------------------------------


def _sheets(paths: list[Path], report: ImportReport, max_bytes: int | None = None) -> dict[str, Sheet]:
    out: dict[str, Sheet] = {}
    problems = []
    for path in paths:
        try:
            book = read(path, max_bytes) if max_bytes is not None else read(path)
        except FileProblem as exc:
            problems.append(Problem(Path(path).name, None, "", str(exc).split(": ", 1)[-1]))
            continue
        finally:
            if Path(path).is_file():
                report.files.append({"name": Path(path).name, "path": str(path),
                                     "sha256": release.sha256(Path(path)),
                                     "media_type": MEDIA.get(Path(path).suffix.lower(), "text/csv")})
        report.warnings += [Problem(Path(path).name, None, "", note.split(": ", 1)[-1]) for note in book.notes]
        if not book.sheets:
            problems.append(Problem(Path(path).name, None, "", "no mitigations or documents sheet in it"))
        for sheet in book.sheets:
            if sheet.kind in out:
                problems.append(Problem(sheet.label, None, "", f"a second {sheet.kind} sheet (the first is "
                                        f"{out[sheet.kind].label}); import one export at a time"))
                continue
            out[sheet.kind] = sheet
            for i, name in sheet.header.unknown:
                report.warnings.append(Problem(sheet.label, None, name, "unknown column, ignored (the "
                                               f"{sheet.kind} columns are {', '.join(COLUMNS[sheet.kind])})"))
            if sheet.header.missing:
                report.warnings.append(Problem(sheet.label, None, "", "no column(s) " + ", ".join(
                    sheet.header.missing) + ": those fields keep their current values (empty for new records)"))
            if not sheet.rows:
                problems.append(Problem(sheet.label, None, "", "no rows below the header: nothing to import "
                                        "(an import never empties a source by accident)"))
    if problems:
        report.errors += problems
    return out


def _fill(cells: dict[str, str], current: dict[str, str] | None, columns) -> dict[str, str]:
    return {c: cells[c] if c in cells else (current[c] if current else "") for c in columns}


def check_documents(sheet: Sheet | None, ctx: Context, report: ImportReport) -> tuple[dict, dict]:
    """SourceID -> (row, filled cells) of the valid rows; SourceID -> row of the rejected ones."""
    valid: dict[str, tuple[int, dict]] = {}
    rejected: dict[str, int] = {}
    if sheet is None:
        return valid, rejected
    first_row: dict[str, int] = {}
    names = dict(ctx.names)
    known_ids = {str(document_iri(sid)): sid for sid in ctx.current_d}
    for row in sheet.rows:
        cells, problems, warnings = document(sheet, row)
        report.warnings += warnings
        sid = cells.get("SourceID", "")
        known = known_ids.get(str(document_iri(sid))) if sid else None
        if known is not None and known != sid:
            problems.append(Problem(sheet.label, row.number, sheet.column_name("SourceID"),
                                    f"{sid!r} names the document already known as {known!r}: use {known!r}"))
        if sid and sid in first_row:
            problems.append(Problem(sheet.label, row.number, sheet.column_name("SourceID"),
                                    f"duplicate SourceID {sid!r} (first in row {first_row[sid]}, which is the one kept)"))
        elif sid:
            first_row[sid] = row.number
        filled = _fill(cells, ctx.current_d.get(sid), DOCUMENT_COLUMNS)
        if not problems:
            for author in parse_authors(filled["Author list"]):
                known = names.get(author.iri)
                if known is not None and known != author.name:
                    problems.append(Problem(sheet.label, row.number, sheet.column_name("Author list"),
                                            f"{author.text!r} would be the same resource as {known!r} "
                                            f"({author.iri}); write the name as it is already known"))
                names.setdefault(author.iri, author.name)
        problems = [Problem(p.sheet, p.row, p.column, p.message, sid) for p in problems]
        if problems:
            report.errors += problems
            if sid and sid not in valid:
                rejected.setdefault(sid, row.number)
        else:
            valid[sid] = (row.number, filled)
    return valid, rejected


def check_mitigations(sheet: Sheet | None, ctx: Context, report: ImportReport, docs_valid: dict,
                      docs_rejected: dict, doc_sheet_present: bool) -> tuple[dict, dict]:
    """Mitigation_ID -> (row, filled cells) of the valid rows; Mitigation_ID -> row of the rejected ones."""
    candidates: dict[str, tuple[int, dict]] = {}
    rejected: dict[str, int] = {}
    if sheet is None:
        return candidates, rejected
    first_row: dict[str, int] = {}
    col = sheet.column_name
    known_ids = {str(document_iri(sid)): sid for sid in ctx.current_d}
    known_ids.update({str(document_iri(sid)): sid for sid in docs_valid})
    for row in sheet.rows:
        cells, problems = mitigation(sheet, row, ctx.vocab)
        mid = cells.get("Mitigation_ID", "")
        if mid and mid in first_row:
            problems.append(Problem(sheet.label, row.number, col("Mitigation_ID"),
                                    f"duplicate Mitigation_ID {mid!r} (first in row {first_row[mid]}, which is the one kept)"))
        elif mid:
            first_row[mid] = row.number
        filled = _fill(cells, ctx.current_m.get(mid), MITIGATION_COLUMNS)
        # "Doe2025" and "doc-Doe2025" name one document: compare and write the SourceID it is known by
        filled["Source"] = known_ids.get(str(document_iri(filled["Source"])), filled["Source"]) \
            if filled["Source"] else ""
        if not problems:
            problems = mitigation_whole(sheet, row.number, filled)
        if problems:
            report.errors += [Problem(p.sheet, p.row, p.column, p.message, mid) for p in problems]
            if mid and mid not in candidates:
                rejected.setdefault(mid, row.number)
        else:
            candidates[mid] = (row.number, filled)

    # The documents there will be: valid rows, other files' documents, and this source's documents
    # that stay (rejected rows; all of them when no documents sheet came).
    own_docs = ctx.own_records(AIRM.SourceDocument)
    docs_after = {document_iri(s) for s in docs_valid} | \
        {s for s in ctx.outside_typed if str(s).startswith(str(KG["document/"]))}
    docs_after |= own_docs if not doc_sheet_present else {document_iri(s) for s in docs_rejected} & own_docs
    own_m = {str(m)[len(str(KG["mitigation/"])):] for m in ctx.own_records(AIRM.Mitigation)}
    outside_m = {mid for mid in ctx.current_m if mid not in own_m}
    kept_m = {mid for mid in rejected if mid in ctx.current_m}

    # References, until no more rows fall (a rejected new parent takes its children with it).
    while True:
        after: dict[str, dict] = {mid: ctx.current_m[mid] for mid in outside_m | kept_m}
        after.update({mid: cells for mid, (_, cells) in candidates.items()})
        fallen = {}
        # Sources and parents first; the Children cells (echoes) only against a settled hierarchy.
        for check in (_references, _children):
            for mid, (number, cells) in candidates.items():
                problem = check(mid, cells, after, docs_after, docs_rejected, rejected)
                if problem:
                    column, message = problem
                    fallen[mid] = Problem(sheet.label, number, col(column), message, mid)
            if fallen:
                break
        if not fallen:
            return candidates, rejected
        for mid, problem in fallen.items():
            report.errors.append(problem)
            rejected[mid] = candidates.pop(mid)[0]
            if mid in ctx.current_m:
                kept_m.add(mid)


def _references(mid: str, cells: dict, after: dict, docs_after: set, docs_rejected: dict,
                rejected: dict) -> tuple[str, str] | None:
    source = cells["Source"]
    if document_iri(source) not in docs_after:
        if source in docs_rejected:
            return "Source", f"the document {source!r} was rejected (documents row {docs_rejected[source]})"
        return "Source", (f"missing document: no document {source!r}; add it to the documents sheet "
                          "or cite the SourceID of a known document")
    parent = cells["Parent"]
    if parent:
        if parent not in after:
            why = f"its row {rejected[parent]} was rejected" if parent in rejected else "no such mitigation"
            return "Parent", f"broken parent reference: {parent!r} ({why})"
        if document_iri(after[parent]["Source"]) != document_iri(source):
            return "Parent", (f"the parent {parent!r} is from document {after[parent]['Source']!r}, this "
                              f"mitigation from {source!r}: a parent is a heading of the same document")
        seen, node = [mid], parent
        while node:
            if node in seen:
                return "Parent", "the parents make a cycle: " + " > ".join([*seen, node])
            seen.append(node)
            node = after.get(node, {}).get("Parent", "")
    return None


def _children(mid: str, cells: dict, after: dict, docs_after: set, docs_rejected: dict,
              rejected: dict) -> tuple[str, str] | None:
    for child in [c for c in cells.get("Children", "").split(", ") if c]:
        if child in rejected:
            continue        # its own row is reported; this echo adds nothing
        if child not in after:
            return "Children", f"{child!r} is listed as a child but is no mitigation"
        if after[child].get("Parent") != mid:
            has = after[child].get("Parent") or "none"
            return "Children", f"{child!r} is listed as a child, but its Parent is {has!r}"
    return None


# --- comparing with the current data --------------------------------------------------------


def plan(ctx: Context, sheets: dict[str, Sheet], valid: dict[str, dict], rejected: dict[str, dict]) -> list[Entry]:
    entries: list[Entry] = []
    for kind, rdf_type, iri_of, current in (
            ("documents", AIRM.SourceDocument, document_iri, ctx.current_d),
            ("mitigations", AIRM.Mitigation, mitigation_iri, ctx.current_m)):
        sheet = sheets.get(kind)
        own = ctx.own_records(rdf_type)
        marked = {r for r, _ in overlay.markers(ctx.own_prev)}
        seen: set = set()
        for rid, (number, cells) in valid[kind].items():
            iri = iri_of(rid)
            seen.add(iri)
            cur = current.get(rid)
            e = Entry(kind, rid, iri, number, sheet.label, cells, outside=iri in ctx.outside_typed)
            if cur is None:
                e.status, e.changed = "added", list(GROUPS[kind])
            else:
                e.changed = [g for g, cols in GROUPS[kind].items() if any(cells[c] != cur[c] for c in cols)]
                e.status = "changed" if e.changed else "unchanged"
            entries.append(e)
        for rid, number in rejected[kind].items():
            iri = iri_of(rid)
            if iri in own or iri in marked:
                seen.add(iri)
                entries.append(Entry(kind, rid, iri, number, sheet.label if sheet else "", None, "kept",
                                     outside=iri in ctx.outside_typed))
        prefix = str(iri_of(""))
        for iri in sorted((own | {r for r in marked if str(r).startswith(prefix)}) - seen):
            rid = str(iri)[len(prefix):]
            status = "removed" if sheet is not None else "kept"
            entries.append(Entry(kind, rid, iri, None, "", None, status, outside=iri in ctx.outside_typed))
    return entries


# --- the new import file ----------------------------------------------------------------------


def assemble(ctx: Context, entries: list[Entry], mapper: Mapper, source: str, curator_name: str) -> Graph:
    g = new_graph()
    g.bind("curation", overlay.CURATION)
    prev = ctx.own_prev
    marks = overlay.markers(prev)
    authors = []
    for e in entries:
        if e.status == "removed":
            continue
        group_names = list(GROUPS[e.kind])
        emit = (mapper.mitigation_group if e.kind == "mitigations" else mapper.document_group)
        if e.outside:
            prev_groups = {grp for r, grp in marks if r == e.iri}
            for grp in group_names:
                if grp in e.changed:
                    authors += emit(g, e.cells, grp) or []
                    g.add(overlay.marker(e.iri, grp))
                elif grp in prev_groups:
                    _carry(g, overlay.group_triples(prev, e.iri, grp))
                    g.add(overlay.marker(e.iri, grp))
        elif e.status == "added":
            (mapper.mitigation_core if e.kind == "mitigations" else mapper.document_core)(g, e.id)
            for grp in group_names:
                authors += emit(g, e.cells, grp) or []
        else:
            _carry(g, {t for p in CORE for t in prev.triples((e.iri, p, None))})
            for grp in group_names:
                if grp in e.changed:
                    authors += emit(g, e.cells, grp) or []
                else:
                    _carry(g, overlay.group_triples(prev, e.iri, grp))
        if e.changed and e.status == "changed":
            g.add((e.iri, PROV.wasInfluencedBy, mapper.activity))
        elif (e.iri, None, None) in g:
            _carry(g, set(prev.triples((e.iri, PROV.wasInfluencedBy, None))))
    if not len(g):
        return g
    # Authors this file names and nobody else describes.
    for author in authors:
        if author.iri not in ctx.outside_typed and (author.iri, RDF.type, None) not in g \
                and (author.iri, RDF.type, None) not in prev:
            mapper.describe_author(g, author)
    # The dataset and agents, then whatever else the records point to that only the previous
    # version of this file described (earlier imports, their files and releases, persons).
    if mapper.dataset not in ctx.outside_typed:
        describe_dataset(g, mapper.dataset, source)
    used = set(g.objects())
    if mapper.curator in used and mapper.curator not in ctx.outside_typed:
        describe_curator(g, mapper.curator, curator_name)
    if mapper.classifier in used and mapper.classifier not in ctx.outside_typed:
        describe_classifier(g, mapper.classifier)
    record_nodes = {s for t in RECORD_TYPES for s in prev.subjects(RDF.type, t)}
    while True:
        wanted = {o for o in g.objects() if isinstance(o, URIRef) and o not in ctx.outside_typed
                  and (o, None, None) not in g and (o, None, None) in prev and o not in record_nodes}
        if not wanted:
            return g
        for node in wanted:
            _carry(g, set(prev.triples((node, None, None))))


def _carry(g: Graph, triples) -> None:
    """Copy triples of the previous version of the file (author lists come whole with their group)."""
    for t in triples:
        g.add(t)


# --- running it -----------------------------------------------------------------------------


@contextmanager
def _locked(settings: Settings):
    settings.build_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.build_dir / ".import.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError("another `kg import` is running on this project; wait for it to finish") from None
        yield


def _write_atomic(path: Path, data: bytes | None) -> None:
    if data is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@dataclass
class Prepared:
    report: ImportReport
    ctx: Context
    path: Path


def prepare(paths: list[Path], settings: Settings, *, source: str = DEFAULT_SOURCE, strict: bool = False,
            dry_run: bool = False, now: datetime | None = None, ctx: Context | None = None,
            log: Callable[[str], None] = lambda _: None) -> Prepared:
    """Read and check the files and compare them with the data (`ctx`, loaded when not given);
    raise ImportRejected when nothing can be imported. Changes nothing but the report folder."""
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    slug_ = slug(source)
    if not slug_:
        raise InputError(f"--source {source!r}: give a name with letters or digits")
    if not paths:
        raise InputError("kg import: name the export's file(s)")
    own_rel = f"{overlay.IMPORTS_DIR}{slug_}.ttl"
    report = ImportReport(slug_, own_rel, started=now.isoformat().replace("+00:00", "Z"),
                          strict=strict, dry_run=dry_run)
    sheets = _sheets([Path(p) for p in paths], report, settings.max_source_bytes)
    if report.errors:
        _reject(settings, report, "the file(s) cannot be imported; nothing changed")
    log("reading the current data")
    ctx = ctx if ctx is not None and ctx.own_rel == own_rel else Context.load(settings, own_rel)
    docs_valid, docs_rejected = check_documents(sheets.get("documents"), ctx, report)
    mits_valid, mits_rejected = check_mitigations(sheets.get("mitigations"), ctx, report, docs_valid,
                                                  docs_rejected, "documents" in sheets)
    report.rejected_rows = len({(p.sheet, p.row) for p in report.errors})
    if strict and report.errors:
        _reject(settings, report, f"--strict: {report.rejected_rows} row(s) with errors, so nothing was imported")
    report.entries = plan(ctx, sheets, {"documents": docs_valid, "mitigations": mits_valid},
                          {"documents": docs_rejected, "mitigations": mits_rejected})
    return Prepared(report, ctx, settings.root / own_rel)


def run(paths: list[Path], settings: Settings, *, source: str = DEFAULT_SOURCE, strict: bool = False,
        dry_run: bool = False, version: str | None = None, curator: str | None = None,
        now: datetime | None = None, log: Callable[[str], None] = lambda _: None) -> ImportReport:
    """Import the export in `paths` (one XLSX, or CSV files: mitigations and/or documents)."""
    from kg import pipeline

    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    with _locked(settings):
        prepared = prepare(paths, settings, source=source, strict=strict, dry_run=dry_run, now=now, log=log)
        report, ctx, path = prepared.report, prepared.ctx, prepared.path
        slug_, own_rel = report.source, report.data_file
        dataset = KG[f"dataset/{slug_}"]
        if dataset in ctx.outside_typed:
            raise InputError(f"--source {source!r}: {dataset} is another dataset; choose another source name")
        if not any(e.status in ("added", "changed", "removed") for e in report.entries):
            report.status = "unchanged"
            report.message = "no changes: the data already holds every valid row; nothing written, no new release"
            if report.rejected_rows:
                report.message += f" ({report.rejected_rows} row(s) rejected)"
            return _finish(settings, report)

        taken = {versions.label(r) for r in versions.versioned(settings)}
        report.version = versions.check_version(settings, version) if version else \
            versions.next_version(settings, now, taken)
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        activity = KG[f"import/{slug_}/{stamp}"]
        curator_name = curator or "AIRM-KG curator"
        mapper = Mapper(ctx.vocab, dataset, activity, KG["agent/" + (slug(curator) if curator else "curator")],
                        KG["agent/llm-classifier"])
        graph = assemble(ctx, report.entries, mapper, slug_, curator_name)
        if len(graph):
            importer = KG["agent/kg-importer-" + slug(__version__)]
            describe_importer(graph, importer, __version__)
            names = ", ".join(f["name"] for f in report.files)
            describe_activity(graph, activity, label=f"kg import of {names} (source {slug_})",
                              started=report.started, files=report.files, importer=importer,
                              release=KG[f"release/{report.version}"], version=report.version)
        new = canonical_turtle(graph).encode("utf-8") if len(graph) else None
        old = path.read_bytes() if path.exists() else None

        if dry_run:
            problems = _validate(settings, own_rel, graph, report)
            report.status = "dry-run"
            report.message = ("dry run: the valid rows would import" if not problems else
                              f"dry run: the result would fail validation ({len(problems)} violation(s))")
            return _finish(settings, report)

        before = release.current(settings).id if release.current_path(settings) else None
        created = not path.parent.exists()
        _write_atomic(path, new)
        try:
            log("building")
            build = pipeline.build(settings, log)
        except ValidationFailed as exc:
            _write_atomic(path, old)
            report.errors += _violations(exc.violations, report, own_rel)
            _tidy(path, created)
            return _reject(settings, report, "the imported rows are not valid together with the data "
                                             f"({len(exc.violations)} SHACL violation(s)); nothing changed",
                           violations=[str(v) for v in exc.violations], exit_code=ValidationFailed.exit_code)
        except BaseException:
            _write_atomic(path, old)
            _tidy(path, created)
            raise
        try:
            stamped = versions.stamp(settings, report.version, now)
        except BaseException:
            _write_atomic(path, old)
            _tidy(path, created)
            if before:
                release.switch(settings, before)
            else:
                settings.current_link.unlink(missing_ok=True)
            raise
        report.release_id, report.status = stamped.id, "imported"
        counts = report.counts("mitigations")
        report.message = (f"imported into {own_rel}: release {report.version} ({stamped.id}); mitigations "
                          f"{counts.get('added', 0)} added, {counts.get('changed', 0)} changed, "
                          f"{counts.get('removed', 0)} removed" +
                          (f"; {report.rejected_rows} row(s) rejected" if report.rejected_rows else ""))
        log(f"built {build.release_id}")
        return _finish(settings, report)


def _validate(settings: Settings, own_rel: str, graph: Graph, report: ImportReport) -> list:
    """SHACL over the project with `graph` as the import file (for --dry-run)."""
    from kg.pipeline import check_shapes

    graphs = {s: parse_rdflib(s, settings.max_source_bytes) for s in collect(settings.root) if s.rel != own_rel}
    graphs[Source(settings.root / own_rel, own_rel)] = graph
    overlay.apply(graphs)
    try:
        check_shapes(graphs, settings)
    except ValidationFailed as exc:
        report.errors += _violations(exc.violations, report, own_rel)
        return exc.violations
    return []


def _violations(violations: list, report: ImportReport, own_rel: str) -> list[Problem]:
    """SHACL violations as row problems where the focus node is one of the imported records."""
    rows = {}
    for e in report.entries:
        if e.row:
            rows[str(e.iri)] = e
            if e.kind == "mitigations":
                rows[str(KG[f"evidence/{e.id}"])] = e
                for method in ("curator", "classifier"):
                    rows[str(KG[f"classification/{e.id}/{method}"])] = e
    out = []
    for v in violations:
        focus = (v.focus or "").strip("<>")
        e = rows.get(focus)
        message = f"{v.message} ({v.focus}{' ' + v.path if v.path else ''})"
        out.append(Problem(e.sheet, e.row, "", message, e.id) if e else Problem(v.source or own_rel, None, "", message))
    return out


def _tidy(path: Path, created: bool) -> None:
    """Remove data/imports/ again when this import created it and left nothing in it."""
    if created and path.parent.is_dir() and not any(path.parent.iterdir()):
        path.parent.rmdir()


def _reject(settings: Settings, report: ImportReport, message: str, violations: list | None = None,
            exit_code: int | None = None) -> ImportReport:
    report.status, report.message = "rejected", message
    _write_reports(settings, report)
    error = ImportRejected(report, violations)
    if exit_code is not None:
        error.exit_code = exit_code
    raise error


def _finish(settings: Settings, report: ImportReport) -> ImportReport:
    _write_reports(settings, report)
    return report


def _write_reports(settings: Settings, report: ImportReport) -> None:
    folder = settings.build_dir / REPORTS
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{report.started.replace(':', '').replace('-', '')}-{report.source}"
    json_path, text_path = stem.with_suffix(".json"), stem.with_suffix(".txt")
    report.reports = [str(json_path), str(text_path)]
    json_path.write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    text_path.write_text("\n".join(report.lines()) + "\n", encoding="utf-8")
