"""Vocabularies from the IBM AI Atlas Nexus copies: the MIT v1 draft mitigation taxonomy, and the
MIT AI Risk Repository's domain and causal taxonomies."""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from kg.errors import InputError
from kg.generate.common import NEXUS_MITIGATION_DATA, NEXUS_REPO, NEXUS_RISK_DATA, read_yaml
from kg.generate.skos import add_concept, add_scheme
from kg.iris import document_iri
from kg.namespaces import AIRM, RCAUSE, RDOM, V1TAX
from kg.records.write import CC_BY, en, new_graph, tidy

MITIGATION_DATA, RISK_DATA = NEXUS_MITIGATION_DATA, NEXUS_RISK_DATA
V1_TAXONOMY = "mit-draft-ai-risk-mitigation"
V1_GROUP = "mit-draft-ai-risk-mitigation-group-"
DOMAIN_TAXONOMY, DOMAIN, SUBDOMAIN = "mit-ai-risk-repository", "mit-ai-risk-domain-", "mit-ai-risk-subdomain-"
CAUSAL_TAXONOMY, FACTOR, VALUE = (
    "mit-ai-risk-repository-causal",
    "mit-ai-risk-repository-causal-",
    "mit-ai-causal-risk-",
)

# Scheme titles with an obvious typo in the source: the title is corrected and the source's
# spelling kept as an editorial note ("Casual" for "Causal"; its own description says "Causal").
TITLE_FIXES = {
    "The AI Risk Repository: Casual Taxonomy of AI Risks": "The AI Risk Repository: Causal Taxonomy of AI Risks"
}


def build(root: Path) -> dict[str, Graph]:
    mitigation = read_yaml(root / MITIGATION_DATA)
    risk = read_yaml(root / RISK_DATA)
    return {
        "ontology/vocab/mit-v1-mitigation-taxonomy.ttl": v1_taxonomy(mitigation),
        "ontology/vocab/risk-domain.ttl": risk_domains(risk),
        "ontology/vocab/risk-cause.ttl": risk_causes(risk),
    }


def taxonomy(data: dict, tax_id: str, source: str) -> dict:
    for t in data["taxonomies"]:
        if t["id"] == tax_id:
            return t
    raise InputError(f"{source}: no taxonomy {tax_id!r}")


def nexus_scheme(g: Graph, ns, tax: dict, sources: list[URIRef]) -> URIRef:
    """A scheme for a Nexus taxonomy; dcterms:identifier keeps the Nexus id."""
    title = TITLE_FIXES.get(tax["name"], tax["name"])
    scheme = add_scheme(g, ns, title, tax["description"].strip(), sources, CC_BY)
    if title != tax["name"]:
        g.add((scheme, SKOS.editorialNote, en(f"The source spells the title {tax['name']!r}.")))
    g.add((scheme, DCTERMS.identifier, Literal(tax["id"])))
    g.add((scheme, PROV.wasDerivedFrom, NEXUS_REPO))
    return scheme


def local(nexus_id: str, prefix: str, source: str) -> str:
    if not nexus_id.startswith(prefix):
        raise InputError(f"{source}: {nexus_id!r} does not start with {prefix!r}")
    return nexus_id[len(prefix) :]


def clean_label(name: str) -> tuple[str, str | None]:
    """Strip surrounding blanks and undo mojibake (`kg.records.write.tidy`); close a blank beside a
    hyphen ("Pre -deployment", "Human- Computer"). Returns the label and, when a hyphen had to be
    fixed, the source's spelling (for skos:hiddenLabel)."""
    stripped = tidy(name)[0]
    fixed = re.sub(r"(\w) -(\w)", r"\1-\2", re.sub(r"(\w)- (\w)", r"\1-\2", stripped))
    return fixed, (stripped if fixed != stripped else None)


def nexus_concept(g: Graph, scheme: URIRef, iri: URIRef, cls: URIRef, item: dict, definition: str, **kw) -> URIRef:
    label, hidden = clean_label(item["name"])
    add_concept(g, scheme, iri, cls, label=label, definition=definition, **kw)
    if hidden is not None:
        g.add((iri, SKOS.hiddenLabel, en(hidden)))
    elif tidy(item["name"])[1] is not None:  # only blanks around it (or mojibake): say so, no hidden label
        g.add((iri, SKOS.editorialNote, en(str(tidy(item["name"])[1]))))
    g.add((iri, DCTERMS.identifier, Literal(item["id"])))
    return iri


# --- MIT v1 draft mitigation taxonomy -------------------------------------------------------


def v1_taxonomy(data: dict) -> Graph:
    g = new_graph()
    tax = taxonomy(data, V1_TAXONOMY, MITIGATION_DATA)
    docs = [document_iri(d) for d in tax.get("hasDocumentation", [])]
    scheme = nexus_scheme(g, V1TAX, tax, docs + [URIRef(tax["url"])])
    for group in data["groups"]:
        if group["isDefinedByTaxonomy"] == V1_TAXONOMY:
            add_v1_concept(g, scheme, group)
    return g


