"""SHACL Core compiled to set-oriented SPARQL and evaluated by Oxigraph over the whole data at once.

pyshacl validates focus node by focus node in Python over rdflib; on the real data that is most of
the build's validation time and it grows linearly with a large constant. Here every constraint
component of a shape becomes one SPARQL query over all its focus nodes, e.g. sh:class C on path p:

    SELECT DISTINCT ?this (?v AS ?value) WHERE {
        { SELECT DISTINCT ?this WHERE { ?this rdf:type/rdfs:subClassOf* <T> } }   # the focus nodes
        ?this <p> ?v .                                                             # the value nodes
        MINUS { ?v rdf:type/rdfs:subClassOf* <C> }                                 # those that conform
    }

Only joins, MINUS, plain FILTERs and uncorrelated aggregate subqueries are used: Oxigraph evaluates
a FILTER (NOT) EXISTS by running its pattern again for every row, without using the row's bindings
to narrow it, which is quadratic (minutes at 10^6 triples), while MINUS and joins are hash-based.
So a shape used through sh:node, sh:not, sh:and, sh:or, sh:xone or sh:qualifiedValueShape is
compiled into the *set* of candidate nodes that violate it, a DISTINCT subquery that the using
constraint joins (sh:node: values in the set violate) or subtracts (sh:not: values outside violate).
The candidates are the value nodes of the using constraint, so every set stays finite and small.

Semantics follow the SHACL recommendation (and pyshacl, the reference engine they are tested
against in tests/test_shacl_engine.py): SHACL instances through rdfs:subClassOf* in the data graph;
value nodes and counts are distinct RDF terms; sh:datatype also rejects ill-typed literals, judged
by rdflib exactly as pyshacl does; sh:pattern uses sh:flags; conformance of a nested shape means
no result of any severity; deactivated shapes produce nothing and conform.

A shape using anything this compiler does not know (SHACL-AF targets and rules, custom constraint
components, sh:sparql below a sh:node, recursive shapes, a regex Oxigraph cannot run, ...) raises
`Unsupported`; `compile_shapes` then hands the whole target-bearing shape that contains it to
pyshacl (see `Plan.fallback`), or, with `fallback=False`, fails. Nothing is skipped silently.
"""

from __future__ import annotations

import datetime
import decimal
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import XSDToPython

from kg import shacl_sparql
from kg.errors import KGError
from kg.namespaces import SH

# ----------------------------------------------------------------------------------------- errors


class Unsupported(Exception):
    """A shape uses a feature the compiler does not handle."""

    def __init__(self, shape, reason: str) -> None:
        self.shape, self.reason = shape, reason
        super().__init__(f"shape {shape}: {reason}")


class UnsupportedShapes(KGError):
    """Shapes the fast engine cannot run, and fallback to pyshacl was not allowed."""

    def __init__(self, reasons: dict) -> None:
        self.reasons = reasons
        super().__init__("the Oxigraph SHACL engine cannot run these shapes: " +
                         "; ".join(f"{s}: {r}" for s, r in reasons.items()))


class ValidationTimeout(KGError):
    """SHACL validation did not finish within settings.shacl_timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"SHACL validation exceeded {seconds:g} s (KG_SHACL_TIMEOUT): "
                         "raise the limit or validate less data")


class Deadline:
    """A point in time; `check()` raises ValidationTimeout once it has passed (None: no deadline)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        return None if self.end is None else max(0.0, self.end - time.monotonic())

    def check(self) -> None:
        if self.end is not None and time.monotonic() > self.end:
            raise ValidationTimeout(self.seconds)


# ----------------------------------------------------------------------------------------- the plan

@dataclass
class CoreQuery:
    """One constraint component of one shape as a query whose rows are its validation results."""
    shape: URIRef | BNode
    component: str               # e.g. "sh:class"
    text: str                    # SELECT ?this [?value] [?path] ...
    message: str | None
    severity: str                # "Violation", "Warning", "Info"
    path_node: object = None     # the shape's sh:path node in the shapes graph (results report it)


@dataclass
class SparqlQuery:
    """A SPARQL-based constraint (sh:sparql) with the focus nodes of its shape."""
    constraint: shacl_sparql.SparqlConstraint
    focus: str                   # { SELECT DISTINCT ?this WHERE {...} }: the focus nodes


