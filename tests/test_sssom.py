"""The SSSOM mapping sets of data/mappings/: valid for the `sssom` package, complete (every mapping
with predicate, SEMAPV justification, confidence, author and date), pointing only at IRIs that exist,
and faithfully turned into RDF in ontology/mappings/ (the justification and confidence kept)."""

from __future__ import annotations

import warnings
from collections import Counter

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from kg import align
from kg.generate import nexus_links, nist
from kg.namespaces import AIRM, KG

from conftest import ROOT

SETS = align.mapping_sets(ROOT)
NAMES = [ms.name for ms in SETS]
SSSOM = "https://w3id.org/sssom/"
PAV = "http://purl.org/pav/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def by_name(name: str) -> align.MappingSet:
    return next(ms for ms in SETS if ms.name == name)


@pytest.fixture(scope="module")
def sssom_lib():
    """The `sssom` package (it pulls in linkml and pandas, which warn on import and use)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sssom.constants import SchemaValidationType
        from sssom.parsers import parse_sssom_table
        from sssom.validators import validate
    return parse_sssom_table, validate, SchemaValidationType


def test_there_are_mapping_sets_for_every_vocabulary_the_issue_names():
    assert set(NAMES) >= {
        "airm-ontology-alignment",
        "mitigation-taxonomy-alignment",
        "mit-v1-taxonomy-alignment",
        "mit-v1-to-mitigation-taxonomy",
        "actor-alignment",
        "lifecycle-stage-alignment",
        "airm-function-alignment",
        "vocabularies-to-nexus",
        "nist-gai-risk-to-mit-risk-domain",
        "nist-ai-actor-task-alignment",
        "mit-v1-to-nist-ai-600-1",
    }


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", NAMES)
def test_each_set_is_valid_sssom(name, sssom_lib):
    parse_sssom_table, validate, kinds = sssom_lib
    ms = by_name(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        msdf = parse_sssom_table(str(ms.path))
        report = validate(
            msdf, [kinds.JsonSchema, kinds.PrefixMapCompleteness, kinds.StrictCurieFormat], fail_on_error=False
        )
    problems = [r.message for rep in report.values() for r in rep.results]
    assert not problems, "\n".join(problems)
    assert len(msdf.df) == len(ms.rows)
    assert msdf.metadata["mapping_set_id"] == f"https://w3id.org/airm-kg/mappings/{name}"
    assert msdf.metadata["license"] == CC_BY


@pytest.mark.filterwarnings("ignore")
def test_the_sssom_validator_rejects_a_broken_set(sssom_lib, tmp_path):
    """The check above is not vacuous: a bad justification and a confidence above 1 are errors."""
    parse_sssom_table, validate, kinds = sssom_lib
    text = by_name("actor-alignment").path.read_text(encoding="utf-8")
    bad = tmp_path / "bad.sssom.tsv"
    bad.write_text(text.replace("semapv:ManualMappingCuration\t0.85", "semapv:Guesswork\t1.85", 1), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = validate(parse_sssom_table(str(bad)), [kinds.JsonSchema], fail_on_error=False)
    messages = " ".join(r.message for rep in report.values() for r in rep.results)
    assert "Guesswork" in messages and "1.85" in messages


@pytest.mark.parametrize("name", NAMES)
def test_every_mapping_has_predicate_justification_confidence_author_and_date(name):
    ms = by_name(name)
    assert ms.meta["mapping_set_id"] == f"{align.MAPPING_SET}{name}"
    assert ms.meta["license"] == CC_BY
    assert ms.meta.get("mapping_set_title") and ms.meta.get("mapping_set_description")
    assert ms.meta.get("creator_id") == ["kg:agent/airm-kg-curators"]
    ids = [row["record_id"] for row in ms.rows]
    assert len(ids) == len(set(ids)) and ids == [f"kgm:{name}/{n:03d}" for n in range(1, len(ids) + 1)]
    for row in ms.rows:
        assert row["predicate_id"] in (
            "skos:exactMatch",
            "skos:closeMatch",
            "skos:broadMatch",
            "skos:narrowMatch",
            "skos:relatedMatch",
            "rdfs:subClassOf",
            "rdfs:subPropertyOf",
        ), row
        assert row["mapping_justification"].startswith("semapv:"), row
        assert 0.0 <= float(row["confidence"]) <= 1.0, row
        assert row["author_id"] == "kg:agent/airm-kg-curators", row
        assert row["mapping_date"] == ms.meta["mapping_set_version"], row
        assert row["comment"], f"{name} {row['record_id']}: say why (comment)"


def test_curated_sets_are_manual_curation_and_the_computed_one_is_lexical():
    for ms in SETS:
        justifications = {row["mapping_justification"] for row in ms.rows}
        if ms.name == "mit-v1-to-nist-ai-600-1":
            assert justifications == {"semapv:LexicalSimilarityThresholdMatching"}
            assert all(row["similarity_score"] and row["similarity_measure"] for row in ms.rows)
        else:
            assert justifications == {"semapv:ManualMappingCuration"}


def test_no_equivalence_or_identity_to_foreign_terms():
    for ms in SETS:
        for row in ms.rows:
            assert row["predicate_id"] not in ("owl:equivalentClass", "owl:sameAs", "owl:equivalentProperty")


def test_every_iri_of_every_mapping_exists():
    """Foreign IRIs in the shipped copy of their ontology (offline), ours in our committed graphs."""
    assert align.check_mapping_sets(ROOT, align.own_terms(ROOT)) == []


def test_an_absent_iri_is_reported(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sources").symlink_to(ROOT / "data" / "sources")
    (tmp_path / "data" / "mappings").mkdir()
    text = by_name("actor-alignment").path.read_text(encoding="utf-8")
    (tmp_path / "data" / "mappings" / "actor-alignment.sssom.tsv").write_text(
        text.replace("airo:AIDeveloper", "airo:AIDevelopper", 1), encoding="utf-8"
    )
    problems = align.check_mapping_sets(tmp_path)
    assert len(problems) == 1 and "airo:AIDevelopper does not exist in the shipped airo ontology" in problems[0]


# --- the RDF generated from the sets (ontology/mappings/) -----------------------------------------------


@pytest.fixture(scope="module")
def rdf() -> dict[str, Graph]:
    return {name: Graph().parse(ROOT / "ontology" / "mappings" / f"{name}.ttl") for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_each_row_is_a_triple_and_a_mapping_record_with_its_provenance(name, rdf):
    ms, g = by_name(name), rdf[name]
    s = URIRef(f"{align.MAPPING_SET}{name}")
    assert (s, RDF.type, AIRM.MappingSet) in g
    assert g.value(s, AIRM.mappingCount) == Literal(len(ms.rows), datatype=XSD.integer)
    assert g.value(s, DCTERMS.license) == URIRef(CC_BY)
    records = set(g.subjects(RDF.type, AIRM.Mapping))
    assert len(records) == len(ms.rows)
    for row in ms.rows:
        where = f"line {row['_line']}"
        subject, predicate, obj = (URIRef(ms.iri(row[c], where)) for c in ("subject_id", "predicate_id", "object_id"))
        m = URIRef(ms.iri(row["record_id"], where))
        assert m in records
        assert g.value(m, AIRM.mappingSubject) == subject
        assert g.value(m, AIRM.mappingPredicate) == predicate
        assert g.value(m, AIRM.mappingObject) == obj
        assert g.value(m, URIRef(SSSOM + "mapping_justification")) == URIRef(
            ms.iri(row["mapping_justification"], where)
        )
        assert float(g.value(m, URIRef(SSSOM + "confidence"))) == float(row["confidence"])
        assert g.value(m, URIRef(SSSOM + "confidence")).datatype == XSD.double
        assert g.value(m, URIRef(PAV + "authoredBy")) == KG["agent/airm-kg-curators"]
        assert g.value(m, DCTERMS.created) == Literal(row["mapping_date"], datatype=XSD.date)
        assert g.value(m, URIRef("http://rdfs.org/ns/void#inDataset")) == s
        assert str(g.value(m, RDFS.comment)) == row["comment"]
        if str(predicate).startswith(str(SKOS)):
            assert (subject, predicate, obj) in g
        else:
            assert (subject, predicate, obj) not in g, "logical axioms live in ontology/alignment.ttl only"


def test_logical_rows_are_exactly_the_axioms_of_the_alignment_module():
    alignment = Graph().parse(ROOT / "ontology" / "alignment.ttl")
    axioms = {
        (s, p, o)
        for p in (RDFS.subClassOf, RDFS.subPropertyOf)
        for s, o in alignment.subject_objects(p)
        if align.module_of(str(o)) is not None
    }
    rows = set()
    for ms in SETS:
        for row in ms.rows:
            if row["predicate_id"] in ("rdfs:subClassOf", "rdfs:subPropertyOf"):
                rows.add(tuple(URIRef(ms.iri(row[c], "")) for c in ("subject_id", "predicate_id", "object_id")))
    assert rows == axioms


def test_vocabularies_to_nexus_maps_every_concept_generated_from_a_nexus_record_to_it():
    vocab = Graph()
    for name in ("risk-domain", "risk-cause"):
        vocab.parse(ROOT / "ontology" / "vocab" / f"{name}.ttl")
    vocab += Graph().parse(ROOT / "data" / "nist-ai-600-1.ttl")
    expected = {
        (str(c), "https://w3id.org/ai-atlas-nexus/" + str(i))
        for c, i in vocab.subject_objects(DCTERMS.identifier)
        if (c, RDF.type, AIRM.RiskCategory) in vocab
    }
    ms = by_name("vocabularies-to-nexus")
    got = {(ms.iri(r["subject_id"], ""), ms.iri(r["object_id"], "")) for r in ms.rows}
    assert got == expected
    assert {r["predicate_id"] for r in ms.rows} == {"skos:exactMatch"}
    assert len(got) == 31 + 12 + 12  # MIT domains and subdomains, causal factors and values, NIST risks


def test_the_v1_to_nist_set_is_what_the_matcher_computes():
    assert by_name("mit-v1-to-nist-ai-600-1").path.read_text(encoding="utf-8") == nist.matches_tsv(ROOT)


def test_the_v1_to_nexus_set_links_every_v1_mitigation_to_its_shipped_nexus_control():
    ms = by_name("mit-v1-to-nexus")
    assert ms.path.read_text(encoding="utf-8") == nexus_links.mapping_tsv(ROOT), "run `kg generate`"
    v1 = Graph().parse(ROOT / "data" / "mit-v1.ttl")
    mitigations = {str(m) for m in v1.subjects(RDF.type, AIRM.Mitigation)}
    records = align.nexus_records(ROOT)
    controls = {i for i, r in records.items() if r["_section"] == "controls"}
    pairs = {(ms.iri(r["subject_id"], ""), ms.iri(r["object_id"], "")) for r in ms.rows}
    assert {s for s, _ in pairs} == mitigations and len(pairs) == len(mitigations) == len(controls)
    for s, o in pairs:
        ident = s.removeprefix(str(KG) + "mitigation/")
        assert o == "https://w3id.org/ai-atlas-nexus/" + ident and ident in controls
    assert {r["predicate_id"] for r in ms.rows} == {"skos:exactMatch"}
    rdf = Graph().parse(ROOT / "ontology" / "mappings" / "mit-v1-to-nexus.ttl")
    assert {(str(s), str(o)) for s, o in rdf.subject_objects(SKOS.exactMatch)} == pairs
    assert len(set(rdf.subjects(RDF.type, AIRM.Mapping))) == len(pairs)


def test_a_v1_link_to_anything_but_a_shipped_nexus_control_fails(tmp_path):
    import shutil

    from kg.errors import InputError

    shutil.copytree(ROOT / "data" / "sources", tmp_path / "data" / "sources")
    (tmp_path / "data" / "mappings").mkdir()
    tsv = by_name("mit-v1-to-nexus").path.read_text(encoding="utf-8")
    broken = tsv.replace("\tnexus:A0086_Future_of_Life_Institute2024\t", "\tnexus:A9999_Nowhere2024\t", 1)
    (tmp_path / "data" / "mappings" / "mit-v1-to-nexus.sssom.tsv").write_text(broken, encoding="utf-8")
    problems = align.check_mapping_sets(tmp_path)
    assert len(problems) == 1 and "A9999_Nowhere2024" in problems[0], problems
    # a control whose id is another Nexus record's (here a risk domain's) is not linked to that record
    controls = tmp_path / "data" / "sources" / "risk-atlas-nexus" / "mit_ai_risk_repository_data_controls.yaml"
    text = controls.read_text(encoding="utf-8")
    controls.write_text(text.replace("- id: A0086_Future_of_Life_Institute2024", "- id: mit-ai-risk-domain-1", 1))
    with pytest.raises(InputError, match="'mit-ai-risk-domain-1' is not a control record"):
        nexus_links.controls(tmp_path)


def test_counts_per_set():
    counts = Counter({ms.name: len(ms.rows) for ms in SETS})
    assert counts["mit-v1-to-nist-ai-600-1"] == 203
    assert sum(counts.values()) == sum(len(ms.rows) for ms in SETS) >= 450
