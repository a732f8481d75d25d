"""`kg query` and the endpoint report a bad query in one format: the same message, the same
position, the same quoted line with a caret under the column (parser errors and the gate's)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

BAD = [
    "SELECT * WHERE { ?s ?p }",  # the parser: error at 1:25
    "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = }",  # the parser, on line 3
    "SELECT * WHERE {\n  SERVICE <http://example.org/sparql> { ?s ?p ?o }\n}",  # the gate: SERVICE
    "SELECT * WHERE { " + "(" * 80 + "1" + ")" * 80 + " }",  # the gate: nesting
]


@pytest.mark.parametrize("query", BAD, ids=["parser", "parser-line-3", "service", "nesting"])
def test_kg_query_and_the_endpoint_say_the_same(app_client, small_settings, query):
    r = app_client.post("/sparql", data={"query": query}, headers={"Accept": "application/json"})
    assert r.status_code == 400
    detail = r.json()["error"]["detail"]
    assert "^" in detail and "  line " in detail, "the endpoint quotes the line with a caret"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    env.update({"KG_ROOT": str(small_settings.root), "KG_BUILD_DIR": str(small_settings.build_dir)})
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "query", query], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 5
    assert done.stderr == f"kg query: {detail}\n"
