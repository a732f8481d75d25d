"""SHACL-SPARQL constraints (sh:sparql) evaluated by Oxigraph over all focus nodes at once.

pyshacl runs every SPARQL-based constraint once per focus node through rdflib's SPARQL engine: on
the real data that took minutes. Here a constraint's SELECT runs once, with the focus nodes of its
shape joined in at the start of its WHERE clause:

    SELECT $this ?value WHERE { { SELECT DISTINCT ?this WHERE { <targets> } } <the constraint's body> }

That is SHACL's pre-binding of $this whenever $this only occurs where a join binds it before it is
read: in the top-level group, in EXISTS / NOT EXISTS below it, and in OPTIONAL groups (whose filters
see the left side). `_injection_point` checks that on the query's tokens; any other query (sub-
selects, MINUS, VALUES, SERVICE, $this in a UNION branch or nested group, BIND in nested groups)
runs once per focus node with $this pre-bound through `substitutions` instead, as before. $PATH is
replaced by the property shape's path, prefixes come from sh:prefixes/sh:declare, and the result
message is filled in from the sh:message template ({$this}, {?var}).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from kg.namespaces import SH
from kg.sparql.execute import solutions


@dataclass(frozen=True)
class SparqlConstraint:
    shape: URIRef | BNode
    constraint: URIRef | BNode
    select: str
    message: str | None
    severity: str
    path: URIRef | None


def constraint(shapes: Graph, shape, node) -> SparqlConstraint | None:
    """The sh:sparql constraint `node` of `shape`, ready to run (None when deactivated).

    Raises ValueError for what cannot be evaluated here (a complex sh:path, $shapesGraph)."""
    if shapes.value(node, SH.deactivated) == Literal(True) or shapes.value(shape, SH.deactivated) == Literal(True):
        return None
    path = shapes.value(shape, SH.path)
    if path is not None and not isinstance(path, URIRef):
        raise ValueError("sh:sparql with a complex sh:path is not supported; use an IRI path")
    select = str(shapes.value(node, SH.select))
    if re.search(r"[$?]shapesGraph\b", select):
        raise ValueError("sh:sparql using $shapesGraph is not supported")
    if re.search(r"[$?]currentShape\b", select):
        if not isinstance(shape, URIRef):
            raise ValueError("sh:sparql using $currentShape in an anonymous shape is not supported")
        select = re.sub(r"[$?]currentShape\b", f"<{shape}>", select)
    if path is not None:
        select = re.sub(r"\$PATH\b", f"<{path}>", select)
    message = shapes.value(node, SH.message) or shapes.value(shape, SH.message)
    severity = shapes.value(shape, SH.severity) or SH.Violation
    return SparqlConstraint(
        shape,
        node,
        _prologue(shapes, node) + select,
        str(message) if message else None,
        str(severity).rsplit("#", 1)[-1],
        path,
    )


def _prologue(shapes: Graph, node) -> str:
    lines = []
    for source in shapes.objects(node, SH.prefixes):
        for decl in shapes.objects(source, SH.declare):
            lines.append(f"PREFIX {shapes.value(decl, SH.prefix)}: <{shapes.value(decl, SH.namespace)}>")
    return "\n".join(sorted(set(lines))) + "\n"


# ----------------------------------------------------------------------------------------- set-oriented form

_TOKEN = re.compile(
    r'''
    (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<comment>\#[^\n]*)
  | (?P<open>\{) | (?P<close>\})
  | (?P<var>[?$][A-Za-z_0-9]+)
  | (?P<word>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<other>.)''',
    re.X | re.S,
)


def _injection_point(select: str) -> tuple[str, int] | None:
    """(query, offset) where the focus subquery can be inserted, or None when it would change the meaning."""
    stack: list[str] = []
    words: list[str] = []
    selects, top_open, projection, after_top = 0, None, [], []
    for m in _TOKEN.finditer(select):
        kind, text = m.lastgroup, m.group()
        if kind in ("comment", "string", "iri") or text.isspace():
            if top_open is None and selects and kind != "comment":
                projection.append(text)
            continue
        upper = text.upper() if kind == "word" else text
        if kind == "word":
            if upper in ("MINUS", "VALUES", "SERVICE"):
                return None
            if upper == "SELECT":
                selects += 1
                if selects > 1:
                    return None
            if upper == "BIND" and len(stack) > 1:
                return None
        if kind == "open":
            if not stack:
                if top_open is not None or not selects:
                    return None
                top_open = m.end()
                stack.append("top")
            else:
                prev = words[-1] if words else ""
                stack.append({"EXISTS": "exists", "OPTIONAL": "optional"}.get(prev, "other"))
        elif kind == "close":
            if not stack:
                return None
            stack.pop()
        elif kind == "var" and text[1:] == "this":
            if words and words[-1] == "AS":
                return None
            if stack:
                inner = stack[1:]
                if inner and inner[0] == "optional":
                    inner = inner[1:]
                if any(k != "exists" for k in inner):
                    return None
        if top_open is None and selects and kind != "open":
            projection.append(text)
        elif top_open is not None and not stack:
            after_top.append(upper)
        words.append(upper)
    if top_open is None:
        return None
    columns = [t for t in projection if t.upper() not in ("SELECT", "DISTINCT", "REDUCED")]
    if columns[:1] != ["*"] and "?this" not in columns and "$this" not in columns:
        if "GROUP" in after_top:
            return None
        select = re.sub(
            r"\bSELECT(\s+(?:DISTINCT|REDUCED))?", lambda m: m.group(0) + " ?this", select, count=1, flags=re.I
        )
        return _injection_point(select)
    return select, top_open


def _not_exists_block(tokens: list, j: int) -> tuple[int, set[str], bool, bool]:
    """The `FILTER NOT EXISTS { ... }` whose tokens start at `j`: where it closes, its variables,
    whether it holds plain triple patterns only, and whether it is a single triple pattern."""
    names, plain, lookup = set(), True, True
    while j < len(tokens) and tokens[j][0] != "close":
        k, t = tokens[j][0], tokens[j][1]
        if k == "open" or (
            k == "word"
            and t.upper() in ("FILTER", "OPTIONAL", "BIND", "VALUES", "GRAPH", "SERVICE", "MINUS", "UNION", "SELECT")
        ):
            plain = False
        if t in ("/", "|", "^", "*", "+", "?", ";", ",") or (t == "." and tokens[j + 1][0] != "close"):
            lookup = False  # a path or more than one triple pattern
        if k == "var":
            names.add(t[1:])
        j += 1
    return j, names, plain, lookup


def _opens_not_exists(tokens: list, i: int, words: list[str]) -> bool:
    """Whether tokens[i:] start `FILTER NOT EXISTS {`."""
    return (
        words[:2] == ["FILTER", "NOT"] and len(tokens) > i + 3 and words[2] == "EXISTS" and tokens[i + 3][0] == "open"
    )


def _anti_joins(select: str) -> str:
    """Top-level `FILTER NOT EXISTS { triples }` rewritten to a `MINUS { triples }` at the end of the group.

    Oxigraph evaluates a FILTER NOT EXISTS by running its pattern again for each row, without the
    row's bindings to narrow it: `FILTER NOT EXISTS { ?m a airm:Mapping ; airm:mappingSubject $this }`
    scans every mapping per row, quadratic in the data. MINUS evaluates the pattern once and
    anti-joins. Both mean the same when the pattern is plain triples (paths allowed) and every
    variable it shares with the rest of the query is bound in every row: bound by a triple pattern
    of the top-level group, or $this, which the focus subquery binds. A single triple pattern whose
    variables are all bound stays (an index lookup per row beats MINUS scanning every match), and
    so does any other FILTER NOT EXISTS (inside expressions, with FILTERs or nested groups).
    """
    tokens = [
        (m.lastgroup, m.group(), m.start(), m.end())
        for m in _TOKEN.finditer(select)
        if m.lastgroup not in ("comment",) and not m.group().isspace()
    ]
    depth, parens, blocks, certain, outside = 0, 0, [], {"this"}, []
    i = 0
    while i < len(tokens):
        kind, text, start, end = tokens[i]
        words = [t[1].upper() for t in tokens[i : i + 3]]
        if depth == 1 and parens == 0 and _opens_not_exists(tokens, i, words):
            j, names, plain, lookup = _not_exists_block(tokens, i + 4)
            if plain and j < len(tokens):
                blocks.append((start, tokens[j][3], select[tokens[i + 3][2] : tokens[j][3]], names, lookup))
                i = j + 1
                continue
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth == 0:
                top_close = start
        elif text == "(":
            parens += 1
        elif text == ")":
            parens -= 1
        elif kind == "var":
            outside.append(text[1:])
            if depth == 1 and parens == 0:
                certain.add(text[1:])
        i += 1
    # a single triple pattern whose variables are all bound is one index lookup per row: leave it
    chosen = [
        b for b in blocks if (shared := b[3] & set(outside)) and shared <= certain and not (b[4] and b[3] <= certain)
    ]
    if not chosen or depth != 0:
        return select
    return _as_minus(select, chosen, top_close)


def _as_minus(select: str, chosen: list, top_close: int) -> str:
    """`select` with the chosen FILTER NOT EXISTS blocks cut out and appended as MINUS blocks at the
    end of the top-level group (which closes at `top_close`)."""
    out, last = [], 0
    for start, end, *_rest in chosen:
        out.append(select[last:start])
        last = end
    out.append(select[last:top_close])
    out += [f" MINUS {block}\n" for _s, _e, block, *_rest in chosen]
    out.append(select[top_close:])
    return "".join(out)


# ----------------------------------------------------------------------------------------- running


def evaluate(store: ox.Store, c: SparqlConstraint, focus: str, check: Callable[[], None]) -> list[dict]:
    """Results of `c` over the focus nodes that the subquery `focus` ({ SELECT DISTINCT ?this ... }) selects."""
    point = _injection_point(c.select)
    results = []
    if point is not None:
        text, offset = point
        query = _anti_joins(f"{text[:offset]}\n{focus}\n{text[offset:]}")
        check()
        answer = solutions(store.query(query, use_default_graph_as_union=True))
        names = [v.value for v in answer.variables]
        for i, sol in enumerate(answer):
            if i % 1000 == 999:
                check()
            bindings = {n: sol[n] for n in names if sol[n] is not None}
            results.append(_result(c, bindings["this"], bindings))
        return results
    focus_query = focus.strip()[1:-1]  # the braces around the subquery
    for row in solutions(store.query(focus_query, use_default_graph_as_union=True)):
        check()
        answer = solutions(
            store.query(c.select, use_default_graph_as_union=True, substitutions={ox.Variable("this"): row["this"]})
        )
        names = [v.value for v in answer.variables]
        for sol in answer:
            bindings = {n: sol[n] for n in names if sol[n] is not None}
            results.append(_result(c, row["this"], bindings))
    return results


def text(term) -> str:
    """A term as it appears in a filled-in message: IRIs and literals by their value."""
    return term.value if isinstance(term, (ox.NamedNode, ox.Literal)) else str(term)


def fill(template: str, names: dict) -> str:
    """Replace {$var} / {?var} by the value of `var` in `names` (pyoxigraph terms or strings)."""
    return re.sub(r"\{[?$](\w+)\}", lambda m: text(names[m.group(1)]) if m.group(1) in names else m.group(0), template)


def _result(c: SparqlConstraint, focus, bindings: dict) -> dict:
    message = fill(c.message or "SPARQL constraint not met", {"this": focus, **bindings})
    path = c.path if c.path is not None else bindings.get("path")
    return {
        "focus": focus,
        "path": path,
        "value": bindings.get("value"),
        "message": message,
        "severity": c.severity,
        "shape": c.shape,
    }
