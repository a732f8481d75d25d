"""What the set-oriented SHACL engine (`kg.shacl.core`) compiles shapes into: one query per constraint
component of a shape (`CoreQuery`), the SPARQL-based constraints with their focus nodes (`SparqlQuery`),
and the shapes it hands to pyshacl (`Plan.fallback`); with the deadline they run under."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import cast

from rdflib import BNode, Graph, URIRef

from kg.errors import ValidationTimeout
from kg.shacl import sparql_constraints


class Unsupported(Exception):
    """A shape uses a feature the compiler does not handle."""

    def __init__(self, shape, reason: str) -> None:
        self.shape, self.reason = shape, reason
        super().__init__(f"shape {shape}: {reason}")


class Deadline:
    """A point in time; `check()` raises ValidationTimeout once it has passed (None: no deadline)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        return None if self.end is None else max(0.0, self.end - time.monotonic())

    def check(self) -> None:
        if self.end is not None and time.monotonic() > self.end:
            raise self.timeout()

    def timeout(self) -> ValidationTimeout:
        """The error of the passed deadline (one that can pass has its seconds: `end` is set with them)."""
        return ValidationTimeout(cast(float, self.seconds))


@dataclass
class CoreQuery:
    """One constraint component of one shape as a query whose rows are its validation results."""

    shape: URIRef | BNode
    component: str  # e.g. "sh:class"
    text: str  # SELECT ?this [?value] [?path] ...
    message: str | None
    severity: str  # "Violation", "Warning", "Info"
    path_node: object = None  # the shape's sh:path node in the shapes graph (results report it)


@dataclass
class SparqlQuery:
    """A SPARQL-based constraint (sh:sparql) with the focus nodes of its shape."""

    constraint: sparql_constraints.SparqlConstraint
    focus: str  # { SELECT DISTINCT ?this WHERE {...} }: the focus nodes


@dataclass
class Plan:
    core: list[CoreQuery] = field(default_factory=list)
    sparql: list[SparqlQuery] = field(default_factory=list)
    fallback: dict = field(default_factory=dict)  # root shape -> why pyshacl must run it
    fallback_shapes: Graph | None = None  # the shapes graph pyshacl runs (fast roots untargeted)
