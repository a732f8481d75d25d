"""The GAI risks of each NIST AI 600-1 action, from the most complete source: the raw extraction
`data/sources/risk-atlas-nexus/actions_extracted_from_nist.csv` (column "NIST GAI Risks").

The Nexus YAML (`nist_ai_rmf_actions_data.yaml`, `hasRelatedRisk`) lost "Harmful Bias and
Homogenization" and "Environmental" from every action, and 70 actions have fewer risks there than in the
CSV. The CSV spells risks in several ways; `data/sources/reference/nist-gai-risk-spellings.tsv` says which
Nexus risk each spelling names (a spelling equal to a risk's name needs no row). A spelling that is in
neither is refused with its row, so a new upstream copy cannot silently lose or invent a link. The CSV
must name, for every action, at least the risks the YAML names (it is the more complete source, not
another one).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError
from kg.generate.common import NEXUS

CSV = NEXUS + "actions_extracted_from_nist.csv"
SPELLINGS = "data/sources/reference/nist-gai-risk-spellings.tsv"
ID_COLUMN, RISK_COLUMN = "NIST Action ID", "NIST GAI Risks"


@dataclass(frozen=True)
class Spelling:
    risks: tuple[str, ...]  # Nexus risk ids; () when the spelling is none of the 12 risks
    note: str


def read_spellings(root: Path, risk_ids: set[str]) -> dict[str, Spelling]:
    """The table of `SPELLINGS`: spelling -> the Nexus risk ids it names."""
    try:
        lines = (root / SPELLINGS).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{SPELLINGS}: cannot read: {exc}") from exc
    rows = [(n, line) for n, line in enumerate(lines, 1) if line and not line.startswith("#")]
    if not rows or rows[0][1].split("\t") != ["spelling", "risks", "note"]:
        raise InputError(f"{SPELLINGS}: the header must be spelling, risks, note (tab-separated)")
    table: dict[str, Spelling] = {}
    for n, line in rows[1:]:
        cells = line.split("\t")
        if len(cells) != 3 or not cells[0].strip() or not cells[2].strip() or cells[0] in table:
            raise InputError(f"{SPELLINGS}, line {n}: expected a new spelling, its risks and a note")
        unknown = [r for r in cells[1].split() if r not in risk_ids]
        if unknown:
            raise InputError(f"{SPELLINGS}, line {n}: {unknown[0]!r} is not a risk of the Nexus NIST data")
        table[cells[0]] = Spelling(tuple(cells[1].split()), cells[2])
    return table


def read_csv_risks(root: Path, names: dict[str, str], table: dict[str, Spelling]) -> dict[str, list[str]]:
    """Action id -> its Nexus risk ids in the CSV's order (each once). `names` maps a risk's name to its id."""
    try:
        with (root / CSV).open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        raise InputError(f"{CSV}: cannot read: {exc}") from exc
    out: dict[str, list[str]] = {}
    for n, row in enumerate(rows, 2):
        action = (row.get(ID_COLUMN) or "").strip()
        if not action or action in out or RISK_COLUMN not in row:
            raise InputError(f"{CSV}, row {n}: no action id, or listed twice, or no column {RISK_COLUMN!r}")
        risks: list[str] = []
        for spelling in (s.strip() for s in (row[RISK_COLUMN] or "").split(";")):
            if not spelling:
                continue
            if spelling in names:
                ids: tuple[str, ...] = (names[spelling],)
            elif spelling in table:
                ids = table[spelling].risks
            else:
                raise InputError(
                    f"{CSV}, row {n} ({action}), column {RISK_COLUMN!r}: unknown spelling {spelling!r}; "
                    f"add it to {SPELLINGS}"
                )
            risks += [r for r in ids if r not in risks]
        out[action] = risks
    return out


def action_risks(root: Path, actions: list[dict], risks: list[dict]) -> dict[str, list[str]]:
    """Each action's risks from the CSV, checked against the YAML actions (same ids, a superset of risks)."""
    names = {" ".join(str(r["name"]).split()): r["id"] for r in risks}
    by_action = read_csv_risks(root, names, read_spellings(root, set(names.values())))
    ids = [a["id"] for a in actions]
    if sorted(by_action) != sorted(ids):
        extra = sorted(set(by_action) ^ set(ids))
        raise InputError(f"{CSV}: its actions differ from those of the Nexus YAML ({', '.join(extra[:5])})")
    for a in actions:
        lost = [r for r in a.get("hasRelatedRisk") or [] if r not in by_action[a["id"]]]
        if lost:
            raise InputError(f"{CSV}: action {a['id']} lacks {lost[0]!r}, which the Nexus YAML names")
    return by_action
