"""Shared fixtures: one real build of the project's graph per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg import api, release
from kg.config import from_env

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
    return release.current(built_settings)


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


@pytest.fixture
def project_copy(tmp_path):
    """A writable copy of the project's ontology, shapes and data (for builds that must fail)."""
    return copy_project(tmp_path)


def select(store, query: str) -> list[dict[str, str]]:
    """Run SELECT over the store; rows as {variable: lexical value}."""
    from kg import sparql
    result = sparql.run(store, query)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]
