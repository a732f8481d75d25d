"""`kg.describe`: one data object per resource, over the session's real build."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.describe import Describer, describe

BASE = "https://w3id.org/airm-kg/"
AIRM = BASE + "ontology#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@pytest.fixture(scope="module")
def d(store):
    return Describer(store, BASE)


def seed_records(store) -> list[str]:
    from conftest import select

    rows = select(store, "SELECT ?m WHERE { ?m airm:primaryActor ?a } ORDER BY ?m")
    return [m for row in rows if (m := row["m"]) is not None]  # ?m is always bound


def test_a_seed_mitigation_has_what_its_page_shows(d, store):
    records = seed_records(store)
    assert len(records) == 3
    r = d.describe(records[0])
    assert r.kind == "mitigation" and r.has_type(AIRM + "Mitigation")
    x = r.extras
    assert x["categories"] and x["categories"][0]["concept"].code and x["categories"][0]["definition"]
    assert x["categories"][0]["broader"], "the category's parent ('Also in')"
    assert x["evidence"] and x["evidence"][0]["quote"]
    assert any(c["reasoning"] for c in x["classifications"])
    heading = d.describe(BASE + "mitigation/shi2024-value-misalignment")
    assert len(heading.extras["children"]) == 4
    child = d.describe(heading.extras["children"][0].value)
    assert [p.value for p in child.extras["parents"]] == [heading.iri]
    assert {role["role"] for role in x["roles"]} == {"Lifecycle stage", "Actor", "AI RMF function"}
    assert all(role["definition"] for role in x["roles"])
    citation = x["citations"][0]
    assert citation["title"].startswith("Large Language Model Safety")
    assert len(citation["authors"]) == 13 and citation["authors"][0].value == BASE + "person/shi-dan"
    assert x["siblings"] and all(s["mitigation"].value != r.iri for s in x["siblings"])
    assert any(s["code"] for s in x["siblings"])


def test_rdf_description_has_its_type_lists_and_labelled_neighbours(d):
    doc = BASE + "document/shi2024"
    r = d.describe(doc)
    node = ox.NamedNode(doc)
    assert ox.Triple(node, RDF_TYPE, ox.NamedNode(AIRM + "SourceDocument")) in r.triples
    firsts = [t for t in r.triples if t.predicate.value.endswith("#first")]
    assert len(firsts) == 13, "the rdf:List of authors is expanded"
    incoming = {t.subject for t in r.triples if t.object == node}
    assert incoming, "mitigations citing the document"
    labelled = {t.subject for t in r.triples if t.predicate.value.endswith(("#label", "#prefLabel", "/name"))}
    has_label = {s for s in incoming if d.label(s.value)}
    assert has_label and has_label <= labelled, "every incoming subject with a label comes with it"


def test_unknown_iri_is_none(store):
    assert describe(store, BASE + "mitigation/no-such-thing") is None


def test_kinds(d):
    kinds = {
        "person/shi-dan": "person",
        "vocab/mitigation-taxonomy/1.1": "category",
        "vocab/mitigation-taxonomy": "scheme",
        "vocab/lifecycle-stage/build-and-use-model": "stage",
        "vocab/actor/developer": "actor",
        "vocab/airm-function/manage": "function",
        "risk/shi2024-value-misalignment": "risk",
        "vocab/risk-domain/1": "riskcategory",
        "dataset/mit-mitigation-database-v1": "dataset",
        "ontology": "ontology",
        "evidence/A0086_Future_of_Life_Institute2024": "evidence",
        "classification/A0086_Future_of_Life_Institute2024/curator": "classification",
    }
    assert {path: d.describe(BASE + path, extras=False).kind for path in kinds} == kinds


def test_concept_counts_agree_with_sparql(d, store):
    from conftest import select

    tree = d.tree(BASE + "vocab/mit-v1-mitigation-taxonomy")
    for top in tree:
        rows = select(
            store,
            f"""SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {{
            ?m airm:mitigationCategory/skos:broaderTransitive* <{top.term.value}> }}""",
        )
        assert top.count == int(rows[0]["n"]), top.term.value
        assert top.count >= sum(c.direct for c in top.children)
    assert sum(top.count for top in tree) > 800
