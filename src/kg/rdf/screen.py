"""Sources are untrusted input (a spreadsheet import or a pull request writes them): before any parser
sees a file, `screen` refuses what could make a parser fetch, expand or recurse without bound, with
the file and line in the message:

- a file larger than `max_source_bytes` (KG_MAX_SOURCE_BYTES);
- RDF/XML with a DOCTYPE (entity declarations: "billion laughs", external entities such as
  file:///etc/passwd or http://...), which rdflib and Oxigraph would expand or resolve;
- JSON-LD with a context that is not inline (an IRI string, or @import): rdflib would fetch it over
  HTTP or read it from the disk; inline contexts are fine;
- brackets `[ (` (Turtle, TriG), objects and arrays (JSON-LD) or elements (RDF/XML) nested more than
  `MAX_NESTING` deep (rdflib's recursive parsers would overflow the stack);
- a literal or IRI of more than `MAX_LITERAL_CHARS` characters (rdflib's Turtle parser is
  quadratic in the length of a multi-line literal: a 50 MB one takes hours).

owl:imports in a source is data like any other triple: nothing here follows it (nor does the
build: SHACL runs with imports off and the reasoner's input has no owl:imports).
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path
from typing import NoReturn, Protocol, cast
from xml.parsers import expat

from kg.config import Settings
from kg.errors import InputError
from kg.formats import for_path

MAX_NESTING = 64  # [ ( in Turtle, { [ in JSON-LD; RDF/XML elements: twice as many
MAX_LITERAL_CHARS = 1_000_000  # one literal or IRI
DEFAULT_MAX_BYTES = cast(int, next(f.default for f in fields(Settings) if f.name == "max_source_bytes"))


class Named(Protocol):
    """A file and the name messages give it (a `kg.rdf.sources.Source`)."""

    @property
    def path(self) -> Path: ...

    @property
    def rel(self) -> str: ...


def screen(source: Named, max_bytes: int | None = None) -> bytes:
    """Refuse a source no parser should see (see the module docstring); return its bytes."""
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    try:
        size = source.path.stat().st_size
        if size > limit:
            raise InputError(
                f"{source.rel}: {size} bytes, more than the {limit} a source may have (KG_MAX_SOURCE_BYTES)"
            )
        data = source.path.read_bytes()
    except OSError as exc:
        raise InputError(f"{source.rel}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise InputError(f"{source.rel}: more than the {limit} bytes a source may have (KG_MAX_SOURCE_BYTES)")
    name = for_path(source.path).name
    if name == "rdfxml":
        _screen_xml(source.rel, data)
    elif name in ("turtle", "trig", "ntriples", "nquads"):
        _scan(source.rel, _text(source.rel, data), _TURTLE_START, brackets="[(", closers="])")
    elif name == "jsonld":
        _screen_jsonld(source.rel, _text(source.rel, data))
    return data


def _text(rel: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{rel}: line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x})") from None


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


# Turtle, TriG, N-Triples, N-Quads: what can hold brackets that are not structure (strings, IRIs,
# comments, escapes), found with one search each; nothing is matched twice, so the scan is linear.
_TURTLE_START = re.compile(r"[\"'<#\\\[\]()]")
_JSON_START = re.compile(r"[\"\[\]{}]")
_LONG = {
    '"': re.compile(r'"""(?:[^"\\]++|\\.|"(?!""))*+"""', re.S),
    "'": re.compile(r"'''(?:[^'\\]++|\\.|'(?!''))*+'''", re.S),
}
_SHORT = {'"': re.compile(r'"(?:[^"\\\n\r]++|\\.)*+"', re.S), "'": re.compile(r"'(?:[^'\\\n\r]++|\\.)*+'", re.S)}
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.S)
_IRI = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*+>")


def _scan(rel: str, text: str, start: re.Pattern, brackets: str, closers: str, json: bool = False) -> None:
    depth, pos = 0, 0
    search = start.search
    while True:
        m = search(text, pos)
        if m is None:
            return
        i, c = m.start(), m.group()
        if c in brackets:
            depth += 1
            if depth > MAX_NESTING:
                raise InputError(
                    f"{rel}: line {_line(text, i)}: nested more than {MAX_NESTING} deep "
                    f"({' '.join(brackets)} inside one another); flatten the data"
                )
            pos = i + 1
        elif c in closers:
            depth = max(depth - 1, 0)
            pos = i + 1
        elif c in "\"'":
            if json:
                t = _JSON_STRING.match(text, i)
            else:
                t = _LONG[c].match(text, i) if text.startswith(c * 3, i) else None
                t = t or _SHORT[c].match(text, i)
            if t is None:
                return  # unterminated: the parser reports it, with its line
            _check_length(rel, text, i, t.end() - i, "literal")
            pos = t.end()
        elif c == "<":
            t = _IRI.match(text, i)
            if t is not None:
                _check_length(rel, text, i, t.end() - i, "IRI")
                pos = t.end()
            else:
                pos = i + 1
        elif c == "#":
            end = text.find("\n", i)
            if end < 0:
                return
            pos = end
        else:  # a backslash escape (in a prefixed name)
            pos = i + 2


def _check_length(rel: str, text: str, i: int, length: int, what: str) -> None:
    if length > MAX_LITERAL_CHARS:
        raise InputError(
            f"{rel}: line {_line(text, i)}: a {what} of {length} characters, more than the {MAX_LITERAL_CHARS} accepted"
        )


def _screen_jsonld(rel: str, text: str) -> None:
    _scan(rel, text, _JSON_START, brackets="[{", closers="]}", json=True)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{rel}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{rel}: nested more than {MAX_NESTING} deep") from None
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if "@import" in node:
            _remote_context(rel, text, node["@import"], "@import")
        context = node.get("@context")
        for c in context if isinstance(context, list) else [context]:
            if c is not None and not isinstance(c, dict):
                _remote_context(rel, text, c, "@context")
        stack.extend(node.values())


def _remote_context(rel: str, text: str, value, key: str) -> None:
    pos = text.find(json.dumps(value)) if isinstance(value, str) else -1
    pos = pos if pos >= 0 else max(text.find(f'"{key}"'), 0)
    raise InputError(
        f"{rel}: line {_line(text, pos)}: JSON-LD {key} {value!r} is not inline; remote and "
        "file contexts are refused (nothing is fetched): write the context into the file"
    )


class XmlRefused(Exception):
    """What `XmlScreen` refused, and on which line."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


class XmlScreen:
    """One pass of expat that stops at the first DOCTYPE (before any entity is declared, expanded or
    fetched), at elements nested more than `max_depth` deep and at more than `max_text` characters of
    text or attribute value in one place. `on_start(tag, attrs, line)` sees every element. Feed it
    bytes; it raises XmlRefused, or expat.ExpatError for XML that is not well-formed."""

    def __init__(self, max_depth: int, max_text: int = MAX_LITERAL_CHARS, on_start=None) -> None:
        self.parser = p = expat.ParserCreate()
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.buffer_text = True
        self.max_depth, self.max_text, self.on_start = max_depth, max_text, on_start
        self.depth = self.text = 0
        p.StartDoctypeDeclHandler = p.EntityDeclHandler = p.UnparsedEntityDeclHandler = self._declaration
        p.NotationDeclHandler = p.ExternalEntityRefHandler = self._declaration
        p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = self._start, self._end, self._chars

    def feed(self, data: bytes, final: bool = False) -> None:
        self.parser.Parse(data, final)

    def _refuse(self, reason: str) -> NoReturn:
        raise XmlRefused(self.parser.CurrentLineNumber, reason)

    def _declaration(self, *_args) -> NoReturn:
        self._refuse("DOCTYPE/ENTITY declarations are not accepted (entity expansion and external entities)")

    def _start(self, tag, attrs) -> None:
        self.depth += 1
        self.text = 0
        if self.depth > self.max_depth:
            self._refuse(f"elements nested more than {self.max_depth} deep")
        for value in attrs.values():
            if len(value) > self.max_text:
                self._refuse(f"an attribute of {len(value)} characters, more than the {self.max_text} accepted")
        if self.on_start is not None:
            self.on_start(tag, attrs, self.parser.CurrentLineNumber)

    def _end(self, _tag) -> None:
        self.depth -= 1
        self.text = 0

    def _chars(self, text: str) -> None:
        self.text += len(text)
        if self.text > self.max_text:
            self._refuse(f"a text of more than the {self.max_text} characters accepted")


def _screen_xml(rel: str, data: bytes) -> None:
    try:
        XmlScreen(2 * MAX_NESTING).feed(data, True)
    except XmlRefused as exc:
        raise InputError(f"{rel}: line {exc.line}: {exc.reason}") from None
    except expat.ExpatError as exc:
        raise InputError(
            f"{rel}: line {exc.lineno}, column {exc.offset + 1}: not well-formed XML: {expat.ErrorString(exc.code)}"
        ) from None
