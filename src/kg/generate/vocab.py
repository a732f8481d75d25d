"""Vocabularies from the reference YAML (v2 mitigation taxonomy, lifecycle stages, actors, AIRM
functions) and the classification methods, which AIRM-KG defines itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import SKOS

from kg.errors import InputError
from kg.generate.common import AIRISK, read_yaml
from kg.generate.reference import REFERENCE, load_reference
from kg.generate.skos import TERM_STATUS, add_concept, add_scheme
from kg.iris import slug
from kg.namespaces import ACTOR, AIRM, CMETHOD, FN, MTAX, STAGE
from kg.records.write import CC_BY, en, new_graph

SEEDS = "data/sources/seeds/seed-records.yaml"
NIST_AI_RMF = URIRef("https://www.nist.gov/itl/ai-risk-management-framework")

# Every vocabulary is published under CC BY 4.0: they hold MIT AI Risk Initiative material (codes,
# names, the navigator's own descriptions); our own descriptions (MIT licence) may go under it too.
V2_TITLE = "AI Risk Mitigation Taxonomy (v2, reconstructed)"
V2_DEFINITION = (
    "The three-level taxonomy of AI risk mitigations used by the MIT AI Risk Initiative's mitigation "
    "navigator, reconstructed by AIRM-KG from public material. Codes and names are the Initiative's; "
    "definitions are AIRM-KG's own words except where the navigator's pages show its own description."
)


@dataclass(frozen=True)
class Flat:
    """A flat vocabulary of the reference YAML: labels become slug local names; no notation."""

    ns: Namespace
    cls: URIRef
    key: str
    file: str
    title: str
    definition: str
    sources: tuple[URIRef, ...] = (AIRISK,)


_NAV = "the MIT AI Risk Initiative's mitigation navigator"
FLAT = (
    Flat(
        STAGE,
        AIRM.LifecycleStage,
        "lifecycle_stages",
        "lifecycle-stage",
        "AI lifecycle stages",
        f"The stages of the AI system lifecycle (after the NIST / OECD lifecycle) that {_NAV} assigns to mitigations.",
    ),
    Flat(
        ACTOR,
        AIRM.Actor,
        "actors",
        "actor",
        "AI actors",
        f"The kinds of actor (roles, not persons) that {_NAV} holds responsible for a mitigation.",
    ),
    Flat(
        FN,
        AIRM.AIRMFunction,
        "airm_functions",
        "airm-function",
        "NIST AI RMF core functions",
        f"The core functions of the NIST AI Risk Management Framework, as {_NAV} assigns them to "
        "mitigations, plus its value for a function that could not be assigned.",
        (AIRISK, NIST_AI_RMF),
    ),
)

# Written by us; they mirror the source database's human_classification / llm_classification.
METHODS = (
    ("curator", "Curator", "A curator's manual classification; the source database's human_classification."),
    (
        "classifier",
        "Classifier",
        "A classification proposed by software such as an LLM; the source database's llm_classification.",
    ),
    ("published", "Published", "The category the source shows, when it does not say who made it."),
    (
        "derived",
        "Derived",
        "Made by the project from a mapping set by a rule stated in docs/model.md (Derived facts); the "
        "classification names the mapping record it follows (prov:wasDerivedFrom) and its confidence.",
    ),
)


def build(root: Path) -> dict[str, Graph]:
    """Output path (relative to the project) -> graph."""
    ref = load_reference(root)
    navigator = navigator_descriptions(read_yaml(root / SEEDS))
    out = {"ontology/vocab/mitigation-taxonomy.ttl": mitigation_taxonomy(ref["taxonomy"], navigator)}
    for spec in FLAT:
        out[f"ontology/vocab/{spec.file}.ttl"] = flat_vocabulary(spec, ref[spec.key])
    out["ontology/vocab/classification-method.ttl"] = classification_methods()
    return out


def navigator_descriptions(seeds: dict) -> dict[str, str]:
    """v2 code -> the navigator's own description of it (line 3 of a seed page)."""
    found: dict[str, str] = {}
    for page in seeds["pages"]:
        code, text = page["record"]["code"], page["category_description"]
        if found.setdefault(code, text) != text:
            raise InputError(f"{SEEDS}: two descriptions of {code}: {found[code]!r} and {text!r}")
    return found


