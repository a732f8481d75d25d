"""The real server, started once per session: `kg serve` (uvicorn) in a subprocess on a free port of
127.0.0.1, over the release the session fixture `built_settings` (tests/conftest.py) built."""

from __future__ import annotations

import os
from contextlib import contextmanager
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


def stop(process: subprocess.Popen, seconds: float = 10) -> None:
    """Stop a server the tests started: SIGTERM, then SIGKILL if it is still there after `seconds`."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_server(root, build_dir, log, **settings):
    """`kg serve` in a subprocess on a free port of 127.0.0.1 over `build_dir`; yields its base URL.
    Keyword arguments are further settings by environment variable (`KG_QUERY_TIMEOUT="2"`)."""
    port = free_port()
    env = {**os.environ, "KG_ROOT": str(root), "KG_BUILD_DIR": str(build_dir),
           "KG_HOST": "127.0.0.1", "KG_PORT": str(port), **settings}
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="session")
def server(built_settings, tmp_path_factory):
    """The base URL of a running `kg serve` (stopped at the end of the session); its log in a file."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    with running_server(built_settings.root, built_settings.build_dir, log) as url:
        yield url


@pytest.fixture(scope="session")
def http(server):
    """An httpx client for the running server."""
    import httpx
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


# --- Headless Chromium (Debian's `chromium`; never `playwright install`) for the browser tests ---

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_chromium() -> None:
    """Skip the calling module where Chromium is missing, except in CI (`.ci/run` installs it)."""
    if not CHROMIUM and not os.environ.get("CI"):
        pytest.skip("Chromium is not installed (apt-get install chromium); CI always runs these",
                    allow_module_level=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A fresh page that records every request it makes and every console error."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()
