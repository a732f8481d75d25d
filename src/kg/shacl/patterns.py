"""The vocabulary of the SHACL compiler (`kg.shacl.compiler`): which SHACL terms constrain and how they
read as SPARQL, the pieces a component compiles into (`Pattern`, `Violators`, `Scope`), and how pyshacl
judges an ill-typed literal (so both engines agree)."""

from __future__ import annotations

import datetime
import decimal
import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from kg.namespaces import SH

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
SUBCLASS = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}
COMPARISONS = {SH.minExclusive: ">", SH.minInclusive: ">=", SH.maxExclusive: "<", SH.maxInclusive: "<="}
PAIRS = {SH.lessThan: "<", SH.lessThanOrEquals: "<="}
# Predicates that never constrain anything (or are read together with a parameter listed below).
INERT = {
    SH.path,
    *TARGETS,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.defaultValue,
    SH.flags,
    SH.ignoredProperties,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint,
    SH.property,
    SH.sparql,
}
PARAMETERS = {
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.minCount,
    SH.maxCount,
    *COMPARISONS,
    SH.minLength,
    SH.maxLength,
    SH.pattern,
    SH.languageIn,
    SH.uniqueLang,
    SH.equals,
    SH.disjoint,
    *PAIRS,
    SH["in"],
    SH.hasValue,
    SH.node,
    SH["not"],
    SH["and"],
    SH["or"],
    SH.xone,
    SH.qualifiedValueShape,
    SH.closed,
}
# What pyshacl's sh:datatype check requires of rdflib's value of a literal (_assert_actual_datatype).
PYTHON_TYPES = {
    XSD.integer: int,
    XSD.float: float,
    XSD.boolean: bool,
    XSD.decimal: decimal.Decimal,
    XSD.date: datetime.date,
    XSD.time: datetime.time,
    XSD.dateTime: datetime.datetime,
}
Nodes = Callable[[str], str]  # a variable name -> a group body binding that variable to a set of nodes


def sparql_string(text: str) -> str:
    return '"' + (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")) + '"'


def short_name(term) -> str:
    return str(term).rsplit("#", 1)[-1]


def truthy(node) -> bool:
    return isinstance(node, Literal) and node.toPython() is True


@contextmanager
def quiet_rdflib():
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
    expected = PYTHON_TYPES.get(dt)
    return expected is not None and not isinstance(lit.value, expected)


@dataclass
class Pattern:
    """Solutions of `body` (binding the focus variable) are results of one constraint component."""

    body: str
    value: str | None  # variable holding sh:value
    name: str  # the constraint component, e.g. "sh:class"
    path: str | None = None  # variable holding sh:resultPath (sh:closed); else the shape's path


@dataclass
class Violators:
    """A DISTINCT subquery: the nodes (variable `var` inside `body`) that violate a shape."""

    var: str
    body: str

    def select(self, y: str, extra: str = "") -> str:
        return f"{{ SELECT DISTINCT ({self.var} AS {y}){extra} WHERE {{ {self.body} }} }}"


@dataclass
class Scope:
    """What the components of one shape are compiled against: the focus variable `x` among
    `candidates`, the value variable `v` bound by `vals`, and the results found so far."""

    shape: Node
    candidates: Nodes
    value_nodes: Nodes
    x: str
    v: str
    vals: str
    prop: bool
    path: str | None
    out: list[Pattern] = field(default_factory=list)

    def failing(self, condition: str, name: str) -> None:  # values failing a plain test
        self.out.append(Pattern(f"{self.vals} FILTER({condition})", self.v, name))

    def joined(self, extra: str, name: str) -> None:  # values in a set of violators
        self.out.append(Pattern(f"{self.vals} {extra}", self.v, name))

    def minus(self, pattern: str, name: str) -> None:  # values outside a set of conforming nodes
        self.out.append(Pattern(f"{self.vals} MINUS {{ {pattern} }}", self.v, name))
