"""A running service follows `build/current`: a new release is served without a restart, and nothing
cached from the old one (query answers, rendered pages) is served after the switch."""

from __future__ import annotations

import httpx
import pytest

from kg import api

from .conftest import running_server
from conftest import project_settings

pytestmark = [pytest.mark.server, pytest.mark.slow]
OLD_LABEL = (
    "The formation and storage of concepts in LLMs rely on neurons, attention heads, and their complex interactions"
)


def test_new_release_is_served_without_restart(project_copy, tmp_path):
    settings = project_settings(root=project_copy, build_dir=project_copy / "build", reasoner=False)
    first = api.build(settings)
    with running_server(project_copy, settings.build_dir, tmp_path / "server.log") as url:
        assert httpx.get(url + "/-/health").json()["release"] == first.release_id
        ask = {"query": 'ASK { ?s rdfs:label "A mitigation added later" }'}
        assert (
            httpx.get(url + "/sparql", params=ask, headers={"Accept": "application/sparql-results+json"}).json()[
                "boolean"
            ]
            is False
        )
        found = {"query": f'SELECT ?m WHERE {{ ?m rdfs:label "{OLD_LABEL}" }}'}
        mitigation = httpx.get(url + "/sparql", params=found, headers={"Accept": "text/csv"}).text.splitlines()[1]
        page = url + "/" + mitigation[len(settings.base_iri) :] + ".ttl"
        assert OLD_LABEL in httpx.get(page).text  # rendered now, kept for this release
        (project_copy / "data" / "later.ttl").write_text(
            (project_copy / "data" / "seed.ttl").read_text().replace(OLD_LABEL, "A mitigation added later")
        )
        (project_copy / "data" / "seed.ttl").unlink()
        second = api.build(settings)
        assert httpx.get(url + "/-/health").json()["release"] == second.release_id
        assert (
            httpx.get(url + "/sparql", params=ask, headers={"Accept": "application/sparql-results+json"}).json()[
                "boolean"
            ]
            is True
        )
        assert "A mitigation added later" in httpx.get(page).text
