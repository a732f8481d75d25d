"""The real server, started once per session (`servers.running_server`) over the release the session
fixture `built_settings` (tests/conftest.py) built, and headless Chromium for the browser tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from servers import running_server


@pytest.fixture(scope="session")
def server(built_settings, tmp_path_factory):
    """The base URL of a running `kg serve` (stopped at the end of the session); its log in a file."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    with running_server(built_settings.root, built_settings.build_dir, log) as url:
        yield url


@pytest.fixture(scope="session")
def app_client(small_settings):
    """The service in-process (the app of `kg serve`, its lifespan and worker pool included) over the
    small fixture project, through Starlette's test client: for route tests a real socket adds
    nothing to. Its base URL is http://testserver."""
    from starlette.testclient import TestClient

    from kg.web.app import create_app

    with TestClient(create_app(small_settings), base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="session")
def http(server):
    """An httpx client for the running server."""
    import httpx

    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


# --- Headless Chromium (Debian's `chromium`; never `playwright install`) for the browser tests ---

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip the calling module where Chromium is missing, except in CI (`.ci/run` installs it)."""
    if not CHROMIUM and not os.environ.get("CI"):
        pytest.skip(
            "Chromium is not installed (apt-get install chromium); CI always runs these", allow_module_level=True
        )


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
