"""Vocabularies from the reference YAML (v2 mitigation taxonomy, stages, actors, AIRM functions)
and the classification methods, which we define ourselves."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Namespace
from rdflib.namespace import SKOS

from kg.errors import InputError
from kg.generate.common import AIRISK, CC_BY, en, new_graph, read_yaml, slug
from kg.generate.skos import TERM_STATUS, add_concept, add_scheme, scheme_iri
from kg.namespaces import ACTOR, AIRM, CMETHOD, FN, MTAX, STAGE

REFERENCE = "data/sources/reference/mitigation-taxonomy-v2.yaml"
SEEDS = "data/sources/seeds/seed-records.yaml"
NIST_AI_RMF = Namespace("https://www.nist.gov/itl/ai-risk-management-framework")

# The v2 scheme mixes MIT AI Risk Initiative material (codes, names, the navigator's own
# descriptions: CC BY 4.0) with our own descriptions (MIT licence); CC BY 4.0 covers the whole.
V2_TITLE = "AI Risk Mitigation Taxonomy (v2, reconstructed)"
V2_DEFINITION = (
    "The three-level taxonomy of AI risk mitigations used by the MIT AI Risk Initiative's mitigation "
    "navigator, reconstructed by AIRM-KG from public material. Codes and names are the Initiative's; "
    "definitions are AIRM-KG's own words except where the navigator's pages show its own description.")

# (namespace, ontology class, reference key, file, title, definition, extra sources)
FLAT = [
    (STAGE, AIRM.LifecycleStage, "lifecycle_stages", "lifecycle-stage", "AI lifecycle stages",
     "The stages of the AI system lifecycle (after the NIST / OECD lifecycle) that the MIT AI Risk "
     "Initiative's mitigation navigator assigns to mitigations.", []),
    (ACTOR, AIRM.Actor, "actors", "actor", "AI actors",
     "The kinds of actor (roles, not persons) that the MIT AI Risk Initiative's mitigation navigator "
     "assigns responsibility for a mitigation to.", []),
    (FN, AIRM.AIRMFunction, "airm_functions", "airm-function", "NIST AI RMF core functions",
     "The core functions of the NIST AI Risk Management Framework, as the MIT AI Risk Initiative's "
     "mitigation navigator assigns them to mitigations.", [URIRef_nist := None]),
]
