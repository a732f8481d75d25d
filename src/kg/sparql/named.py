"""Named queries: the `queries/*.rq` files, their headers, and safe typed parameter binding.

A named query is one SPARQL file whose leading `#+` comment lines describe it (grlc's habit):

    #+ title: Mitigations under a taxonomy subtree
    #+ description: Every mitigation whose category is CATEGORY or a narrower concept.
    #+ description: (further description lines are joined with a space)
    #+ param: category iri v1tax:1.2 — the concept at the top of the subtree
    #+ param: text xsd:string "red team" — the words to look for
    #+ tags: taxonomy, coverage

A parameter is `NAME TYPE [DEFAULT] — description`; without a default it is required. The query
uses it as the variable `?NAME`, which must also be projected by the top-level SELECT (pyoxigraph
substitutes variables of the projection only). Values are bound as typed RDF terms through
pyoxigraph's `substitutions` (SEP-0007) and are never pasted into the query text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from kg.config import Settings
from kg.errors import InputError, QueryError, UnknownQuery
from kg.namespaces import NS, PREFIXES
from kg.sparql import syntax
from kg.sparql.execute import run_dataset

RESERVED = frozenset({"format", "query", "timeout"})
_HEADER = re.compile(r"^#\+\s*(?P<key>[\w-]+)\s*:\s*(?P<value>.*?)\s*$")
_PARAM = re.compile(
    r"""^(?P<name>[A-Za-z_]\w*)\s+(?P<type>\S+)
                        (?:\s+(?P<default>"(?:[^"\\]|\\.)*"|<[^>\s]*>|(?!—|--?\s)\S+))?
                        (?:\s*(?:—|--|-)\s+(?P<description>.*))?$""",
    re.VERBOSE,
)


# --- parameter types: each turns the text a user typed into an RDF term, or raises ValueError ---


def _literal(datatype: str, check: Callable[[str], object] = str) -> Callable[[str], ox.Literal]:
    def bind(raw: str) -> ox.Literal:
        check(raw)
        return ox.Literal(raw, datatype=ox.NamedNode(NS.xsd + datatype))

    return bind


def _integer(raw: str) -> ox.Literal:
    return ox.Literal(str(int(raw)), datatype=ox.NamedNode(NS.xsd + "integer"))


def _decimal(raw: str) -> ox.Literal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(raw) from None
    if not value.is_finite():
        raise ValueError(raw)
    return ox.Literal(str(value), datatype=ox.NamedNode(NS.xsd + "decimal"))


def _boolean(raw: str) -> ox.Literal:
    words = {"true": "true", "1": "true", "yes": "true", "false": "false", "0": "false", "no": "false"}
    return ox.Literal(words[raw.lower()], datatype=ox.NamedNode(NS.xsd + "boolean"))


def _gyear(raw: str) -> None:
    if not re.fullmatch(r"-?\d{4,}", raw):
        raise ValueError(raw)


def iri(raw: str) -> ox.NamedNode:
    """An IRI from `<...>`, an absolute IRI, or a prefixed name with a project prefix (`actor:developer`)."""
    text = raw[1:-1] if raw.startswith("<") and raw.endswith(">") else raw
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        text = PREFIXES[prefix] + local
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|^`\\]*$", text):
        raise ValueError(raw)
    return ox.NamedNode(text)


TYPES: dict[str, tuple[Callable[[str], ox.NamedNode | ox.Literal], str]] = {
    "xsd:string": (_literal("string"), "any text"),
    "xsd:integer": (_integer, "a whole number, e.g. 10"),
    "xsd:decimal": (_decimal, "a decimal number, e.g. 0.5"),
    "xsd:boolean": (_boolean, "true or false"),
    "xsd:gYear": (_literal("gYear", _gyear), "a year, e.g. 2024"),
    "xsd:date": (_literal("date", date.fromisoformat), "a date, e.g. 2024-12-31"),
    "iri": (iri, "an IRI or a prefixed name, e.g. actor:developer"),
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None = None  # as typed in the header, quotes removed
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def hint(self) -> str:
        return TYPES[self.type][1]

    def bind(self, raw: str) -> ox.NamedNode | ox.Literal:
        """The RDF term for a value typed by a user; QueryError (400) when it is not of the type."""
        try:
            return TYPES[self.type][0](raw.strip() if self.type != "xsd:string" else raw)
        except (ValueError, KeyError, TypeError) as exc:
            raise QueryError(f"parameter {self.name}: expected {self.hint} ({self.type}), got {raw!r}") from exc


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    text: str
    params: tuple[Param, ...] = ()
    tags: tuple[str, ...] = ()
    path: Path | None = field(default=None, compare=False)

    @property
    def form(self) -> str:
        """SELECT, CONSTRUCT, DESCRIBE or ASK."""
        return syntax.query_form(self.text) or "SELECT"

    def defaults(self) -> dict[str, str]:
        return {p.name: p.default for p in self.params if p.default is not None}

    def standalone(self, values: Mapping[str, str] | None = None) -> str:
        """The text with its parameters fixed by a VALUES block at the top of the WHERE clause: a
        query that runs as it is (the query page's examples). Terms are written by pyoxigraph, so the
        values come out escaped; execution of named queries binds with `substitutions` instead."""
        terms = self.substitutions(values or {})
        at = syntax.where_brace(self.text)
        if not terms or at is None:
            return self.text
        names = " ".join(f"?{v.value}" for v in terms)
        row = " ".join(str(t) for t in terms.values())
        return f"{self.text[: at + 1]}\n  VALUES ({names}) {{ ({row}) }}{self.text[at + 1 :]}"

    def substitutions(self, values: Mapping[str, str]) -> dict[ox.Variable, ox.NamedNode | ox.Literal]:
        """Typed terms for the given values (blank ones take the default); 400 on unknown or missing."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known) - RESERVED)
        if unknown:
            raise QueryError(
                f"{self.name}: unknown parameter {', '.join(unknown)}; known: {', '.join(known) or 'none'}"
            )
        chosen = {**self.defaults(), **{k: v for k, v in values.items() if k in known and v.strip() != ""}}
        missing = [p.name for p in self.params if p.name not in chosen]
        if missing:
            raise QueryError(f"{self.name}: missing required parameter {', '.join(missing)}")
        return {ox.Variable(n): known[n].bind(v) for n, v in chosen.items()}


# --- reading .rq files ---


def parse_param(spec: str, where: str) -> Param:
    m = _PARAM.match(spec.strip())
    if m is None or m["type"] not in TYPES or m["name"] in RESERVED:
        raise InputError(
            f"{where}: bad parameter line {spec!r}; write `NAME TYPE [DEFAULT] — description` "
            f"with TYPE one of {', '.join(TYPES)} and NAME not {' or '.join(sorted(RESERVED))}"
        )
    default = m["default"]
    if default is not None and default.startswith('"'):
        default = re.sub(r"\\(.)", r"\1", default[1:-1])
    return Param(m["name"], m["type"], default, (m["description"] or "").strip())


def header(text: str) -> dict[str, list[str]]:
    """The `#+ key: value` lines at the top of a query, by key, in order."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _HEADER.match(line.strip())
        if m is None:
            if line.lstrip().startswith("#"):
                continue
            break
        out.setdefault(m["key"].lower(), []).append(m["value"])
    return out


def parse(text: str, name: str, path: Path | None = None) -> NamedQuery:
    where = str(path or name)
    head = header(text)
    if not head.get("title"):
        raise InputError(f"{where}: no `#+ title:` line at the top")
    params = tuple(parse_param(p, where) for p in head.get("param", []))
    for p in params:
        if not re.search(rf"[?$]{p.name}\b", text):
            raise InputError(f"{where}: parameter {p.name} is not used as ?{p.name} in the query")
    tags = tuple(t.strip() for line in head.get("tags", []) for t in line.split(",") if t.strip())
    return NamedQuery(
        name=name,
        title=head["title"][0],
        description=" ".join(head.get("description", [])),
        text=text,
        params=params,
        tags=tags,
        path=path,
    )


def load(path: Path) -> NamedQuery:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    return parse(text, path.stem, path)


def folder(settings: Settings) -> Path:
    return settings.root / "queries"


def load_all(folder: Path) -> dict[str, NamedQuery]:
    """Every `*.rq` in `folder`, by name (the file name without `.rq`), sorted."""
    return {p.stem: load(p) for p in sorted(folder.glob("*.rq"))}


def get(catalogue: Mapping[str, NamedQuery], name: str) -> NamedQuery:
    try:
        return catalogue[name]
    except KeyError:
        raise UnknownQuery(f"no named query {name!r}; known: {', '.join(catalogue)}") from None


def execute(query: NamedQuery, store: ox.Store, values: Mapping[str, str], functions: dict | None = None):
    """Run a named query over the union of all graphs with its parameters bound."""
    return run_dataset(store, query.text, substitutions=query.substitutions(values), functions=functions)


def parse_assignments(pairs: list[str] | None) -> dict[str, str]:
    """`["k=v", ...]` (the CLI's repeated --param) as a dict; QueryError on a pair without `=`."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise QueryError(f"--param {pair!r}: write NAME=VALUE")
        out[key.strip()] = value
    return out
