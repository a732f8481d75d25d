"""Persons are one resource whatever the spelling (docs/model.md, "Persons"): identity is the
normalised family + given names (`kg.iris.person_key`), the fuller spelling is the name and the
others are skos:altLabel, in the generators and in `kg import`; organisations as authors are
foaf:Organization; documents with the same DOI or the same normalised title and year are one."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import FOAF, RDF, RDFS, SKOS

from kg.curate import checks
from kg.curate.rows import parse_author
from kg.generate.authors import parse_name
from kg.iris import fuller_spelling, person_key
from kg.namespaces import KG
from kg.records.write import add_person, new_graph

from conftest import ROOT, built_copy

DS = KG["dataset/test"]

# (one spelling, another, the same person?) - "Family, Given" is how a curator's export writes a
# name, "Given Family" how the v1 sources do.
PAIRS = [
    ("Gipiškis, Rokas", "Rokas Gipiskis", True),  # diacritics, and the two orders of writing
    ("Gipiškis, Rokas", "Gipiskis, Rokas", True),
    ("Regenfuß, Adrian", "Adrian Regenfuss", True),  # a letter NFKD does not decompose
    ("Gipiškis, Rokas", "Gipis\u030ckis, Rokas", True),  # NFC and NFD forms (s + combining caron)
    ("GIPIŠKIS, ROKAS", "Gipiškis, Rokas", True),  # case
    ("van Soest, Jan", "Van Soest, Jan", True),
    ("Dupont-Aignan, Nicolas", "Dupont Aignan, Nicolas", True),  # hyphens
    ("Okolo, Chinasa T.", "Okolo, Chinasa T", True),  # an initial with or without its dot
    ("Gipiškis, R.", "Gipiškis, Rokas", False),  # an initial is not the given name
    ("Rokas, Gipiškis", "Gipiškis, Rokas", False),  # family and given names swapped
    ("Gipiškis, Rokas", "Gipiškis, Ramūnas", False),
    ("Soest, Jan van", "van Soest, Jan", False),  # where the particle goes changes the family name
]


def key(spelling: str) -> str:
    a = parse_author(spelling) if "," in spelling else parse_name(spelling, "test")
    return person_key(a.family or "", a.given)


@pytest.mark.parametrize("one, other, same", PAIRS, ids=[f"{a} | {b}" for a, b, _ in PAIRS])
def test_identity_of_a_person(one, other, same):
    assert (key(one) == key(other)) is same
    assert (parse_author(one).iri == parse_author(other if "," in other else _comma(other)).iri) is same


def _comma(given_family: str) -> str:
    a = parse_name(given_family, "test")
    return f"{a.family}, {a.given}"


@pytest.mark.parametrize(
    "known, other, kept",
    [
        ("Rokas Gipiskis", "Rokas Gipiškis", "Rokas Gipiškis"),
        ("Rokas Gipiškis", "Rokas Gipiskis", "Rokas Gipiškis"),
        ("Jan van Soest", "Jan Van Soest", "Jan van Soest"),  # a tie keeps the name already known
        ("Jan Van Soest", "Jan van Soest", "Jan Van Soest"),
        ("JOHN SMITH", "John Smith", "John Smith"),  # capitals throughout are not fuller
        ("john smith", "John Smith", "John Smith"),
    ],
)
def test_the_fuller_spelling_is_kept(known, other, kept):
    assert fuller_spelling(known, other) == kept


def test_a_generator_writing_two_spellings_makes_one_person_with_an_alternative_label():
    g = new_graph()
    first = add_person(g, DS, "Gipiskis", "Rokas")
    second = add_person(g, DS, "Gipiškis", "Rokas")
    assert first == second == KG["person/gipiskis-rokas"]
    assert list(g.objects(first, FOAF.name)) == [Literal("Rokas Gipiškis")]
    assert list(g.objects(first, RDFS.label)) == [Literal("Rokas Gipiškis")]
    assert list(g.objects(first, FOAF.familyName)) == [Literal("Gipiškis")]
    assert list(g.objects(first, SKOS.altLabel)) == [Literal("Rokas Gipiskis")]
    add_person(g, DS, "Gipiskis", "Rokas")  # the plainer spelling again changes nothing
    assert list(g.objects(first, FOAF.name)) == [Literal("Rokas Gipiškis")]
    assert list(g.objects(first, SKOS.altLabel)) == [Literal("Rokas Gipiskis")]


def test_organisations_as_authors_are_organisations_in_the_generators_and_the_importer():
    v1 = Graph().parse(ROOT / "data" / "mit-v1.ttl")
    fli = KG["organization/future-of-life-institute"]
    assert (fli, RDF.type, FOAF.Organization) in v1 and (fli, RDF.type, FOAF.Person) not in v1
    assert parse_name("Future of Life Institute", "test").organization == "Future of Life Institute"
    assert parse_author("Future of Life Institute").iri == fli


@pytest.mark.parametrize(
    "cells, column",
    [
        ({"DOI": "https://doi.org/10.1000/ABC", "Title": "Other", "Year": "2020"}, "DOI"),
        ({"DOI": "", "Title": "  risk SOURCES: and Risk management ", "Year": "2024"}, "Title"),
    ],
)
def test_a_new_source_id_for_a_known_document_is_named(cells, column):
    current = {"doc-A": {"DOI": "10.1000/abc", "Title": "Risk sources and risk management", "Year": "2024"}}
    found = checks._same_document(cells, current, "B")
    assert found is not None and found[0] == column and "'doc-A'" in found[1]
    assert checks._same_document({**cells, "Year": "2023", "DOI": ""}, current, "B") is None


# --- end to end: a curator's export with "Gipiškis, Rokas" ------------------------------------------


def kg(settings, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    env.update({"KG_ROOT": str(settings.root), "KG_BUILD_DIR": str(settings.build_dir), "KG_REASONER": "0"})
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, env=env, timeout=600)


def ask(settings, query: str) -> list[list[str]]:
    done = kg(settings, "query", "--format", "csv", query)
    assert done.returncode == 0, done.stderr
    return list(csv.reader(done.stdout.splitlines()))[1:]


@pytest.mark.slow
def test_a_curators_export_with_a_variant_spelling_imports_into_the_existing_person(tmp_path):
    settings = built_copy(tmp_path / "project")
    out = tmp_path / "export"
    assert kg(settings, "export", "--format", "csv", "-o", str(out)).returncode == 0
    documents = next(out.glob("*documents*.csv"))
    with documents.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    row = next(r for r in rows if r["SourceID"] == "doc-Gipiskis2024")
    assert row["Author list"].startswith("Gipiskis, Rokas;")
    row["Author list"] = row["Author list"].replace("Gipiskis, Rokas", "Gipiškis, Rokas")
    with documents.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    cited = "SELECT ?m WHERE { ?m airm:sourceDocument <https://w3id.org/airm-kg/document/Gipiskis2024> }"
    before = ask(settings, cited)

    done = kg(settings, "import", *sorted(str(p) for p in out.glob("*.csv")))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error:" not in done.stdout
    assert "notice: " in done.stdout and "'Gipiškis, Rokas' is the person known as 'Rokas Gipiskis'" in done.stdout
    person = "<https://w3id.org/airm-kg/person/gipiskis-rokas>"
    names = ask(settings, f"SELECT ?p ?o WHERE {{ {person} ?p ?o }} ORDER BY ?p ?o")
    by = {}
    for p, o in names:
        by.setdefault(p, []).append(o)
    assert by[str(FOAF.name)] == ["Rokas Gipiškis"]
    assert by[str(RDFS.label)] == ["Rokas Gipiškis"]
    assert by[str(FOAF.familyName)] == ["Gipiškis"]
    assert by[str(SKOS.altLabel)] == ["Rokas Gipiskis"]
    persons = ask(
        settings, "SELECT DISTINCT ?p WHERE { <https://w3id.org/airm-kg/document/Gipiskis2024> dcterms:creator ?p }"
    )
    assert len(persons) == 6 and [person.strip("<>")] in persons
    assert ask(settings, cited) == before and len(before) > 0, "no mitigation citing the document is lost"
    assert kg(settings, "validate").returncode == 0

    again = tmp_path / "again"
    assert kg(settings, "export", "--format", "csv", "-o", str(again)).returncode == 0
    with next(again.glob("*documents*.csv")).open(encoding="utf-8-sig", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["SourceID"] == "doc-Gipiskis2024")
    assert row["Author list"].startswith("Gipiškis, Rokas;")
    done = kg(settings, "import", *sorted(str(p) for p in again.glob("*.csv")))
    assert done.returncode == 0 and "unchanged" in done.stdout.lower(), done.stdout + done.stderr
