"""Running SPARQL against a store and writing the answer in a chosen format."""

from __future__ import annotations

from typing import cast

import pyoxigraph as ox

from kg.errors import QueryError
from kg.formats import lookup
from kg.namespaces import NS, PREFIXES
from kg.sparql.syntax import declares_dataset, escape_dotted_names, explain

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples  # what pyoxigraph's query returns

GRAPH_SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def graph_sizes(store) -> dict[str, int]:
    """Triples in each named graph of a store (a pyoxigraph Store or a `kg.remote` RemoteStore)."""
    return {row["g"].value: int(row["n"].value) for row in store.query(GRAPH_SIZES)}


def solutions(result: QueryResult) -> ox.QuerySolutions:
    """A SELECT query's result (pyoxigraph types every query's result as the union of the three kinds)."""
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"expected the solutions of a SELECT query, got {type(result).__name__}")
    return result


def constructed(result: QueryResult) -> ox.QueryTriples:
    """A CONSTRUCT or DESCRIBE query's result."""
    if not isinstance(result, ox.QueryTriples):
        raise TypeError(f"expected the triples of a CONSTRUCT or DESCRIBE query, got {type(result).__name__}")
    return result


def run(store: ox.Store, query: str, substitutions: dict | None = None, functions: dict | None = None):
    """Execute `query`: default graph = union of all graphs (or the query's own FROM); prefixes predeclared;
    `functions`: extension functions (`kg.sparql.fulltext.functions`, e.g. kgf:textScore)."""
    return run_dataset(store, query, substitutions=substitutions, functions=functions)


def readable(term) -> str:
    """A term as a person reads it: IRIs shortened with the project prefixes, literals bare."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if term.value.startswith(ns) and term.value != ns:
                return f"{prefix}:{term.value[len(ns) :]}"
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def table(solutions) -> str:
    """SELECT results as an aligned text table."""
    names = [v.value for v in solutions.variables]
    rows = [[readable(sol[n]) for n in names] for sol in solutions]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    out = [line(names), line(["-" * w for w in widths])] + [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def render(result, fmt: str = "table") -> bytes:
    """Serialise any query result: SELECT/ASK as table, json, xml, csv, tsv; graphs as RDF."""
    if isinstance(result, ox.QueryTriples):
        try:
            rdf = lookup("turtle" if fmt == "table" else fmt, kind="graph")
        except KeyError:
            raise QueryError(
                f"a CONSTRUCT or DESCRIBE result cannot be written as {fmt!r}: use turtle, ntriples, jsonld or rdfxml"
            ) from None
        return cast(bytes, result.serialize(format=rdf.rdf_format))  # bytes when given no output
    if fmt == "table":
        if isinstance(result, ox.QueryBoolean):
            return b"true\n" if bool(result) else b"false\n"
        return table(result).encode("utf-8")
    try:
        results_format = lookup(fmt, kind="results")
    except KeyError:
        raise QueryError(
            f"a SELECT or ASK result cannot be written as {fmt!r}: use table, csv, tsv, json or xml"
        ) from None
    return cast(bytes, result.serialize(format=results_format.results_format))


def run_dataset(
    store: ox.Store,
    query: str,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
    substitutions: dict | None = None,
    functions: dict | None = None,
):
    """Like `run`, with a protocol dataset (graph IRIs inside the store, never fetched).

    Given graphs make up the whole dataset, as the SPARQL Protocol says (only named graphs given:
    the default graph is empty). With none: the query's own FROM / FROM NAMED when it has them,
    else the union of all graphs as default graph, every named graph addressable with GRAPH."""
    dataset: dict = {}
    if default_graphs or named_graphs:
        dataset["default_graph"] = [ox.NamedNode(g) for g in default_graphs or []]
        dataset["named_graphs"] = [ox.NamedNode(g) for g in named_graphs or []]
    else:
        dataset["use_default_graph_as_union"] = not declares_dataset(query)
    try:
        if functions:
            dataset["custom_functions"] = functions
        prefixes = {**PREFIXES, "kgf": NS.kgf}
        return store.query(escape_dotted_names(query), prefixes=prefixes, substitutions=substitutions, **dataset)
    except SyntaxError as exc:
        raise QueryError(f"malformed query: {explain(query, str(exc))}") from exc
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"query failed: {exc}") from exc
