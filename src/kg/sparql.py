"""Running SPARQL against a store and writing the answer in a chosen format."""

from __future__ import annotations

import re

import pyoxigraph as ox

from kg.errors import QueryError
from kg.formats import lookup
from kg.namespaces import PREFIXES

UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD")


def run(store: ox.Store, query: str, substitutions: dict | None = None):
    """Execute `query`: default graph = union of all graphs (or the query's own FROM); prefixes predeclared."""
    return run_dataset(store, query, substitutions=substitutions)


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
        try:
            rdf = lookup("turtle" if fmt == "table" else fmt, kind="graph")
        except KeyError:
            raise QueryError(f"a CONSTRUCT or DESCRIBE result cannot be written as {fmt!r}: "
                             "use turtle, ntriples, jsonld or rdfxml") from None
        return result.serialize(format=rdf.oxigraph)
    if fmt == "table":
        if isinstance(result, ox.QueryBoolean):
            return (b"true\n" if bool(result) else b"false\n")
        return table(result).encode("utf-8")
    try:
        results_format = lookup(fmt, kind="results")
    except KeyError:
        raise QueryError(f"a SELECT or ASK result cannot be written as {fmt!r}: use table, csv, tsv, json or xml") from None
    return result.serialize(format=results_format.oxigraph)


# --- Reading a query's text without running it (used by the endpoint and the named queries) ---

_OPAQUE = re.compile(r'''
    \#[^\n]*                                   # comment
  | """(?:[^"\\]|\\.|"(?!""))*"""              # long strings
  | \'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
  | "(?:[^"\\\n]|\\.)*"                        # short strings
  | '(?:[^'\\\n]|\\.)*'
  | <[^<>"{}|^`\\\x00-\x20]*>                  # IRIs
''', re.VERBOSE | re.DOTALL)
_KEYWORD = re.compile(r"(?<![\w:?$\-])([A-Za-z]+)(?![\w:\-])")
FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = UPDATE_WORDS + ("WITH",)


def _masked(query: str) -> str:
    """The query with comments, strings and IRIs blanked out (same length, so positions hold)."""
    return _OPAQUE.sub(lambda m: " " * len(m.group(0)), query)


def keywords(query: str) -> list[str]:
    """The bare words of a query (upper case), outside comments, strings, IRIs, variables and prefixed names."""
    return [w.upper() for w in _KEYWORD.findall(_masked(query))]


def where_brace(query: str) -> int | None:
    """Where the `{` that opens the query's (outermost) WHERE clause is, or None."""
    masked = _masked(query)
    for m in _KEYWORD.finditer(masked):
        if m.group(1).upper() == "WHERE" or (m.group(1).upper() in ("SELECT", "ASK", "DESCRIBE")
                                             and "WHERE" not in keywords(query)):
            at = masked.find("{", m.end())
            return at if at >= 0 else None
    return None


def query_form(query: str) -> str | None:
    """SELECT, CONSTRUCT, DESCRIBE or ASK; an update keyword (INSERT, ...) for an update; None if neither."""
    for word in keywords(query):
        if word in FORMS or word in UPDATE_KEYWORDS:
            return word
    return None


def is_update(query: str) -> bool:
    """Whether the text reads as a SPARQL Update request rather than a query."""
    return query_form(query) in UPDATE_KEYWORDS


def declares_dataset(query: str) -> bool:
    """Whether the query names its own dataset (FROM / FROM NAMED)."""
    return "FROM" in keywords(query)


_CHAR_CLASS = re.compile(r"\[[^\[\]]*\\u\{[^\]]*\]")
_POSITION = re.compile(r"error at (\d+):(\d+)")


def explain(query: str, message: str) -> str:
    """The parser's message made readable: character-class listings shortened, and the line it
    points at quoted with a caret under the column."""
    message = _CHAR_CLASS.sub("[a name character]", message)
    message = re.sub(r"(, \[a name character\])+", ", [a name character]", message)
    m = _POSITION.search(message)
    lines = query.splitlines()
    if m is None or not 0 < int(m[1]) <= len(lines):
        return message
    line, column = lines[int(m[1]) - 1], int(m[2])
    return f"{message}\n  line {m[1]}: {line}\n  {' ' * (len(m[1]) + 7)}{' ' * max(column - 1, 0)}^"


def run_dataset(store: ox.Store, query: str, default_graphs: list[str] | None = None,
                named_graphs: list[str] | None = None, substitutions: dict | None = None):
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
        return store.query(escape_dotted_names(query), prefixes=PREFIXES, substitutions=substitutions, **dataset)
    except SyntaxError as exc:
        raise QueryError(f"malformed query: {explain(query, str(exc))}") from exc
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"query failed: {exc}") from exc


# --- Oxigraph 0.5 rejects prefixed names whose local part has two or more dots between digits
# (`mtax:1.1.3`, valid SPARQL 1.1), while it accepts the escaped form `mtax:1.1\.3`. Taxonomy codes
# are exactly that shape, so queries are rewritten to the escaped form (same IRI) before parsing.
_DOTTED_NAME = re.compile(r"(?<![\w\\])((?:[A-Za-z][\w\-.]*)?:)(\d+\.\d+)((?:\.\d+)+)")


def escape_dotted_names(query: str) -> str:
    """`mtax:1.1.3` -> `mtax:1.1\\.3` outside comments, strings and IRIs; everything else unchanged."""
    out, last = [], 0
    for m in _OPAQUE.finditer(query):
        out.append(_escape_span(query[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_escape_span(query[last:]))
    return "".join(out)


def _escape_span(text: str) -> str:
    return _DOTTED_NAME.sub(lambda m: m[1] + m[2] + m[3].replace(".", "\\."), text)
