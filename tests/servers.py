"""Starting the real server in tests: `kg serve` (uvicorn) in a subprocess on a free port of 127.0.0.1
over a built release, waited for until `/-/health` answers, and stopped (SIGTERM, then SIGKILL).
The session's server fixture (`server`) is in tests/web/conftest.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log, seconds: float = 30, ready=(200,)) -> None:
    """Wait until `/-/health` answers with a status in `ready` (a replica whose server is down or
    holds another release answers 503: pass `ready=(200, 503)` to start one anyway)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/-/health", timeout=2) as response:
                if response.status in ready:
                    return
        except urllib.error.HTTPError as error:
            if error.code in ready:
                return
            time.sleep(0.1)
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


def replica_build(current, build: Path) -> Path:
    """A build directory as a replica has it (docs/deployment.md): the release's manifest and dumps
    (symbolic links to `current`'s files), no store."""
    folder = build / "releases" / current.id
    folder.mkdir(parents=True)
    for path in current.path.iterdir():
        if path.name != "store":
            (folder / path.name).symlink_to(path)
    (build / "current").symlink_to(Path("releases") / current.id)
    return build


@contextmanager
def running_server(root, build_dir, log, port: int | None = None, ready=(200,), **settings):
    """`kg serve` in a subprocess on 127.0.0.1 (on `port`, else a free one) over `build_dir`; yields its
    base URL. Keyword arguments are further settings by environment variable (`KG_QUERY_TIMEOUT="2"`);
    `ready` as for `wait_until_up`."""
    port = port or free_port()
    env = {
        **os.environ,
        "KG_ROOT": str(root),
        "KG_BUILD_DIR": str(build_dir),
        "KG_HOST": "127.0.0.1",
        "KG_PORT": str(port),
        **settings,
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log, ready=ready)
        yield url
    finally:
        stop(process)
