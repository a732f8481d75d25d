"""The SHACL Core compiler: each constraint component of a shape as a SPARQL pattern whose solutions are
its validation results, over all focus nodes at once (the method is described in `kg.shacl.core`)."""

from __future__ import annotations

from functools import partial

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import XSDToPython

from kg.namespaces import SH
from kg.shacl import sparql_constraints
from kg.shacl.patterns import (
    COMPARISONS,
    INERT,
    NODE_KINDS,
    PAIRS,
    PARAMETERS,
    SUBCLASS,
    TARGETS,
    Nodes,
    Pattern,
    Scope,
    Violators,
    ill_typed,
    quiet_rdflib,
    short_name,
    sparql_string,
    truthy,
)
from kg.shacl.plan import CoreQuery, Deadline, SparqlQuery, Unsupported
from kg.sparql.execute import solutions


class Compiler:
    def __init__(self, shapes: Graph, store: ox.Store | None = None, deadline: Deadline | None = None) -> None:
        self.g = shapes
        self.store = store
        self.deadline = deadline or Deadline(None)
        self.counter = 0
        self.stack: list = []
        self.bad_literals: dict[str, list] = {}  # datatype and scope -> ill-typed literals in the data
        self.regexes: dict = {}
        self.custom_parameters = {
            self.g.value(p, SH.path)
            for c in self.g.subjects(RDF.type, SH.ConstraintComponent)
            for p in self.g.objects(c, SH.parameter)
        }

    # --- small things

    def var(self, hint: str = "v") -> str:
        self.counter += 1
        return f"?{hint}{self.counter}"

    def is_property(self, shape) -> bool:
        return (shape, SH.path, None) in self.g

    def deactivated(self, shape) -> bool:
        return truthy(self.g.value(shape, SH.deactivated))

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
        kinds = {
            SH.inversePath: "^({})",
            SH.zeroOrMorePath: "({})*",
            SH.oneOrMorePath: "({})+",
            SH.zeroOrOnePath: "({})?",
        }
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
            if str(p).startswith(str(SH)) and p not in INERT and p not in PARAMETERS:
                raise Unsupported(shape, f"{p.n3(self.g.namespace_manager)} is not supported")
        if self.is_property(shape) and len(list(self.g.objects(shape, SH.path))) > 1:
            raise Unsupported(shape, "more than one sh:path")
        if (shape, SH.target, None) in self.g:
            raise Unsupported(shape, "SHACL-AF sh:target")

    def distinct(self, y: str, body: str) -> str:
        return f"{{ SELECT DISTINCT {y} WHERE {{ {body} }} }}"

    # --- the set of nodes violating a shape

    def violators(self, shape, candidates: Nodes) -> Violators | None:
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
        return Violators(n, " UNION ".join(f"{{ {b} }}" for b in branches))

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

    def results(self, shape, candidates: Nodes, x: str) -> list[Pattern]:
        """Each of `shape`'s own constraint components (not sh:property, not sh:sparql) as a pattern
        whose solutions bind the focus `x` (among `candidates`) and the value of every result."""
        prop = self.is_property(shape)
        path = self.path(shape) if prop else None
        if prop:
            v = self.var()
            vals = f"{candidates(x)} {x} {path} {v} ."
        else:
            v, vals = x, candidates(x)
        scope = Scope(shape, candidates, self.value_candidates(shape, candidates), x, v, vals, prop, path)
        self.value_tests(scope)
        self.logical(scope)
        self.comparisons(scope)
        out = scope.out
        out += self.counts(shape, candidates, x)
        out += self.qualified(shape, candidates, scope.value_nodes, x)
        if truthy(self.single(shape, SH.closed)):
            out.append(self.closed(shape, vals, v))
        if truthy(self.single(shape, SH.uniqueLang)):
            if not prop:
                raise Unsupported(shape, "sh:uniqueLang on a node shape")
            lang = self.var("lang")
            out.append(
                Pattern(
                    f'{{ SELECT {x} WHERE {{ {vals} FILTER(isLiteral({v}) && LANG({v}) != "") }} '
                    f"GROUP BY {x} (LCASE(LANG({v})) AS {lang}) HAVING (COUNT(DISTINCT {v}) > 1) }}",
                    None,
                    "sh:uniqueLang",
                )
            )
        return out

    def value_tests(self, c: Scope) -> None:
        """The components that test each value node alone: class, datatype, node kind, ranges,
        lengths, pattern, languages, sh:in."""
        g, shape, v = self.g, c.shape, c.v
        for cls in g.objects(shape, SH["class"]):
            c.minus(f"{v} {SUBCLASS} {self.term(shape, cls)} .", "sh:class")
        for dt in g.objects(shape, SH.datatype):
            c.failing(self.datatype_violated(shape, dt, v), "sh:datatype")
        for kind in g.objects(shape, SH.nodeKind):
            if not isinstance(kind, URIRef) or kind not in NODE_KINDS:
                raise Unsupported(shape, f"unknown sh:nodeKind {kind}")
            c.failing("!" + NODE_KINDS[kind].format(v=v), "sh:nodeKind")
        for predicate, op in COMPARISONS.items():
            for bound in g.objects(shape, predicate):
                c.failing(f"!COALESCE({v} {op} {self.term(shape, bound)}, false)", predicate.n3(g.namespace_manager))
        for bound in g.objects(shape, SH.minLength):
            c.failing(f"isBlank({v}) || STRLEN(STR({v})) < {self.integer(shape, bound)}", "sh:minLength")
        for bound in g.objects(shape, SH.maxLength):
            c.failing(f"isBlank({v}) || STRLEN(STR({v})) > {self.integer(shape, bound)}", "sh:maxLength")
        flags = self.single(shape, SH.flags)
        for pattern in g.objects(shape, SH.pattern):
            regex = self.regex(shape, str(pattern), str(flags) if flags is not None else "")
            c.failing(f"isBlank({v}) || !REGEX(STR({v}), {regex})", "sh:pattern")
        for languages in g.objects(shape, SH.languageIn):
            tags = [f"langMatches(LANG({v}), {sparql_string(str(t))})" for t in self.items(shape, languages)]
            c.failing(f"!isLiteral({v}) || !({' || '.join(tags) or 'false'})", "sh:languageIn")
        for entries in g.objects(shape, SH["in"]):
            allowed = [f"sameTerm({v}, {self.term(shape, n)})" for n in self.items(shape, entries)]
            c.failing(f"!({' || '.join(allowed) or 'false'})", "sh:in")

    def logical(self, c: Scope) -> None:
        """sh:node, sh:not, sh:and, sh:or, sh:xone: values in (or outside) the sets of violators."""
        g, shape, v = self.g, c.shape, c.v
        for other in g.objects(shape, SH.node):
            if (inner := self.violators(other, c.value_nodes)) is not None:
                c.joined(inner.select(v), "sh:node")
        for other in g.objects(shape, SH["not"]):
            inner = self.violators(other, c.value_nodes)
            if inner is None:
                c.joined("", "sh:not")
            else:
                c.minus(inner.select(v), "sh:not")
        for members in g.objects(shape, SH["and"]):
            for member in self.items(shape, members):
                if (inner := self.violators(member, c.value_nodes)) is not None:
                    c.joined(inner.select(v), "sh:and")
        for members in g.objects(shape, SH["or"]):
            sets = [self.violators(m, c.value_nodes) for m in self.items(shape, members)]
            if all(s is not None for s in sets):
                c.joined(" ".join(s.select(v) for s in sets if s is not None), "sh:or")
        for members in g.objects(shape, SH.xone):
            c.out += self.xone(shape, [self.violators(m, c.value_nodes) for m in self.items(shape, members)], c.vals, v)

    def comparisons(self, c: Scope) -> None:
        """sh:hasValue and the property pair components: equals, disjoint, lessThan(OrEquals)."""
        g, shape, x, v, out = self.g, c.shape, c.x, c.v, c.out
        for value in g.objects(shape, SH.hasValue):
            h = self.term(shape, value)
            if c.prop:
                out.append(Pattern(f"{c.candidates(x)} MINUS {{ {x} {c.path} {h} }}", None, "sh:hasValue"))
            else:
                out.append(Pattern(f"{c.candidates(x)} FILTER(!sameTerm({x}, {h}))", None, "sh:hasValue"))
        for other in g.objects(shape, SH.equals):
            q, w = self.term(shape, other), self.var("w")
            if c.prop:
                out.append(Pattern(f"{c.vals} MINUS {{ {x} {q} {v} }}", v, "sh:equals"))
                out.append(Pattern(f"{c.candidates(x)} {x} {q} {w} . MINUS {{ {x} {c.path} {w} }}", w, "sh:equals"))
            else:
                out.append(Pattern(f"{c.candidates(x)} MINUS {{ {x} {q} {x} }}", x, "sh:equals"))
                out.append(Pattern(f"{c.candidates(x)} {x} {q} {w} . FILTER(!sameTerm({w}, {x}))", w, "sh:equals"))
        for other in g.objects(shape, SH.disjoint):
            c.joined(f"{x} {self.term(shape, other)} {v} .", "sh:disjoint")
        for predicate, op in PAIRS.items():
            for other in g.objects(shape, predicate):
                if not c.prop:
                    raise Unsupported(shape, f"{predicate.n3(g.namespace_manager)} on a node shape")
                w = self.var("w")
                c.joined(
                    f"{x} {self.term(shape, other)} {w} . FILTER(!COALESCE({v} {op} {w}, false))",
                    predicate.n3(g.namespace_manager),
                )

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
            query = f"SELECT DISTINCT ?v WHERE {{ {scope} FILTER(isLiteral(?v) && DATATYPE(?v) = <{dt}>) }}"
            rows = solutions(self.store.query(query, use_default_graph_as_union=True))
            with quiet_rdflib():
                bad = [row["v"] for row in rows if ill_typed(row["v"].value, str(dt))]
            self.bad_literals[key] = [str(b) for b in bad]  # N-Triples syntax is SPARQL syntax
        return self.bad_literals[key]

    def regex(self, shape, pattern: str, flags: str) -> str:
        args = sparql_string(pattern) + (f", {sparql_string(flags)}" if flags else "")
        if self.store is not None and args not in self.regexes:
            # Oxigraph answers an error (no match, no result) for a regex it cannot run: refuse it here
            probe = solutions(self.store.query(f"SELECT (REGEX('', {args}) AS ?ok) WHERE {{}}"))
            self.regexes[args] = next(iter(probe))["ok"] is not None
        if not self.regexes.get(args, True):
            raise Unsupported(shape, f"Oxigraph cannot run the sh:pattern {pattern!r} (flags {flags!r})")
        return args

    def xone(self, shape, sets: list, vals: str, v: str) -> list[Pattern]:
        """Values conforming to a number of members other than one: with k members of which c can
        never be violated, a value conforms to k - (its violated members); that must be exactly 1."""
        k = len(sets)
        violable = [s for s in sets if s is not None]
        out = []
        if violable:
            i = self.var("i")
            union = " UNION ".join(f"{{ {s.select(v, f' ({j} AS {i})')} }}" for j, s in enumerate(violable))
            out.append(
                Pattern(
                    f"{vals} {{ SELECT {v} WHERE {{ {union} }} GROUP BY {v} HAVING (COUNT(DISTINCT {i}) != {k - 1}) }}",
                    v,
                    "sh:xone",
                )
            )
        if k != 1:  # values violating no member conform to all k
            extra = " ".join(f"MINUS {{ {s.select(v)} }}" for s in violable)
            out.append(Pattern(f"{vals} {extra}", v, "sh:xone"))
        return out

    def counts(self, shape, candidates: Nodes, x: str) -> list[Pattern]:
        out = []
        for predicate, name in ((SH.minCount, "sh:minCount"), (SH.maxCount, "sh:maxCount")):
            for bound in self.g.objects(shape, predicate):
                n = self.integer(shape, bound)
                if not self.is_property(shape):
                    raise Unsupported(shape, f"{name} on a node shape")
                path, v = self.path(shape), self.var()
                if predicate == SH.maxCount:
                    out.append(
                        Pattern(
                            f"{{ SELECT {x} WHERE {{ {candidates(x)} {x} {path} {v} . }} GROUP BY {x} "
                            f"HAVING (COUNT(DISTINCT {v}) > {n}) }}",
                            None,
                            name,
                        )
                    )
                elif n == 1:
                    out.append(Pattern(f"{candidates(x)} MINUS {{ {x} {path} {v} . }}", None, name))
                elif n > 1:
                    y = self.var("f")
                    out.append(
                        Pattern(
                            f"{candidates(x)} MINUS {{ {{ SELECT ({y} AS {x}) WHERE {{ {candidates(y)} "
                            f"{y} {path} {v} . }} GROUP BY {y} HAVING (COUNT(DISTINCT {v}) >= {n}) }} }}",
                            None,
                            name,
                        )
                    )
        return out

    def qualified(self, shape, candidates: Nodes, value_nodes: Nodes, x: str) -> list[Pattern]:
        q = self.single(shape, SH.qualifiedValueShape)
        if q is None:
            return []
        low, high = self.single(shape, SH.qualifiedMinCount), self.single(shape, SH.qualifiedMaxCount)
        if truthy(self.single(shape, SH.qualifiedValueShapesDisjoint)):
            raise Unsupported(shape, "sh:qualifiedValueShapesDisjoint true")
        if not self.is_property(shape):
            raise Unsupported(shape, "sh:qualifiedValueShape on a node shape")
        inner = self.violators(q, value_nodes)
        path, out = self.path(shape), []

        def conforming_count(y: str, having: str) -> str:
            v = self.var()
            minus = f" MINUS {{ {inner.select(v)} }}" if inner is not None else ""
            return (
                f"{{ SELECT ({y} AS {x}) WHERE {{ {candidates(y)} {y} {path} {v} .{minus} }} "
                f"GROUP BY {y} HAVING (COUNT(DISTINCT {v}) {having}) }}"
            )

        if low is not None and (n := self.integer(shape, low)) > 0:
            out.append(
                Pattern(
                    f"{candidates(x)} MINUS {{ {conforming_count(self.var('f'), f'>= {n}')} }}",
                    None,
                    "sh:qualifiedMinCount",
                )
            )
        if high is not None:
            m = self.integer(shape, high)
            out.append(Pattern(conforming_count(self.var("f"), f"> {m}"), None, "sh:qualifiedMaxCount"))
        return out

    def closed(self, shape, vals: str, v: str) -> Pattern:
        allowed = {
            q for child in self.g.objects(shape, SH.property) if isinstance(q := self.g.value(child, SH.path), URIRef)
        }
        ignored = self.single(shape, SH.ignoredProperties)
        if ignored is not None:
            allowed |= set(self.items(shape, ignored))
        p, o = self.var("p"), self.var("o")
        names = ", ".join(self.term(shape, a) for a in sorted(allowed))
        keep = f"{p} NOT IN ({names})" if names else "true"
        rdf_resource = f"({p} = <{RDF.type}> && {o} = <{RDFS.Resource}>)"  # pyshacl ignores it always
        return Pattern(f"{vals} {v} {p} {o} . FILTER({keep} && !{rdf_resource})", o, "sh:closed", p)

    # --- targets and focus nodes

    def implicit_class(self, shape) -> bool:
        classes = {RDFS.Class, OWL.Class, *self.g.subjects(RDFS.subClassOf, RDFS.Class)}
        return any(t in classes for t in self.g.objects(shape, RDF.type))

    def is_shape(self, node) -> bool:
        types = set(self.g.objects(node, RDF.type))
        return bool(types & {SH.NodeShape, SH.PropertyShape}) or any(
            (node, p, None) in self.g for p in (*TARGETS, SH.path, SH.property)
        )

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
        for c in self.g.objects(shape, SH.targetClass):  # partial: each pattern keeps its own term
            parts.append(partial(lambda c, x: f"{x} {SUBCLASS} {c} .", self.term(shape, c)))
        if self.implicit_class(shape):
            parts.append(partial(lambda c, x: f"{x} {SUBCLASS} {c} .", self.term(shape, shape)))
        for n in self.g.objects(shape, SH.targetNode):
            parts.append(partial(lambda n, x: f"VALUES {x} {{ {n} }}", self.term(shape, n)))
        for p in self.g.objects(shape, SH.targetSubjectsOf):
            parts.append(partial(lambda p, x: f"{x} {p} {self.var('o')} .", self.term(shape, p)))
        for p in self.g.objects(shape, SH.targetObjectsOf):
            parts.append(partial(lambda p, x: f"{self.var('s')} {p} {x} .", self.term(shape, p)))
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
            if self.is_property(shape):  # the children's focus nodes are this shape's value nodes
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
        severity = short_name(self.g.value(shape, SH.severity) or SH.Violation)
        path_node = self.g.value(shape, SH.path)
        core = []
        self.stack.append(shape)
        try:
            for r in self.results(shape, focus, "?this"):
                cols = (
                    "?this"
                    + (
                        f" ({r.value} AS ?value)"
                        if r.value and r.value != "?this"
                        else " (?this AS ?value)"
                        if r.value
                        else ""
                    )
                    + (f" ({r.path} AS ?path)" if r.path else "")
                )
                text = f"SELECT DISTINCT {cols} WHERE {{ {r.body} }}"
                core.append(CoreQuery(shape, r.name, text, message, severity, path_node))
        finally:
            self.stack.pop()
        sparql = []
        for node in self.g.objects(shape, SH.sparql):
            try:
                constraint = sparql_constraints.constraint(self.g, shape, node)
            except ValueError as exc:
                raise Unsupported(shape, str(exc)) from exc
            if constraint is not None:
                sparql.append(SparqlQuery(constraint, focus("?this")))
        return core, sparql


def _message(shapes: Graph, shape) -> str | None:
    messages = sorted(shapes.objects(shape, SH.message), key=lambda m: (getattr(m, "language", None) != "en", str(m)))
    return str(messages[0]) if messages else None


def untargeted(shapes: Graph, fast_roots: list, compiler: Compiler) -> Graph:
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
