"""The search index: one SQLite file (`search.sqlite`) in each release directory, written by
`kg build` into the staging directory so that it switches with the release (docs/explorer.md).

Why SQLite FTS5: it is in Python's standard library (no new dependency, nothing to run), it has
BM25 ranking with per-column weights, snippets with highlights, phrases, prefixes and boolean
operators, and the Porter stemmer over the `unicode61` tokenizer with diacritics removed
("Gipiskis" finds "Gipiškis", "watermarking" finds "watermark"). The facets live beside the text
in plain tables, so a filter and a facet count are one indexed SQL query each.

Tables:
    text    FTS5, one row per mitigation (rowid = docs.doc): the columns of `kg.sparql.fulltext.COLUMNS`
    docs    doc, iri, id, label, year, result (JSON of the result fields), csv (JSON row)
    facets  (key, value, doc, derived, direct): every facet value of every mitigation, categories
            and risks with their broader concepts (direct = 0), derived = 1 when the graph holds
            the value only as a derived fact
    labels  (key, value, label, code, sort)
    meta    (key, value): format, base IRI, counts
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pyoxigraph as ox

from kg.explorer import facts as reading
from kg.namespaces import DEFAULT_BASE
from kg.sparql.fulltext import COLUMNS, FILE

FORMAT = "1"
TOKENIZER = "porter unicode61 remove_diacritics 2"

SCHEMA = f"""
CREATE VIRTUAL TABLE text USING fts5({", ".join(COLUMNS)}, tokenize = '{TOKENIZER}');
CREATE TABLE docs (doc INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, id TEXT NOT NULL, label TEXT NOT NULL,
                   sortkey TEXT NOT NULL, year INTEGER, result TEXT NOT NULL, csv TEXT NOT NULL);
CREATE TABLE facets (key TEXT NOT NULL, value TEXT NOT NULL, doc INTEGER NOT NULL, derived INTEGER NOT NULL,
                     direct INTEGER NOT NULL, PRIMARY KEY (key, value, doc)) WITHOUT ROWID;
CREATE INDEX facets_doc ON facets (doc, key);
CREATE TABLE labels (key TEXT NOT NULL, value TEXT NOT NULL, label TEXT NOT NULL, code TEXT NOT NULL,
                     PRIMARY KEY (key, value)) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def path_in(release_dir: Path) -> Path:
    return Path(release_dir) / FILE


def _values(e: reading.Entry, key: str, f: reading.Facts) -> list[dict]:
    out = []
    for value in sorted(e.facets.get(key, {})):
        if (key, value) in e.direct:
            item: dict[str, object] = {"value": value, "label": f.labels.get(value, "")}
            if f.codes.get(value):
                item["code"] = f.codes[value]
            if e.facets[key][value]:
                item["derived"] = True  # present only when true: the graph holds it only as derived
            out.append(item)
    return out


def _result(e: reading.Entry, f: reading.Facts) -> dict:
    """The fields of a search result besides iri, id, label, score and snippet."""
    docs = _values(e, "document", f)
    years = sorted(e.facets.get("year", {}))
    out = {
        "categories": _values(e, "category", f),
        "document": {"value": docs[0]["value"], "label": docs[0]["label"]} if docs else None,
        "year": int(years[0]) if years else None,
        "stages": _values(e, "stage", f),
        "actors": _values(e, "actor", f),
        "functions": _values(e, "function", f),
        "methods": _values(e, "method", f),
        "risks": _values(e, "risk", f),
        "datasets": _values(e, "dataset", f),
    }
    return out


def write(target: Path, store: ox.Store, base: str = DEFAULT_BASE) -> dict:
    """Write the index of `store` to `target` (replaced atomically); return its manifest entry's
    counts (mitigations, facet rows, seconds)."""
    began = time.perf_counter()
    f = reading.read(store, base)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.executescript(SCHEMA)
        facet_rows = 0
        for doc, iri in enumerate(sorted(f.entries), start=1):
            e = f.entries[iri]
            label = e.label or e.id
            year = e.facets.get("year")
            db.execute(
                "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (doc, iri, e.id, label, label.casefold(), int(min(year)) if year else None,
                 json.dumps(_result(e, f), ensure_ascii=False, sort_keys=True),
                 json.dumps(e.row, ensure_ascii=False)),
            )  # fmt: skip
            db.execute(
                f"INSERT INTO text (rowid, {', '.join(COLUMNS)}) VALUES (?{', ?' * len(COLUMNS)})",
                (doc, *("\n".join(t for t in e.fields.get(c, []) if t) for c in COLUMNS)),
            )
            for key, values in e.facets.items():
                rows = [(key, v, doc, int(d), int((key, v) in e.direct)) for v, d in values.items()]
                db.executemany("INSERT INTO facets VALUES (?, ?, ?, ?, ?)", rows)
                facet_rows += len(rows)
        used = db.execute("SELECT DISTINCT key, value FROM facets").fetchall()
        db.executemany(
            "INSERT INTO labels VALUES (?, ?, ?, ?)",
            [(k, v, f.labels.get(v, ""), f.codes.get(v, "")) for k, v in used],
        )
        db.execute("INSERT INTO text (text) VALUES ('optimize')")
        meta = {"format": FORMAT, "base_iri": base, "mitigations": str(len(f.entries)), "facet_rows": str(facet_rows)}
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        db.commit()
    finally:
        db.close()
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return {"mitigations": len(f.entries), "facet_rows": facet_rows, "seconds": time.perf_counter() - began}
