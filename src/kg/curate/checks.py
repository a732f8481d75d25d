"""Checking an export before anything changes: the project as the import sees it (`Context`), each
file's sheets, each row's cells, and the references across rows and the data (documents, parents,
children), until no more rows fall."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import FOAF, RDF

from kg.config import Settings
from kg.curate.read import FileProblem, Sheet, read
from kg.curate.report import ImportReport
from kg.curate.rows import Problem, document, mitigation, mitigation_whole, parse_authors
from kg.iris import document_iri, fuller_spelling, slug
from kg.namespaces import AIRM, KG
from kg.pipeline import overlay
from kg.rdf.sources import TermConverter, collect, graph_of, load_into
from kg.records import table
from kg.records import vocab as vocabulary
from kg.records.columns import COLUMNS, DOCUMENT_COLUMNS, MITIGATION_COLUMNS
from kg.release import directory

MEDIA = {".csv": "text/csv", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass
class Context:
    own_rel: str
    own_prev: Graph  # the source's previous import file, markers included
    outside_typed: set  # IRIs typed by any other file
    names: dict  # person/organisation IRI -> foaf:name, as the other files say (else as this source's file says)
    vocab: vocabulary.Vocab
    current_m: dict[str, dict[str, str]]  # the current data as canonical rows (overlay applied)
    current_d: dict[str, dict[str, str]]

    @classmethod
    def load(cls, settings: Settings, own_rel: str) -> Context:
        sources = collect(settings.root)
        store = ox.Store()  # every file parsed once (Oxigraph), then seen as rdflib graphs
        for src in sources:
            load_into(store, src, max_bytes=settings.max_source_bytes)
        convert = TermConverter()
        graphs = {s: graph_of(store, s, convert) for s in sources}
        own = next((s for s in sources if s.rel == own_rel), None)
        own_prev = graph_of(store, own, convert) if own else Graph()  # markers included
        outside_typed = {s for src, g in graphs.items() if src.rel != own_rel for s in g.subjects(RDF.type)}
        names = {s: str(o) for src, g in graphs.items() if src.rel != own_rel for s, o in g.subject_objects(FOAF.name)}
        for s, o in own_prev.subject_objects(FOAF.name):
            names.setdefault(s, str(o))
        overlay.apply(graphs, store)
        vocab = vocabulary.load(store)
        doc_ids = table.document_ids(store)
        return cls(
            own_rel,
            own_prev,
            outside_typed,
            names,
            vocab,
            table.mitigation_rows(store, vocab, doc_ids=doc_ids),
            table.document_rows(store),
        )

    def own_records(self, rdf_type) -> set:
        return {s for s in self.own_prev.subjects(RDF.type, rdf_type) if s not in self.outside_typed}


def read_sheets(paths: list[Path], report: ImportReport, max_bytes: int | None = None) -> dict[str, Sheet]:
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
                report.files.append(
                    {
                        "name": Path(path).name,
                        "path": str(path),
                        "sha256": directory.sha256(Path(path)),
                        "media_type": MEDIA.get(Path(path).suffix.lower(), "text/csv"),
                    }
                )
        report.warnings += [Problem(Path(path).name, None, "", note.split(": ", 1)[-1]) for note in book.notes]
        if not book.sheets:
            problems.append(Problem(Path(path).name, None, "", "no mitigations or documents sheet in it"))
        for sheet in book.sheets:
            _add_sheet(sheet, out, report, problems)
    if problems:
        report.errors += problems
    return out


def _add_sheet(sheet: Sheet, out: dict[str, Sheet], report: ImportReport, problems: list[Problem]) -> None:
    """Take one sheet of a workbook (the first of its kind), noting its unknown and missing columns."""
    if sheet.kind in out:
        problems.append(
            Problem(
                sheet.label,
                None,
                "",
                f"a second {sheet.kind} sheet (the first is {out[sheet.kind].label}); import one export at a time",
            )
        )
        return
    out[sheet.kind] = sheet
    for _, name in sheet.header.unknown:
        report.warnings.append(
            Problem(
                sheet.label,
                None,
                name,
                f"unknown column, ignored (the {sheet.kind} columns are {', '.join(COLUMNS[sheet.kind])})",
            )
        )
    if sheet.header.missing:
        report.warnings.append(
            Problem(
                sheet.label,
                None,
                "",
                "no column(s) "
                + ", ".join(sheet.header.missing)
                + ": those fields keep their current values (empty for new records)",
            )
        )
    if not sheet.rows:
        problems.append(
            Problem(
                sheet.label,
                None,
                "",
                "no rows below the header: nothing to import (an import never empties a source by accident)",
            )
        )


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
            problems.append(
                Problem(
                    sheet.label,
                    row.number,
                    sheet.column_name("SourceID"),
                    f"{sid!r} names the document already known as {known!r}: use {known!r}",
                )
            )
        same = _same_document(cells, ctx.current_d, sid) if not problems and known is None else None
        if same is not None:
            problems.append(Problem(sheet.label, row.number, sheet.column_name(same[0]), same[1]))
        if sid and sid in first_row:
            problems.append(
                Problem(
                    sheet.label,
                    row.number,
                    sheet.column_name("SourceID"),
                    f"duplicate SourceID {sid!r} (first in row {first_row[sid]}, which is the one kept)",
                )
            )
        elif sid:
            first_row[sid] = row.number
        filled = _fill(cells, ctx.current_d.get(sid), DOCUMENT_COLUMNS)
        if not problems:
            _spelling_notices(sheet, row.number, filled["Author list"], names, report, sid)
        problems = [Problem(p.sheet, p.row, p.column, p.message, sid) for p in problems]
        if problems:
            report.errors += problems
            if sid and sid not in valid:
                rejected.setdefault(sid, row.number)
        else:
            valid[sid] = (row.number, filled)
    return valid, rejected


def _spelling_notices(sheet: Sheet, n: int, authors: str, names: dict, report: ImportReport, sid: str) -> None:
    """A second spelling of a known person (the same `kg.iris.person_key`) is a notice, not a problem."""
    for author in parse_authors(authors):
        known = names.get(author.iri)
        if known is not None and known != author.name:
            keep = fuller_spelling(known, author.name)
            report.notices.append(
                Problem(
                    sheet.label,
                    n,
                    sheet.column_name("Author list"),
                    f"{author.text!r} is the person known as {known!r} ({author.iri}): "
                    f"the name is {keep!r}, the other spelling an alternative label",
                    sid,
                )
            )
        names.setdefault(author.iri, author.name)


def document_key(title: str, year: str) -> str:
    """A document's identity besides its DOI: its title folded as `kg.iris.slug` folds, and its year."""
    return f"{slug(title)}/{year.strip()}" if slug(title) and year.strip() else ""


