"""A bounded loopback load test: abusive clients (queries that run into the deadline) in parallel with
an ordinary client (cheap queries no cache has seen). Every ordinary query is answered, every
abusive one refused (503 at the deadline, or 429 once over budget), and the service answers `ASK {}`
afterwards. The latencies are figures, not assertions: `make bench` measures and prints them
(bench/load.py), and the README quotes a run."""

from __future__ import annotations

import httpx
import pytest

from bench import load
from servers import running_server

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_ordinary_queries_are_answered_while_abusive_ones_are_refused(built_settings, tmp_path):
    with running_server(built_settings.root, built_settings.build_dir, tmp_path / "server.log", **load.SETTINGS) as url:
        figures = load.abuse(url, alone_seconds=4, abuse_seconds=12)
        with httpx.Client(base_url=url, timeout=10) as client:
            assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    assert figures["ordinary_failures"] == []
    assert figures["alone"]["requests"] > 0 and figures["under_abuse"]["requests"] > 0
    answers = {int(s): n for s, n in figures["abusive_answers"].items()}
    assert set(answers) <= {503, 429} and answers.get(503, 0) >= load.ABUSERS
