"""schemathesis against the service's own OpenAPI description (`/-/openapi.json`), on a real server:
generated requests to every operation, and no answer may be a server error (5xx) other than those the
description documents for queries (503 deadline/busy, 500 a stopped worker), which the generated
queries are too small to cause."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from servers import running_server

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_no_server_errors(built_settings, tmp_path):
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert cli, "schemathesis is part of the test extra (pip install -e '.[test]')"
    with running_server(
        built_settings.root,
        built_settings.build_dir,
        tmp_path / "server.log",
        KG_CLIENT_ERRORS="0",
        KG_CLIENT_QUERY_SECONDS="0",
        KG_QUERY_TIMEOUT="5",
    ) as url:
        done = subprocess.run(
            [
                cli,
                "run",
                f"{url}/-/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "20",
                "--max-time",
                "90",
                "--request-timeout",
                "30",
                "--seed",
                "7",
                "--phases",
                "examples,coverage,fuzzing",
                "--suppress-health-check",
                "all",
                "--warnings",
                "off",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Traceback" not in (tmp_path / "server.log").read_text()
