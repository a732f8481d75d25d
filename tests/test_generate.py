"""`kg generate`: the committed vocabularies and data are exactly what the generators make from
data/sources/, and they say what the sources say."""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter

import pytest
import yaml
from rdflib import Graph, Literal
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS

from kg.errors import InputError
from kg.generate import generate_all, mit_v1
from kg.generate.reference import load_reference
from kg.namespaces import AIRM, BIBO, CMETHOD, KG, MTAX, V1TAX, VS, bind_all

from conftest import ROOT

NEXUS = ROOT / "data" / "sources" / "risk-atlas-nexus"
REFERENCE = ROOT / "data" / "sources" / "reference" / "mitigation-taxonomy-v2.yaml"
SEEDS = ROOT / "data" / "sources" / "seeds"
VOCAB_FILES = sorted((ROOT / "ontology" / "vocab").glob("*.ttl"))


def committed() -> set[str]:
    files = [
        *(ROOT / "ontology" / "vocab").glob("*.ttl"),
        *(ROOT / "data").glob("*.ttl"),
        *(ROOT / "data" / "derived").glob("*.ttl"),
        *(ROOT / "ontology" / "imports").glob("*.ttl"),
        *(ROOT / "ontology" / "mappings").glob("*.ttl"),
    ]
    generated_sets = ("mit-v1-to-nist-ai-600-1", "mit-v1-to-nexus")  # the others are curated by hand
    files += [ROOT / "data" / "mappings" / f"{name}.sssom.tsv" for name in generated_sets]
    return {p.relative_to(ROOT).as_posix() for p in files}


def parse(*paths) -> Graph:
    g = Graph()
    bind_all(g)
    for p in paths:
        g.parse(p, format="turtle")
    return g


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    return out, generate_all(ROOT, out)


@pytest.fixture(scope="module")
def v1() -> Graph:
    return parse(ROOT / "data" / "mit-v1.ttl")


@pytest.fixture(scope="module")
def seed() -> Graph:
    return parse(ROOT / "data" / "seed.ttl")


@pytest.fixture(scope="module")
def vocab() -> Graph:
    return parse(*VOCAB_FILES)


def tsv_rows() -> list[dict]:
    lines = [
        line
        for line in (NEXUS / "mit_ai_risk_mitigation_mappings.tsv").read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    ]
    return list(csv.DictReader(lines, delimiter="\t"))


def controls() -> list[dict]:
    return yaml.safe_load((NEXUS / "mit_ai_risk_repository_data_controls.yaml").read_text(encoding="utf-8"))["controls"]


# --- reproducibility ------------------------------------------------------------------------


def test_committed_files_are_the_generators_output(generated):
    out, written = generated
    produced = {p.relative_to(out).as_posix() for p in written}
    assert produced == committed(), "the generated files differ from the committed ones: run `kg generate`"
    for rel in sorted(produced):
        assert (out / rel).read_bytes() == (ROOT / rel).read_bytes(), f"{rel} is stale: run `kg generate`"


# --- vocabularies ---------------------------------------------------------------------------


def test_reference_descriptions_are_read_whole():
    """Unquoted descriptions with commas inside flow mappings are read as written."""
    text = REFERENCE.read_text(encoding="utf-8")
    ref = load_reference(ROOT)
    for key in ("taxonomy", "lifecycle_stages", "actors", "airm_functions"):
        for entry in ref[key]:
            assert set(entry) <= {"code", "name", "parent", "status", "description", "label"}, entry
            assert (
                f"description: {entry['description']}}}" in text or f'description: "{entry["description"]}"}}' in text
            ), entry


def test_every_v2_code_is_a_concept_and_unnamed_codes_stay_unnamed(vocab):
    for entry in yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))["taxonomy"]:
        concept = MTAX[entry["code"]]
        assert (concept, RDF.type, AIRM.MitigationCategory) in vocab, entry["code"]
        assert vocab.value(concept, SKOS.notation) == Literal(entry["code"])
        labels = list(vocab.objects(concept, SKOS.prefLabel))
        if entry["name"] is None:
            assert labels == [], f"{entry['code']} has no published name: never invent one"
            assert (concept, AIRM.nameStatus, AIRM.NameUnknown) in vocab
        else:
            assert labels == [Literal(entry["name"], lang="en")]
            assert (concept, AIRM.nameStatus, None) not in vocab


