"""Quality checks as queries (queries/qc/*.rq, run by `kg build`): each says its intent and fix, each
fires on a defect planted in the small fixture project (and only that check), a defect fails the
build with the query's comment and rows and keeps the last release, and the real build passes."""

from __future__ import annotations

import shutil

import pytest

from kg import api
from kg.errors import InputError, QualityCheckFailed
from kg.pipeline import qc
from kg.release import directory

from conftest import ROOT, built_copy, project_settings, small_copy

PREFIXES = """PREFIX airm: <https://w3id.org/airm-kg/ontology#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX kg: <https://w3id.org/airm-kg/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""

# check -> (a defect in Turtle, a text its rows must show)
PLANTED = {
    "dangling-iris": (
        "<https://w3id.org/airm-kg/note/1> a prov:Entity ; rdfs:seeAlso <https://w3id.org/airm-kg/document/Nowhere2030> .",
        "kg:document/Nowhere2030",
    ),
    "void-triples": (
        "<https://w3id.org/airm-kg/note/2> a prov:Entity ; void:triples 999 .",
        "declared=999",
    ),
    "unlinked-concepts": (
        """<https://w3id.org/airm-kg/vocab/actor/stray> a skos:Concept, airm:Actor ;
            skos:prefLabel "Stray actor"@en ; skos:definition "An actor linked to nothing."@en ;
            skos:inScheme <https://w3id.org/airm-kg/vocab/actor> .""",
        "actor:stray",
    ),
    "duplicate-persons": (
        """<https://w3id.org/airm-kg/person/soest-jan-van> a foaf:Person ; foaf:name "Jan van Soest" ;
            rdfs:label "Jan van Soest" ; foaf:familyName "Soest" ; foaf:givenName "Jan van" .
        <https://w3id.org/airm-kg/person/van-soest-jan> a foaf:Person ; foaf:name "Jan Van Soest" ;
            rdfs:label "Jan Van Soest" ; foaf:familyName "Van Soest" ; foaf:givenName "Jan" .""",
        "kg:person/soest-jan-van",
    ),
}


def test_every_check_says_its_intent_and_fix_and_has_a_planted_defect():
    found = qc.checks(ROOT)
    assert {rel.removeprefix("queries/qc/").removesuffix(".rq") for rel, _ in found} == set(PLANTED)
    for rel, text in found:
        assert text.startswith("# Intent: "), rel
        assert "Fix: " in qc.comment(text)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small fixture project with the quality checks. Its ontology points to records of the
    datasets it leaves out (mapping records, the v1 taxonomy's document): they get a stub, as the full
    project describes them, so that the small project passes the checks before a defect is planted."""
    root = small_copy(tmp_path_factory.mktemp("qc"))
    settings = project_settings(root=root, build_dir=root / "build", reasoner=False)
    api.build(settings)
    outside = {
        row.split("iri=", 1)[1]
        for rel, _, rows in qc.run(ROOT, directory.current(settings).open_store())
        for row in rows
        if rel.endswith("dangling-iris.rq")
    }
    assert outside and all(iri.startswith(("kg:mapping/", "kg:document/")) for iri in outside), outside
    full = ["<https://w3id.org/airm-kg/" + iri.removeprefix("kg:") + ">" for iri in sorted(outside)]
    stubs = [f'{iri} rdfs:comment "described in the full project" .' for iri in full]
    (root / "data" / "outside.ttl").write_text(PREFIXES + "\n".join(stubs) + "\n", encoding="utf-8")
    shutil.copytree(ROOT / "queries" / "qc", root / "queries" / "qc")
    api.build(settings)
    return settings


@pytest.mark.parametrize("check", sorted(PLANTED))
def test_a_planted_defect_fails_the_build_with_the_checks_comment_and_rows(small, check):
    before = directory.current(small).id
    turtle, shown = PLANTED[check]
    planted = small.root / "data" / "planted.ttl"
    planted.write_text(PREFIXES + turtle + "\n", encoding="utf-8")
    try:
        with pytest.raises(QualityCheckFailed) as caught:
            api.build(small)
    finally:
        planted.unlink()
    assert [rel for rel, _, _ in caught.value.failures] == [f"queries/qc/{check}.rq"], "only this check fires"
    _, said, rows = caught.value.failures[0]
    assert rows and any(shown in row for row in rows), rows
    message = str(caught.value)
    assert f"queries/qc/{check}.rq" in message and said.splitlines()[0] in message and rows[0] in message
    assert caught.value.exit_code == 3
    assert directory.current(small).id == before, "a failed build leaves the last good release"


def test_a_check_without_its_comment_is_refused(tmp_path):
    (tmp_path / "queries" / "qc").mkdir(parents=True)
    (tmp_path / "queries" / "qc" / "bare.rq").write_text("SELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"queries/qc/bare.rq: .*Intent:.*Fix:"):
        qc.checks(tmp_path)


@pytest.mark.slow
def test_the_real_build_passes_every_check_and_so_does_its_stamped_release(tmp_path):
    settings = built_copy(tmp_path)  # a copy of the project's ontology, shapes and data
    assert qc.run(ROOT, directory.current(settings).open_store()) == []
    release = api.stamp_release("2026.12.02", settings)  # with void:triples in kg:graph/release
    assert qc.run(ROOT, release.open_store()) == []
