"""Reading spreadsheet exports: CSV (UTF-8) and XLSX, into sheets of rows numbered as a spreadsheet
shows them (the header is row 1).

Nothing is evaluated: an XLSX formula is refused (the cell is reported, never computed), and every
cell is capped at the spreadsheet cell limit. Problems that make a whole file unreadable raise
`FileProblem`; problems of one cell are kept on its row (`Row.problems`) for the importer to report.

The files are untrusted, so nothing unbounded happens before they are refused: a file is at most
`max_bytes` (KG_MAX_SOURCE_BYTES); an XLSX workbook is checked as a zip before openpyxl opens it (its
parts may unpack to at most `max_bytes` in all, none compressed more than `MAX_RATIO`:1, at most
`MAX_PARTS` of them, and no XML part may have a DOCTYPE: entity expansion, external entities; openpyxl
parses with defusedxml besides); a sheet or CSV file may have at most `MAX_ROWS` rows and
`MAX_COLUMNS` columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from kg.rdf.screen import XmlRefused, XmlScreen
from kg.records.columns import COLUMNS, HeaderMatch, kind_of, letter, match

MAX_CELL = 32767  # Excel's own limit on the characters of a cell
MAX_FILE_BYTES = 200 * 1024 * 1024  # the default of KG_MAX_SOURCE_BYTES is smaller; callers pass theirs
MAX_ROWS = 100_000  # rows of one sheet or CSV file (the whole database has about 1,100)
MAX_COLUMNS = 256  # columns (an export has 20)
MAX_PARTS = 10_000  # files in an XLSX zip
MAX_RATIO = 200  # how much one XLSX part may be compressed (zip bombs: ~1000:1)
MAX_XML_DEPTH = 128  # element nesting in an XLSX part
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\udc80-\udcff]")


# CSV injection (OWASP): a cell a spreadsheet program would run as a formula starts with one of these.
# `kg export` writes such a cell with a leading ' (and so one that is quotes before such a character,
# to keep the mapping one to one); reading a CSV file takes exactly that one ' away again.
FORMULA_START = re.compile("'*[=+\\-@\t\r]")


def neutralised(value: str) -> str:
    """A CSV cell no spreadsheet runs: `'` before a value that starts (after any quotes) with = + - @ tab CR."""
    return "'" + value if FORMULA_START.match(value) else value


def restored(value: str) -> str:
    """The value `neutralised` was given: one leading ' less when it stands before such a start."""
    return value[1:] if value.startswith("'") and FORMULA_START.match(value, 1) else value


class FileProblem(Exception):
    """A whole file (or sheet) cannot be imported; the message names it and says why."""


@dataclass
class Row:
    number: int  # as the spreadsheet shows it (header = 1)
    cells: dict[str, str]  # canonical column -> cell text
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column as in the file, reason)


@dataclass
class Sheet:
    label: str  # how messages name it: "mitigations.csv" or "export.xlsx, sheet Mitigations"
    path: Path
    kind: str  # "mitigations" or "documents"
    header: HeaderMatch
    rows: list[Row]

    def column_name(self, canonical: str) -> str:
        return self.header.names.get(canonical, canonical)


@dataclass
class Workbook:
    """What one input file gave: its sheets and the notes about it (ignored sheets, ...)."""

    path: Path
    sheets: list[Sheet]
    notes: list[tuple[str, str]] = field(default_factory=list)  # (the sheet's label, what was done)