def add_v1_concept(g: Graph, scheme: URIRef, group: dict) -> None:
    """Notation from the id; the label drops the leading number ("1.1 Board ..." -> "Board ...").
    The hierarchy comes from each group's `broader` (group 3's `narrower` list omits 3.6)."""
    code = local(group["id"], V1_GROUP, MITIGATION_DATA)
    m = re.fullmatch(r"(\d+(?:\.\d+)*)\.?\s+(.+)", group["name"].strip())
    if m is None or m.group(1) != code:
        raise InputError(f"{MITIGATION_DATA}: group {group['id']} has the name {group['name']!r}")
    broader = [V1TAX[local(b, V1_GROUP, MITIGATION_DATA)] for b in group.get("broader") or []]
    if len(broader) > 1:
        raise InputError(f"{MITIGATION_DATA}: group {group['id']} has several broader groups")
    nexus_concept(
        g,
        scheme,
        V1TAX[code],
        AIRM.MitigationCategory,
        {**group, "name": m.group(2)},
        group["description"].strip(),
        notation=code,
        broader=broader[0] if broader else None,
    )


# --- MIT AI Risk Repository: domain taxonomy ------------------------------------------------


def repository_sources(data: dict, tax: dict) -> list[URIRef]:
    """The taxonomy's web site and the URLs of its documentation (the arXiv paper)."""
    urls = {d["id"]: d["url"] for d in data["documents"]}
    return [URIRef(tax["url"])] + [URIRef(urls[d]) for d in tax.get("hasDocumentation", [])]


def risk_domains(data: dict) -> Graph:
    g = new_graph()
    tax = taxonomy(data, DOMAIN_TAXONOMY, RISK_DATA)
    scheme = nexus_scheme(g, RDOM, tax, repository_sources(data, tax))
    domains = [x for x in data["groups"] if x["isDefinedByTaxonomy"] == DOMAIN_TAXONOMY]
    subdomains = [x for x in data["entries"] if x["id"].startswith(SUBDOMAIN)]
    for domain in domains:
        add_domain(g, scheme, domain, subdomains)
    for sub in subdomains:
        parent = RDOM[local(sub["isPartOf"], DOMAIN, RISK_DATA)]
        if (parent, None, None) not in g:
            raise InputError(f"{RISK_DATA}: {sub['id']} is part of the unknown {sub['isPartOf']}")
        nexus_concept(
            g,
            scheme,
            RDOM[local(sub["id"], SUBDOMAIN, RISK_DATA)],
            AIRM.RiskCategory,
            sub,
            sub["description"].strip(),
            notation=local(sub["id"], SUBDOMAIN, RISK_DATA),
            broader=parent,
        )
    return g


def add_domain(g: Graph, scheme: URIRef, domain: dict, subdomains: list[dict]) -> None:
    """Domains have no description in the source: the definition only says what the domain groups."""
    code = local(domain["id"], DOMAIN, RISK_DATA)
    subs = sorted(
        (local(s["id"], SUBDOMAIN, RISK_DATA) for s in subdomains if s["isPartOf"] == domain["id"]),
        key=lambda c: [int(p) for p in c.split(".")],
    )
    grouping = f"its subdomains {subs[0]}–{subs[-1]}" if len(subs) > 1 else f"its subdomain {subs[0]}"
    definition = f"Domain {code} of the MIT AI Risk Repository's Domain Taxonomy of AI Risks, grouping {grouping}."
    nexus_concept(g, scheme, RDOM[code], AIRM.RiskCategory, domain, definition, notation=code)


# --- MIT AI Risk Repository: causal taxonomy ------------------------------------------------


def risk_causes(data: dict) -> Graph:
    g = new_graph()
    tax = taxonomy(data, CAUSAL_TAXONOMY, RISK_DATA)
    scheme = nexus_scheme(g, RCAUSE, tax, repository_sources(data, tax))
    values = [x for x in data["entries"] if x["isDefinedByTaxonomy"] == CAUSAL_TAXONOMY]
    for factor in (x for x in data["groups"] if x["isDefinedByTaxonomy"] == CAUSAL_TAXONOMY):
        add_factor(g, scheme, factor, [v for v in values if v["isPartOf"] == factor["id"]])
    for value in values:
        add_cause_value(g, scheme, value)
    return g


def add_factor(g: Graph, scheme: URIRef, factor: dict, values: list[dict]) -> None:
    """Factors have no description in the source: the definition names the factor and its values."""
    name = clean_label(factor["name"])[0]
    labels = [clean_label(v["name"])[0] for v in values]
    listed = ", ".join(labels[:-1]) + f" and {labels[-1]}" if len(labels) > 1 else "".join(labels)
    definition = (
        f"The causal factor '{name}' of the MIT AI Risk Repository's Causal Taxonomy of AI "
        f"Risks; its values are {listed}."
    )
    nexus_concept(g, scheme, RCAUSE[local(factor["id"], FACTOR, RISK_DATA)], AIRM.RiskCategory, factor, definition)


def add_cause_value(g: Graph, scheme: URIRef, value: dict) -> None:
    """`rcause:{factor}-{value}` (the Nexus id without its prefix), narrower than its factor."""
    factor = local(value["isPartOf"], FACTOR, RISK_DATA)
    name = local(value["id"], VALUE, RISK_DATA)
    if not name.startswith(factor + "-") or (RCAUSE[factor], None, None) not in g:
        raise InputError(f"{RISK_DATA}: {value['id']} does not fit its factor {value['isPartOf']}")
    nexus_concept(
        g, scheme, RCAUSE[name], AIRM.RiskCategory, value, value["description"].strip(), broader=RCAUSE[factor]
    )
