"""Shared fixtures: one real build of the project's graph per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph

from kg import api
from kg.config import from_env
from kg.release import directory

ROOT = Path(__file__).resolve().parents[1]


def project_settings(**overrides):
    """Settings for the checkout, ignoring the caller's KG_* environment."""
    return from_env(environ={}, **{"root": ROOT, **overrides})


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory):
    """Settings whose build dir holds a fresh release of the real project (reasoner included)."""
    settings = project_settings(build_dir=tmp_path_factory.mktemp("build"))
    api.build(settings)
    return settings


@pytest.fixture(scope="session")
def current(built_settings):
    return directory.current(built_settings)


@pytest.fixture(scope="session")
def store(current):
    return current.open_store()


def copy_project(root: Path) -> Path:
    """Copy the project's ontology, shapes and data (not the generators' sources) into `root`."""
    for d in ("ontology", "shapes", "data"):
        shutil.copytree(ROOT / d, root / d, ignore=shutil.ignore_patterns("sources"))
    return root


def built_copy(root: Path):
    """Settings of a copy of the project in `root` with one release built (without the reasoner)."""
    settings = project_settings(root=copy_project(root), build_dir=root / "build", reasoner=False)
    api.build(settings)
    return settings


def small_copy(root: Path) -> Path:
    """A small fixture project in `root`: the ontology and vocabularies, the shapes, the named queries,
    and only the seed records as data (ontology/mappings/ is left out: it names the other datasets'
    records). About 5,000 quads, built in two seconds."""
    shutil.copytree(ROOT / "ontology", root / "ontology", ignore=shutil.ignore_patterns("mappings"))
    shutil.copytree(ROOT / "shapes", root / "shapes")
    # without the quality checks (tests/test_qc.py adds them): the ontology points to records of the
    # datasets left out, which the dangling-IRI check would rightly report
    shutil.copytree(ROOT / "queries", root / "queries", ignore=shutil.ignore_patterns("qc"))
    (root / "data").mkdir(parents=True)
    shutil.copyfile(ROOT / "data" / "seed.ttl", root / "data" / "seed.ttl")
    return root


@pytest.fixture(scope="session")
def small_settings(tmp_path_factory):
    """Settings of the small fixture project (`small_copy`) with one release built (no reasoner)."""
    root = small_copy(tmp_path_factory.mktemp("small"))
    settings = project_settings(root=root, build_dir=root / "build", reasoner=False)
    api.build(settings)
    return settings


@pytest.fixture(scope="session")
def small_store(small_settings):
    return directory.current(small_settings).open_store()


@pytest.fixture
def project_copy(tmp_path):
    """A writable copy of the project's ontology, shapes and data (for builds that must fail)."""
    return copy_project(tmp_path)


def select(store, query: str) -> list[dict[str, str | None]]:
    """Run SELECT over the store; rows as {variable: lexical value} (None where unbound)."""
    from kg.sparql import execute

    result = execute.run(store, query)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


# --- SHACL: the shapes and the valid fixture graph (tests/test_shapes.py, tests/test_shacl_engine.py)


@pytest.fixture(scope="module")
def prepared_sparql_queries():
    """Parse each SPARQL query text once instead of once per focus node (engine="pyshacl" only).

    pyshacl sends the same query text (with $this pre-bound through initBindings) for every focus
    node of a SPARQL-based constraint, and rdflib parses it anew each time (~50 ms). Caching the
    prepared query changes nothing but speed; it keeps the reference-engine test below fast.
    """
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.processor import SPARQLProcessor

    original = SPARQLProcessor.query
    prepared: dict = {}

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):
        if isinstance(strOrQuery, str):
            key = (strOrQuery, base, tuple(sorted((initNs or {}).items())))
            if key not in prepared:
                prepared[key] = prepareQuery(strOrQuery, initNs=initNs, base=base)
            strOrQuery = prepared[key]
        return original(self, strOrQuery, initBindings or {}, initNs, base, DEBUG)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SPARQLProcessor, "query", query)
        yield


@pytest.fixture(scope="module")
def shapes() -> Graph:
    g = Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


@pytest.fixture(scope="module")
def valid() -> Graph:
    return Graph().parse(ROOT / "tests" / "fixtures" / "shapes" / "valid.ttl", format="turtle")