@dataclass
class Plan:
    core: list[CoreQuery] = field(default_factory=list)
    sparql: list[SparqlQuery] = field(default_factory=list)
    fallback: dict = field(default_factory=dict)     # root shape -> why pyshacl must run it
    fallback_shapes: Graph | None = None             # the shapes graph pyshacl runs (fast roots untargeted)


# ----------------------------------------------------------------------------------------- helpers

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
SUBCLASS = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
_NODE_KINDS = {
    SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})", SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}
_COMPARISONS = {SH.minExclusive: ">", SH.minInclusive: ">=", SH.maxExclusive: "<", SH.maxInclusive: "<="}
_PAIRS = {SH.lessThan: "<", SH.lessThanOrEquals: "<="}
# Predicates that never constrain anything (or are read together with a parameter listed below).
_INERT = {SH.path, *TARGETS, SH.message, SH.severity, SH.deactivated, SH.name, SH.description, SH.order,
          SH.group, SH.defaultValue, SH.flags, SH.ignoredProperties, SH.qualifiedMinCount,
          SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint, SH.property, SH.sparql}
_PARAMETERS = {SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, *_COMPARISONS, SH.minLength,
               SH.maxLength, SH.pattern, SH.languageIn, SH.uniqueLang, SH.equals, SH.disjoint, *_PAIRS,
               SH["in"], SH.hasValue, SH.node, SH["not"], SH["and"], SH["or"], SH.xone,
               SH.qualifiedValueShape, SH.closed}
# What pyshacl's sh:datatype check requires of rdflib's value of a literal (_assert_actual_datatype).
_PYTHON_TYPES = {XSD.integer: int, XSD.float: float, XSD.boolean: bool, XSD.decimal: decimal.Decimal,
                 XSD.date: datetime.date, XSD.time: datetime.time, XSD.dateTime: datetime.datetime}

Nodes = Callable[[str], str]    # a variable name -> a group body binding that variable to a set of nodes


def sparql_string(text: str) -> str:
    return '"' + (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                  .replace("\r", "\\r")) + '"'


def _short_name(term) -> str:
    return str(term).rsplit("#", 1)[-1]


def _bool(node) -> bool:
    return isinstance(node, Literal) and node.toPython() is True


@contextmanager
def _quiet_rdflib():
    """rdflib logs a traceback for every ill-typed literal it is asked to convert: not here."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def ill_typed(lexical: str, datatype: str) -> bool:
    """Whether pyshacl's sh:datatype rejects `lexical`^^`datatype` as ill-typed (rdflib decides)."""
    dt = URIRef(datatype)
    lit = Literal(lexical, datatype=dt)
    if getattr(lit, "ill_typed", None) is True:
        return True
    expected = _PYTHON_TYPES.get(dt)
    return expected is not None and not isinstance(lit.value, expected)


@dataclass
class _Res:
    """Solutions of `body` (binding the focus variable) are results of one constraint component."""
    body: str
    value: str | None            # variable holding sh:value
    name: str                    # the constraint component, e.g. "sh:class"
    path: str | None = None      # variable holding sh:resultPath (sh:closed); else the shape's path


@dataclass
class _Set:
    """A DISTINCT subquery: the nodes (variable `var` inside `body`) that violate a shape."""
    var: str
    body: str

    def select(self, y: str, extra: str = "") -> str:
        return f"{{ SELECT DISTINCT ({self.var} AS {y}){extra} WHERE {{ {self.body} }} }}"


# ----------------------------------------------------------------------------------------- the compiler

