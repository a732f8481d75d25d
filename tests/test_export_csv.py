"""`kg export --format csv|xlsx`: the current release in the source database's columns, and the
round trip back through `kg import`. One build of a copy of the project (no reasoner) per module."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from kg import api
from kg.curate import export, read
from kg.records.columns import DOCUMENT_COLUMNS, MITIGATION_COLUMNS
from kg.release import directory

from conftest import built_copy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return built_copy(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def exported(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    mitigations, documents = api.export(out, "csv", built)
    with mitigations.open(encoding="utf-8-sig", newline="") as f:
        m = list(csv.DictReader(f))
    with documents.open(encoding="utf-8-sig", newline="") as f:
        d = list(csv.DictReader(f))
    return {
        "paths": [mitigations, documents],
        "m": {r["Mitigation_ID"]: r for r in m},
        "d": {r["SourceID"]: r for r in d},
        "order": [r["Mitigation_ID"] for r in m],
    }


def test_the_files_have_exactly_the_source_columns(built, exported):
    mitigations, documents = exported["paths"]
    assert mitigations.read_bytes().startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for spreadsheets"
    with mitigations.open(encoding="utf-8-sig", newline="") as f:
        assert next(csv.reader(f)) == list(MITIGATION_COLUMNS)
    with documents.open(encoding="utf-8-sig", newline="") as f:
        assert next(csv.reader(f)) == list(DOCUMENT_COLUMNS)
    assert exported["order"] == sorted(exported["order"])
    store = directory.current(built).open_store()
    count = lambda cls: int(
        next(
            iter(
                store.query(
                    f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <https://w3id.org/airm-kg/ontology#{cls}> }}",
                    use_default_graph_as_union=True,
                )
            )
        )["n"].value
    )
    assert len(exported["m"]) == count("Mitigation") >= 831 + 12
    assert len(exported["d"]) == count("SourceDocument") >= 15


def test_a_v1_record_keeps_its_v1_code_and_has_no_stages(exported):
    row = exported["m"]["A0086_Future_of_Life_Institute2024"]
    assert row["human_classification"] == "v1:1.1" and row["llm_classification"] == ""
    assert row["Source"] == "doc-Future_of_Life_Institute2024" or row["Source"].startswith("doc-")
    assert all(row[c] == "" for c in MITIGATION_COLUMNS[10:])
    assert row["Definition"] and row["Mitigation_Name"]


def test_a_seed_record_shows_its_classification_reasoning_stage_actor_and_function(exported):
    row = exported["m"]["shi2024-7a79d1d984c96b88"]
    assert (row["human_classification"], row["llm_classification"]) == ("1.1.3", "")
    assert row["llm_reasoning"] == "Modifies training data composition to remove bias patterns before model learning."
    assert (row["AILifecycle_Primary"], row["AIActor_Primary"], row["AIRM_Primary"]) == (
        "Build and Use Model",
        "Developer",
        "Manage",
    )
    heading = exported["m"]["shi2024-value-misalignment"]
    assert heading["Children"].split(", ") == sorted(
        m for m, r in exported["m"].items() if r["Parent"] == "shi2024-value-misalignment"
    )
    assert heading["Children"]


def test_documents_list_their_authors_in_order(exported):
    shi = exported["d"]["shi2024"]
    assert shi["Author list"].startswith("Shi, Dan; Shen, Tianhao; Huang, Yufei") and shi["Author list"].endswith(
        "Xiong, Deyi"
    )
    assert shi["First author"] == "Shi, Dan" and shi["Year"] == "2024"
    organisations = [r["Author list"] for r in exported["d"].values() if "Future of Life Institute" in r["Author list"]]
    assert organisations


def test_xlsx_holds_the_same_rows(built, exported, tmp_path):
    (path,) = api.export(tmp_path / "airm.xlsx", "xlsx", built)
    book = read.read(path)
    sheets = {s.kind: s for s in book.sheets}
    assert [s.label.split("sheet ")[1] for s in book.sheets] == ["Mitigations", "Documents"]
    rows = {r.cells["Mitigation_ID"]: r.cells for r in sheets["mitigations"].rows}
    assert rows.keys() == exported["m"].keys()
    assert rows["A0001_Bengio2025"] == exported["m"]["A0001_Bengio2025"]


def test_importing_the_export_changes_nothing(built, exported):
    before = directory.current(built).id
    report = api.import_files(exported["paths"], built)
    assert report.status == "unchanged" and not report.errors
    assert directory.current(built).id == before
    assert not (built.root / "data" / "imports").exists()


def test_a_text_cell_that_looks_like_a_formula_stays_text(tmp_path):
    row = dict.fromkeys(MITIGATION_COLUMNS, "")
    row.update({"Mitigation_ID": "X1", "Mitigation_Name": '=HYPERLINK("http://evil")', "Source": "d"})
    export._xlsx(tmp_path / "x.xlsx", [row], [])
    cell = openpyxl.load_workbook(tmp_path / "x.xlsx")["Mitigations"]["B2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


@pytest.mark.parametrize(
    "output, names", [("out", ["out/mitigations.csv", "out/documents.csv"]), ("x.csv", ["x.csv", "x-documents.csv"])]
)
def test_where_the_tables_go(output, names, tmp_path):
    assert [p.relative_to(tmp_path).as_posix() for p in export.targets(tmp_path / output, "csv")] == names


FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=x", "''+y"]
PLAIN = ["'hello", "a=b", "", "x-1", "'"]


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised_and_read_back_exactly(tmp_path):
    """OWASP's CSV injection advice: a cell starting with = + - @ tab or CR gets a leading ' (so does one
    that already starts with quotes before such a character); `kg import` takes exactly that one away."""
    rows = []
    for i, value in enumerate(FORMULAS + PLAIN):
        row = dict.fromkeys(MITIGATION_COLUMNS, "")
        row.update({"Mitigation_ID": f"X{i:02d}", "Mitigation_Name": value, "Source": "d"})
        rows.append(row)
    export._csv(tmp_path / "m.csv", MITIGATION_COLUMNS, rows)
    with (tmp_path / "m.csv").open(encoding="utf-8-sig", newline="") as f:
        written = [r["Mitigation_Name"] for r in csv.DictReader(f)]
    assert written == ["'" + v for v in FORMULAS] + PLAIN
    (sheet,) = read.read(tmp_path / "m.csv").sheets
    assert [r.cells["Mitigation_Name"] for r in sheet.rows] == FORMULAS + PLAIN
