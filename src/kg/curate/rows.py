"""Checking one spreadsheet row at a time and writing its cells in canonical form (`kg.records.table`).

Every problem is a `Problem`: the sheet, the row number as the spreadsheet shows it (header = 1),
the column as the file names it, and the reason. Checks that need the other rows or the current
data (documents, parents, children) are in `kg.curate.importer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.curate.read import Row, Sheet
from kg.iris import slug
from kg.namespaces import KG
from kg.records.table import clean, join
from kg.records.vocab import WHAT, Vocab

ID = re.compile(r"^[A-Za-z0-9._~-]+$")
SOURCE_ID = re.compile(r"^[A-Za-z0-9._~-]+( [A-Za-z0-9._~-]+)*$")
URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
YEARS = (1950, 2100)  # the shapes' plausible range (airmsh:SourceDocument-issued-range)
_SPLIT = re.compile(r"\s*[,;]\s*")
_LABELLED = {
    "AILifecycle_Primary": "stage",
    "AILifecycle_Other": "stage",
    "AIActor_Primary": "actor",
    "AIActor_Other": "actor",
    "AIRM_Primary": "function",
    "AIRM_Other": "function",
}


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str
    message: str
    record: str = ""

    def __str__(self) -> str:
        where = [f"row {self.row}"] if self.row else []
        if self.column:
            where.append(f"column {self.column}")
        return f"{self.sheet}: {', '.join(where)}: {self.message}" if where else f"{self.sheet}: {self.message}"

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message, "id": self.record}


@dataclass(frozen=True)
class Author:
    family: str = ""
    given: str = ""
    organization: str = ""

    @property
    def text(self) -> str:
        if self.organization:
            return self.organization
        return f"{self.family}, {self.given}" if self.given else self.family

    @property
    def iri(self):
        if self.organization:
            return KG["organization/" + slug(self.organization)]
        return KG["person/" + slug(f"{self.family} {self.given}")]

    @property
    def name(self) -> str:
        return self.organization or (f"{self.given} {self.family}" if self.given else self.family)


def parse_author(entry: str) -> Author:
    """ "Surname, Given" is a person; one word is a person known by surname only; several words
    without a comma are an organisation ("Future of Life Institute")."""
    text = " ".join(entry.split())
    if "," in text:
        family, given = (part.strip() for part in text.split(",", 1))
        if "," in given or not family:
            raise ValueError(f"cannot read the author {text!r}: write authors as 'Surname, Given; Surname, Given'")
        return Author(family=family, given=given)
    if " " in text:
        return Author(organization=text)
    return Author(family=text)


def parse_authors(text: str) -> list[Author]:
    return [parse_author(e) for e in text.split(";") if e.strip()]


class _Row:
    """Collects the canonical cells and the problems of one row."""

    def __init__(self, sheet: Sheet, row: Row) -> None:
        self.sheet, self.row = sheet, row
        self.cells: dict[str, str] = {}
        self.problems = [Problem(sheet.label, row.number, column, message) for column, message in row.problems]
        self.bad_columns = {column for column, _ in row.problems}

    def error(self, canonical: str, message: str) -> None:
        self.problems.append(Problem(self.sheet.label, self.row.number, self.sheet.column_name(canonical), message))

    def raw(self, canonical: str) -> str | None:
        return self.row.cells.get(canonical)


def mitigation(sheet: Sheet, row: Row, vocab: Vocab) -> tuple[dict[str, str], list[Problem]]:
    """The canonical cells of a mitigations row (only the columns the sheet has) and its problems."""
    r = _Row(sheet, row)
    for column, raw in row.cells.items():
        if column in ("Mitigation_ID", "Parent"):
            value = raw.strip()
            if column == "Mitigation_ID" and not value:
                r.error(column, "empty: every row needs its Mitigation_ID")
            elif value and not ID.match(value):
                r.error(column, f"{value!r} is not an identifier: use letters, digits and . _ - ~ only")
            r.cells[column] = value
        elif column == "Source":
            value = " ".join(raw.split())
            if not value:
                r.error(column, "empty: every mitigation cites its source document (a SourceID)")
            elif not SOURCE_ID.match(value):
                r.error(column, f"{value!r} is not a SourceID: use letters, digits, spaces and . _ - ~ only")
            r.cells[column] = value
        elif column == "Children":
            ids = [i for i in re.split(r"[\s,;]+", raw.strip()) if i]
            bad = [i for i in ids if not ID.match(i)]
            if bad:
                r.error(column, f"{bad[0]!r} is not an identifier")
            r.cells[column] = join(ids)
        elif column in ("human_classification", "llm_classification"):
            value = clean(raw)
            code = vocab.parse_code(value) if value else ""
            if code is None:
                r.error(
                    column,
                    f"unknown taxonomy code {value!r}: use a code of the v2 taxonomy "
                    "(1, 1.1, 1.1.1 ... 99.9) or v1:X.Y for the MIT v1 taxonomy",
                )
            r.cells[column] = code or ""
        elif column in _LABELLED:
            kind = _LABELLED[column]
            labels = (
                [x for x in _SPLIT.split(clean(raw)) if x]
                if column.endswith("_Other")
                else ([clean(raw)] if clean(raw) else [])
            )
            found = []
            for text in labels:
                label = vocab.parse_label(kind, text)
                if label is None:
                    r.error(column, f"unknown {WHAT[kind]} {text!r} (known: {', '.join(vocab.known_labels(kind))})")
                else:
                    found.append(label)
            r.cells[column] = join(found)
        else:
            r.cells[column] = clean(raw)
    return r.cells, r.problems


def mitigation_whole(sheet: Sheet, number: int, cells: dict[str, str]) -> list[Problem]:
    """Checks on a row whose every column is known (the sheet's cells over the current values)."""
    out = []
    col = sheet.column_name
    if not cells.get("Mitigation_Name") and not cells.get("Definition"):
        out.append(
            Problem(
                sheet.label,
                number,
                col("Mitigation_Name"),
                "neither a name nor its evidence text (Definition): a mitigation needs one of them",
            )
        )
    if cells.get("llm_reasoning") and not (cells.get("llm_classification") or cells.get("human_classification")):
        out.append(
            Problem(
                sheet.label,
                number,
                col("llm_reasoning"),
                "a reasoning without a classification: fill llm_classification or human_classification",
            )
        )
    if cells.get("Parent") and cells.get("Parent") == cells.get("Mitigation_ID"):
        out.append(Problem(sheet.label, number, col("Parent"), "a mitigation cannot be its own parent"))
    return out


def document(sheet: Sheet, row: Row) -> tuple[dict[str, str], list[Problem], list[Problem]]:
    """The canonical cells of a documents row, its problems and its warnings."""
    r = _Row(sheet, row)
    warnings = []
    for column, raw in row.cells.items():
        if column == "SourceID":
            value = " ".join(raw.split())
            if not value:
                r.error(column, "empty: every document row needs its SourceID")
            elif not SOURCE_ID.match(value):
                r.error(column, f"{value!r} is not a SourceID: use letters, digits, spaces and . _ - ~ only")
            r.cells[column] = value
        elif column == "Title":
            value = clean(raw)
            if not value and column not in r.bad_columns:
                r.error(column, "empty: a document needs its title")
            r.cells[column] = value
        elif column == "Year":
            value = clean(raw)
            if value and not (re.fullmatch(r"\d{4}", value) and YEARS[0] <= int(value) <= YEARS[1]):
                r.error(
                    column,
                    f"{value!r} is not a year: write the four digits of the year of "
                    f"publication ({YEARS[0]}-{YEARS[1]})",
                )
            r.cells[column] = value
        elif column == "URL":
            value = clean(raw)
            if value and not URL.match(value):
                r.error(column, f"{value!r} is not a web address (http:// or https://, without spaces)")
            r.cells[column] = value
        elif column == "DOI":
            value = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", clean(raw), flags=re.IGNORECASE)
            if value and not DOI.match(value):
                r.error(column, f"{value!r} is not a DOI (10.NNNN/...)")
            r.cells[column] = value
        elif column in ("Author list", "First author"):
            try:
                authors = parse_authors(raw)
            except ValueError as exc:
                r.error(column, str(exc))
                authors = []
            r.cells[column] = "; ".join(a.text for a in authors)
        else:
            r.cells[column] = clean(raw)
    if not r.cells.get("Author list") and r.cells.get("First author"):
        r.cells["Author list"] = r.cells["First author"]
    first = r.cells.get("First author")
    listed = r.cells.get("Author list", "").split("; ")[0]
    if first and listed and slug(first.split(",")[0]) != slug(listed.split(",")[0]):
        warnings.append(
            Problem(
                sheet.label,
                row.number,
                sheet.column_name("First author"),
                f"{first!r} is not the first of the Author list ({listed!r}); the Author list is used",
            )
        )
    return r.cells, r.problems, warnings
