"""`explore`: ranked full-text search with filters and facet counts over a release's index
(`kg.explorer.index`); the shape of its answer is documented in docs/explorer.md and stable.

Filters: one key per facet (`FACETS`); the values of one key are OR-ed, the keys AND-ed. A value is
an IRI (or a CURIE with the project's prefixes, e.g. `stage:deploy`; a year is its four digits); a
category or a risk includes its narrower concepts. With `derived=False` the derived facts
(docs/model.md) neither match a filter nor count in a facet.

Order: `relevance` (BM25, highest first; without a text query, by name), `name`, `year` (newest
first, then by name); ties always by IRI, so the same request gives the same page.
"""

from __future__ import annotations

import html
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from kg.errors import NoRelease, SearchError
from kg.explorer.facts import FACETS
from kg.namespaces import PREFIXES
from kg.sparql.fulltext import FILE, scores, translate

SORTS = ("relevance", "name", "year")
MAX_LIMIT = 1000
SNIPPET_WORDS = 32
_OPEN, _CLOSE = "\x02", "\x03"
_local = threading.local()
Filters = Mapping[str, str | Iterable[str]]


class _Index:
    """An open index (read-only, immutable: a release never changes) and what every search reads."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        self.db.execute("CREATE TEMP TABLE hits (doc INTEGER PRIMARY KEY)")
        self.order = {d: (k, y) for d, k, y in self.db.execute("SELECT doc, sortkey, year FROM docs")}
        self.labels = {(k, v): (lab, code) for k, v, lab, code in self.db.execute("SELECT * FROM labels")}
        self.meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())


def _open(release_dir: Path) -> _Index:
    path = Path(release_dir) / FILE
    cache: dict[Path, _Index] = getattr(_local, "indexes", None) or {}
    _local.indexes = cache
    if path not in cache:
        if not path.is_file():
            raise NoRelease(f"{release_dir} has no search index ({FILE}): run `kg build` to make a release with one")
        if len(cache) >= 4:
            cache.pop(next(iter(cache))).db.close()
        cache[path] = _Index(path)
    return cache[path]


def expand(value: str) -> str:
    """An IRI from a filter value: a CURIE with a project prefix is expanded, anything else kept."""
    prefix, sep, rest = value.partition(":")
    if sep and prefix in PREFIXES and not rest.startswith("//"):
        return PREFIXES[prefix] + rest
    return value


def normalise(filters: Filters | None) -> dict[str, list[str]]:
    """{facet: [IRI, ...]} from filters; SearchError naming an unknown facet."""
    out: dict[str, list[str]] = {}
    for key, values in (filters or {}).items():
        if key not in FACETS:
            raise SearchError(f"unknown filter {key!r}: the facets are {', '.join(FACETS)}")
        items = [values] if isinstance(values, str) else list(values)
        chosen = sorted({expand(v.strip()) for v in items if v and v.strip()})
        if chosen:
            out[key] = chosen
    return out


def _check(sort: str, limit: int, offset: int) -> None:
    if sort not in SORTS:
        raise SearchError(f"unknown sort {sort!r}: choose one of {', '.join(SORTS)}")
    if not 0 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit {limit} is out of range: 0 to {MAX_LIMIT}")
    if offset < 0:
        raise SearchError(f"offset {offset} is negative")


def matching(
    release_dir: Path, query: str = "", filters: Filters | None = None, *, derived: bool = True
) -> tuple[_Index, dict[int, float], dict[str, list[str]]]:
    """The index, the matching docs with their scores (0 without a text query) and the filters."""
    ix = _open(release_dir)
    chosen = normalise(filters)
    expr = translate(query or "")
    hits = scores(ix.db, query) if expr else dict.fromkeys(ix.order, 0.0)
    for key, values in chosen.items():
        marks = ", ".join("?" * len(values))
        only = "" if derived else " AND derived = 0"
        sql = f"SELECT DISTINCT doc FROM facets WHERE key = ? AND value IN ({marks}){only}"
        keep = {row[0] for row in ix.db.execute(sql, (key, *values))}
        hits = {d: s for d, s in hits.items() if d in keep}
    return ix, hits, chosen


def ordered(ix: _Index, hits: dict[int, float], sort: str, ranked: bool) -> list[int]:
    if sort == "relevance" and ranked:
        return sorted(hits, key=lambda d: (-hits[d], d))  # docs are numbered in IRI order
    if sort == "year":
        return sorted(hits, key=lambda d: (-(ix.order[d][1] or -10_000), ix.order[d][0], d))
    return sorted(hits, key=lambda d: (ix.order[d][0], d))


def _snippets(ix: _Index, docs: list[int], expr: str) -> dict[int, str]:
    """A highlighted passage per doc: from the definition or the evidence when
    the query matches there (what an analyst reads), else from the best column (name, category...)."""
    if not docs:
        return {}
    marks = ", ".join("?" * len(docs))
    if expr:
        cut = f"'{_OPEN}', '{_CLOSE}', '…', {SNIPPET_WORDS}"
        columns = ", ".join(f"snippet(text, {i}, {cut})" for i in (1, 2, -1))
        sql = f"SELECT rowid, {columns} FROM text WHERE text MATCH ? AND rowid IN ({marks})"
        rows = [(r[0], next((t for t in r[1:] if t and _OPEN in t), r[-1])) for r in ix.db.execute(sql, (expr, *docs))]
    else:
        rows = ix.db.execute(f"SELECT rowid, definition FROM text WHERE rowid IN ({marks})", docs).fetchall()
    out = {}
    for doc, text in rows:
        text = " ".join((text or "").split())
        if not expr and len(text) > 240:
            text = text[:240].rsplit(" ", 1)[0] + " …"
        out[doc] = html.escape(text).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
    return out


def _results(ix: _Index, page: list[int], hits: dict[int, float], expr: str) -> list[dict]:
    if not page:
        return []
    marks = ", ".join("?" * len(page))
    rows = {
        r[0]: r for r in ix.db.execute(f"SELECT doc, iri, id, label, result FROM docs WHERE doc IN ({marks})", page)
    }
    snippets = _snippets(ix, page, expr)
    out = []
    for doc in page:
        _, iri, id_, label, result = rows[doc]
        item = {"iri": iri, "id": id_, "label": label, "score": hits[doc], "snippet": snippets.get(doc, "")}
        out.append(item | json.loads(result))
    return out


def facet_counts(ix: _Index, hits: dict[int, float], chosen: dict[str, list[str]], derived: bool = True) -> dict:
    """{facet: [{"value", "label", "count"[, "code"][, "derived"][, "selected"]}]} over `hits`."""
    only = "" if derived else " WHERE f.derived = 0"
    if len(hits) == len(ix.order):
        sql = f"SELECT key, value, COUNT(*), SUM(derived) FROM facets f{only} GROUP BY key, value"
    else:
        ix.db.execute("DELETE FROM hits")
        ix.db.executemany("INSERT INTO hits VALUES (?)", ((d,) for d in hits))
        sql = (
            f"SELECT key, value, COUNT(*), SUM(derived) FROM facets f JOIN hits h USING (doc){only} GROUP BY key, value"
        )
    counts: dict[str, dict[str, tuple[int, int]]] = {k: {} for k in FACETS}
    for key, value, n, n_derived in ix.db.execute(sql):
        counts[key][value] = (n, n_derived)
    out = {}
    for key in FACETS:
        for value in chosen.get(key, []):
            counts[key].setdefault(value, (0, 0))
        items = []
        for value, (n, n_derived) in counts[key].items():
            label, code = ix.labels.get((key, value), ("", ""))
            item: dict = {"value": value, "label": label or value, "count": n}
            if code:
                item["code"] = code
            if n_derived:
                item["derived"] = n_derived
            if value in chosen.get(key, ()):
                item["selected"] = True
            items.append(item)
        if key == "year":
            items.sort(key=lambda i: i["value"], reverse=True)
        else:
            items.sort(key=lambda i: (-i["count"], i.get("code", ""), i["label"].casefold(), i["value"]))
        out[key] = items
    return out


def explore(
    release_dir: Path,
    query: str = "",
    filters: Filters | None = None,
    *,
    sort: str = "relevance",
    limit: int = 20,
    offset: int = 0,
    derived: bool = True,
) -> dict:
    """One page of the mitigations matching `query` and `filters`, with every facet's counts over
    all of them. See docs/explorer.md for the shape."""
    _check(sort, limit, offset)
    ix, hits, chosen = matching(release_dir, query, filters, derived=derived)
    expr = translate(query or "")
    order = ordered(ix, hits, sort, bool(expr))
    page = order[offset : offset + limit]
    return {
        "total": len(hits),
        "query": query or "",
        "filters": chosen,
        "sort": sort,
        "offset": offset,
        "limit": limit,
        "derived": derived,
        "results": _results(ix, page, hits, expr),
        "facets": facet_counts(ix, hits, chosen, derived),
    }


def rows(
    release_dir: Path, query: str = "", filters: Filters | None = None, *, sort: str = "relevance", derived: bool = True
) -> list[dict[str, str]]:
    """Every matching mitigation's row in `kg export --format csv`'s columns, in the order asked."""
    _check(sort, 0, 0)
    ix, hits, _ = matching(release_dir, query, filters, derived=derived)
    order = ordered(ix, hits, sort, bool(translate(query or "")))
    csv = dict(ix.db.execute("SELECT doc, csv FROM docs"))
    return [json.loads(csv[d]) for d in order]


def matrix(
    release_dir: Path,
    rows_key: str,
    columns_key: str,
    query: str = "",
    filters: Filters | None = None,
    *,
    derived: bool = True,
) -> dict[tuple[str, str], int]:
    """Mitigations per (value of `rows_key`, value of `columns_key`) among those matching: the
    cells of a heat map (stage × function, category × stage)."""
    for key in (rows_key, columns_key):
        if key not in FACETS:
            raise SearchError(f"unknown facet {key!r}: the facets are {', '.join(FACETS)}")
    ix, hits, _ = matching(release_dir, query, filters, derived=derived)
    ix.db.execute("DELETE FROM hits")
    ix.db.executemany("INSERT INTO hits VALUES (?)", ((d,) for d in hits))
    only = "" if derived else " AND a.derived = 0 AND b.derived = 0"
    sql = (
        "SELECT a.value, b.value, COUNT(*) FROM hits h JOIN facets a ON a.doc = h.doc AND a.key = ? "
        f"JOIN facets b ON b.doc = h.doc AND b.key = ?{only} GROUP BY a.value, b.value"
    )
    return {(a, b): n for a, b, n in ix.db.execute(sql, (rows_key, columns_key))}
