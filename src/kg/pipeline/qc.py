"""Quality checks as queries (ODK's habit): every `queries/qc/*.rq` is a SELECT that returns rows
only on a defect, and starts with a comment saying its intent and how to fix what it finds. `kg build`
runs them on the validated, materialised store before it writes a release; any row fails the build
(`QualityCheckFailed`) with the query's file, its comment and its rows, and the last release stays."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError, QualityCheckFailed, QueryError
from kg.sparql import execute

FOLDER = "queries/qc"


def comment(text: str) -> str:
    """The leading `#` comment of a query (its intent and fix), without the `#` marks."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].strip())
    return "\n".join(lines)


def checks(root: Path) -> list[tuple[str, str]]:
    """(path relative to the project, query text) of each quality check; InputError for a check
    without its leading comment, or that is not a SELECT."""
    out = []
    for path in sorted((root / FOLDER).glob("*.rq")):
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        said = comment(text)
        if "Intent:" not in said or "Fix:" not in said:
            raise InputError(f"{rel}: a quality check starts with a comment saying its Intent: and its Fix:")
        out.append((rel, text))
    return out


def run(root: Path, store: ox.Store) -> list[tuple[str, str, list[str]]]:
    """Each check that returned rows: (path, its comment, its rows as text)."""
    failures = []
    for rel, text in checks(root):
        try:
            solutions = execute.run(store, text)
        except (QueryError, SyntaxError, ValueError, OSError) as exc:
            raise InputError(f"{rel}: cannot run the quality check: {exc}") from exc
        if not isinstance(solutions, ox.QuerySolutions):
            raise InputError(f"{rel}: a quality check is a SELECT query")
        names = [v.value for v in solutions.variables]
        rows = ["  ".join(f"{n}={execute.readable(sol[n])}" for n in names if sol[n] is not None) for sol in solutions]
        if rows:
            failures.append((rel, comment(text), rows))
    return failures


def require_ok(root: Path, store: ox.Store) -> None:
    failures = run(root, store)
    if failures:
        raise QualityCheckFailed(failures)
