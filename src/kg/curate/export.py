"""`kg export --format csv` (or xlsx): the current release in the source database's column layout,
one mitigations table and one documents table, ready to edit and re-import with `kg import`.

    -o DIR        DIR/mitigations.csv and DIR/documents.csv
    -o NAME.csv   NAME.csv (mitigations) and NAME-documents.csv
    -o NAME.xlsx  one workbook with the sheets Mitigations and Documents

CSV files are UTF-8 with a byte-order mark (so that spreadsheet programs read them as UTF-8),
comma-separated, every field quoted where needed (RFC 4180). Rows are sorted by their ID. A cell
that a spreadsheet program would run as a formula (starting with = + - @, tab or CR) is written with
a leading ' (OWASP's advice against CSV injection); `kg import` takes it away again, so the round
trip changes nothing. XLSX cells are typed: such a value is a text cell there, never a formula.
"""

from __future__ import annotations

import csv
from pathlib import Path

from kg.config import Settings, from_env
from kg.curate.read import neutralised
from kg.errors import InputError
from kg.records import table
from kg.records import vocab as vocabulary
from kg.records.columns import DOCUMENT_COLUMNS, MITIGATION_COLUMNS
from kg.release import directory

FORMATS = ("csv", "xlsx")


def targets(output: Path, fmt: str) -> list[Path]:
    output = Path(output)
    if fmt == "xlsx":
        return [output if output.suffix.lower() == ".xlsx" else output / "airm-kg.xlsx"]
    if output.suffix.lower() == ".csv":
        return [output, output.with_name(f"{output.stem}-documents.csv")]
    return [output / "mitigations.csv", output / "documents.csv"]


def tables(store, base: str) -> tuple[list[dict], list[dict]]:
    vocab = vocabulary.load(store, base)
    doc_ids = table.document_ids(store, base)
    mitigations = table.mitigation_rows(store, vocab, base, doc_ids)
    documents = table.document_rows(store, base)
    return ([mitigations[k] for k in sorted(mitigations)], [documents[k] for k in sorted(documents)])


def write_tables(output: Path, fmt: str = "csv", settings: Settings | None = None) -> list[Path]:
    """Write the current release's mitigations and documents; return the files written."""
    if fmt not in FORMATS:
        raise InputError(f"unknown table format {fmt!r}; choose csv or xlsx")
    settings = settings or from_env()
    current = directory.current(settings)
    mitigations, documents = tables(current.open_store(), current.manifest.get("base_iri", settings.base_iri))
    paths = targets(output, fmt)
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        _xlsx(paths[0], mitigations, documents)
    else:
        _csv(paths[0], MITIGATION_COLUMNS, mitigations)
        _csv(paths[1], DOCUMENT_COLUMNS, documents)
    return paths


def _csv(path: Path, columns, rows: list[dict]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([neutralised(row[c]) for c in columns])  # no cell runs as a formula
    tmp.replace(path)


def _xlsx(path: Path, mitigations: list[dict], documents: list[dict]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for sheet, columns, rows in (
        (ws, MITIGATION_COLUMNS, mitigations),
        (wb.create_sheet(), DOCUMENT_COLUMNS, documents),
    ):
        sheet.title = "Mitigations" if columns is MITIGATION_COLUMNS else "Documents"
        sheet.append(list(columns))
        for row in rows:
            # Text cells stay text: a value starting with "=" must never become a formula.
            sheet.append([row[c] for c in columns])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    tmp = path.with_name(f".{path.name}.tmp")
    wb.save(tmp)
    tmp.replace(path)
