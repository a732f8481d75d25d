"""Query results as tables for HTML pages: cells that know how to show and link an RDF term."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.formats import lookup
from kg.sparql.execute import readable

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
MAX_ROWS = 2000
NUMBERS = frozenset({"xsd:integer", "xsd:decimal", "xsd:double", "xsd:float", "xsd:long", "xsd:int"})


@dataclass(frozen=True)
class Cell:
    kind: str  # "iri", "literal", "bnode" or "" (unbound)
    text: str  # what is shown
    value: str = ""  # the full IRI, or the literal's lexical form
    href: str = ""  # where an IRI links to
    note: str = ""  # language tag or datatype of a literal

    @property
    def number(self) -> bool:
        return self.note in NUMBERS


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    boolean: bool | None = None  # ASK
    truncated: bool = False

    @property
    def count(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict[str, Cell]]:
        """The rows as {column: cell}."""
        return [dict(zip(self.columns, row)) for row in self.rows]


def href(iri: str, base: str, root: str = "") -> str:
    """Where an IRI of the graph links to: IRIs under the base IRI to this service's own pages
    (`{base}mitigation/x` -> `/mitigation/x`), other http(s) IRIs to themselves, others nowhere."""
    if iri.startswith(base) and len(iri) > len(base):
        return f"{root}/{iri[len(base) :]}"
    return iri if iri.lower().startswith(("http://", "https://")) else ""


def cell(term, base: str, root: str = "") -> Cell:
    if term is None:
        return Cell("", "")
    if isinstance(term, ox.NamedNode):
        return Cell("iri", readable(term), term.value, href(term.value, base, root))
    if isinstance(term, ox.Literal):
        note = term.language or ("" if term.datatype.value in (XSD_STRING, LANG_STRING) else readable(term.datatype))
        return Cell("literal", term.value, term.value, note=note)
    return Cell("bnode", readable(term), str(term))


def of_answer(answer, base: str, root: str = "", limit: int = MAX_ROWS) -> Table:
    """A table of an engine's `Answer` (kg.sparql.engine), read back from the format it was written in."""
    fmt = lookup(answer.media_type)
    if answer.kind == "graph":
        return of_result(ox.parse(answer.body, format=fmt.rdf_format), base, root, limit)
    return of_result(ox.parse_query_results(answer.body, format=fmt.results_format), base, root, limit)


def of_result(result, base: str, root: str = "", limit: int = MAX_ROWS) -> Table:
    """A table of any pyoxigraph result: SELECT rows, CONSTRUCT/DESCRIBE triples, or ASK's boolean."""
    if isinstance(result, ox.QueryBoolean):
        return Table([], boolean=bool(result))
    rows: Iterable[Sequence[object]]  # the terms of each row (None where a variable is unbound)
    if not isinstance(result, ox.QuerySolutions):
        columns, rows = ["subject", "predicate", "object"], ((t.subject, t.predicate, t.object) for t in result)
    else:
        columns = [v.value for v in result.variables]
        rows = ([solution[v] for v in columns] for solution in result)
    table = Table(columns)
    for terms in rows:
        if len(table.rows) == limit:
            table.truncated = True
            break
        table.rows.append([cell(t, base, root) for t in terms])
    return table
