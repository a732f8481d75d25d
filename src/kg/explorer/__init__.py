"""The explorer: a full-text and facet index built into each release, and `explore` over it
(docs/explorer.md).

    kg.explorer.explore(release_dir, query="", filters={}, *, sort="relevance", limit=20, offset=0)
        -> {"total", "results": [{"iri", "id", "label", "score", "snippet", "categories", "document", ...}],
            "facets": {key: [{"value", "label", "count"}]}}

`kg build` calls `write_index` on the staging directory, so the index switches with its release.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pyoxigraph as ox

from kg.explorer.facts import FACETS
from kg.explorer.index import write as _write
from kg.explorer.search import MAX_LIMIT, SORTS, explore, matrix, rows
from kg.explorer.selection import sparql
from kg.namespaces import DEFAULT_BASE
from kg.sparql.fulltext import FILE, translate

__all__ = ["FACETS", "FILE", "MAX_LIMIT", "SORTS", "explore", "matrix", "rows", "sparql", "translate", "write_index"]


def write_index(release_dir: Path, store: ox.Store, base: str = DEFAULT_BASE) -> dict:
    """Write the search index of `store` into `release_dir`; return its counts and seconds. A full disk
    is the OSError (ENOSPC) any other file of the release would raise, not SQLite's own error."""
    try:
        return _write(Path(release_dir) / FILE, store, base)
    except sqlite3.OperationalError as exc:
        if "full" in str(exc):  # SQLITE_FULL: "database or disk is full"
            raise OSError(errno.ENOSPC, f"No space left on device: writing the search index ({exc})") from exc
        raise