class Compiler:
    def __init__(self, shapes: Graph, store: ox.Store | None = None, deadline: Deadline | None = None) -> None:
        self.g = shapes
        self.store = store
        self.deadline = deadline or Deadline(None)
        self.counter = 0
        self.stack: list = []
        self.bad_literals: dict[str, list] = {}   # datatype and scope -> ill-typed literals in the data
        self.regexes: dict = {}
        self.custom_parameters = {self.g.value(p, SH.path) for c in self.g.subjects(RDF.type, SH.ConstraintComponent)
                                  for p in self.g.objects(c, SH.parameter)}

    # --- small things

    def var(self, hint: str = "v") -> str:
        self.counter += 1
        return f"?{hint}{self.counter}"

    def is_property(self, shape) -> bool:
        return (shape, SH.path, None) in self.g

    def deactivated(self, shape) -> bool:
        return _bool(self.g.value(shape, SH.deactivated))

    def term(self, shape, node) -> str:
        if isinstance(node, URIRef):
            return f"<{node}>"
        if isinstance(node, Literal):
            return node.n3()
        raise Unsupported(shape, f"a blank node ({node}) as a constraint parameter")

    def items(self, shape, node) -> list:
        out, seen = [], set()
        while node != RDF.nil:
            first = self.g.value(node, RDF.first)
            if first is None or node in seen:
                raise Unsupported(shape, "a malformed RDF list")
            seen.add(node)
            out.append(first)
            node = self.g.value(node, RDF.rest)
        return out

    def single(self, shape, predicate):
        values = list(self.g.objects(shape, predicate))
        if len(values) > 1:
            raise Unsupported(shape, f"more than one {predicate.n3(self.g.namespace_manager)}")
        return values[0] if values else None

    def integer(self, shape, node) -> int:
        if not isinstance(node, Literal) or not isinstance(node.toPython(), int):
            raise Unsupported(shape, f"{node!r} is not an integer")
        return node.toPython()

    def path(self, shape, node=None) -> str:
        """The SPARQL property path of a SHACL path."""
        node = self.g.value(shape, SH.path) if node is None else node
        if isinstance(node, URIRef):
            return f"<{node}>"
        if node == RDF.nil or (node, RDF.first, None) in self.g:
            return "(" + "/".join(self.path(shape, n) for n in self.items(shape, node)) + ")"
        kinds = {SH.inversePath: "^({})", SH.zeroOrMorePath: "({})*", SH.oneOrMorePath: "({})+",
                 SH.zeroOrOnePath: "({})?"}
        for predicate, template in kinds.items():
            inner = self.g.value(node, predicate)
            if inner is not None:
                return template.format(self.path(shape, inner))
        alternatives = self.g.value(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(shape, n) for n in self.items(shape, alternatives)) + ")"
        raise Unsupported(shape, f"an unknown kind of sh:path ({node})")

    def check_parameters(self, shape) -> None:
        for p in set(self.g.predicates(shape, None)):
            if p in self.custom_parameters:
                raise Unsupported(shape, f"the custom constraint component parameter {p}")
            if str(p).startswith(str(SH)) and p not in _INERT and p not in _PARAMETERS:
                raise Unsupported(shape, f"{p.n3(self.g.namespace_manager)} is not supported")
        if self.is_property(shape) and len(list(self.g.objects(shape, SH.path))) > 1:
            raise Unsupported(shape, "more than one sh:path")
        if (shape, SH.target, None) in self.g:
            raise Unsupported(shape, "SHACL-AF sh:target")

    def distinct(self, y: str, body: str) -> str:
        return f"{{ SELECT DISTINCT {y} WHERE {{ {body} }} }}"

    # --- the set of nodes violating a shape

    def violators(self, shape, candidates: Nodes) -> _Set | None:
        """The nodes among `candidates` that do not conform to `shape` (None: no node can violate it)."""
        if shape in self.stack:
            raise Unsupported(shape, "a recursive shape (SHACL leaves its meaning undefined)")
        if self.deactivated(shape):
            return None
        self.check_parameters(shape)
        if (shape, SH.sparql, None) in self.g:
            raise Unsupported(shape, "sh:sparql in a shape used through sh:node/sh:or/...: only pyshacl runs it")
        self.stack.append(shape)
        try:
            n = self.var("n")
            branches = [r.body for r in self.results(shape, candidates, n)]
            values = self.value_candidates(shape, candidates)
            for child in self.g.objects(shape, SH.property):
                inner = self.violators(child, values)
                if inner is None:
                    continue
                if self.is_property(shape):
                    w = self.var("w")
                    branches.append(f"{candidates(n)} {n} {self.path(shape)} {w} . {inner.select(w)}")
                else:
                    branches.append(inner.select(n))
        finally:
            self.stack.pop()
        if not branches:
            return None
        return _Set(n, " UNION ".join(f"{{ {b} }}" for b in branches))

    def value_candidates(self, shape, candidates: Nodes) -> Nodes:
        """The value nodes of `shape` for the focus nodes `candidates` (those nodes for a node shape)."""
        if not self.is_property(shape):
            return candidates
        path = self.path(shape)

        def values(y: str) -> str:
            f = self.var("f")
            return self.distinct(y, f"{candidates(f)} {f} {path} {y} .")
        return values

    # --- the constraint components

    def results(self, shape, candidates: Nodes, x: str) -> list[_Res]:
        """Each of `shape`'s own constraint components (not sh:property, not sh:sparql) as a pattern
        whose solutions bind the focus `x` (among `candidates`) and the value of every result."""
        g, out = self.g, []
        prop = self.is_property(shape)
        path = self.path(shape) if prop else None
        if prop:
            v = self.var()
            vals = f"{candidates(x)} {x} {path} {v} ."
        else:
            v, vals = x, candidates(x)
        value_nodes = self.value_candidates(shape, candidates)

        def failing(condition: str, name: str) -> None:        # values failing a plain test
            out.append(_Res(f"{vals} FILTER({condition})", v, name))

        def joined(extra: str, name: str) -> None:              # values in a set of violators
            out.append(_Res(f"{vals} {extra}", v, name))

        def minus(pattern: str, name: str) -> None:             # values outside a set of conforming nodes
            out.append(_Res(f"{vals} MINUS {{ {pattern} }}", v, name))

        for cls in g.objects(shape, SH["class"]):
            minus(f"{v} {SUBCLASS} {self.term(shape, cls)} .", "sh:class")
        for dt in g.objects(shape, SH.datatype):
            failing(self.datatype_violated(shape, dt, v), "sh:datatype")
        for kind in g.objects(shape, SH.nodeKind):
            if kind not in _NODE_KINDS:
                raise Unsupported(shape, f"unknown sh:nodeKind {kind}")
            failing("!" + _NODE_KINDS[kind].format(v=v), "sh:nodeKind")
        for predicate, op in _COMPARISONS.items():
            for bound in g.objects(shape, predicate):
                failing(f"!COALESCE({v} {op} {self.term(shape, bound)}, false)",
                        predicate.n3(g.namespace_manager))
        for bound in g.objects(shape, SH.minLength):
            failing(f"isBlank({v}) || STRLEN(STR({v})) < {self.integer(shape, bound)}", "sh:minLength")
        for bound in g.objects(shape, SH.maxLength):
            failing(f"isBlank({v}) || STRLEN(STR({v})) > {self.integer(shape, bound)}", "sh:maxLength")
        flags = self.single(shape, SH.flags)
        for pattern in g.objects(shape, SH.pattern):
            regex = self.regex(shape, str(pattern), str(flags) if flags is not None else "")
            failing(f"isBlank({v}) || !REGEX(STR({v}), {regex})", "sh:pattern")
        for languages in g.objects(shape, SH.languageIn):
            tags = [f"langMatches(LANG({v}), {sparql_string(str(t))})" for t in self.items(shape, languages)]
            failing(f"!isLiteral({v}) || !({' || '.join(tags) or 'false'})", "sh:languageIn")
        for entries in g.objects(shape, SH["in"]):
            allowed = [f"sameTerm({v}, {self.term(shape, n)})" for n in self.items(shape, entries)]
            failing(f"!({' || '.join(allowed) or 'false'})", "sh:in")
        for other in g.objects(shape, SH.node):
            if (inner := self.violators(other, value_nodes)) is not None:
                joined(inner.select(v), "sh:node")
        for other in g.objects(shape, SH["not"]):
            inner = self.violators(other, value_nodes)
            if inner is None:
                joined("", "sh:not")
            else:
                minus(inner.select(v), "sh:not")
        for members in g.objects(shape, SH["and"]):
            for member in self.items(shape, members):
                if (inner := self.violators(member, value_nodes)) is not None:
                    joined(inner.select(v), "sh:and")
        for members in g.objects(shape, SH["or"]):
            sets = [self.violators(m, value_nodes) for m in self.items(shape, members)]
            if all(s is not None for s in sets):
                joined(" ".join(s.select(v) for s in sets), "sh:or")
        for members in g.objects(shape, SH.xone):
            out += self.xone(shape, [self.violators(m, value_nodes) for m in self.items(shape, members)], vals, v)
        for value in g.objects(shape, SH.hasValue):
            h = self.term(shape, value)
            if prop:
                out.append(_Res(f"{candidates(x)} MINUS {{ {x} {path} {h} }}", None, "sh:hasValue"))
            else:
                out.append(_Res(f"{candidates(x)} FILTER(!sameTerm({x}, {h}))", None, "sh:hasValue"))
        for other in g.objects(shape, SH.equals):
            q, w = self.term(shape, other), self.var("w")
            if prop:
                out.append(_Res(f"{vals} MINUS {{ {x} {q} {v} }}", v, "sh:equals"))
                out.append(_Res(f"{candidates(x)} {x} {q} {w} . MINUS {{ {x} {path} {w} }}", w, "sh:equals"))
            else:
                out.append(_Res(f"{candidates(x)} MINUS {{ {x} {q} {x} }}", x, "sh:equals"))
                out.append(_Res(f"{candidates(x)} {x} {q} {w} . FILTER(!sameTerm({w}, {x}))", w, "sh:equals"))
        for other in g.objects(shape, SH.disjoint):
            joined(f"{x} {self.term(shape, other)} {v} .", "sh:disjoint")
        for predicate, op in _PAIRS.items():
            for other in g.objects(shape, predicate):
                if not prop:
                    raise Unsupported(shape, f"{predicate.n3(g.namespace_manager)} on a node shape")
                w = self.var("w")
                joined(f"{x} {self.term(shape, other)} {w} . FILTER(!COALESCE({v} {op} {w}, false))",
                       predicate.n3(g.namespace_manager))
        out += self.counts(shape, candidates, x)
        out += self.qualified(shape, candidates, value_nodes, x)
        if _bool(self.single(shape, SH.closed)):
            out.append(self.closed(shape, vals, v))
        if _bool(self.single(shape, SH.uniqueLang)):
            if not prop:
                raise Unsupported(shape, "sh:uniqueLang on a node shape")
            lang = self.var("lang")
            out.append(_Res(f"{{ SELECT {x} WHERE {{ {vals} FILTER(isLiteral({v}) && LANG({v}) != \"\") }} "
                            f"GROUP BY {x} (LCASE(LANG({v})) AS {lang}) HAVING (COUNT(DISTINCT {v}) > 1) }}",
                            None, "sh:uniqueLang"))
        return out

    def datatype_violated(self, shape, dt, v: str) -> str:
        if not isinstance(dt, URIRef):
            raise Unsupported(shape, f"sh:datatype {dt!r}")
        if dt == RDFS.Literal:
            return f"!isLiteral({v})"
        if dt == RDF.langString:
            return f'!(isLiteral({v}) && LANG({v}) != "")'
        bad = "".join(f" || sameTerm({v}, {b})" for b in self.ill_typed_literals(shape, dt))
        return f"!(isLiteral({v}) && DATATYPE({v}) = <{dt}>){bad}"

    def ill_typed_literals(self, shape, dt: URIRef) -> list[str]:
        """The literals typed `dt` in the data that rdflib (so pyshacl) finds ill-typed, as SPARQL terms."""
        if dt not in XSDToPython or dt == XSD.string or self.store is None:
            return []
        scope = f"?s {self.path(shape)} ?v" if self.is_property(shape) else "?s ?p ?v"
        key = f"{dt} {scope}"
        if key not in self.bad_literals:
            self.deadline.check()
            rows = self.store.query(f"SELECT DISTINCT ?v WHERE {{ {scope} FILTER(isLiteral(?v) && "
                                    f"DATATYPE(?v) = <{dt}>) }}", use_default_graph_as_union=True)
            with _quiet_rdflib():
                bad = [row["v"] for row in rows if ill_typed(row["v"].value, str(dt))]
            self.bad_literals[key] = [str(b) for b in bad]   # N-Triples syntax is SPARQL syntax
        return self.bad_literals[key]

    def regex(self, shape, pattern: str, flags: str) -> str:
        args = sparql_string(pattern) + (f", {sparql_string(flags)}" if flags else "")
        if self.store is not None and args not in self.regexes:
            # Oxigraph answers an error (no match, no result) for a regex it cannot run: refuse it here
            probe = self.store.query(f"SELECT (REGEX('', {args}) AS ?ok) WHERE {{}}")
            self.regexes[args] = next(iter(probe))["ok"] is not None
        if not self.regexes.get(args, True):
            raise Unsupported(shape, f"Oxigraph cannot run the sh:pattern {pattern!r} (flags {flags!r})")
        return args

    def xone(self, shape, sets: list, vals: str, v: str) -> list[_Res]:
        """Values conforming to a number of members other than one: with k members of which c can
        never be violated, a value conforms to k - (its violated members); that must be exactly 1."""
        k = len(sets)
        violable = [s for s in sets if s is not None]
        out = []
        if violable:
            i = self.var("i")
            union = " UNION ".join(f"{{ {s.select(v, f' ({j} AS {i})')} }}" for j, s in enumerate(violable))
            out.append(_Res(f"{vals} {{ SELECT {v} WHERE {{ {union} }} "
                            f"GROUP BY {v} HAVING (COUNT(DISTINCT {i}) != {k - 1}) }}", v, "sh:xone"))
        if k != 1:   # values violating no member conform to all k
            extra = " ".join(f"MINUS {{ {s.select(v)} }}" for s in violable)
            out.append(_Res(f"{vals} {extra}", v, "sh:xone"))
        return out

    def counts(self, shape, candidates: Nodes, x: str) -> list[_Res]:
        out = []
        for predicate, name in ((SH.minCount, "sh:minCount"), (SH.maxCount, "sh:maxCount")):
            for bound in self.g.objects(shape, predicate):
                n = self.integer(shape, bound)
                if not self.is_property(shape):
                    raise Unsupported(shape, f"{name} on a node shape")
                path, v = self.path(shape), self.var()
                if predicate == SH.maxCount:
                    out.append(_Res(f"{{ SELECT {x} WHERE {{ {candidates(x)} {x} {path} {v} . }} GROUP BY {x} "
                                    f"HAVING (COUNT(DISTINCT {v}) > {n}) }}", None, name))
                elif n == 1:
                    out.append(_Res(f"{candidates(x)} MINUS {{ {x} {path} {v} . }}", None, name))
                elif n > 1:
                    y = self.var("f")
                    out.append(_Res(f"{candidates(x)} MINUS {{ {{ SELECT ({y} AS {x}) WHERE {{ {candidates(y)} "
                                    f"{y} {path} {v} . }} GROUP BY {y} HAVING (COUNT(DISTINCT {v}) >= {n}) }} }}",
                                    None, name))
        return out

    def qualified(self, shape, candidates: Nodes, value_nodes: Nodes, x: str) -> list[_Res]:
        q = self.single(shape, SH.qualifiedValueShape)
        if q is None:
            return []
        low, high = self.single(shape, SH.qualifiedMinCount), self.single(shape, SH.qualifiedMaxCount)
        if _bool(self.single(shape, SH.qualifiedValueShapesDisjoint)):
            raise Unsupported(shape, "sh:qualifiedValueShapesDisjoint true")
        if not self.is_property(shape):
            raise Unsupported(shape, "sh:qualifiedValueShape on a node shape")
        inner = self.violators(q, value_nodes)
        path, out = self.path(shape), []

        def conforming_count(y: str, having: str) -> str:
            v = self.var()
            minus = f" MINUS {{ {inner.select(v)} }}" if inner is not None else ""
            return (f"{{ SELECT ({y} AS {x}) WHERE {{ {candidates(y)} {y} {path} {v} .{minus} }} "
                    f"GROUP BY {y} HAVING (COUNT(DISTINCT {v}) {having}) }}")
        if low is not None and (n := self.integer(shape, low)) > 0:
            out.append(_Res(f"{candidates(x)} MINUS {{ {conforming_count(self.var('f'), f'>= {n}')} }}", None,
                            "sh:qualifiedMinCount"))
        if high is not None:
            m = self.integer(shape, high)
            out.append(_Res(conforming_count(self.var("f"), f"> {m}"), None, "sh:qualifiedMaxCount"))
        return out

    def closed(self, shape, vals: str, v: str) -> _Res:
        allowed = {p for child in self.g.objects(shape, SH.property)
                   if isinstance(p := self.g.value(child, SH.path), URIRef)}
        ignored = self.single(shape, SH.ignoredProperties)
        if ignored is not None:
            allowed |= set(self.items(shape, ignored))
        p, o = self.var("p"), self.var("o")
        names = ", ".join(self.term(shape, a) for a in sorted(allowed))
        keep = f"{p} NOT IN ({names})" if names else "true"
        rdf_resource = f"({p} = <{RDF.type}> && {o} = <{RDFS.Resource}>)"   # pyshacl ignores it always
        return _Res(f"{vals} {v} {p} {o} . FILTER({keep} && !{rdf_resource})", o, "sh:closed", p)

    # --- targets and focus nodes

    def implicit_class(self, shape) -> bool:
        classes = {RDFS.Class, OWL.Class, *self.g.subjects(RDFS.subClassOf, RDFS.Class)}
        return any(t in classes for t in self.g.objects(shape, RDF.type))

    def is_shape(self, node) -> bool:
        types = set(self.g.objects(node, RDF.type))
        return bool(types & {SH.NodeShape, SH.PropertyShape}) or any(
            (node, p, None) in self.g for p in (*TARGETS, SH.path, SH.property))

    def roots(self) -> list:
        """Shapes that select their own focus nodes (targets), not deactivated."""
        found = {s for p in TARGETS for s in self.g.subjects(p, None)}
        found |= {s for s in self.g.subjects(RDF.type, None) if self.implicit_class(s) and self.is_shape(s)}
        found |= set(self.g.subjects(SH.target, None))
        return sorted((s for s in found if not self.deactivated(s)), key=str)

    def targets(self, shape) -> list[Nodes]:
        if (shape, SH.target, None) in self.g:
            raise Unsupported(shape, "SHACL-AF sh:target")
        parts: list[Nodes] = []
        for c in self.g.objects(shape, SH.targetClass):
            parts.append(lambda x, c=self.term(shape, c): f"{x} {SUBCLASS} {c} .")
        if self.implicit_class(shape):
            parts.append(lambda x, c=self.term(shape, shape): f"{x} {SUBCLASS} {c} .")
        for n in self.g.objects(shape, SH.targetNode):
            parts.append(lambda x, n=self.term(shape, n): f"VALUES {x} {{ {n} }}")
        for p in self.g.objects(shape, SH.targetSubjectsOf):
            parts.append(lambda x, p=self.term(shape, p): f"{x} {p} {self.var('o')} .")
        for p in self.g.objects(shape, SH.targetObjectsOf):
            parts.append(lambda x, p=self.term(shape, p): f"{self.var('s')} {p} {x} .")
        return parts

    def units(self, root) -> dict:
        """The shapes whose results validating `root` reports, each with its focus-node patterns."""
        found: dict = {}

        def walk(shape, focus: list[Nodes], chain: tuple) -> None:
            if shape in chain:
                raise Unsupported(shape, "a cycle of sh:property")
            if self.deactivated(shape):
                return
            found.setdefault(shape, []).extend(focus)
            if self.is_property(shape):   # the children's focus nodes are this shape's value nodes
                path, parent = self.path(shape), self.focus(focus)

                def values(y: str, path=path, parent=parent) -> str:
                    f = self.var("f")
                    return f"{parent(f)} {f} {path} {y} ."
                focus = [values]
            for child in self.g.objects(shape, SH.property):
                walk(child, focus, (*chain, shape))
        walk(root, self.targets(root), ())
        return found

    def focus(self, parts: list[Nodes]) -> Nodes:
        """One DISTINCT subquery over the union of focus-node patterns."""
        def nodes(y: str) -> str:
            body = " UNION ".join(f"{{ {p(y)} }}" for p in parts) if parts else "FILTER(false)"
            return self.distinct(y, body)
        return nodes

    # --- whole units

    def unit_queries(self, shape, focus: Nodes) -> tuple[list[CoreQuery], list[SparqlQuery]]:
        self.check_parameters(shape)
        message = _message(self.g, shape)
        severity = _short_name(self.g.value(shape, SH.severity) or SH.Violation)
        path_node = self.g.value(shape, SH.path)
        core = []
        self.stack.append(shape)
        try:
            for r in self.results(shape, focus, "?this"):
                cols = "?this" + (f" ({r.value} AS ?value)" if r.value and r.value != "?this" else
                                  " (?this AS ?value)" if r.value else "") + (f" ({r.path} AS ?path)" if r.path else "")
                text = f"SELECT DISTINCT {cols} WHERE {{ {r.body} }}"
                core.append(CoreQuery(shape, r.name, text, message, severity, path_node))
        finally:
            self.stack.pop()
        sparql = []
        for node in self.g.objects(shape, SH.sparql):
            try:
                constraint = shacl_sparql.constraint(self.g, shape, node)
            except ValueError as exc:
                raise Unsupported(shape, str(exc)) from exc
            if constraint is not None:
                sparql.append(SparqlQuery(constraint, focus("?this")))
        return core, sparql


