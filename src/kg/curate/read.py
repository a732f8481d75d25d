"""Reading spreadsheet exports: CSV (UTF-8) and XLSX, into sheets of rows numbered as a spreadsheet
shows them (the header is row 1).

Nothing is evaluated: an XLSX formula is refused (the cell is reported, never computed), and every
cell is capped at the spreadsheet cell limit. Problems that make a whole file unreadable raise
`FileProblem`; problems of one cell are kept on its row (`Row.problems`) for the importer to report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from kg.curate.columns import COLUMNS, HeaderMatch, kind_of, letter, match

MAX_CELL = 32767                 # Excel's own limit on the characters of a cell
MAX_FILE_BYTES = 200 * 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\udc80-\udcff]")


class FileProblem(Exception):
    """A whole file (or sheet) cannot be imported; the message names it and says why."""


@dataclass
class Row:
    number: int                                   # as the spreadsheet shows it (header = 1)
    cells: dict[str, str]                         # canonical column -> cell text
    problems: list[tuple[str, str]] = field(default_factory=list)   # (column as in the file, reason)


@dataclass
class Sheet:
    label: str                # how messages name it: "mitigations.csv" or "export.xlsx, sheet Mitigations"
    path: Path
    kind: str                 # "mitigations" or "documents"
    header: HeaderMatch
    rows: list[Row]

    def column_name(self, canonical: str) -> str:
        return self.header.names.get(canonical, canonical)


@dataclass
class Workbook:
    """What one input file gave: its sheets and the notes about it (ignored sheets, ...)."""
    path: Path
    sheets: list[Sheet]
    notes: list[str] = field(default_factory=list)


def read(path: Path) -> Workbook:
    path = Path(path)
    if not path.is_file():
        raise FileProblem(f"{path.name}: no such file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileProblem(f"{path.name}: {size} bytes, more than the {MAX_FILE_BYTES} an import takes")
    if size == 0:
        raise FileProblem(f"{path.name}: the file is empty")
    with path.open("rb") as f:
        magic = f.read(4)
    if magic.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    return read_csv(path)


# --- CSV ------------------------------------------------------------------------------------


def read_csv(path: Path) -> Workbook:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(f"{path.name}: the file is UTF-16; save it as CSV UTF-8")
    text = raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    if not text.strip():
        raise FileProblem(f"{path.name}: the file is empty")
    records = _csv_records(path, text)
    header = records[0]
    if _SURROGATE.search("".join(header)):
        raise FileProblem(f"{path.name}: the header row is not valid UTF-8; save the file as CSV UTF-8")
    sheet = _sheet(path.name, path, header, ((n, rec, {}) for n, rec in enumerate(records[1:], start=2)))
    return Workbook(path, [sheet])


def _csv_records(path: Path, text: str) -> list[list[str]]:
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count) if first_line.count(",") == 0 else ","
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FILE_BYTES)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise FileProblem(f"{path.name}: not a readable CSV file: {exc}") from exc
    finally:
        csv.field_size_limit(old_limit)


# --- XLSX -----------------------------------------------------------------------------------


def read_xlsx(path: Path) -> Workbook:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # data_only=False: a formula stays a formula (and is refused); nothing is ever computed.
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileProblem(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
    out = Workbook(path, [])
    try:
        for ws in wb.worksheets:
            rows = ws.iter_rows(min_row=1)
            first = next(rows, None)
            header = [_xlsx_text(c)[0] for c in first] if first else []
            label = f"{path.name}, sheet {ws.title}"
            if not any(h.strip() for h in header):
                out.notes.append(f"{label}: empty, ignored")
                continue
            if kind_of(header) is None:
                out.notes.append(f"{label}: neither a Mitigation_ID nor a SourceID column, ignored")
                continue
            out.sheets.append(_sheet(label, path, header, _xlsx_rows(rows)))
    finally:
        wb.close()
    return out


def _xlsx_rows(rows):
    for number, cells in enumerate(rows, start=2):
        values, problems = [], {}
        for i, cell in enumerate(cells):
            text, problem = _xlsx_text(cell)
            values.append(text)
            if problem:
                problems[i] = problem
        yield number, values, problems


def _xlsx_text(cell) -> tuple[str, str | None]:
    value = cell.value
    if value is None:
        return "", None
    if cell.data_type == "f":
        return "", f"a formula ({str(value)[:60]}); formulas are never evaluated: paste the value instead"
    if cell.data_type == "e":
        return "", f"an error value {value}"
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value)), None
    if isinstance(value, dt.datetime):
        return (value.date().isoformat() if value.time() == dt.time() else value.isoformat()), None
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat(), None
    return str(value), None


# --- both -----------------------------------------------------------------------------------


def _sheet(label: str, path: Path, header: list[str], records) -> Sheet:
    kind = kind_of(header)
    if kind is None:
        raise FileProblem(f"{label}: the header has neither a Mitigation_ID nor a SourceID column, so it is "
                          f"neither a mitigations nor a documents sheet (header: {', '.join(h for h in header if h)})")
    hm = match(header, kind)
    if hm.duplicates:
        raise FileProblem(f"{label}: " + "; ".join(
            f"the columns {', '.join(repr(n) for n in names)} all mean {c}" for c, names in hm.duplicates))
    if hm.missing_required:
        raise FileProblem(f"{label}: missing required column(s) {', '.join(hm.missing_required)} "
                          f"(a {kind} sheet has the columns {', '.join(COLUMNS[kind])})")
    width = len(header)
    rows = []
    for number, record, cell_problems in records:
        if not any(str(v).strip() for v in record):
            continue                          # a blank row: spreadsheets are full of them
        row = Row(number, {})
        extra = [v for v in record[width:] if str(v).strip()]
        if extra:
            row.problems.append(("", f"{len(record)} cells but the header has {width} columns "
                                     "(a stray delimiter or an unclosed quote?)"))
        for i, problem in cell_problems.items():
            row.problems.append((header[i] if i < width and header[i] else letter(i), problem))
        for canonical, i in hm.positions.items():
            value = record[i] if i < len(record) else ""
            problem = _cell_problem(value)
            if problem:
                row.problems.append((hm.names[canonical], problem))
                value = ""
            row.cells[canonical] = value
        rows.append(row)
    return Sheet(label, path, kind, hm, rows)


def _cell_problem(value: str) -> str | None:
    bad = _SURROGATE.search(value)
    if bad:
        byte = ord(bad.group()) - 0xDC00
        return f"not valid UTF-8 (byte 0x{byte:02x}); save the file as CSV UTF-8"
    if len(value) > MAX_CELL:
        return f"{len(value)} characters, more than a spreadsheet cell holds ({MAX_CELL})"
    control = _CONTROL.search(value)
    if control:
        return f"a control character (U+{ord(control.group()):04X})"
    return None