def test_navigator_descriptions_are_the_definitions_of_their_codes(vocab):
    seeds = yaml.safe_load((SEEDS / "seed-records.yaml").read_text(encoding="utf-8"))
    for page in seeds["pages"]:
        concept = MTAX[page["record"]["code"]]
        assert vocab.value(concept, SKOS.definition) == Literal(page["category_description"], lang="en")
        assert vocab.value(concept, SKOS.scopeNote) is not None


@pytest.mark.parametrize("path", VOCAB_FILES, ids=lambda p: p.stem)
def test_every_concept_has_a_label_and_a_definition(path):
    g = parse(path)
    schemes = list(g.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(schemes) == 1
    for p in (DCTERMS.title, SKOS.definition, DCTERMS.source, DCTERMS.license, SKOS.hasTopConcept):
        assert g.value(schemes[0], p) is not None, (schemes[0], p)
    for c in g.subjects(RDF.type, SKOS.Concept):
        assert len(list(g.objects(c, SKOS.definition))) == 1, c
        unnamed = (c, AIRM.nameStatus, AIRM.NameUnknown) in g
        assert len(list(g.objects(c, SKOS.prefLabel))) == (0 if unnamed else 1), c
        assert (c, SKOS.inScheme, schemes[0]) in g and str(c).startswith(str(schemes[0]) + "/")
        assert g.value(c, VS.term_status) in (Literal("stable"), Literal("testing")), c


@pytest.mark.parametrize("path", VOCAB_FILES, ids=lambda p: p.stem)
def test_hierarchy_is_written_both_ways(path):
    g = parse(path)
    assert set(g.subject_objects(SKOS.broader)) == {(n, b) for b, n in g.subject_objects(SKOS.narrower)}
    tops = set(g.subjects(SKOS.topConceptOf))
    assert tops == set(g.objects(predicate=SKOS.hasTopConcept))
    assert tops == {c for c in g.subjects(RDF.type, SKOS.Concept) if g.value(c, SKOS.broader) is None}


def test_v1_taxonomy_hierarchy_follows_each_groups_broader(vocab):
    groups = yaml.safe_load((NEXUS / "mit_ai_risk_mitigation_data.yaml").read_text(encoding="utf-8"))["groups"]
    code = lambda gid: gid.rsplit("-group-", 1)[1]
    for group in groups:
        expected = {V1TAX[code(b)] for b in group.get("broader") or []}
        assert set(vocab.objects(V1TAX[code(group["id"])], SKOS.broader)) == expected


# --- MIT v1 database ------------------------------------------------------------------------


def test_every_control_is_a_mitigation(v1):
    ids = {c["id"] for c in controls()}
    found = {str(v1.value(m, DCTERMS.identifier)) for m in v1.subjects(RDF.type, AIRM.Mitigation)}
    assert found == ids
    assert all((KG[f"mitigation/{i}"], RDF.type, AIRM.Mitigation) in v1 for i in ids)


def test_classified_mitigations_equal_the_tsv_rows(v1):
    rows = tsv_rows()
    classified = set(v1.subjects(AIRM.mitigationCategory, None))
    assert len(classified) == len(rows) == len({r["subject_id"] for r in rows})


def test_v1_counts_per_category_equal_the_tsv(v1):
    expected = Counter(r["object_id"].rsplit("-group-", 1)[1] for r in tsv_rows())
    query = """
        SELECT ?cat (COUNT(DISTINCT ?m) AS ?n) WHERE {
          ?c a airm:Classification ; airm:classifies ?m ; airm:category ?cat ;
             airm:classificationMethod cmethod:curator .
          ?m airm:mitigationCategory ?cat .
        } GROUP BY ?cat"""
    found = {
        str(row.cat)[len(str(V1TAX)) :]: int(row.n)
        for row in v1.query(query, initNs={"airm": AIRM, "cmethod": CMETHOD})
    }
    assert found == dict(expected)


def test_every_document_cited_by_a_control_is_described(v1):
    cited = Counter(c["hasDocumentation"][0] for c in controls())
    for doc_id, n in cited.items():
        docs = list(v1.subjects(DCTERMS.identifier, Literal(doc_id)))
        assert len(docs) == 1, doc_id
        assert len(list(v1.objects(docs[0], AIRM.documentMitigation))) == n
        assert v1.value(docs[0], DCTERMS.title) is not None


def test_a_person_in_several_documents_is_one_resource(v1):
    names = Counter(str(v1.value(p, FOAF.name)) for p in v1.subjects(RDF.type, FOAF.Person))
    assert names and max(names.values()) == 1
    garfinkel = KG["person/garfinkel-ben"]
    assert len(set(v1.subjects(DCTERMS.creator, garfinkel))) == 2


def test_the_sb1047_author_override(v1):
    doc = KG["document/Wiener2024"]
    authors = list(Collection(v1, v1.value(doc, BIBO.authorList)))
    assert [str(v1.value(a, FOAF.familyName)) for a in authors] == ["Wiener", "Roth", "Rubio", "Stern"]
    assert all(v1.value(a, FOAF.givenName) is None for a in authors)


def _sources_copy(tmp_path):
    shutil.copytree(ROOT / "data" / "sources", tmp_path / "data" / "sources")
    return tmp_path / "data" / "sources" / "risk-atlas-nexus" / "mit_ai_risk_mitigation_mappings.tsv"


@pytest.mark.parametrize(
    "old,new,what",
    [
        ("nexus:A0086_Future_of_Life_Institute2024\t", "nexus:A9999_Nowhere\t", "unknown control"),
        ("mitigation-group-1.1\tBoard", "mitigation-group-9.9\tBoard", "unknown category"),
    ],
)
def test_a_bad_mapping_row_fails_naming_its_line(tmp_path, old, new, what):
    tsv = _sources_copy(tmp_path)
    text = tsv.read_text(encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    tsv.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError, match=rf"line {line}: {what}"):
        mit_v1.build(tmp_path)


# --- seeds ----------------------------------------------------------------------------------


def test_seed_document_authors_in_page_order(seed):
    page = (SEEDS / "000_7a79d1d984c96b88.txt").read_text(encoding="utf-8")
    line = next(x for x in page.split("\n") if re.fullmatch(r".+; .+ \(\d{4}\)", x))
    shown = [a.split(", ") for a in line.rsplit(" (", 1)[0].split("; ")]
    authors = list(Collection(seed, seed.value(KG["document/shi2024"], BIBO.authorList)))
    assert [(str(seed.value(a, FOAF.familyName)), str(seed.value(a, FOAF.givenName))) for a in authors] == [
        tuple(s) for s in shown
    ]
    assert set(seed.objects(KG["document/shi2024"], DCTERMS.creator)) == set(authors)


def test_seed_records_one_per_record(seed):
    data = yaml.safe_load((SEEDS / "seed-records.yaml").read_text(encoding="utf-8"))
    mitigations = set(seed.subjects(RDF.type, AIRM.Mitigation))
    assert len(mitigations) == len(data["pages"]) + len(data["records"])
    for page in data["pages"]:
        own = KG[f"mitigation/shi2024-{page['page']}"]
        assert own in mitigations
        name = page["record"].get("name")
        assert list(seed.objects(own, RDFS.label)) == ([Literal(name)] if name else [])
        assert seed.value(own, AIRM.mitigationCategory) == MTAX[page["record"]["code"]]


def test_seed_headings_name_risks_and_children(seed):
    heading = KG["mitigation/shi2024-value-misalignment"]
    risk = KG["risk/shi2024-value-misalignment"]
    children = set(seed.objects(heading, AIRM.childMitigation))
    assert children == set(seed.subjects(AIRM.parentMitigation, heading)) and children
    assert set(seed.subjects(AIRM.addressesRisk, risk)) == children | {heading}
    assert set(seed.objects(risk, AIRM.addressedBy)) == children | {heading}
