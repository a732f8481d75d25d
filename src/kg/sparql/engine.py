"""What the service asks of whatever answers its SPARQL queries, and the errors it may give.

Two engines answer a `Job` with an `Answer`: the embedded one (`kg.sparql.workers.Pool`: killable worker
processes, each holding the release in memory) and a remote SPARQL 1.1 server (`kg.remote.store.RemoteEngine`).
Either way the result is written, counted and checked against the caps *before* the service sends
its first byte, so a client gets either the whole answer or an error, never a cut one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pyoxigraph as ox

from kg.errors import QueryError, ResultTooLarge
from kg.formats import Format, lookup

KINDS = ("solutions", "boolean", "graph")


@dataclass(frozen=True)
class Job:
    """One query to answer, with everything that decides its bytes (it is also the cache key)."""

    query: str
    format: str = "json"  # results format (kg.formats name) for SELECT and ASK
    graph_format: str = "turtle"  # RDF format for CONSTRUCT and DESCRIBE
    default_graphs: tuple[str, ...] = ()  # protocol dataset (IRIs inside the store)
    named_graphs: tuple[str, ...] = ()
    substitutions: tuple[tuple[str, str], ...] = ()  # variable name -> term in N-Triples syntax
    max_rows: int = 10_000
    max_bytes: int = 64_000_000
    timeout: float = field(default=10.0, compare=False)  # seconds; not part of the cache key

    @property
    def result_format(self) -> Format:
        return lookup(self.format, kind="results")

    @property
    def graph_result_format(self) -> Format:
        return lookup(self.graph_format, kind="graph")


@dataclass(frozen=True)
class Answer:
    body: bytes
    media_type: str
    kind: str  # one of KINDS
    rows: int  # solutions or triples (1 for a boolean)
    elapsed: float  # seconds the engine spent


class Engine(Protocol):
    async def run(self, job: Job) -> Answer: ...

    async def close(self) -> None: ...


def ntriples(term) -> str:
    """A pyoxigraph term in N-Triples syntax (how substitutions travel to a worker or a server)."""
    return str(term)


def parse_term(text: str):
    """The inverse of `ntriples`, for IRIs and literals (what named-query parameters bind)."""
    quad = next(iter(ox.parse(f"<urn:s> <urn:p> {text} .", format=ox.RdfFormat.N_TRIPLES)), None)
    if quad is None:
        raise QueryError(f"not a term: {text}")
    return quad.object


def too_many(rows: int, job: Job) -> ResultTooLarge:
    return ResultTooLarge(
        f"the result has more than {job.max_rows:,} rows (or triples), the most this service sends in one "
        f"answer; add LIMIT {job.max_rows} (or less) and page with OFFSET, or narrow the query"
    )


def too_big(size: int, job: Job) -> ResultTooLarge:
    return ResultTooLarge(
        f"the result is larger than {job.max_bytes:,} bytes, the most this service sends in one answer; "
        f"add LIMIT and page with OFFSET, or select fewer or shorter values"
    )


def count_rows(body: bytes, fmt: Format) -> tuple[str, int]:
    """The kind of an answer written in `fmt` and its number of rows (solutions, triples; 1 for a boolean).
    A value too large for the parser (pyoxigraph's hold at most 16 MiB in one token) is ResultTooLarge."""
    try:
        return _count_rows(body, fmt)
    except MemoryError as exc:
        raise ResultTooLarge(
            f"a value in the result is too large to send ({exc}); select shorter values (SUBSTR) or fewer"
        ) from None


def _count_rows(body: bytes, fmt: Format) -> tuple[str, int]:
    if fmt.kind == "results":
        if fmt.name == "csv":
            import csv
            import io

            lines = list(csv.reader(io.StringIO(body.decode("utf-8"))))
            if lines and lines[0] and lines[0][0].lower() in ("true", "false") and len(lines) == 1:
                return "boolean", 1
            return "solutions", max(len(lines) - 1, 0)
        parsed = ox.parse_query_results(body, format=fmt.results_format)
        if isinstance(parsed, ox.QueryBoolean):
            return "boolean", 1
        return "solutions", sum(1 for _ in parsed)
    return "graph", sum(1 for _ in ox.parse(body, format=fmt.rdf_format))
