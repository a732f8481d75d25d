"""Full-text search: the query language of the explorer's index, translated into SQLite FTS5
syntax, the scores of a query over an index file, and the SPARQL function `kgf:textScore` on them
(docs/explorer.md, docs/sparql.md). The index itself is written by `kg.explorer.index`.

    model weights          both words (AND is the default), stemmed: "weight" matches "weights"
    "incident reporting"   a phrase
    water*                 a prefix
    a OR b, a AND b        OR binds looser than AND
    NOT a, -a              without a (only next to something to exclude it from)
    (a OR b) c             grouping
    name:watermark         one field: name, definition, evidence, information, reasoning, category, document

Operators are recognised in upper case only ("or" is a word). A word's punctuation separates
tokens the way the index does, so `red-teaming` is the phrase "red teaming" and `GV-1.1-001` the
phrase "gv 1 1 001"; a word without letters or digits is ignored. The translation quotes every
token, so no user text reaches FTS5's own syntax: anything that is not the language above raises
`SearchSyntaxError` with the position (0-based character offset) of what is wrong.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import SearchSyntaxError
from kg.namespaces import NS

FILE = "search.sqlite"  # in each release directory
COLUMNS = ("name", "definition", "evidence", "information", "reasoning", "category", "document")
# BM25 weights, per column: the name counts most, then the definition and the categories
WEIGHTS = {"name": 10.0, "definition": 4.0, "evidence": 1.0, "information": 1.5, "reasoning": 1.0}
WEIGHTS |= {"category": 3.0, "document": 2.0}
TEXT_SCORE = NS.kgf + "textScore"
MAX_DEPTH = 32  # nested parentheses
MAX_TERMS = 4096  # words and phrases in one query
_TOKEN = re.compile(r'\s+|"|\(|\)|[^\s"()]+')
_ALNUM = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class Term:
    text: str  # an FTS5 string (already quoted), with its column filter and prefix star
    at: int


@dataclass(frozen=True)
class Node:
    op: str  # "AND" | "OR" | "NOT"
    parts: tuple
    at: int


def quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _lex(query: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) with kind one of word, phrase, (, ), OR, AND, NOT, -."""
    out: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(query):
        ch = query[pos]
        if ch.isspace():
            pos += 1
        elif ch == '"':
            end = query.find('"', pos + 1)
            if end < 0:
                raise SearchSyntaxError('a phrase is opened with " and never closed', query, pos)
            star = end + 1 < len(query) and query[end + 1] == "*"
            out.append(("phrase", query[pos + 1 : end] + ("*" if star else ""), pos))
            pos = end + 1 + star
        elif ch in "()":
            out.append((ch, ch, pos))
            pos += 1
        else:
            match = _TOKEN.match(query, pos)
            assert match is not None
            word = match.group()
            if word in ("OR", "AND", "NOT"):
                out.append((word, word, pos))
            elif word.startswith("-") and len(word) > 1 and _ALNUM.search(word):
                out.append(("-", "-", pos))
                out.append(("word", word[1:], pos + 1))
            else:
                out.append(("word", word, pos))
            pos = match.end()
    return out


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _lex(query)
        self.i = 0
        self.terms = 0

    def error(self, message: str, at: int | None = None):
        at = at if at is not None else (self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.query))
        return SearchSyntaxError(message, self.query, at)

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def parse(self):
        if not self.tokens:
            return None
        node = self.disjunction(0)
        if self.peek() == ")":
            raise self.error("a ) without its (")
        return node

    def disjunction(self, depth: int):
        at = self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.query)
        parts = [self.conjunction(depth)]
        while self.peek() == "OR":
            self.i += 1
            parts.append(self.conjunction(depth))
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Node("OR", tuple(parts), at)

    def conjunction(self, depth: int):
        if self.peek() in (None, ")", "OR", "AND"):
            what = {None: "the end of the query", ")": ")", "OR": "OR", "AND": "AND"}[self.peek()]
            raise self.error(f"expected a word, a phrase or ( before {what}")
        at = self.tokens[self.i][2]
        parts = []
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.i += 1
                if self.peek() in (None, ")", "OR", "AND"):
                    raise self.error("AND needs a word, a phrase or ( after it")
            parts.append(self.unary(depth))
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Node("AND", tuple(parts), at)

    def unary(self, depth: int):
        negated, start = False, self.tokens[self.i][2]
        while self.peek() in ("NOT", "-"):  # a loop, not recursion: "NOT NOT NOT ..." is flat
            text = self.tokens[self.i][1]
            self.i += 1
            negated = not negated
            if self.peek() in (None, ")", "OR", "AND"):
                raise self.error(f"{text} needs a word, a phrase or ( after it")
        inner = self.primary(depth)
        return Node("NOT", (inner,), start) if negated and inner is not None else inner

    def primary(self, depth: int):
        kind, text, at = self.tokens[self.i]
        if kind == "(":
            if depth >= MAX_DEPTH:
                raise self.error(f"parentheses nested deeper than {MAX_DEPTH}", at)
            self.i += 1
            if self.peek() == ")":
                raise self.error("empty parentheses")
            inner = self.disjunction(depth + 1)
            if self.peek() != ")":
                raise self.error("a ( is never closed", at)
            self.i += 1
            return inner
        self.i += 1
        if kind == "word" and text.endswith(":") and text[:-1].lower() in COLUMNS and self.peek() == "phrase":
            phrase = self.tokens[self.i][1]  # name:"a phrase"
            self.i += 1
            return self.count(_term("phrase", phrase, at, text[:-1].lower()), at)
        return self.count(_term(kind, text, at), at)

    def count(self, term, at: int):
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise self.error(f"more than {MAX_TERMS} words and phrases", at)
        return term