def read(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Workbook:
    path = Path(path)
    if not path.is_file():
        raise FileProblem(f"{path.name}: no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise FileProblem(f"{path.name}: {size} bytes, more than the {max_bytes} an import takes (KG_MAX_SOURCE_BYTES)")
    if size == 0:
        raise FileProblem(f"{path.name}: the file is empty")
    with path.open("rb") as f:
        magic = f.read(4)
    if magic.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, max_bytes)
    return read_csv(path, max_bytes)


# --- CSV ------------------------------------------------------------------------------------


def read_csv(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Workbook:
    raw = path.read_bytes()
    if len(raw) > max_bytes:
        raise FileProblem(f"{path.name}: more than the {max_bytes} bytes an import takes (KG_MAX_SOURCE_BYTES)")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(f"{path.name}: the file is UTF-16; save it as CSV UTF-8")
    text = raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    if not text.strip():
        raise FileProblem(f"{path.name}: the file is empty")
    records = _csv_records(path, text)
    header = records[0]
    if _SURROGATE.search("".join(header)):
        raise FileProblem(f"{path.name}: the header row is not valid UTF-8; save the file as CSV UTF-8")
    rows = (([restored(v) for v in rec]) for rec in records[1:])
    sheet = _sheet(path.name, path, header, ((n, rec, {}) for n, rec in enumerate(rows, start=2)))
    return Workbook(path, [sheet])


def _csv_records(path: Path, text: str) -> list[list[str]]:
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count) if first_line.count(",") == 0 else ","
    if text.count(delimiter) > (MAX_ROWS + 1) * MAX_COLUMNS:
        raise FileProblem(
            f"{path.name}: more than {(MAX_ROWS + 1) * MAX_COLUMNS} cells; an import takes at "
            f"most {MAX_ROWS} rows of {MAX_COLUMNS} columns"
        )
    # A long cell is reported on its row and column (more than MAX_CELL characters), so the csv
    # module's own limit only has to cover the whole (size-capped) file.
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(len(text), old_limit))
    records = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for record in reader:
            records.append(record)
            if len(records) > MAX_ROWS + 1:
                raise FileProblem(
                    f"{path.name}: more than {MAX_ROWS} rows below the header; an import "
                    f"takes at most {MAX_ROWS}: split the file"
                )
            if len(records) == 1 and len(record) > MAX_COLUMNS:
                raise FileProblem(
                    f"{path.name}: the header has {len(record)} columns, more than the {MAX_COLUMNS} an import takes"
                )
    except csv.Error as exc:
        raise FileProblem(f"{path.name}: line {reader.line_num}: not a readable CSV file: {exc}") from exc
    finally:
        csv.field_size_limit(old_limit)
    return records


# --- XLSX -----------------------------------------------------------------------------------


