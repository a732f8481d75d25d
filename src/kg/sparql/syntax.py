"""A SPARQL query's text read without running it: its form (SELECT, ASK, ..., or an update),
its keywords outside comments, strings and IRIs, where its WHERE clause opens, whether it names its
own dataset, a parser message made readable (a caret under the column), and the rewriting of
taxonomy codes Oxigraph would misread. Pure functions over strings."""

from __future__ import annotations

import re

UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD")

_OPAQUE = re.compile(
    r'''
    \#[^\n]*                                   # comment
  | """(?:[^"\\]|\\.|"(?!""))*"""              # long strings
  | \'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
  | "(?:[^"\\\n]|\\.)*"                        # short strings
  | '(?:[^'\\\n]|\\.)*'
  | <[^<>"{}|^`\\\x00-\x20]*>                  # IRIs
''',
    re.VERBOSE | re.DOTALL,
)
_KEYWORD = re.compile(r"(?<![\w:?$\-])([A-Za-z]+)(?![\w:\-])")
FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = UPDATE_WORDS + ("WITH",)


def masked(query: str) -> str:
    """The query with comments, strings and IRIs blanked out (same length, so positions hold)."""
    return _OPAQUE.sub(lambda m: " " * len(m.group(0)), query)


def keywords(query: str) -> list[str]:
    """The bare words of a query (upper case), outside comments, strings, IRIs, variables and prefixed names."""
    return [w.upper() for w in _KEYWORD.findall(masked(query))]


def where_brace(query: str) -> int | None:
    """Where the `{` that opens the query's (outermost) WHERE clause is, or None."""
    blanked = masked(query)
    for m in _KEYWORD.finditer(blanked):
        if m.group(1).upper() == "WHERE" or (
            m.group(1).upper() in ("SELECT", "ASK", "DESCRIBE") and "WHERE" not in keywords(query)
        ):
            at = blanked.find("{", m.end())
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
    return f"{message}\n{caret(query, int(m[1]), int(m[2]))}"


def caret(query: str, line: int, column: int) -> str:
    """The line `line` of the query quoted, with a caret under column `column` (both 1-based): how
    every error with a position shows it, at the endpoint and in `kg query`."""
    text = query.splitlines()[line - 1] if 0 < line <= len(query.splitlines()) else ""
    return f"  line {line}: {text}\n  {' ' * (len(str(line)) + 7)}{' ' * max(column - 1, 0)}^"


# --- Oxigraph 0.5 rejects prefixed names whose local part has two or more dots between digits
# (`mtax:1.1.3`, valid SPARQL 1.1), while it accepts the escaped form `mtax:1.1\.3`. Taxonomy codes
# are exactly that shape, so queries are rewritten to the escaped form (same IRI) before parsing.
_DOTTED_NAME = re.compile(r"(?<![\w\\])((?:[A-Za-z][\w\-.]*)?:)(\d+\.\d+)((?:\.\d+)+)")


def escape_dotted_names(query: str) -> str:
    """`mtax:1.1.3` -> `mtax:1.1\\.3` outside comments, strings and IRIs; everything else unchanged."""
    out, last = [], 0
    for m in _OPAQUE.finditer(query):
        out.append(_escape_span(query[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_escape_span(query[last:]))
    return "".join(out)


def unescape_dotted_names(query: str) -> str:
    """The reverse of `escape_dotted_names` (`mtax:1.1\\.3` -> `mtax:1.1.3`), for servers that do not
    read the escapes of SPARQL 1.1 local names (Virtuoso 7)."""
    out, last = [], 0
    for m in _OPAQUE.finditer(query):
        out.append(_ESCAPED_NAME.sub(lambda n: n[0].replace("\\.", "."), query[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_ESCAPED_NAME.sub(lambda n: n[0].replace("\\.", "."), query[last:]))
    return "".join(out)


_ESCAPED_NAME = re.compile(r"(?<![\w\\])(?:[A-Za-z][\w\-.]*)?:[\w\-.]*(?:\\\.[\w\-]+)+")


def _escape_span(text: str) -> str:
    return _DOTTED_NAME.sub(lambda m: m[1] + m[2] + m[3].replace(".", "\\."), text)