def mitigation_taxonomy(entries: list[dict], navigator: dict[str, str]) -> Graph:
    g = new_graph()
    scheme = add_scheme(g, MTAX, V2_TITLE, V2_DEFINITION, [AIRISK], CC_BY)
    by_code = index_codes(entries)
    for code in navigator:
        if code not in by_code:
            raise InputError(f"{SEEDS}: code {code} is not in {REFERENCE}")
    for e in entries:
        add_v2_concept(g, scheme, e, by_code, navigator.get(e["code"]))
    return g


def index_codes(entries: list[dict]) -> dict[str, dict]:
    """Codes -> entries; fails on a duplicate code or a parent that is not listed."""
    by_code: dict[str, dict] = {}
    for e in entries:
        if by_code.setdefault(e["code"], e) is not e:
            raise InputError(f"{REFERENCE}: code {e['code']} is listed twice")
    for e in entries:
        if e["parent"] is not None and e["parent"] not in by_code:
            raise InputError(f"{REFERENCE}: {e['code']} has the unknown parent {e['parent']}")
    return by_code


def add_v2_concept(g: Graph, scheme: URIRef, e: dict, by_code: dict, navigator: str | None) -> None:
    """Named codes: definition = the navigator's words if shown, else ours. Unnamed: no prefLabel."""
    named = e["name"] is not None
    definition = navigator or (e["description"] if named else unnamed_definition(e, by_code))
    iri = add_concept(
        g,
        scheme,
        MTAX[e["code"]],
        AIRM.MitigationCategory,
        label=e["name"],
        definition=definition,
        status=status(e),
        notation=e["code"],
        broader=MTAX[e["parent"]] if e["parent"] else None,
    )
    if not named:
        # The reference's guess is kept as an editorial note, never as a name or definition.
        g.add((iri, AIRM.nameStatus, AIRM.NameUnknown))
        g.add((iri, SKOS.editorialNote, en(e["description"])))
    elif navigator:
        g.add((iri, SKOS.scopeNote, en(e["description"])))


def unnamed_definition(e: dict, by_code: dict) -> str:
    """A factual definition for a code whose name is unknown: its level and parent only."""
    level = e["code"].count(".") + 1
    where = ""
    if e["parent"] is not None:
        parent = by_code[e["parent"]]
        where = f" under {parent['code']}" + (f" {parent['name']}" if parent["name"] else "")
    return f"A level-{level} category of the v2 mitigation taxonomy{where} whose name has not been published."


def status(entry: dict) -> str:
    """vs:term_status of an entry; also rejects entries with keys we do not know."""
    unknown = set(entry) - {"code", "name", "parent", "status", "description", "label"}
    if unknown:
        raise InputError(f"{REFERENCE}: unexpected keys {sorted(unknown)} in {entry}")
    try:
        return TERM_STATUS[entry["status"]]
    except KeyError:
        raise InputError(f"{REFERENCE}: unknown status {entry.get('status')!r} in {entry}") from None


def flat_vocabulary(spec: Flat, items: list[dict]) -> Graph:
    g = new_graph()
    scheme = add_scheme(g, spec.ns, spec.title, spec.definition, list(spec.sources), CC_BY)
    slugs = [slug(item["label"]) for item in items]
    if len(set(slugs)) != len(slugs):
        raise InputError(f"{REFERENCE}: two {spec.key} labels give the same local name: {slugs}")
    for item in items:
        add_concept(
            g,
            scheme,
            spec.ns[slug(item["label"])],
            spec.cls,
            label=item["label"],
            definition=item["description"],
            status=status(item),
        )
    return g


def classification_methods() -> Graph:
    g = new_graph()
    scheme = add_scheme(
        g,
        CMETHOD,
        "Classification methods",
        "How the classification of a mitigation into a taxonomy concept was made: by a curator, by a "
        "classifier, as published by a source that does not say who made it, or derived by the project "
        "from a mapping set.",
        [AIRISK],
        CC_BY,
    )
    for local, label, definition in METHODS:
        add_concept(g, scheme, CMETHOD[local], AIRM.ClassificationMethod, label=label, definition=definition)
    return g
