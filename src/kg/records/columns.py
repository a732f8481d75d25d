"""The source database's spreadsheet layout (the `source_records` of
data/sources/reference/mitigation-taxonomy-v2.yaml) and lenient header matching.

A header cell matches a column when both are equal after lower-casing and dropping spaces,
underscores and hyphens ("Mitigation ID", "mitigation_id" and "MitigationID" are Mitigation_ID).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MITIGATION_COLUMNS = (
    "Mitigation_ID",
    "Mitigation_Name",
    "Definition",
    "Additional Information",
    "Source",
    "Parent",
    "Children",
    "llm_classification",
    "llm_reasoning",
    "human_classification",
    "AILifecycle_Primary",
    "AILifecycle_Other",
    "AIActor_Primary",
    "AIActor_Other",
    "AIRM_Primary",
    "AIRM_Other",
)
DOCUMENT_COLUMNS = ("SourceID", "Title", "First author", "Author list", "Year", "URL", "DOI", "Abstract")

# A sheet is told apart by its key column; a sheet without one of them is not ours.
KEYS = {"mitigations": "Mitigation_ID", "documents": "SourceID"}
COLUMNS = {"mitigations": MITIGATION_COLUMNS, "documents": DOCUMENT_COLUMNS}
# Columns a sheet cannot do without (the others may be missing: their fields are then left as
# they are in the current data, and are empty for new records).
REQUIRED = {"mitigations": ("Mitigation_ID", "Source"), "documents": ("SourceID", "Title")}

# Columns that change together: a change to any of them replaces the whole group (docs/curation.md).
MITIGATION_GROUPS: dict[str, tuple[str, ...]] = {
    "name": ("Mitigation_Name",),
    "source": ("Source", "Definition"),
    "info": ("Additional Information",),
    "parent": ("Parent",),
    "classification": ("human_classification", "llm_classification", "llm_reasoning"),
    "stage": ("AILifecycle_Primary", "AILifecycle_Other"),
    "actor": ("AIActor_Primary", "AIActor_Other"),
    "function": ("AIRM_Primary", "AIRM_Other"),
}
DOCUMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "title": ("Title",),
    "authors": ("Author list",),
    "year": ("Year",),
    "url": ("URL",),
    "doi": ("DOI",),
    "abstract": ("Abstract",),
}
GROUPS = {"mitigations": MITIGATION_GROUPS, "documents": DOCUMENT_GROUPS}


def normalise(name: object) -> str:
    """The comparison key of a header cell."""
    text = "" if name is None else str(name)
    return re.sub(r"[\s_\-]+", "", text.replace("\ufeff", "").strip().strip('"').lower())


_BY_KEY = {kind: {normalise(c): c for c in cols} for kind, cols in COLUMNS.items()}


def letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based index (0 -> A, 26 -> AA)."""
    out, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def kind_of(header: list) -> str | None:
    """ "mitigations", "documents" or None, from the key column a header holds."""
    keys = {normalise(h) for h in header}
    for kind in ("mitigations", "documents"):
        if normalise(KEYS[kind]) in keys:
            return kind
    return None


@dataclass
class HeaderMatch:
    kind: str
    positions: dict[str, int] = field(default_factory=dict)  # canonical column -> 0-based index
    names: dict[str, str] = field(default_factory=dict)  # canonical column -> header text in the file
    unknown: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [c for c in COLUMNS[self.kind] if c not in self.positions]

    @property
    def missing_required(self) -> list[str]:
        return [c for c in REQUIRED[self.kind] if c not in self.positions]


def match(header: list, kind: str) -> HeaderMatch:
    """Which file column holds which canonical column; unknown and duplicated headers."""
    out = HeaderMatch(kind)
    seen: dict[str, list[str]] = {}
    for i, cell in enumerate(header):
        text = "" if cell is None else str(cell).replace("\ufeff", "").strip()
        if not text:
            continue
        canonical = _BY_KEY[kind].get(normalise(text))
        if canonical is None:
            out.unknown.append((i, text))
            continue
        seen.setdefault(canonical, []).append(text)
        if canonical not in out.positions:
            out.positions[canonical] = i
            out.names[canonical] = text
    out.duplicates = [(c, names) for c, names in seen.items() if len(names) > 1]
    return out
