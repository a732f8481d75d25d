"""The gate before the engine: a query's text is measured and refused, with a reason and a position,
before any SPARQL engine parses it.

Measured on pyoxigraph 0.5.13 (see tests/test_gate.py): a few kilobytes of deeply nested groups,
collections or function calls, long runs of `!`, long property paths and thousands of `UNION`
branches crash the parser with a segfault. The workers survive that (a crash costs one request),
but the gate keeps such text away from them in the first place, with caps far below the measured
crash points and far above what analysts write.

SPARQL processes `\\u` and `\\U` escapes *before* parsing (SPARQL 1.1 §19.2), anywhere in the text, so
the gate measures the unescaped text: `\\u0053ERVICE` is SERVICE. Strings, IRIs, comments, variables
and prefixed names are opaque: a query that merely contains the word SERVICE in a string, a variable
(`?service`) or an IRI is not refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from kg.errors import Federated, Refused
from kg.sparql import syntax


@dataclass(frozen=True)
class Limits:
    max_chars: int = 100_000  # characters of query text
    max_tokens: int = 8_000  # crash seen at ~20,000 tokens of a `1+1+…` chain
    max_depth: int = 64  # brackets and unary operators; crashes seen from ~300 nested ( )
    max_unions: int = 512  # crash seen at 10,000 branches
    max_path: int = 64  # steps in one property path; crash seen at ~700


DEFAULT = Limits()


def limits_for(settings) -> Limits:
    """The limits of a configuration (`kg.config.Settings`): what the endpoint and `kg query` both apply."""
    return Limits(max_chars=settings.max_query_bytes)


_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def unescape(text: str) -> str:
    """Replace `\\uXXXX` and `\\UXXXXXXXX` by their characters, as SPARQL does before parsing.
    A code point that is not a character (a surrogate, above U+10FFFF) makes the query malformed."""

    def char(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise Refused(f"malformed query: {m.group(0)} at {position(text, m.start())} is not a character")
        return chr(code)

    return _ESCAPE.sub(char, text) if "\\" in text else text


_TOKEN = re.compile(
    r'''
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
               |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
  | (?P<name>(?:[A-Za-z\u00C0-\uFFFF][\w\-.\u00B7\u00C0-\uFFFF]*)?:(?:[\w\-.:%\\\u00B7\u00C0-\uFFFF]|\\.)*
             |_:[\w\-.\u00B7\u00C0-\uFFFF]+)
  | (?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
  | (?P<word>[A-Za-z_][\w]*)
  | (?P<punct>\|\||&&|!=|<=|>=|\^\^|[{}()\[\].,;*+\-/|^!?=<>@])
  | (?P<other>.)
''',
    re.VERBOSE | re.DOTALL,
)

OPEN, CLOSE = "{([", "})]"
UNARY = "!^"  # `!` (not, negated path) and `^` (inverse path) nest what follows them
PATH_STEP = {"/", "|"}
PATH_PARTS = {"iri", "name", "a", "(", ")", "^", "!", "*", "+", "?", "/", "|"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    at: int  # offset in the unescaped text


def tokens(text: str) -> list[Token]:
    out: list[Token] = []
    for m in _TOKEN.finditer(text):
        kind = cast(str, m.lastgroup)  # every alternative of _TOKEN is a named group
        if kind in ("space", "comment"):
            continue
        word = m.group(0)
        if kind == "word" and word == "a":
            kind = "a"
        out.append(Token(kind, word, m.start()))
    return out


def position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


_AT = re.compile(r"at line (\d+), column (\d+)")


def check(query: str, limits: Limits = DEFAULT) -> None:
    """Refuse the query text (Refused, Federated: 400) when it passes a limit or asks for SERVICE,
    the line it happens on quoted with a caret under the column (as the parser's errors are)."""
    try:
        measure(query, limits)
    except (Refused, Federated) as exc:
        m = _AT.search(str(exc))
        if m is None:
            raise
        try:
            text = unescape(query)
        except Refused:  # the escape itself is what is wrong: positions are in the text as sent
            text = query
        raise type(exc)(f"{exc}\n{syntax.caret(text, int(m[1]), int(m[2]))}") from None


def measure(query: str, limits: Limits = DEFAULT) -> None:
    """The gate's checks, in order. Updates are told apart by the endpoint (403); syntax errors are
    left to the engine's parser."""
    if len(query) > limits.max_chars:
        raise Refused(f"the query is {len(query):,} characters long; at most {limits.max_chars:,} are accepted")
    text = unescape(query)
    found = tokens(text)
    if len(found) > limits.max_tokens:
        raise Refused(
            f"the query has {len(found):,} tokens; at most {limits.max_tokens:,} are accepted "
            f"(the limit is passed at {position(text, found[limits.max_tokens].at)})"
        )
    depth, unions, path, unary = 0, 0, 0, 0
    for token in found:
        word = token.text.upper() if token.kind == "word" else None
        if word == "SERVICE":
            raise Federated(
                f"SERVICE (federated query) at {position(text, token.at)} is not supported: "
                "this endpoint answers from its own graph only and never fetches from the network"
            )
        if word == "UNION":
            unions += 1
            if unions > limits.max_unions:
                raise Refused(
                    f"the query has more than {limits.max_unions} UNION branches "
                    f"(at {position(text, token.at)}); split it into several queries"
                )
        if token.text in UNARY and token.kind == "punct":
            unary += 1
        elif token.text in OPEN and token.kind == "punct":
            depth += 1
        elif token.text in CLOSE and token.kind == "punct":
            depth = max(depth - 1, 0)
        if token.text not in UNARY or token.kind != "punct":
            if token.text not in OPEN:
                unary = 0
        if depth + unary > limits.max_depth:
            raise Refused(
                f"the query nests more than {limits.max_depth} levels deep (brackets and unary "
                f"operators) at {position(text, token.at)}"
            )
        if token.kind in ("iri", "name", "a") or token.text in PATH_PARTS:
            if token.text in PATH_STEP:
                path += 1
                if path >= limits.max_path:
                    raise Refused(
                        f"a property path or expression at {position(text, token.at)} has more "
                        f"than {limits.max_path} steps"
                    )
        else:
            path = 0
