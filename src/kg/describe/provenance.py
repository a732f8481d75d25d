"""What a page says about where a fact comes from: derived facts (docs/model.md, Derived facts) with
the mapping records they follow, and the status of preliminary records (the navigator's seed data).

The functions take the `kg.describe.Describer` of the page (its `select`, `term`, `label` and
`concept_info`), so this module imports nothing of `kg.describe`."""

from __future__ import annotations

from kg.namespaces import NS

# The editorial note the generators put on a definition the project wrote (kg.generate.skos.OWN_DEFINITION).
OWN_DEFINITION = "The definition is AIRM-KG's own wording: no source the project ships gives one."
DERIVED_ROLES = {NS.airm + "derivedLifecycleStage": "Lifecycle stage", NS.airm + "derivedActor": "Actor"}


def status(d, iri: str) -> dict:
    """The ADMS status of a record and what it or its dataset says of its rights ({} when it has none)."""
    rows = d.select(
        f"""SELECT ?status ?rights WHERE {{ $r <{NS.adms}status> ?status .
            OPTIONAL {{ {{ $r dcterms:rights ?rights }} UNION {{ $r void:inDataset/dcterms:rights ?rights }} }} }}""",
        r=iri,
    )
    if not rows:
        return {}
    value = rows[0]["status"].value
    rights = next((r["rights"].value for r in rows if r["rights"] is not None), "")
    return {"iri": value, "label": d.label(value) or value.rsplit("/", 1)[-1], "rights": rights}


def authorship(d, iri: str) -> dict:
    """Whether a term's name is only inferred or unknown, and whether its definition is the project's own."""
    rows = d.select(
        f"""SELECT ?status ?note WHERE {{ OPTIONAL {{ $t airm:nameStatus ?status }}
            OPTIONAL {{ $t skos:editorialNote ?note FILTER (STR(?note) = "{OWN_DEFINITION}") }} }}""",
        t=iri,
    )
    out: dict = {}
    for r in rows:
        if r["status"] is not None:
            out["name_status"] = {"iri": r["status"].value, "label": d.label(r["status"].value)}
        if r["note"] is not None:
            out["own_definition"] = r["note"].value
    return out


def derived_roles(d, iri: str) -> list[dict]:
    """The derived stages and actors of a mitigation, each with the mapping records it follows."""
    rows = d.select(
        f"""SELECT ?p ?v ?record ?confidence WHERE {{
            ?x airm:derivationOf $m ; airm:derivedProperty ?p ; airm:derivedValue ?v ; prov:wasDerivedFrom ?record .
            OPTIONAL {{ ?x <{NS.sssom}confidence> ?confidence }} }} ORDER BY ?p ?v ?record""",
        m=iri,
    )
    roles: dict[tuple[str, str], dict] = {}
    for r in rows:
        key = (r["p"].value, r["v"].value)
        if key not in roles:
            confidence = r["confidence"].value if r["confidence"] is not None else ""
            role = DERIVED_ROLES.get(key[0], d.label(key[0]))
            roles[key] = {"role": role, "rank": "derived", "derived_from": [], "confidence": confidence}
            roles[key].update(d.concept_info(key[1]))
        roles[key]["derived_from"].append(d.term(r["record"]))
    return list(roles.values())


def mark_derived(categories: list[dict], classifications: list[dict]) -> list[dict]:
    """Mark each effective category that only derived classifications assign, with their mapping records."""
    derived = NS.cmethod + "derived"
    for category in categories:
        concept = category["concept"].value
        assigning = [c for c in classifications if any(k["concept"].value == concept for k in c["categories"])]
        if assigning and all(any(t.value == derived for t in c["method"]) for c in assigning):
            category["derived_from"] = [t for c in assigning for t in c["derived_from"]]
    return categories
