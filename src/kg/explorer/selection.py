"""A selection of the explorer (text query and filters) as the equivalent SPARQL query, without
the paging: what the explorer's "this selection as SPARQL" link opens in the query editor.

Each facet becomes a graph pattern whose values are OR-ed in a VALUES block (a category or a risk
with `skos:broader*`, so it selects a subtree); the text query becomes `kgf:textScore` (the same
index, docs/sparql.md) and orders the rows best first, else they are ordered by name. With
`derived=False` the query is the same (SPARQL sees the derived facts as the graph holds them): a
comment says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from kg.explorer.search import Filters, normalise

PATTERNS = {
    "category": "?m (airm:mitigationCategory|airm:hasClassification/airm:category)/skos:broader* ?category .",
    "stage": "?m airm:lifecycleStage ?stage .",
    "actor": "?m airm:actor ?actor .",
    "function": "?m airm:airmFunction ?function .",
    "document": "?m airm:sourceDocument ?document .",
    "year": "?m airm:sourceDocument/dcterms:issued ?issued . FILTER (SUBSTR(STR(?issued), 1, 4) = ?year)",
    "method": "?m airm:hasClassification/airm:classificationMethod ?method .",
    "risk": "?m airm:addressesRisk/skos:broader* ?risk .",
    "dataset": "?m void:inDataset ?dataset .",
}


def _term(key: str, value: str) -> str:
    if key == "year":
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "<" + "".join(c for c in value if c not in '<>"{}|^`\\ ') + ">"


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def sparql(query: str = "", filters: Filters | Mapping | None = None, *, derived: bool = True) -> str:
    """The SPARQL text selecting the same mitigations as `explore(query, filters)`."""
    chosen = normalise(filters)
    lines = ["# the explorer's selection as SPARQL (docs/explorer.md)"]
    if not derived:
        lines.append("# the explorer left derived facts out (derived=false); this query keeps them")
    lines.append("SELECT DISTINCT ?m ?label" + (" ?score" if query.strip() else "") + " WHERE {")
    lines.append("  ?m a airm:Mitigation .")
    for key, values in chosen.items():
        lines.append(f"  VALUES ?{key} {{ {' '.join(_term(key, v) for v in values)} }}")
        lines.append(f"  {PATTERNS[key]}")
    if query.strip():
        lines.append(f"  BIND (kgf:textScore(?m, {_string(query)}) AS ?score)")
        lines.append("  FILTER (?score > 0)")
    lines.append("  OPTIONAL { ?m rdfs:label ?label }")
    lines.append("}")
    lines.append("ORDER BY " + ("DESC(?score) ?m" if query.strip() else "LCASE(STR(?label)) ?m"))
    return "\n".join(lines) + "\n"
