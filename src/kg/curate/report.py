"""What `kg import` reports: what it does to each record (`Entry`), the problems of each row, and the
report written to build/import-reports/ (JSON and text) for every run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from rdflib import URIRef

from kg.config import Settings
from kg.curate.rows import Problem
from kg.errors import ImportRejected
from kg.records.columns import COLUMNS
from kg.version import __version__

REPORTS = "import-reports"


@dataclass
class Entry:
    """What the import does to one record."""

    kind: str  # "mitigations" or "documents"
    id: str
    iri: URIRef
    row: int | None
    sheet: str
    cells: dict[str, str] | None  # the canonical row (every column), None when carried unseen
    status: str = ""  # added / changed / unchanged / kept / removed
    changed: list[str] = field(default_factory=list)
    outside: bool = False  # described by another file (generated data, another import)


@dataclass
class ImportReport:
    source: str
    data_file: str
    files: list[dict] = field(default_factory=list)
    started: str = ""
    importer: str = f"kg {__version__}"
    strict: bool = False
    dry_run: bool = False
    status: str = ""  # imported / unchanged / rejected / dry-run
    message: str = ""
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)  # nothing wrong: e.g. a second spelling of a person
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
            "source": self.source,
            "data_file": self.data_file,
            "files": self.files,
            "started": self.started,
            "importer": self.importer,
            "strict": self.strict,
            "dry_run": self.dry_run,
            "status": self.status,
            "message": self.message,
            "release": {"id": self.release_id, "version": self.version},
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
            "notices": [p.as_dict() for p in self.notices],
            "rejected_rows": self.rejected_rows,
            "counts": {k: self.counts(k) for k in COLUMNS},
            "records": [
                {"kind": e.kind, "id": e.id, "row": e.row, "status": e.status, "changed": e.changed}
                for e in self.entries
                if e.status not in ("unchanged", "kept")
            ],
        }

    def lines(self) -> list[str]:
        out = [f"kg import ({self.importer}), source {self.source!r} -> {self.data_file}, started {self.started}"]
        for f in self.files:
            out.append(f"  file {f['name']} sha256 {f['sha256']}")
        for p in self.errors:
            out.append(f"error: {p}")
        for p in self.warnings:
            out.append(f"warning: {p}")
        for p in self.notices:
            out.append(f"notice: {p}")
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


def reject(
    settings: Settings, report: ImportReport, message: str, violations: list | None = None, exit_code: int | None = None
) -> ImportReport:
    report.status, report.message = "rejected", message
    write_reports(settings, report)
    error = ImportRejected(report, violations)
    if exit_code is not None:
        error.exit_code = exit_code
    raise error


def finish(settings: Settings, report: ImportReport) -> ImportReport:
    write_reports(settings, report)
    return report


def write_reports(settings: Settings, report: ImportReport) -> None:
    folder = settings.build_path / REPORTS
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{report.started.replace(':', '').replace('-', '')}-{report.source}"
    json_path, text_path = stem.with_suffix(".json"), stem.with_suffix(".txt")
    report.reports = [str(json_path), str(text_path)]
    json_path.write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    text_path.write_text("\n".join(report.lines()) + "\n", encoding="utf-8")
