"""The `kg` command as a user runs it: real processes, real exit codes, messages that say where."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pyoxigraph as ox
import pytest

from kg.formats import lookup

from conftest import ROOT

pytestmark = pytest.mark.slow


def kg(*args, build_dir=None, root=ROOT, check=False):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    env.update({"KG_ROOT": str(root)})
    if build_dir:
        env["KG_BUILD_DIR"] = str(build_dir)
    done = subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, env=env, timeout=300)
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def build_dir(built_settings):
    return built_settings.build_dir


QUERY = "SELECT ?code ?name WHERE { ?c skos:inScheme <https://w3id.org/airm-kg/vocab/mit-v1-mitigation-taxonomy> ; skos:notation ?code ; skos:prefLabel ?name } ORDER BY ?code"


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "xml"])
def test_query_formats_give_the_same_27_v1_categories(build_dir, fmt):
    out = kg("query", QUERY, "--format", fmt, build_dir=build_dir, check=True).stdout
    if fmt == "table":
        lines = out.splitlines()
        assert lines[0].split() == ["code", "name"] and lines[-1] == "(27 rows)"
        codes = [line.split()[0] for line in lines[2:-1]]
    elif fmt in ("csv", "tsv"):
        rows = list(csv.reader(io.StringIO(out), delimiter="," if fmt == "csv" else "\t"))
        codes = [r[0].strip('"') for r in rows[1:]]
    else:
        sols = ox.parse_query_results(out.encode(), lookup(fmt, kind="results").oxigraph)
        codes = [s["code"].value for s in sols]
    assert codes[:3] == ["1", "1.1", "1.2"] and len(codes) == 27


def test_construct_query_prints_turtle(build_dir):
    out = kg(
        "query",
        'CONSTRUCT { ?c skos:prefLabel ?l } WHERE { ?c skos:notation "1.1.3" ; skos:prefLabel ?l }',
        build_dir=build_dir,
        check=True,
    ).stdout
    triples = list(ox.parse(out.encode(), ox.RdfFormat.TURTLE))
    assert [t.object.value for t in triples] == ["Capability Modification"]


def test_malformed_query_exits_5_with_the_position(build_dir):
    done = kg("query", "SELECT ?x WHERE { ?x ?p }", build_dir=build_dir)
    assert done.returncode == 5
    assert "malformed query" in done.stderr and "1:" in done.stderr


def test_query_before_any_build_says_what_to_do(tmp_path):
    done = kg("query", "ASK {}", build_dir=tmp_path / "nothing")
    assert done.returncode == 6 and "run `kg build`" in done.stderr


def test_validate_reports_file_focus_path_and_message(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix airm: <https://w3id.org/airm-kg/ontology#> .\n"
        "<https://w3id.org/airm-kg/mitigation/orphan> a airm:Mitigation ; "
        '<http://www.w3.org/2000/01/rdf-schema#label> "orphan" .\n'
    )
    done = kg("validate", str(bad))
    assert done.returncode == 3
    line = next(li for li in done.stdout.splitlines() if "sourceDocument" in li)
    assert line.startswith("bad.ttl: Violation: focus <https://w3id.org/airm-kg/mitigation/orphan>")


def test_validate_of_a_file_that_does_not_parse_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix airm: <https://w3id.org/airm-kg/ontology#> .\n\n<http://x/a> airm:p \n")
    done = kg("validate", str(bad))
    assert done.returncode == 2
    assert "bad.ttl" in done.stderr and "line" in done.stderr.lower()


def test_the_project_data_validates(build_dir):
    done = kg("validate")
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.parametrize("suffix", ["ttl", "nt", "jsonld", "rdf", "trig", "nq"])
def test_export_writes_every_format(build_dir, tmp_path, suffix):
    out = tmp_path / f"dump.{suffix}"
    kg("export", "-o", str(out), build_dir=build_dir, check=True)
    parsed = list(ox.parse(path=str(out), format=lookup(suffix).oxigraph))
    manifest = json.loads((build_dir / "current" / "manifest.json").read_text())
    if suffix in ("trig", "nq"):
        assert len(set(parsed)) == manifest["quads"]
    else:
        assert 0 < len(set(parsed)) <= manifest["quads"]


def test_reason_reports_consistency():
    done = kg("reason", check=True)
    assert done.stdout.startswith("consistent, no unsatisfiable classes")


def test_committed_turtle_is_canonical():
    done = kg("fmt", "--check")
    assert done.returncode == 0, f"{done.stdout}run `kg fmt`"


def test_export_takes_the_file_as_an_argument_or_as_o(build_dir, tmp_path):
    by_argument, by_option = tmp_path / "a.ttl", tmp_path / "b.ttl"
    kg("export", str(by_argument), build_dir=build_dir, check=True)
    kg("export", "-o", str(by_option), build_dir=build_dir, check=True)
    assert by_argument.read_bytes() == by_option.read_bytes() == (build_dir / "current" / "airm-kg.ttl").read_bytes()
    neither = kg("export", build_dir=build_dir)
    assert neither.returncode == 2 and "kg export FILE" in neither.stderr
    both = kg("export", str(by_argument), "-o", str(tmp_path / "c.ttl"), build_dir=build_dir)
    assert both.returncode == 2 and "give one" in both.stderr


def test_release_does_what_the_docs_say(tmp_path):
    """README.md and docs/curation.md: a new release directory with the build's quads and the
    release graph becomes current; the build it was stamped from stays an unversioned release;
    unversioned releases beyond KG_KEEP_RELEASES go, versioned ones never."""
    from conftest import built_copy

    settings = built_copy(tmp_path / "project")
    build = settings.build_dir
    before = (build / "current").resolve()
    done = kg("release", "--version", "1.0.0", root=settings.root, build_dir=build, check=True)
    after = (build / "current").resolve()
    assert after != before and before.is_dir(), "a new directory; the build it came from stays"
    manifest = json.loads((after / "manifest.json").read_text())
    assert manifest["version"] == "1.0.0" and manifest["stamped_from"] == before.name
    assert str(after) in done.stdout and "1.0.0" in done.stdout
    assert (after / "SHA256SUMS").is_file()
    env = {"KG_KEEP_RELEASES": "1"}
    rebuilt = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", "--no-reasoner"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("KG_")},
            **env,
            "KG_ROOT": str(settings.root),
            "KG_BUILD_DIR": str(build),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    left = sorted(p.name for p in (build / "releases").iterdir() if not p.name.startswith("."))
    assert after.name in left and before.name not in left and len(left) == 2, left