def _term(kind: str, text: str, at: int, column: str = "") -> Term | None:
    if kind == "word" and ":" in text:
        head, _, rest = text.partition(":")
        if head.lower() in COLUMNS and rest:
            column, text = head.lower(), rest
    star = text.endswith("*")
    body = text.rstrip("*") if kind == "word" else text[:-1] if star else text
    if not _ALNUM.search(body):
        return None  # punctuation only: nothing the index could hold
    fts = quote(body) + ("*" if star else "")
    return Term(f"{column} : {fts}" if column else fts, at)


def _emit(node) -> str:
    if isinstance(node, Term):
        return node.text
    if node.op == "OR":
        return "(" + " OR ".join(_emit(p) for p in node.parts) + ")"
    if node.op == "NOT":
        raise SearchSyntaxError("NOT needs something to exclude from: write `a NOT b` or `a -b`", "", node.at)
    positive = [p for p in node.parts if not (isinstance(p, Node) and p.op == "NOT")]
    negative = [p.parts[0] for p in node.parts if isinstance(p, Node) and p.op == "NOT"]
    if not positive:
        raise SearchSyntaxError("NOT needs something to exclude from: write `a NOT b` or `a -b`", "", node.at)
    text = "(" + " AND ".join(_emit(p) for p in positive) + ")"
    for neg in negative:
        text = f"({text} NOT {_emit(neg)})"
    return text


def translate(query: str) -> str:
    """The FTS5 MATCH expression for `query`; "" when it holds nothing to search for (every row
    matches). Raises SearchSyntaxError (with the position) for a malformed query."""
    tree = _Parser(query).parse()
    if tree is None:
        return ""
    try:
        return _emit(tree)
    except SearchSyntaxError as exc:
        raise SearchSyntaxError(exc.reason, query, exc.position) from None


def scores(db: sqlite3.Connection, query: str) -> dict[int, float]:
    """BM25 score (higher is better) of every row of the index's `text` table matching `query`;
    every row scores 0 for a query with nothing to search for."""
    expr = translate(query)
    if not expr:
        return {row[0]: 0.0 for row in db.execute("SELECT rowid FROM text")}
    weights = ", ".join(str(WEIGHTS[c]) for c in COLUMNS)
    try:
        rows = db.execute(f"SELECT rowid, bm25(text, {weights}) FROM text WHERE text MATCH ?", (expr,))
        return {doc: round(-score, 6) for doc, score in rows}
    except sqlite3.OperationalError as exc:  # the translation should make this unreachable
        raise SearchSyntaxError(f"the index refused the query ({exc})", query, 0) from None


class TextScore:
    """`kgf:textScore(?m, "query")` for pyoxigraph's `custom_functions`: the BM25 score of mitigation
    ?m for the query (an xsd:double, 0 when it does not match, unbound for a malformed query or a
    term that is no mitigation IRI). Each query's scores are computed once and kept (LRU)."""

    def __init__(self, index: Path, keep: int = 64) -> None:
        self.index, self.keep = Path(index), keep
        self.cache: OrderedDict[str, dict[str, float]] = OrderedDict()
        self.lock = threading.Lock()

    def by_iri(self, query: str) -> dict[str, float]:
        with self.lock:
            if query in self.cache:
                self.cache.move_to_end(query)
                return self.cache[query]
        db = sqlite3.connect(f"file:{self.index}?mode=ro&immutable=1", uri=True)
        try:
            iris = dict(db.execute("SELECT doc, iri FROM docs"))
            found = {iris[d]: s for d, s in scores(db, query).items()}
        finally:
            db.close()
        with self.lock:
            self.cache[query] = found
            while len(self.cache) > self.keep:
                self.cache.popitem(last=False)
        return found

    def __call__(self, subject=None, text=None, *rest):
        if not isinstance(subject, ox.NamedNode) or not isinstance(text, ox.Literal) or rest:
            return None
        try:
            found = self.by_iri(text.value)
        except SearchSyntaxError:
            return None
        return ox.Literal(repr(float(found.get(subject.value, 0.0))), datatype=ox.NamedNode(NS.xsd + "double"))


def functions(release_dir: Path | None) -> dict[ox.NamedNode, TextScore]:
    """The custom SPARQL functions over a release (none when it has no index)."""
    if release_dir is None or not (Path(release_dir) / FILE).is_file():
        return {}
    return {ox.NamedNode(TEXT_SCORE): TextScore(Path(release_dir) / FILE)}
