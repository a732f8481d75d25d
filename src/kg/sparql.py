"""Running SPARQL against a store and writing the answer in a chosen format."""

from __future__ import annotations

import pyoxigraph as ox

from kg.errors import QueryError
from kg.formats import lookup
from kg.namespaces import PREFIXES

UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD")


def run(store: ox.Store, query: str, substitutions: dict | None = None, prefixes: bool = True):
    """Execute `query` over the union of all graphs; project prefixes are predeclared."""
    try:
        return store.query(query, prefixes=PREFIXES if prefixes else None,
                           use_default_graph_as_union=True, substitutions=substitutions)
    except SyntaxError as exc:
        hint = ""
        if query.lstrip().upper().startswith(UPDATE_WORDS):
            hint = " (updates are not accepted: the graph is read-only between releases)"
        raise QueryError(f"malformed query: {exc}{hint}") from exc
    except OSError as exc:
        raise QueryError(f"query failed: {exc}") from exc


def term_text(term) -> str:
    """A term as a person reads it: IRIs shortened with the project prefixes, literals bare."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if term.value.startswith(ns) and term.value != ns:
                return f"{prefix}:{term.value[len(ns):]}"
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def table(solutions) -> str:
    """SELECT results as an aligned text table."""
    names = [v.value for v in solutions.variables]
    rows = [[term_text(sol[n]) for n in names] for sol in solutions]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [line(names), line(["-" * w for w in widths])] + [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def render(result, fmt: str = "table") -> bytes:
    """Serialise any query result: SELECT/ASK as table, json, xml, csv, tsv; graphs as RDF."""
    if isinstance(result, ox.QueryTriples):
        rdf = lookup("turtle" if fmt == "table" else fmt, kind="graph")
        return result.serialize(format=rdf.oxigraph)
    if fmt == "table":
        if isinstance(result, ox.QueryBoolean):
            return (b"true\n" if bool(result) else b"false\n")
        return table(result).encode("utf-8")
    return result.serialize(format=lookup(fmt, kind="results").oxigraph)
