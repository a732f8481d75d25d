"""Build and import inputs are untrusted: RDF/XML entities, JSON-LD remote contexts, huge literals,
deep nesting, owl:imports and malicious spreadsheets are refused with the file and the line (or row
and column), without any network or file access, and the reasoner keeps its deadline.

"No network access" is checked with a real HTTP server on 127.0.0.1 that records every request.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pyoxigraph as ox
import pytest
from rdflib import Graph

from kg import api, reasoner
from kg.curate import checks, importer, read
from kg.errors import ImportRejected, InputError, ReasonerUnavailable, ValidationFailed
from kg.rdf import screen as screening
from kg.rdf.screen import screen
from kg.rdf.sources import Source, load_into, parse_rdflib
from kg.records import columns
from kg.release import directory

from conftest import ROOT, project_settings
from recorder import recording_server

FIXTURES = ROOT / "tests" / "fixtures" / "import"
RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://x/"'


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def listener():
    """A local HTTP server that answers everything with a small JSON-LD context and records the paths."""
    with recording_server(json.dumps({"@context": {"name": "http://x/name"}}).encode(), "application/ld+json") as trap:
        yield trap


@pytest.fixture
def tiny(tmp_path):
    """A minimal project (one ontology file, no shapes); `tiny / "data"` takes the file under test."""
    root = tmp_path / "project"
    for d in ("ontology", "shapes", "data"):
        (root / d).mkdir(parents=True)
    (root / "ontology" / "o.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<http://x/o> a owl:Ontology .\n", encoding="utf-8"
    )
    return root


def source(path: Path) -> Source:
    return Source(path, path.name)


def all_parsers_refuse(path: Path, *fragments: str, max_bytes: int | None = None) -> str:
    """screen, rdflib and Oxigraph all raise InputError naming the file and saying each fragment."""
    messages = []
    for attempt in (
        lambda: screen(source(path), max_bytes),
        lambda: parse_rdflib(source(path), max_bytes),
        lambda: load_into(ox.Store(), source(path), max_bytes=max_bytes),
    ):
        with pytest.raises(InputError) as info:
            attempt()
        text = str(info.value)
        assert text.startswith(f"{path.name}: "), text
        for fragment in fragments:
            assert fragment in text, text
        messages.append(text)
    return messages[0]


def build_refuses(root: Path, *fragments: str, **settings) -> str:
    """`kg build` of the project fails with InputError naming the file; nothing is published."""
    s = project_settings(root=root, build_dir=root / "build", reasoner=False, **settings)
    with pytest.raises(InputError) as info:
        api.build(s)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    assert not [p for p in s.releases_dir.iterdir() if not p.name.startswith(".")] if s.releases_dir.exists() else True
    return str(info.value)


# --- RDF/XML: entities ----------------------------------------------------------------------------


def billion_laughs() -> str:
    entities = ['  <!ENTITY lol "lol">'] + [
        f'  <!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(entities) + "\n]>\n"
        f'<rdf:RDF {RDF_NS}>\n  <rdf:Description rdf:about="http://x/s"><ex:p>&lol9;</ex:p></rdf:Description>\n'
        "</rdf:RDF>\n"
    )


def external_entity(system_id: str) -> str:
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "' + system_id + '"> ]>\n'
        f'<rdf:RDF {RDF_NS}>\n  <rdf:Description rdf:about="http://x/s"><ex:p>&xxe;</ex:p></rdf:Description>\n'
        "</rdf:RDF>\n"
    )


@pytest.mark.parametrize("case", ["billion laughs", "file entity", "http entity", "parameter entity"])
def test_rdfxml_with_a_doctype_is_refused_before_any_parser(case, tiny, listener):
    url, hits = listener
    text = {
        "billion laughs": billion_laughs(),
        "file entity": external_entity("file:///etc/passwd"),
        "http entity": external_entity(f"{url}/entity.xml"),
        "parameter entity": (
            '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY % p SYSTEM "'
            + url
            + '/p.dtd"> %p; ]>\n'
            + f"<rdf:RDF {RDF_NS}/>\n"
        ),
    }[case]
    path = tiny / "data" / "evil.rdf"
    path.write_text(text, encoding="utf-8")
    start = time.monotonic()
    message = all_parsers_refuse(path, "line 2: DOCTYPE/ENTITY declarations are not accepted")
    build_refuses(tiny, "data/evil.rdf: line 2: DOCTYPE/ENTITY declarations are not accepted")
    assert time.monotonic() - start < 10, "refused at once, never expanded"
    assert "root:" not in message
    assert hits == [], "no parser fetched the external entity"


def test_rdfxml_without_a_doctype_still_loads(tiny):
    path = tiny / "data" / "fine.rdf"
    path.write_text(
        f'<?xml version="1.0"?>\n<rdf:RDF {RDF_NS}>\n  <rdf:Description rdf:about="http://x/s">'
        "<ex:p>v</ex:p></rdf:Description>\n</rdf:RDF>\n",
        encoding="utf-8",
    )
    assert len(parse_rdflib(source(path))) == 1
    store = ox.Store()
    load_into(store, source(path))
    assert len(store) == 1


def test_malformed_xml_is_an_input_error_with_its_line(tiny):
    path = tiny / "data" / "broken.rdf"
    path.write_text(f'<?xml version="1.0"?>\n<rdf:RDF {RDF_NS}>\n<rdf:Description>\n</rdf:RDF>\n', encoding="utf-8")
    all_parsers_refuse(path, "line 4", "not well-formed XML")


# --- JSON-LD: contexts ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["http IRI", "file IRI", "relative IRI", "in a list", "@import", "scoped"])
def test_json_ld_contexts_that_are_not_inline_are_refused_and_never_fetched(case, tiny, listener):
    url, hits = listener
    (tiny / "data" / "ctx.jsonld").write_text(json.dumps({"@context": {"name": "http://x/name"}}), encoding="utf-8")
    context = {
        "http IRI": f"{url}/context.jsonld",
        "file IRI": (tiny / "data" / "ctx.jsonld").as_uri(),
        "relative IRI": "ctx.jsonld",
        "in a list": [{"ex": "http://x/"}, f"{url}/context.jsonld"],
        "@import": {"@import": f"{url}/context.jsonld", "name": "http://x/name"},
        "scoped": {"name": {"@id": "http://x/name", "@context": f"{url}/scoped.jsonld"}},
    }[case]
    (tiny / "data" / "ctx.jsonld").unlink()
    path = tiny / "data" / "remote.jsonld"
    path.write_text(json.dumps({"@context": context, "@id": "http://x/s", "name": "v"}, indent=1), encoding="utf-8")
    all_parsers_refuse(path, "line ", "is not inline", "nothing is fetched")
    build_refuses(tiny, "data/remote.jsonld: line ", "is not inline")
    assert hits == [], "no parser fetched the context"


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # rdflib's JSON-LD parser
def test_an_inline_json_ld_context_is_fine(tiny):
    path = tiny / "data" / "inline.jsonld"
    path.write_text(
        json.dumps({"@context": {"name": "http://x/name"}, "@id": "http://x/s", "name": "v"}), encoding="utf-8"
    )
    assert len(parse_rdflib(source(path))) == 1
    store = ox.Store()
    load_into(store, source(path))
    assert len(store) == 1


def test_json_ld_nested_too_deep_or_malformed_is_refused_with_its_line(tiny):
    deep = tiny / "data" / "deep.jsonld"
    deep.write_text('{"@id": "http://x/s",\n "http://x/p": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    all_parsers_refuse(deep, "line 2: nested more than")
    bad = tiny / "data" / "bad.jsonld"
    bad.write_text('{\n  "@id": "http://x/s",\n  "http://x/p": 1,,\n}', encoding="utf-8")
    all_parsers_refuse(bad, "line 3, column ", "not valid JSON")


# --- Turtle: nesting, huge literals, size -----------------------------------------------------------


@pytest.mark.parametrize(
    "opener, closer", [("[ <http://x/p> ", " ]"), ("( ", " )")], ids=["blank nodes", "collections"]
)
def test_turtle_nested_100k_deep_is_refused_with_file_and_line(opener, closer, tiny):
    path = tiny / "data" / "deep.ttl"
    path.write_text(
        "<http://x/a> <http://x/p> <http://x/b> .\n\n<http://x/s> <http://x/p> "
        + opener * 100_000
        + "<http://x/o>"
        + closer * 100_000
        + " .\n",
        encoding="utf-8",
    )
    start = time.monotonic()
    all_parsers_refuse(path, "line 3: nested more than 64 deep")
    build_refuses(tiny, "data/deep.ttl: line 3: nested more than")
    assert time.monotonic() - start < 10


def test_nesting_within_the_limit_and_brackets_in_strings_iris_and_comments_are_fine(tiny):
    path = tiny / "data" / "ok.ttl"
    path.write_text(
        "# a comment with [[[[ and ((((\n"
        '<http://x/s(1)> <http://x/p> "text with [[[ (((", """long [[[\n((( text""" , '
        "'[(' ; <http://x/q> " + "[ <http://x/p> " * 40 + "<http://x/o>" + " ]" * 40 + " .\n",
        encoding="utf-8",
    )
    assert len(parse_rdflib(source(path))) == 3 + 41
    store = ox.Store()
    load_into(store, source(path))
    assert len(store) == 3 + 41


def test_a_recursion_error_of_rdflib_becomes_an_input_error(tiny, monkeypatch):
    """The screen keeps nesting far below Python's recursion limit; should rdflib still recurse too
    deep, the build gets an InputError naming the file, not a crash."""
    path = tiny / "data" / "deep.ttl"
    path.write_text("<http://x/s> <http://x/p> " + "( " * 5000 + "1" + " )" * 5000 + " .\n", encoding="utf-8")
    monkeypatch.setattr(screening, "MAX_NESTING", 10_000_000)
    with pytest.raises(InputError, match=r"^deep.ttl: nested too deep for the parser"):
        parse_rdflib(source(path))


@pytest.mark.parametrize("multiline", [False, True], ids=["one line", "many lines"])
def test_a_50_mb_literal_is_refused_quickly_with_its_line(multiline, tiny):
    body = ("x" * 99 + "\n") * 500_000 if multiline else "x" * 50_000_000
    quote = '"""' if multiline else '"'
    path = tiny / "data" / "huge.ttl"
    path.write_text(
        '<http://x/a> <http://x/p> "small" .\n<http://x/s> <http://x/p> ' + quote + body + quote + " .\n",
        encoding="utf-8",
    )
    start = time.monotonic()
    all_parsers_refuse(path, "line 2: a literal of", "more than the 1000000 accepted")
    assert time.monotonic() - start < 30, "rdflib would take hours over a 50 MB multi-line literal"


def test_a_source_larger_than_max_source_bytes_is_refused(tiny):
    path = tiny / "data" / "big.nt"
    path.write_text("".join(f'<http://x/s{i}> <http://x/p> "{i}" .\n' for i in range(1000)), encoding="utf-8")
    all_parsers_refuse(path, "more than the 10000 a source may have (KG_MAX_SOURCE_BYTES)", max_bytes=10_000)
    build_refuses(tiny, "data/big.nt: ", "KG_MAX_SOURCE_BYTES", max_source_bytes=10_000)


def test_the_cli_reports_a_refused_source_with_exit_code_2(tiny):
    (tiny / "data" / "evil.rdf").write_text(billion_laughs(), encoding="utf-8")
    env = {**os.environ, "KG_ROOT": str(tiny), "KG_BUILD_DIR": str(tiny / "build"), "KG_REASONER": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert "kg build: data/evil.rdf: line 2: DOCTYPE/ENTITY declarations are not accepted" in done.stderr


# --- owl:imports: never followed --------------------------------------------------------------------


def _importing(url: str) -> str:
    return (
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        f"<http://x/onto> a owl:Ontology ; owl:imports <{url}/imported.ttl>, <file:///etc/passwd> .\n"
        "<http://x/C> a owl:Class .\n"
    )


def test_owl_imports_are_not_followed_by_rdflib_oxigraph_or_shacl(tiny, listener):
    url, hits = listener
    path = tiny / "data" / "imports.ttl"
    path.write_text(_importing(url), encoding="utf-8")
    g = parse_rdflib(source(path))
    assert len(g) == 4
    load_into(ox.Store(), source(path))
    from kg.shacl.validation import validate_graphs

    shapes = Graph().parse(ROOT / "shapes" / "airm-shapes.ttl")
    validate_graphs(g, shapes, engine="pyshacl")
    validate_graphs(g, shapes)
    api.build(project_settings(root=tiny, build_dir=tiny / "build", reasoner=False))
    assert hits == []


@pytest.mark.slow
def test_owl_imports_are_not_followed_by_owlready2_or_hermit(tiny, listener):
    url, hits = listener
    g = Graph().parse(data=_importing(url), format="turtle")
    assert not [t for t in reasoner.reasoner_input(g) if "imports" in str(t[1])]
    report = reasoner.check(g, timeout=120)
    assert report.ok
    (tiny / "data" / "imports.ttl").write_text(_importing(url), encoding="utf-8")
    built = api.build(project_settings(root=tiny, build_dir=tiny / "build", reasoner=True))
    assert built.reasoner.startswith("consistent")
    assert hits == [], "neither owlready2 nor HermiT fetched the import"


# --- the reasoner's deadline ---------------------------------------------------------------------------


def _group_alive(pgid: int) -> list[int]:
    """Processes of process group `pgid` that are still running (zombies do not count)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _wait_group_gone(pgid: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _group_alive(pgid), "the reasoner's processes (Java too) were all killed"


@pytest.mark.slow
def test_the_reasoner_deadline_kills_the_child_and_its_java(tmp_path):
    from kg.pipeline.build import parse_all
    from kg.rdf.sources import collect

    _, store = parse_all(collect(ROOT), graphs=False)  # the real data: HermiT needs seconds
    job = reasoner.start(store, timeout=2.5, workdir=tmp_path / "reason")
    pgid = job.process.pid
    java = []
    while not java and job.process.poll() is None:
        java = [p for p in _group_alive(pgid) if b"java" in _cmdline(p)]
        time.sleep(0.05)
    assert java, "HermiT's Java runs in the reasoner's process group"
    with pytest.raises(ReasonerUnavailable, match=r"did not finish within 2.5 s \(KG_REASONER_TIMEOUT\)"):
        job.wait()
    _wait_group_gone(pgid)
    assert not (tmp_path / "reason").exists(), "its files are removed"


@pytest.mark.slow
def test_a_build_whose_reasoner_times_out_fails_and_keeps_the_last_release(project_copy):
    settings = project_settings(root=project_copy, build_dir=project_copy / "build", reasoner=False)
    good = api.build(settings)
    with pytest.raises(ReasonerUnavailable, match="KG_REASONER_TIMEOUT"):
        api.build(settings.with_(reasoner=True, reasoner_timeout=0.5))
    assert directory.current(settings).id == good.release_id
    assert directory.verify(directory.current(settings)) == []
    assert [p.name for p in settings.releases_dir.iterdir()] == [good.release_id]


@pytest.mark.slow
def test_shacl_is_reported_first_and_the_reasoner_is_killed_when_validation_fails(project_copy, monkeypatch):
    (project_copy / "data" / "broken.ttl").write_text(
        "@prefix airm: <https://w3id.org/airm-kg/ontology#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://w3id.org/airm-kg/mitigation/orphan> a airm:Mitigation ; rdfs:label "orphan" .\n'
        "airm:Impossible a owl:Class ; rdfs:subClassOf airm:Mitigation, airm:Risk .\n",
        encoding="utf-8",
    )
    jobs = []
    real_start = reasoner.start

    def start(*args, **kwargs):
        jobs.append(real_start(*args, **kwargs))
        return jobs[-1]

    monkeypatch.setattr(reasoner, "start", start)
    settings = project_settings(root=project_copy, build_dir=project_copy / "build")
    with pytest.raises(ValidationFailed) as info:
        api.build(settings)
    assert any(v.source == "data/broken.ttl" for v in info.value.violations)
    assert len(jobs) == 1 and jobs[0].process.returncode is not None, "the reasoner was stopped"
    _wait_group_gone(jobs[0].process.pid)
    assert not list(settings.releases_dir.iterdir()), "nothing staged is left behind"


# --- spreadsheets ---------------------------------------------------------------------------------------


def _workbook(path: Path, rows: int = 3, extra=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Mitigations"
    header = list(columns.MITIGATION_COLUMNS)
    ws.append(header)
    for i in range(rows):
        ws.append([f"X{i:04d}_Doe2025", f"Mitigation {i}"] + [""] * (len(header) - 2))
    if extra:
        extra(ws)
    wb.save(path)
    return path


def _rewrite_part(path: Path, part: str, change) -> Path:
    """Rewrite one part of a zip (changed by `change(text) -> text`), keeping the others."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info.filename, data)
    tmp.replace(path)
    return path


def refused(path: Path, *fragments: str, max_bytes: int = read.MAX_FILE_BYTES) -> str:
    with pytest.raises(read.FileProblem) as info:
        read.read(path, max_bytes)
    text = str(info.value)
    assert text.startswith(f"{path.name}: "), text
    for fragment in fragments:
        assert fragment in text, text
    return text


def test_openpyxl_parses_with_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML, "defusedxml is a dependency (pyproject.toml): openpyxl uses it when installed"


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_xlsx_parts_with_entities_are_refused(part, tmp_path, listener):
    url, hits = listener
    entities = (
        f'<!DOCTYPE x [ <!ENTITY a "aaaaaaaaaa"> <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> '
        f'<!ENTITY ext SYSTEM "{url}/x.xml"> <!ENTITY pw SYSTEM "file:///etc/passwd"> ]>'
    )

    def change(text: str) -> str:
        head, rest = text.split("?>", 1) if text.startswith("<?xml") else ("", text)
        return (head + "?>\n" if head else "") + entities + "\n" + rest

    path = _rewrite_part(_workbook(tmp_path / "evil.xlsx"), part, change)
    line = 2 if open_part(path, part).startswith("<?xml") else 1
    refused(path, f"part {part}, line {line}: DOCTYPE/ENTITY declarations are not accepted")
    assert hits == []


def open_part(path: Path, part: str) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(part).decode("utf-8")


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = _workbook(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/bomb.bin", b"\0" * 50_000_000)
    start = time.monotonic()
    refused(path, "unpacks to", "more than the 20000000 an import takes (KG_MAX_SOURCE_BYTES)", max_bytes=20_000_000)
    refused(path, "part xl/media/bomb.bin is compressed", "more than 200:1")
    assert time.monotonic() - start < 5


def test_an_xlsx_whose_dimension_lies_is_read_without_unbounded_work(tmp_path):
    path = _rewrite_part(
        _workbook(tmp_path / "lies.xlsx"),
        "xl/worksheets/sheet1.xml",
        lambda text: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', text),
    )
    assert 'ref="A1:XFD1048576"' in open_part(path, "xl/worksheets/sheet1.xml")
    start = time.monotonic()
    book = read.read(path)
    assert time.monotonic() - start < 5
    assert [len(s.rows) for s in book.sheets] == [3]


def test_an_xlsx_with_too_many_columns_or_rows_is_refused(tmp_path, monkeypatch):
    wide = _workbook(tmp_path / "wide.xlsx", extra=lambda ws: ws.cell(row=2, column=16_384, value="far away"))
    start = time.monotonic()
    refused(
        wide,
        "part xl/worksheets/sheet1.xml, line ",
        "cell XFD2 is in column 16384; an import takes at most 256 columns",
    )
    assert time.monotonic() - start < 5
    monkeypatch.setattr(read, "MAX_ROWS", 50)
    refused(
        _workbook(tmp_path / "long.xlsx", rows=60),
        "cell A52 is in row 52: an import takes at most 50 rows below the header",
    )
    assert read.read(_workbook(tmp_path / "fits.xlsx", rows=50)).sheets[0].rows[-1].number == 51


def test_csv_with_too_many_columns_or_rows_or_bytes_is_refused(tmp_path, monkeypatch):
    header = ",".join(columns.MITIGATION_COLUMNS)
    wide = tmp_path / "wide.csv"
    wide.write_text(header + "," + ",".join(f"c{i}" for i in range(300)) + "\nX1,a\n", encoding="utf-8")
    refused(wide, "the header has", "more than the 256 an import takes")
    big = tmp_path / "big.csv"
    big.write_text(header + "\n" + "X1,a\n" * 1000, encoding="utf-8")
    refused(big, "more than the 2000 an import takes (KG_MAX_SOURCE_BYTES)", max_bytes=2000)
    monkeypatch.setattr(read, "MAX_ROWS", 50)
    refused(big, "more than 50 rows below the header")


@pytest.fixture(scope="module")
def ctx():
    return checks.Context.load(project_settings(), "data/imports/curated.ttl")


def _fixture_rows(tmp_path: Path, change) -> list[Path]:
    m = (FIXTURES / "mitigations.csv").read_bytes()
    d = FIXTURES / "documents.csv"
    (tmp_path / "mitigations.csv").write_bytes(change(m))
    shutil.copyfile(d, tmp_path / "documents.csv")
    return [tmp_path / "mitigations.csv", tmp_path / "documents.csv"]


@pytest.mark.parametrize(
    "case, change, column, reason",
    [
        (
            "NUL byte",
            lambda raw: raw.replace(b"Developers write", b"Developers\x00write", 1),
            "Definition",
            "a control character (U+0000)",
        ),
        (
            "5 MB field",
            lambda raw: raw.replace(b"Developers write", b"Developers " + b"w" * 5_000_000, 1),
            "Definition",
            "characters, more than a spreadsheet cell holds (32767)",
        ),
        (
            "Latin-1 byte",
            lambda raw: raw.replace(b"Developers write", b"D\xe9velopers write", 1),
            "Definition",
            "not valid UTF-8 (byte 0xe9)",
        ),
    ],
    ids=["NUL byte", "5 MB field", "Latin-1 byte"],
)
def test_broken_csv_cells_are_row_and_column_errors(case, change, column, reason, tmp_path, ctx):
    paths = _fixture_rows(tmp_path, change)
    settings = project_settings(build_dir=tmp_path / "build")
    report = importer.prepare(paths, settings, ctx=ctx).report
    problems = [p for p in report.errors if p.column == column]
    assert problems and all(reason in p.message and p.row == 3 for p in problems), [str(p) for p in report.errors]
    assert str(problems[0]).startswith(f"mitigations.csv: row 3, column {column}: ")


def test_a_huge_xlsx_cell_is_a_row_and_column_error(tmp_path, ctx):
    # openpyxl cuts what it writes at 32767 characters; the file is made longer by hand
    path = _workbook(tmp_path / "cells.xlsx", extra=lambda ws: ws.cell(row=3, column=2, value="y" * 32_767))
    _rewrite_part(path, "xl/worksheets/sheet1.xml", lambda text: text.replace("y" * 32_767, "y" * 40_000))
    book = read.read(path)
    problems = book.sheets[0].rows[1].problems
    assert problems == [("Mitigation_Name", "40000 characters, more than a spreadsheet cell holds (32767)")]


def test_an_import_refuses_a_workbook_larger_than_max_source_bytes(tmp_path, ctx):
    path = _workbook(tmp_path / "export.xlsx", rows=200)
    settings = project_settings(build_dir=tmp_path / "build", max_source_bytes=2000)
    with pytest.raises(ImportRejected) as info:
        importer.prepare([path], settings, ctx=ctx)
    assert [str(p) for p in info.value.report.errors] == [
        f"export.xlsx: {path.stat().st_size} bytes, more than the 2000 an import takes (KG_MAX_SOURCE_BYTES)"
    ]
