"""Each answer as a person (or an assistant) reads it: a few lines of Markdown next to the JSON,
every record with its IRI so it can be cited."""

from __future__ import annotations

from kg.mcp.models import Concepts, Coverage, DocumentRecord, Mitigation, Ref, Search, SparqlResult

MAX_LINES = 200


def name(ref: Ref) -> str:
    label = ref.label or ref.iri
    return f"{ref.code} {label}".strip() if ref.code and ref.code not in label else label


def mitigation(m: Mitigation) -> str:
    lines = [f"# {m.name or m.label} ({m.id})", f"IRI: <{m.iri}>"]
    if m.preliminary:
        lines.append("**Preliminary data: not to be shared or cited.** " + "; ".join(d.rights for d in m.datasets))
    if m.categories:
        lines.append("Category: " + "; ".join(name(c) for c in m.categories))
    for role in m.roles:
        lines.append(f"{role.dimension.capitalize()} ({role.rank}): {name(role.concept)}")
    if m.risks:
        lines.append("Risks: " + "; ".join(name(r) for r in m.risks))
    for e in m.evidence:
        lines.append(f"> {e.quote}")
    for c in m.classifications:
        method = ", ".join(name(x) for x in c.method)
        cats = ", ".join(name(x) for x in c.categories)
        by = ", ".join(name(x) for x in c.attributed_to)
        lines.append(
            f"Classified {cats} by {method}{f' ({by})' if by else ''}{f': {c.reasoning}' if c.reasoning else ''}"
        )
    for d in m.documents:
        authors = ", ".join(a.label for a in d.authors)
        lines.append(f"Source: {d.title} — {authors} ({d.year}) <{d.iri}>")
    lines.append(f"Cite: {m.cite.text}")
    return "\n".join(lines)


def document(d: DocumentRecord) -> str:
    lines = [f"# {d.title or d.label}", f"IRI: <{d.iri}>"]
    lines.append("Authors: " + (", ".join(a.label for a in d.authors) or "unknown"))
    if d.year:
        lines.append(f"Year: {d.year}")
    if d.page:
        lines.append(f"Page: {d.page}")
    if d.abstract:
        lines.append(d.abstract)
    lines.append(f"{len(d.mitigations)} mitigations:")
    lines += [f"- {m.label} {m.code} <{m.iri}>" for m in d.mitigations[:MAX_LINES]]
    return "\n".join(lines)


def concepts(c: Concepts) -> str:
    lines = [f"# {name(c.scheme)} <{c.scheme.iri}>"]
    lines += [f"- {name(x)} <{x.iri}>: {x.mitigations} mitigations ({x.direct} directly)" for x in c.concepts]
    return "\n".join(lines[:MAX_LINES])


def coverage(c: Coverage) -> str:
    head = f"Mitigations by {c.dim_a}" + (f" and {c.dim_b}" if c.dim_b else "")
    lines = [head]
    for cell in c.cells[:MAX_LINES]:
        b = f" × {name(cell.b)}" if cell.b is not None else ""
        lines.append(f"- {name(cell.a)}{b}: {cell.mitigations}")
    return "\n".join(lines)


def sparql(r: SparqlResult) -> str:
    if r.kind == "boolean":
        return f"ASK: {'true' if r.boolean else 'false'}"
    if r.kind == "graph":
        return f"{r.count} triples (N-Triples):\n{r.turtle}"
    lines = [f"{r.count} rows", " | ".join(r.variables)]
    lines += [" | ".join("" if row.get(v) is None else str(row[v]) for v in r.variables) for row in r.rows[:MAX_LINES]]
    return "\n".join(lines)


def search(s: Search) -> str:
    lines = [f"{s.total} mitigations match"]
    for hit in s.results:
        doc = f" — {hit.document.label}" if hit.document is not None else ""
        lines.append(f"- {hit.label} ({hit.id}){doc} <{hit.iri}>")
        if hit.snippet:
            lines.append(f"  {hit.snippet}")
    for key, values in s.facets.items():
        if values:
            top = ", ".join(f"{v.code + ' ' if v.code else ''}{v.label or v.value} ({v.count})" for v in values[:5])
            lines.append(f"{key}: {top}{', …' if len(values) > 5 else ''}")
    return "\n".join(lines)
