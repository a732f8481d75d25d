"""`kg import`: spreadsheet exports in, with row-level errors, provenance, and nothing half-changed.

The table of broken files runs against the real project's data (read once, never written); the
few tests that build work on copies of the project, without the reasoner.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
import yaml

from kg import api
from kg.curate import checks, importer
from kg.errors import ImportRejected, ValidationFailed
from kg.pipeline import build, overlay
from kg.records import columns, table
from kg.release import directory, stamp
from kg.shacl.validation import Violation

from conftest import ROOT, project_settings, select

FIXTURES = ROOT / "tests" / "fixtures" / "import"
M, D = columns.MITIGATION_COLUMNS, columns.DOCUMENT_COLUMNS


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, rows: list[dict], header=None) -> Path:
    header = header or list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def fixture(tmp: Path, mitigations=None, documents=None) -> list[Path]:
    """The fixture export (4 new mitigations of 1 new document), changed by the given functions."""
    m, d = read_rows(FIXTURES / "mitigations.csv"), read_rows(FIXTURES / "documents.csv")
    m, d = (mitigations or (lambda r: r))(m), (documents or (lambda r: r))(d)
    return [write_rows(tmp / "mitigations.csv", m), write_rows(tmp / "documents.csv", d)]


def edit(mid: str, **cells):
    def change(rows):
        for r in rows:
            if r.get("Mitigation_ID", r.get("SourceID")) == mid:
                r.update(cells)
        return rows

    return change


def xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def as_lists(path: Path) -> list[list]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def ctx():
    """The real project as the importer sees it (source "curated"), read once."""
    return checks.Context.load(project_settings(), "data/imports/curated.ttl")


def check(paths, tmp_path, ctx):
    """Read and check without writing anything but the report (in tmp)."""
    settings = project_settings(build_dir=tmp_path / "build")
    return importer.prepare(paths, settings, ctx=ctx).report


# --- the layout ---------------------------------------------------------------------------------


def test_columns_are_the_references_source_records():
    ref = yaml.safe_load((ROOT / "data/sources/reference/mitigation-taxonomy-v2.yaml").read_text(encoding="utf-8"))
    assert list(M) == ref["source_records"]["mitigation"]
    assert list(D) == ref["source_records"]["document"]


@pytest.mark.parametrize(
    "header, column",
    [
        ("mitigation id", "Mitigation_ID"),
        ("MITIGATION-ID", "Mitigation_ID"),
        ("Additional_Information", "Additional Information"),
        (" ai lifecycle primary ", "AILifecycle_Primary"),
        ("Human Classification", "human_classification"),
    ],
)
def test_header_names_match_leniently(header, column):
    matched = columns.match(
        [header, "Source"] + (["Mitigation_ID"] if column != "Mitigation_ID" else []), "mitigations"
    )
    assert matched.names.get(column) == header.strip() and not matched.duplicates and not matched.unknown


# --- broken files: every problem named by row, column and reason -------------------------------


def _bad_utf8(tmp):
    paths = fixture(tmp)
    raw = paths[0].read_bytes().replace(b"Developers write", b"D\xe9velopers write")
    paths[0].write_bytes(raw)
    return paths


def _with_column(tmp):
    paths, rows = fixture(tmp), read_rows(FIXTURES / "mitigations.csv")
    for r in rows:
        r["Notes"] = "internal"
    write_rows(paths[0], rows, [*M, "Notes"])
    return paths


def _without_source_column(tmp):
    paths = fixture(tmp)
    write_rows(paths[0], read_rows(FIXTURES / "mitigations.csv"), [c for c in M if c != "Source"])
    return paths


def _duplicate(tmp):
    return fixture(tmp, mitigations=lambda rows: rows + [{**rows[3], "Mitigation_ID": "X0003_Doe2025"}])


def _second_document(**cells):
    def add(rows):
        return rows + [{**rows[0], "SourceID": "doc-Extra2024", "Title": "Extra", **cells}]

    return add


def _workbook(tmp, twice=False, formula=False):
    m, d = fixture(tmp)
    sheets = {"Mitigations": as_lists(m), "Documents": as_lists(d), "Notes": [["free text"]]}
    if formula:
        sheets["Mitigations"][2][1] = '=CONCAT("Safety", " cases")'
    if twice:
        sheets["More mitigations"] = as_lists(m)
    return [xlsx(tmp / "export.xlsx", sheets)]


def _empty(tmp):
    (tmp / "mitigations.csv").write_bytes(b"")
    return [tmp / "mitigations.csv"]


def _not_xlsx(tmp):
    (tmp / "x.xlsx").write_bytes(b"PK\x03\x04 not really a zip file")
    return [tmp / "x.xlsx"]


def _utf16(tmp):
    path = fixture(tmp)[0]
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    return [path]


ROW_CASES = {
    "unknown taxonomy code": (
        lambda tmp: fixture(tmp, edit("X0002_Doe2025", human_classification="7.7")),
        [("mitigations.csv", 3, "human_classification", "unknown taxonomy code '7.7'")],
    ),
    "unknown stage label": (
        lambda tmp: fixture(tmp, edit("X0003_Doe2025", AILifecycle_Primary="Testing")),
        [("mitigations.csv", 4, "AILifecycle_Primary", "unknown lifecycle stage 'Testing'")],
    ),
    "unknown actor in a list": (
        lambda tmp: fixture(tmp, edit("X0002_Doe2025", AIActor_Other="Deployer, Auditor")),
        [("mitigations.csv", 3, "AIActor_Other", "unknown actor 'Auditor'")],
    ),
    "missing document": (
        lambda tmp: fixture(tmp, edit("X0004_Doe2025", Source="doc-Nowhere2030")),
        [("mitigations.csv", 5, "Source", "missing document: no document 'doc-Nowhere2030'")],
    ),
    "duplicate ID": (
        _duplicate,
        [("mitigations.csv", 6, "Mitigation_ID", "duplicate Mitigation_ID 'X0003_Doe2025' (first in row 4")],
    ),
    "bad year": (
        lambda tmp: fixture(tmp, documents=_second_document(Year="20x4")),
        [("documents.csv", 3, "Year", "'20x4' is not a year")],
    ),
    "implausible year": (
        lambda tmp: fixture(tmp, documents=_second_document(Year="1066")),
        [("documents.csv", 3, "Year", "'1066' is not a year")],
    ),
    "a second SourceID for a known document": (
        lambda tmp: fixture(tmp, documents=lambda rows: rows + [{**rows[0], "SourceID": "Bengio2025"}]),
        [("documents.csv", 3, "SourceID", "'Bengio2025' names the document already known as 'doc-Bengio2025'")],
    ),
    "bad web address": (
        lambda tmp: fixture(tmp, documents=_second_document(URL="example.org/x")),
        [("documents.csv", 3, "URL", "not a web address")],
    ),
    "broken parent reference": (
        lambda tmp: fixture(tmp, edit("X0003_Doe2025", Parent="X9999_Doe2025")),
        [("mitigations.csv", 4, "Parent", "broken parent reference: 'X9999_Doe2025'")],
    ),
    "parent from another document": (
        lambda tmp: fixture(tmp, edit("X0004_Doe2025", Parent="A0001_Bengio2025")),
        [("mitigations.csv", 5, "Parent", "the parent 'A0001_Bengio2025' is from document 'doc-Bengio2025'")],
    ),
    "children that disagree": (
        lambda tmp: fixture(tmp, edit("X0001_Doe2025", Children="X0002_Doe2025, X0004_Doe2025")),
        [
            ("mitigations.csv", 2, "Children", "'X0004_Doe2025' is listed as a child, but its Parent is 'none'"),
            ("mitigations.csv", 3, "Parent", "broken parent reference: 'X0001_Doe2025' (its row 2 was rejected)"),
            ("mitigations.csv", 4, "Parent", "broken parent reference: 'X0001_Doe2025' (its row 2 was rejected)"),
        ],
    ),
    "reasoning without a classification": (
        lambda tmp: fixture(tmp, edit("X0004_Doe2025", llm_classification="")),
        [("mitigations.csv", 5, "llm_reasoning", "a reasoning without a classification")],
    ),
    "invalid UTF-8": (_bad_utf8, [("mitigations.csv", 3, "Definition", "not valid UTF-8 (byte 0xe9)")]),
    "a cell too long": (
        lambda tmp: fixture(tmp, edit("X0002_Doe2025", Definition="x" * 40000)),
        [("mitigations.csv", 3, "Definition", "40000 characters, more than a spreadsheet cell holds")],
    ),
    "a formula in XLSX": (
        lambda tmp: _workbook(tmp, formula=True),
        [("export.xlsx, sheet Mitigations", 3, "Mitigation_Name", "a formula")],
    ),
    "an identifier with a space": (
        lambda tmp: fixture(tmp, edit("X0004_Doe2025", Mitigation_ID="X 4")),
        [("mitigations.csv", 5, "Mitigation_ID", "'X 4' is not an identifier")],
    ),
}


@pytest.mark.parametrize("case", ROW_CASES, ids=list(ROW_CASES))
def test_a_broken_row_is_reported_with_row_column_and_reason_and_the_others_stay(case, tmp_path, ctx):
    make, expected = ROW_CASES[case]
    report = check(make(tmp_path), tmp_path, ctx)
    got = sorted((p.sheet, p.row, p.column) for p in report.errors)
    assert got == sorted((s, r, c) for s, r, c, _ in expected), [str(p) for p in report.errors]
    for p, (_, _, _, text) in zip(
        sorted(report.errors, key=lambda p: (p.sheet, p.row)), sorted(expected, key=lambda e: (e[0], e[1]))
    ):
        assert text in p.message, str(p)
        assert str(p).startswith(f"{p.sheet}: row {p.row}, column {p.column}: ")
    rejected = {(p.sheet, p.row) for p in report.errors}
    added = [e for e in report.entries if e.status == "added"]
    assert all((e.sheet, e.row) not in rejected for e in added)
    assert len(added) + len(rejected) >= 5 - (case == "duplicate ID")


FILE_CASES = {
    "missing required column": (_without_source_column, "missing required column(s) Source"),
    "an empty file": (_empty, "the file is empty"),
    "a UTF-16 file": (_utf16, "UTF-16"),
    "two mitigations sheets": (lambda tmp: _workbook(tmp, twice=True), "a second mitigations sheet"),
    "no rows": (lambda tmp: [write_rows(tmp / "m.csv", [], list(M))], "no rows below the header"),
    "not a spreadsheet": (_not_xlsx, "not a readable XLSX workbook"),
}


@pytest.mark.parametrize("case", FILE_CASES, ids=list(FILE_CASES))
def test_an_unreadable_file_rejects_the_import_and_says_why(case, tmp_path, ctx):
    make, text = FILE_CASES[case]
    with pytest.raises(ImportRejected) as info:
        check(make(tmp_path), tmp_path, ctx)
    assert any(text in str(p) for p in info.value.report.errors), [str(p) for p in info.value.report.errors]
    saved = json.loads(Path(info.value.report.reports[0]).read_text(encoding="utf-8"))
    assert saved["status"] == "rejected" and saved["errors"]


def test_an_unknown_column_is_reported_not_fatal(tmp_path, ctx):
    report = check(_with_column(tmp_path), tmp_path, ctx)
    assert not report.errors
    assert [(w.column, "unknown column") for w in report.warnings if "unknown column" in w.message] == [
        ("Notes", "unknown column")
    ]
    assert report.counts("mitigations") == {"added": 4}


def test_an_xlsx_workbook_with_both_sheets_reads_like_the_csv_files(tmp_path, ctx):
    report = check(_workbook(tmp_path), tmp_path, ctx)
    assert not report.errors
    assert report.counts("mitigations") == {"added": 4} and report.counts("documents") == {"added": 1}
    assert any("sheet Notes" in str(w) or w.sheet == "export.xlsx" for w in report.warnings)


def test_cells_are_read_leniently(tmp_path, ctx):
    paths = fixture(
        tmp_path,
        edit(
            "X0002_Doe2025",
            human_classification="mtax:2.2.2",
            llm_classification="2.2.4 assurance documentation",
            AILifecycle_Primary="verify and validate",
            AILifecycle_Other="operate and monitor; DEPLOY",
            AIRM_Other="measure,map",
            Source="Doe2025",
        ),
    )
    report = check(paths, tmp_path, ctx)
    assert not report.errors
    cells = next(e for e in report.entries if e.id == "X0002_Doe2025").cells
    assert (cells["human_classification"], cells["llm_classification"]) == ("2.2.2", "2.2.4")
    assert cells["AILifecycle_Primary"] == "Verify and Validate"
    assert cells["AILifecycle_Other"] == "Deploy, Operate and Monitor" and cells["AIRM_Other"] == "Map, Measure"
    assert cells["Source"] == "doc-Doe2025", "the SourceID the document is known by"


def test_an_export_of_the_current_data_is_unchanged_and_a_changed_cell_is_one_change(tmp_path, ctx):
    m = [dict(r) for r in ctx.current_m.values()]
    d = [dict(r) for r in ctx.current_d.values()]
    paths = [write_rows(tmp_path / "m.csv", m, list(M)), write_rows(tmp_path / "d.csv", d, list(D))]
    report = check(paths, tmp_path, ctx)
    assert not report.errors and {e.status for e in report.entries} <= {"unchanged"}
    for r in m:
        if r["Mitigation_ID"] == "A0086_Future_of_Life_Institute2024":
            r["human_classification"] = "2.1.3"
    write_rows(paths[0], m, list(M))
    changed = [e for e in check(paths, tmp_path, ctx).entries if e.status != "unchanged"]
    assert [(e.id, e.status, e.changed, e.outside) for e in changed] == [
        ("A0086_Future_of_Life_Institute2024", "changed", ["classification"], True)
    ]


def test_strict_rejects_the_whole_import_and_writes_nothing(project_copy, tmp_path):
    settings = project_settings(root=project_copy, build_dir=project_copy / "build", reasoner=False)
    paths = fixture(tmp_path, edit("X0002_Doe2025", human_classification="7.7"))
    with pytest.raises(ImportRejected) as info:
        api.import_files(paths, settings, strict=True)
    assert info.value.exit_code == 2 and "--strict" in str(info.value)
    assert not (project_copy / "data" / "imports").exists()
    assert not settings.releases_dir.exists()
    text = Path(info.value.report.reports[1]).read_text(encoding="utf-8")
    assert "error: mitigations.csv: row 3, column human_classification: unknown taxonomy code '7.7'" in text


# --- transactions -------------------------------------------------------------------------------


def test_a_failed_build_puts_the_data_back_and_maps_violations_to_rows(project_copy, tmp_path, monkeypatch):
    settings = project_settings(root=project_copy, build_dir=project_copy / "build", reasoner=False)
    before = sorted(p.relative_to(project_copy) for p in (project_copy / "data").rglob("*"))

    def failing_build(settings, log=None):
        assert (project_copy / "data/imports/curated.ttl").exists(), "the build sees the new file"
        raise ValidationFailed(
            [
                Violation(
                    "<https://w3id.org/airm-kg/mitigation/X0003_Doe2025>",
                    "rdfs:label",
                    "A mitigation has at most one name",
                    "Violation",
                    None,
                    None,
                )
            ]
        )

    monkeypatch.setattr(build, "build", failing_build)
    with pytest.raises(ImportRejected) as info:
        api.import_files(fixture(tmp_path), settings)
    assert info.value.exit_code == ValidationFailed.exit_code
    assert [str(p) for p in info.value.report.errors] == [
        "mitigations.csv: row 4: A mitigation has at most one name "
        "(<https://w3id.org/airm-kg/mitigation/X0003_Doe2025> rdfs:label)"
    ]
    assert sorted(p.relative_to(project_copy) for p in (project_copy / "data").rglob("*")) == before


def test_a_failed_stamp_restores_the_data_and_the_release_in_service(project_copy, tmp_path, monkeypatch):
    settings = project_settings(root=project_copy, build_dir=project_copy / "build", reasoner=False)
    old = directory.Release(project_copy, {"id": "old"})
    switched = []
    monkeypatch.setattr(directory, "current_path", lambda s: project_copy)
    monkeypatch.setattr(directory, "current", lambda s: old)
    monkeypatch.setattr(directory, "switch", lambda s, rid: switched.append(rid))
    monkeypatch.setattr(build, "build", lambda s, log=None: build.BuildReport(release_id="new"))

    def failing_stamp(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(stamp, "stamp", failing_stamp)
    with pytest.raises(OSError):
        api.import_files(fixture(tmp_path), settings)
    assert switched == ["old"]
    assert not (project_copy / "data" / "imports").exists()


# --- end to end (builds, without the reasoner) ---------------------------------------------------


PROVENANCE = """
SELECT ?activity ?started ?release ?version ?importer ?file ?sha WHERE {
  <https://w3id.org/airm-kg/mitigation/X0002_Doe2025> prov:wasGeneratedBy ?activity .
  ?activity a prov:Activity ; prov:startedAtTime ?started ; prov:generated ?release ;
            prov:wasAssociatedWith/owl:versionInfo ?importer ; prov:used ?f .
  ?release dcat:version ?version . ?f dcterms:title ?file ; dcterms:identifier ?sha }"""
RECORD = """
SELECT ?name ?category ?reasoning ?cmethod ?parent ?stage ?other ?doc WHERE {
  <https://w3id.org/airm-kg/mitigation/X0002_Doe2025> rdfs:label ?name ; airm:mitigationCategory/skos:notation ?category ;
     airm:parentMitigation/dcterms:identifier ?parent ; airm:primaryLifecycleStage/skos:prefLabel ?stage ;
     airm:otherLifecycleStage/skos:prefLabel ?other ; airm:sourceDocument/dcterms:identifier ?doc .
  ?c airm:classifies <https://w3id.org/airm-kg/mitigation/X0002_Doe2025> ; airm:reasoning ?reasoning ; airm:classificationMethod ?cmethod }"""
AUTHORS = """
SELECT ?name WHERE { <https://w3id.org/airm-kg/document/Doe2025> bibo:authorList ?l . ?l rdf:rest*/rdf:first ?a .
  ?a foaf:name ?name } """


@pytest.mark.slow
def test_a_new_source_lands_with_provenance_and_its_own_export_changes_nothing(project_copy, tmp_path):
    settings = project_settings(root=project_copy, build_dir=project_copy / "build", reasoner=False)
    report = api.import_files(fixture(tmp_path), settings, source="Doe export", strict=True)
    assert report.status == "imported" and report.data_file == "data/imports/doe-export.ttl"
    assert report.counts("mitigations") == {"added": 4}
    current = directory.current(settings)
    assert current.manifest["version"] == report.version and current.id == report.release_id
    store = current.open_store()
    prov = select(store, PROVENANCE)
    assert {r["file"] for r in prov} == {"mitigations.csv", "documents.csv"}
    assert {r["sha"] for r in prov} == {f"sha256:{directory.sha256(p)}" for p in fixture(tmp_path)}
    assert {(r["version"], r["importer"]) for r in prov} == {(report.version, "0.1.0")}
    rows = select(store, RECORD)
    assert {
        (r["name"], r["category"], r["cmethod"].rsplit("/", 1)[1], r["reasoning"], r["parent"], r["stage"], r["doc"])
        for r in rows
    } == {
        (
            "Safety cases > Structured arguments",
            "2.2.2",
            "classifier",
            "The text describes documented evidence behind safety claims.",
            "X0001_Doe2025",
            "Verify and Validate",
            "doc-Doe2025",
        )
    }
    assert {r["other"] for r in rows} == {"Deploy", "Operate and Monitor"}
    assert {r["name"] for r in select(store, AUTHORS)} == {"Jane Doe", "Richard Roe", "Example Safety Institute"}
    assert (
        table.document_rows(store)["doc-Doe2025"]["Author list"] == "Doe, Jane; Roe, Richard; Example Safety Institute"
    ), "in order"

    # the export of what was imported, imported again: nothing changes, byte for byte
    data = (project_copy / report.data_file).read_bytes()
    exported = api.export(tmp_path / "export", "csv", settings)
    again = api.import_files(exported, settings, source="Doe export")
    assert again.status == "unchanged" and directory.current(settings).id == current.id
    assert (project_copy / report.data_file).read_bytes() == data

    # one cell changed: one change, the record keeps its first import as its origin
    rows = read_rows(exported[0])
    edit("X0004_Doe2025", AIActor_Primary="Deployer")(rows)
    write_rows(exported[0], rows)
    third = api.import_files(exported, settings, source="Doe export")
    assert [(e.id, e.changed) for e in third.entries if e.status == "changed"] == [("X0004_Doe2025", ["actor"])]
    store = directory.current(settings).open_store()
    origin = select(
        store,
        """SELECT ?first ?last WHERE { <https://w3id.org/airm-kg/mitigation/X0004_Doe2025> prov:wasGeneratedBy/prov:generated ?first ;
                                prov:wasInfluencedBy/prov:generated ?last }""",
    )
    assert [(r["first"].rsplit("/", 1)[1], r["last"].rsplit("/", 1)[1]) for r in origin] == [
        (report.version, third.version)
    ]
    assert overlay.OVERRIDES.n3() not in (directory.current(settings).path / "airm-kg.nt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_done_when_export_change_one_classification_break_three_rows_reimport(project_copy, tmp_path):
    """The issue's acceptance test, as a new user would run it."""
    settings = project_settings(root=project_copy, build_dir=project_copy / "build", reasoner=False)
    api.build(settings)
    first = api.stamp_release("1.0.0", settings)
    mitigations, documents = api.export(tmp_path / "export", "csv", settings)
    rows = read_rows(mitigations)
    edits = {
        "A0086_Future_of_Life_Institute2024": {"human_classification": "2.2.3"},  # the change
        "A0001_Bengio2025": {"human_classification": "9.9.9"},  # broken
        "shi2024-7a79d1d984c96b88": {"AILifecycle_Primary": "Deployment phase"},  # broken
        "shi2024-value-misalignment-privacy-protection": {"Parent": "shi2024-no-such-heading"},
    }  # broken
    numbers = {}
    for n, r in enumerate(rows, start=2):
        if r["Mitigation_ID"] in edits:
            r.update(edits[r["Mitigation_ID"]])
            numbers[r["Mitigation_ID"]] = n
    write_rows(mitigations, rows)

    report = api.import_files([mitigations, documents], settings)
    assert [str(p) for p in report.errors] == [
        f"mitigations.csv: row {numbers['A0001_Bengio2025']}, column human_classification: unknown taxonomy code "
        "'9.9.9': use a code of the v2 taxonomy (1, 1.1, 1.1.1 ... 99.9) or v1:X.Y for the MIT v1 taxonomy",
        f"mitigations.csv: row {numbers['shi2024-7a79d1d984c96b88']}, column AILifecycle_Primary: unknown lifecycle "
        "stage 'Deployment phase' (known: Build and Use Model, Collect and Process Data, Deploy, Operate and Monitor, "
        "Other (general), Other (multiple stages), Other (outside lifecycle), Plan and Design, Unable to classify, "
        "Verify and Validate)",
        f"mitigations.csv: row {numbers['shi2024-value-misalignment-privacy-protection']}, column Parent: broken "
        "parent reference: 'shi2024-no-such-heading' (no such mitigation)",
    ]
    assert report.status == "imported"

    changes = api.diff("1.0.0", "current", settings)
    assert [(c.kind, c.subject.rsplit("/", 2)[-2:], c.status) for c in changes.changes] == [
        ("classification", ["A0086_Future_of_Life_Institute2024", "curator"], "changed"),
        # the v2 category derived from the v1 category the curator replaced goes with it
        ("classification", ["derived", "2.1.1"], "removed"),
        ("mitigation", ["mitigation", "A0086_Future_of_Life_Institute2024"], "changed"),
    ]
    text = "\n".join(changes.lines())
    assert "changed mitigation A0086_Future_of_Life_Institute2024" in text
    assert (
        "category: v1:1.2 Transparency & Documentation -> 2.2.3 Auditing & Compliance" in text
        or "-> 2.2.3 Auditing & Compliance" in text
    )
    assert changes.old.id == first.id and changes.new.manifest["version"] == report.version