def doi_key(doi: str) -> str:
    text = doi.strip().lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        text = text.removeprefix(prefix)
    return text


def _same_document(cells: dict[str, str], current: dict[str, dict[str, str]], sid: str) -> tuple[str, str] | None:
    """(column, message) when a new SourceID names a known document: the same DOI, or the same
    normalised title and year."""
    doi, key = doi_key(cells.get("DOI", "")), document_key(cells.get("Title", ""), cells.get("Year", ""))
    for other, row in current.items():
        if other == sid:
            continue
        if doi and doi == doi_key(row.get("DOI", "")):
            return "DOI", f"the DOI {cells['DOI']!r} is that of the document known as {other!r}: use {other!r}"
        if key and key == document_key(row.get("Title", ""), row.get("Year", "")):
            return "Title", f"the title and year are those of the document known as {other!r}: use {other!r}"
    return None


def check_mitigations(
    sheet: Sheet | None,
    ctx: Context,
    report: ImportReport,
    docs_valid: dict,
    docs_rejected: dict,
    doc_sheet_present: bool,
) -> tuple[dict, dict]:
    """Mitigation_ID -> (row, filled cells) of the valid rows; Mitigation_ID -> row of the rejected ones."""
    if sheet is None:
        return {}, {}
    candidates, rejected = _mitigation_rows(sheet, ctx, report, docs_valid)
    return _settle(sheet, ctx, report, candidates, rejected, docs_valid, docs_rejected, doc_sheet_present)