def _message(shapes: Graph, shape) -> str | None:
    messages = sorted(shapes.objects(shape, SH.message), key=lambda m: (getattr(m, "language", None) != "en", str(m)))
    return str(messages[0]) if messages else None


def compile_shapes(shapes: Graph, store: ox.Store | None = None, fallback: bool = True,
                   deadline: Deadline | None = None) -> Plan:
    """Compile every target-bearing shape; those the compiler cannot run go to `Plan.fallback`.

    `store` (the data) lets the compiler look up the ill-typed literals of sh:datatype constraints
    and check that Oxigraph can run each sh:pattern; without it neither is checked."""
    compiler = Compiler(shapes, store, deadline)
    plan = Plan()
    units: dict = {}
    for root in compiler.roots():
        try:
            found = compiler.units(root)
            for shape, focus in found.items():     # compile once to find what is unsupported
                compiler.unit_queries(shape, compiler.focus(focus))
        except Unsupported as exc:
            plan.fallback[root] = str(exc)
            continue
        for shape, focus in found.items():
            units.setdefault(shape, []).extend(focus)
    if plan.fallback and not fallback:
        raise UnsupportedShapes(plan.fallback)
    for shape in sorted(units, key=str):
        core, sparql = compiler.unit_queries(shape, compiler.focus(units[shape]))
        plan.core += core
        plan.sparql += sparql
    if plan.fallback:
        fast = [r for r in compiler.roots() if r not in plan.fallback]
        plan.fallback_shapes = _untargeted(shapes, fast, compiler)
    return plan