def read_xlsx(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Workbook:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    check_zip(path, max_bytes)
    try:
        # data_only=False: a formula stays a formula (and is refused); nothing is ever computed.
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileProblem(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
    out = Workbook(path, [])
    try:
        for ws in wb.worksheets:
            label = f"{path.name}, sheet {ws.title}"
            # Bounded whatever the sheet's <dimension> claims: one column and one row past the limits
            # are read, to tell a sheet that is too large from one that is just large.
            rows = _bounded(label, ws.iter_rows(min_row=1, max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS + 1))
            first = next(rows, None)
            header = [_xlsx_text(c)[0] for c in first] if first else []
            if not any(h.strip() for h in header):
                out.notes.append((label, "empty, ignored"))
                continue
            if kind_of(header) is None:
                out.notes.append((label, "neither a Mitigation_ID nor a SourceID column, ignored"))
                continue
            out.sheets.append(_sheet(label, path, header, _xlsx_rows(rows)))
    finally:
        wb.close()
    return out


def _bounded(label: str, rows):
    for number, cells in enumerate(rows, start=1):
        if len(cells) > MAX_COLUMNS and cells[MAX_COLUMNS].value is not None:
            raise FileProblem(
                f"{label}: row {number} has a cell in column {letter(MAX_COLUMNS)} or beyond; "
                f"an import takes at most {MAX_COLUMNS} columns"
            )
        if number > MAX_ROWS + 1:
            if any(c.value is not None for c in cells):
                raise FileProblem(
                    f"{label}: more than {MAX_ROWS} rows below the header; an import takes "
                    f"at most {MAX_ROWS}: split the workbook"
                )
            continue
        end = min(len(cells), MAX_COLUMNS)
        while end and cells[end - 1].value is None:  # the padding up to max_col
            end -= 1
        yield cells[:end]


def check_zip(path: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
    """Refuse an XLSX zip that would unpack to too much or whose XML declares entities, before any
    XML parser (openpyxl's) sees it. Every part is unpacked once, in chunks, never past the limits."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_PARTS:
                raise FileProblem(f"{name}: {len(infos)} files in the workbook's zip, more than {MAX_PARTS}")
            total = sum(i.file_size for i in infos)
            if total > max_bytes:
                raise FileProblem(
                    f"{name}: unpacks to {total} bytes, more than the {max_bytes} an import "
                    "takes (KG_MAX_SOURCE_BYTES): a zip bomb?"
                )
            for info in infos:
                if info.file_size > (1 << 20) and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise FileProblem(
                        f"{name}: part {info.filename} is compressed "
                        f"{info.file_size // max(info.compress_size, 1)}:1 ({info.file_size} "
                        f"bytes unpacked), more than {MAX_RATIO}:1: a zip bomb?"
                    )
            for info in infos:
                _check_part(name, zf, info)
    except zipfile.BadZipFile as exc:
        raise FileProblem(f"{name}: not a readable XLSX workbook ({exc})") from exc
    except (OSError, EOFError, RuntimeError, NotImplementedError, zlib.error) as exc:
        raise FileProblem(f"{name}: not a readable XLSX workbook ({exc})") from exc


_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


def _check_cell(line: int, ref: str) -> None:
    """A worksheet's cell reference (A1) must be within MAX_COLUMNS and MAX_ROWS below the header."""
    m = _CELL_REF.fullmatch(ref)
    if m is None:
        return
    column = 0
    for ch in m.group(1):
        column = column * 26 + ord(ch) - 64
    row = int(m.group(2))
    if column > MAX_COLUMNS:
        raise XmlRefused(line, f"cell {ref} is in column {column}; an import takes at most {MAX_COLUMNS} columns")
    if row > MAX_ROWS + 1:
        raise XmlRefused(
            line,
            f"cell {ref} is in row {row}: an import takes at most {MAX_ROWS} rows below the header: split the workbook",
        )


def _check_part(name: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Unpack one part, at most its declared size; an XML part must have no DOCTYPE (and a
    worksheet no value beyond MAX_COLUMNS and MAX_ROWS)."""
    screen = None
    if info.filename.lower().endswith((".xml", ".rels", ".vml")):
        cell = [""]  # the reference (A1) of the current cell of a worksheet

        def on_start(tag, attrs, line):
            tag = tag.rsplit(":", 1)[-1]  # <c> or <x:c>
            if tag == "c":
                cell[0] = attrs.get("r", "")
            elif tag in ("v", "is", "f") and cell[0]:  # a cell with a value (or a formula)
                _check_cell(line, cell[0])

        sheet = info.filename.startswith("xl/worksheets/")
        screen = XmlScreen(MAX_XML_DEPTH, max_text=max(info.file_size, 1), on_start=on_start if sheet else None)
    unpacked = 0
    try:
        with zf.open(info) as part:
            while chunk := part.read(1 << 20):
                unpacked += len(chunk)
                if unpacked > info.file_size:
                    raise FileProblem(
                        f"{name}: part {info.filename} unpacks to more than the {info.file_size} bytes it declares"
                    )
                if screen is not None:
                    screen.feed(chunk)
        if screen is not None:
            screen.feed(b"", True)
    except XmlRefused as exc:
        raise FileProblem(f"{name}: part {info.filename}, line {exc.line}: {exc.reason}") from None
    except expat.ExpatError as exc:
        raise FileProblem(
            f"{name}: part {info.filename}, line {exc.lineno}: not well-formed XML ({expat.ErrorString(exc.code)})"
        ) from None


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


def visible(text: str) -> str:
    """Text to show in a message: control characters (NUL, ESC, ...) written as escapes, never raw."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _sheet(label: str, path: Path, header: list[str], records) -> Sheet:
    header = [visible(h) for h in header]  # a header name is only matched and shown, never stored
    kind = kind_of(header)
    if kind is None:
        raise FileProblem(
            f"{label}: the header has neither a Mitigation_ID nor a SourceID column, so it is "
            f"neither a mitigations nor a documents sheet (header: {', '.join(h for h in header if h)})"
        )
    hm = match(header, kind)
    if hm.duplicates:
        raise FileProblem(
            f"{label}: "
            + "; ".join(f"the columns {', '.join(repr(n) for n in names)} all mean {c}" for c, names in hm.duplicates)
        )
    if hm.missing_required:
        raise FileProblem(
            f"{label}: missing required column(s) {', '.join(hm.missing_required)} "
            f"(a {kind} sheet has the columns {', '.join(COLUMNS[kind])})"
        )
    width = len(header)
    rows = []
    for number, record, cell_problems in records:
        if not any(str(v).strip() for v in record):
            continue  # a blank row: spreadsheets are full of them
        row = Row(number, {})
        extra = [v for v in record[width:] if str(v).strip()]
        if extra:
            row.problems.append(
                (
                    "",
                    f"{len(record)} cells but the header has {width} columns (a stray delimiter or an unclosed quote?)",
                )
            )
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
