"""The real server, started once per session: `kg serve` (uvicorn) in a subprocess on a free port of
127.0.0.1, over the release the session fixture `built_settings` (tests/conftest.py) built."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/-/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer on {url} within {seconds} s")


@pytest.fixture(scope="session")
def server(built_settings, tmp_path_factory):
    """The base URL of a running `kg serve` (stopped at the end of the session); its log in a file."""
    port = free_port()
    env = {**os.environ, "KG_ROOT": str(built_settings.root), "KG_BUILD_DIR": str(built_settings.build_dir),
           "KG_HOST": "127.0.0.1", "KG_PORT": str(port)}
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def http(server):
    """An httpx client for the running server."""
    import httpx
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client