def _mitigation_rows(
    sheet: Sheet, ctx: Context, report: ImportReport, docs_valid: dict
) -> tuple[dict[str, tuple[int, dict]], dict[str, int]]:
    """Each row on its own: its cells, a duplicate id, the whole record (not yet its references)."""
    candidates: dict[str, tuple[int, dict]] = {}
    rejected: dict[str, int] = {}
    first_row: dict[str, int] = {}
    col = sheet.column_name
    known_ids = {str(document_iri(sid)): sid for sid in ctx.current_d}
    known_ids.update({str(document_iri(sid)): sid for sid in docs_valid})
    for row in sheet.rows:
        cells, problems = mitigation(sheet, row, ctx.vocab)
        mid = cells.get("Mitigation_ID", "")
        if mid and mid in first_row:
            problems.append(
                Problem(
                    sheet.label,
                    row.number,
                    col("Mitigation_ID"),
                    f"duplicate Mitigation_ID {mid!r} (first in row {first_row[mid]}, which is the one kept)",
                )
            )
        elif mid:
            first_row[mid] = row.number
        filled = _fill(cells, ctx.current_m.get(mid), MITIGATION_COLUMNS)
        # "Doe2025" and "doc-Doe2025" name one document: compare and write the SourceID it is known by
        filled["Source"] = (
            known_ids.get(str(document_iri(filled["Source"])), filled["Source"]) if filled["Source"] else ""
        )
        if not problems:
            problems = mitigation_whole(sheet, row.number, filled)
        if problems:
            report.errors += [Problem(p.sheet, p.row, p.column, p.message, mid) for p in problems]
            if mid and mid not in candidates:
                rejected.setdefault(mid, row.number)
        else:
            candidates[mid] = (row.number, filled)
    return candidates, rejected


def _settle(
    sheet: Sheet,
    ctx: Context,
    report: ImportReport,
    candidates: dict,
    rejected: dict,
    docs_valid: dict,
    docs_rejected: dict,
    doc_sheet_present: bool,
) -> tuple[dict, dict]:
    """The references of the candidate rows, checked until no more rows fall."""
    col = sheet.column_name
    # The documents there will be: valid rows, other files' documents, and this source's documents
    # that stay (rejected rows; all of them when no documents sheet came).
    own_docs = ctx.own_records(AIRM.SourceDocument)
    docs_after = {document_iri(s) for s in docs_valid} | {
        s for s in ctx.outside_typed if str(s).startswith(str(KG["document/"]))
    }
    docs_after |= own_docs if not doc_sheet_present else {document_iri(s) for s in docs_rejected} & own_docs
    own_m = {str(m)[len(str(KG["mitigation/"])) :] for m in ctx.own_records(AIRM.Mitigation)}
    outside_m = {mid for mid in ctx.current_m if mid not in own_m}
    kept_m = {mid for mid in rejected if mid in ctx.current_m}

    # References, until no more rows fall (a rejected new parent takes its children with it).
    while True:
        after: dict[str, dict] = {mid: ctx.current_m[mid] for mid in outside_m | kept_m}
        after.update({mid: cells for mid, (_, cells) in candidates.items()})
        fallen: dict[str, Problem] = {}
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
        for mid, fault in fallen.items():
            report.errors.append(fault)
            rejected[mid] = candidates.pop(mid)[0]
            if mid in ctx.current_m:
                kept_m.add(mid)


def _references(
    mid: str, cells: dict, after: dict, docs_after: set, docs_rejected: dict, rejected: dict
) -> tuple[str, str] | None:
    source = cells["Source"]
    if document_iri(source) not in docs_after:
        if source in docs_rejected:
            return "Source", f"the document {source!r} was rejected (documents row {docs_rejected[source]})"
        return "Source", (
            f"missing document: no document {source!r}; add it to the documents sheet "
            "or cite the SourceID of a known document"
        )
    parent = cells["Parent"]
    if parent:
        if parent not in after:
            why = f"its row {rejected[parent]} was rejected" if parent in rejected else "no such mitigation"
            return "Parent", f"broken parent reference: {parent!r} ({why})"
        if document_iri(after[parent]["Source"]) != document_iri(source):
            return "Parent", (
                f"the parent {parent!r} is from document {after[parent]['Source']!r}, this "
                f"mitigation from {source!r}: a parent is a heading of the same document"
            )
        seen, node = [mid], parent
        while node:
            if node in seen:
                return "Parent", "the parents make a cycle: " + " > ".join([*seen, node])
            seen.append(node)
            node = after.get(node, {}).get("Parent", "")
    return None


def _children(
    mid: str, cells: dict, after: dict, docs_after: set, docs_rejected: dict, rejected: dict
) -> tuple[str, str] | None:
    for child in [c for c in cells.get("Children", "").split(", ") if c]:
        if child in rejected:
            continue  # its own row is reported; this echo adds nothing
        if child not in after:
            return "Children", f"{child!r} is listed as a child but is no mitigation"
        if after[child].get("Parent") != mid:
            has = after[child].get("Parent") or "none"
            return "Children", f"{child!r} is listed as a child, but its Parent is {has!r}"
    return None
