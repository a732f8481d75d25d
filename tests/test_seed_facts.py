"""Every fact the three seed pages show can be retrieved by SPARQL from the built store.

The expected values are the pages' own words (data/sources/seeds/*.txt), written out here on
purpose: this is the acceptance test of the whole pipeline (transcription, generator, shapes, build).
"""

from __future__ import annotations

import pytest

from conftest import select

pytestmark = pytest.mark.slow

DOC = "<https://w3id.org/airm-kg/document/shi2024>"
AUTHORS = [
    "Shi, Dan",
    "Shen, Tianhao",
    "Huang, Yufei",
    "Li, Zhigen",
    "Leng, Yongqi",
    "Jin, Renren",
    "Liu, Chuang",
    "Wu, Xinwei",
    "Guo, Zishan",
    "Yu, Linhao",
    "Shi, Ling",
    "Jiang, Bojian",
    "Xiong, Deyi",
]


def test_mitigations_of_the_seed_document_classified_under_2_4_1(store):
    rows = select(
        store,
        f"""
        SELECT ?name WHERE {{ ?m airm:sourceDocument {DOC} ; airm:mitigationCategory/skos:notation "2.4.1" ;
                                  rdfs:label ?name }} ORDER BY ?name""",
    )
    assert [r["name"] for r in rows] == [
        "Interpretability for LLM abilities: generalization and emergence of abilities",
        "Interpretability for LLM abilities: in-context learning",
        "The formation and storage of concepts in LLMs rely on neurons, attention heads, and their complex interactions",
    ]


def test_authors_in_page_order(store):
    rows = select(
        store,
        f"""
        SELECT ?family ?given (COUNT(?mid) AS ?pos) WHERE {{
          {DOC} bibo:authorList ?list . ?list rdf:rest* ?mid . ?mid rdf:rest* ?node . ?node rdf:first ?a .
          ?a foaf:familyName ?family ; foaf:givenName ?given }}
        GROUP BY ?node ?family ?given ORDER BY ?pos""",
    )
    assert [f"{r['family']}, {r['given']}" for r in rows] == AUTHORS
    creators = select(store, f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ {DOC} dcterms:creator ?a }}")
    assert creators[0]["n"] == "13"


@pytest.mark.parametrize(
    "label, definition",
    [
        ("Build and Use Model", "Training, fine-tuning, and integrating the AI model"),
        ("Developer", "Entity that creates, trains, or modifies the AI system"),
        ("Manage", "Prioritising, responding to, and mitigating AI risks"),
        ("Map", "Identifying and documenting AI risks, contexts, and impacts"),
        ("Capability Modification", "Techniques to remove, bound, or modify learned model capabilities post-training."),
        (
            "Learning Objectives",
            "Training methods that shape model behavior through objectives, feedback, and optimization targets.",
        ),
        (
            "Research & Foundations",
            "Foundational safety research, theoretical understanding, and scientific inquiry informing AI development.",
        ),
    ],
)
def test_definitions_shown_on_the_pages(store, label, definition):
    rows = select(
        store,
        f'''SELECT ?d WHERE {{ ?c skos:prefLabel "{label}"@en ; skos:definition ?d ; skos:inScheme ?s
                                    FILTER(STRSTARTS(STR(?s), "https://w3id.org/airm-kg/vocab/")) }}''',
    )
    assert [r["d"] for r in rows] == [definition]


@pytest.mark.parametrize(
    "page, code, parent, stage, actor, function",
    [
        ("7a79d1d984c96b88", "1.1.3", "Model", "Build and Use Model", "Developer", "Manage"),
        ("987aa97efda7d47b", "1.1.2", "Model", "Build and Use Model", "Developer", "Manage"),
        ("1f14fbf250b9f161", "2.4.1", "Engineering & Development", "Build and Use Model", "Developer", "Map"),
    ],
)
def test_each_page_record(store, page, code, parent, stage, actor, function):
    rows = select(
        store,
        f"""
        SELECT ?code ?parent ?stage ?actor ?fn ?reasoning ?quote WHERE {{
          BIND(<https://w3id.org/airm-kg/mitigation/shi2024-{page}> AS ?m)
          ?m airm:sourceDocument {DOC} ; airm:mitigationCategory ?c ;
             airm:primaryLifecycleStage/skos:prefLabel ?stage ; airm:primaryActor/skos:prefLabel ?actor ;
             airm:primaryAIRMFunction/skos:prefLabel ?fn ;
             airm:hasClassification/airm:reasoning ?reasoning ; airm:hasEvidence/airm:quoteText ?quote .
          ?c skos:notation ?code ; skos:broader/skos:prefLabel ?parent }}""",
    )
    assert len(rows) == 1
    row = rows[0]
    assert (row["code"], row["parent"], row["stage"], row["actor"], row["fn"]) == (code, parent, stage, actor, function)
    assert row["reasoning"] and row["quote"]


def test_page_001_shows_no_name_so_the_record_has_none(store):
    rows = select(
        store, "SELECT ?l WHERE { <https://w3id.org/airm-kg/mitigation/shi2024-987aa97efda7d47b> rdfs:label ?l }"
    )
    assert rows == []


def test_listed_siblings_with_their_codes_and_heading_hierarchy(store):
    rows = select(
        store,
        f"""
        SELECT ?name ?code WHERE {{ ?m airm:sourceDocument {DOC} ; rdfs:label ?name ;
                                   airm:mitigationCategory/skos:notation ?code }}""",
    )
    codes = {r["name"]: r["code"] for r in rows}
    assert codes["Value Misalignment"] == "99.9"
    assert codes["Robustness to attack"] == "1"
    assert codes["Value Misalignment > Privacy protection"] == "1"
    assert codes["Interpretability in model safety auditing"] == "2.2.3"
    children = select(
        store,
        """
        SELECT ?child WHERE { ?h rdfs:label "Value Misalignment" ; airm:childMitigation/rdfs:label ?child } ORDER BY ?child""",
    )
    assert [r["child"] for r in children] == [
        "Value Misalignment > Methods for mitigating LLM amorality",
        "Value Misalignment > Methods for mitigating toxicity",
        "Value Misalignment > Mitigating social bias",
        "Value Misalignment > Privacy protection",
    ]


def test_risks_named_by_headings_are_addressed_by_the_heading_and_its_children(store):
    rows = select(
        store,
        """
        SELECT ?risk (COUNT(?m) AS ?n) WHERE { ?r a airm:Risk ; rdfs:label ?risk ; airm:addressedBy ?m }
        GROUP BY ?risk ORDER BY ?risk""",
    )
    assert [(r["risk"], r["n"]) for r in rows if r["risk"] in ("Value Misalignment", "Robustness to attack")] == [
        ("Robustness to attack", "1"),
        ("Value Misalignment", "5"),
    ]


def test_subtree_query_uses_the_materialised_transitive_broader(store):
    rows = select(
        store,
        f"""
        SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {{ ?m airm:sourceDocument {DOC} ;
            airm:mitigationCategory/skos:broaderTransitive mtax:1 }}""",
    )
    assert rows[0]["n"] == "2"  # 1.1.3 and 1.1.2 (the "1 AI System" records are AT 1, not under it)