def _untargeted(shapes: Graph, fast_roots: list, compiler: Compiler) -> Graph:
    """The shapes graph without the targets of the roots the fast engine runs (pyshacl runs the rest)."""
    out = Graph()
    for prefix, ns in shapes.namespaces():
        out.bind(prefix, ns)
    drop = set(fast_roots)
    for s, p, o in shapes:
        if s in drop and (p in TARGETS or (p == RDF.type and compiler.implicit_class(s))):
            continue
        out.add((s, p, o))
    return out


# ----------------------------------------------------------------------------------------- running

def run(store: ox.Store, plan: Plan, deadline: Deadline) -> list[dict]:
    """Every result of the plan's queries: dicts of focus, path, value (pyoxigraph terms), message, ..."""
    results = []
    for q in plan.core:
        deadline.check()
        try:
            solutions = store.query(q.text, use_default_graph_as_union=True)
        except (SyntaxError, OSError, ValueError) as exc:   # a bug here must not pass as "no result"
            raise RuntimeError(f"shape {q.shape}: compiled query failed: {exc}\n{q.text}") from exc
        names = {v.value for v in solutions.variables}
        for i, row in enumerate(solutions):
            if i % 1000 == 999:
                deadline.check()
            results.append({"focus": row["this"], "value": row["value"] if "value" in names else None,
                            "path": row["path"] if "path" in names else None, "query": q})
    for s in plan.sparql:
        results += shacl_sparql.evaluate(store, s.constraint, s.focus, deadline.check)
    return results
