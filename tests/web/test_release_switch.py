"""A running service follows `build/current`: a new release is served without a restart."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from kg import api

from conftest import project_settings
from .conftest import free_port, wait_until_up

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_new_release_is_served_without_restart(project_copy, tmp_path):
    settings = project_settings(root=project_copy, build_dir=project_copy / "build", reasoner=False)
    first = api.build(settings)
    port = free_port()
    env = {**os.environ, "KG_ROOT": str(project_copy), "KG_BUILD_DIR": str(settings.build_dir),
           "KG_PORT": str(port), "KG_HOST": "127.0.0.1"}
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
        assert httpx.get(url + "/-/health").json()["release"] == first.release_id
        ask = {"query": 'ASK { ?s rdfs:label "A mitigation added later" }'}
        assert httpx.get(url + "/sparql", params=ask, headers={"Accept": "application/sparql-results+json"}).json()["boolean"] is False
        (project_copy / "data" / "later.ttl").write_text((project_copy / "data" / "seed.ttl").read_text()
            .replace("The formation and storage of concepts in LLMs rely on neurons, attention heads, and their complex interactions",
                     "A mitigation added later"))
        (project_copy / "data" / "seed.ttl").unlink()
        second = api.build(settings)
        assert httpx.get(url + "/-/health").json()["release"] == second.release_id
        assert httpx.get(url + "/sparql", params=ask, headers={"Accept": "application/sparql-results+json"}).json()["boolean"] is True
    finally:
        process.terminate()
        process.wait(timeout=10)
