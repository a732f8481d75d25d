"""Releases are atomic: killing `kg build` (SIGKILL) at any moment leaves the previous release serving
and intact, and the next build removes what the killed one left; killing `kg serve` during a query
loses nothing either.

These run the real CLI (`kg build -v`, `kg serve`) as subprocesses over a copy of the project, and
find the moment to kill from the build's own log lines on stderr and from its staging directory.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from kg import api
from kg.release import directory
from kg.sparql.execute import solutions

from conftest import built_copy, project_settings

KG = [sys.executable, "-m", "kg.cli"]
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the project with a good release built (without the reasoner, to save time)."""
    return built_copy(tmp_path_factory.mktemp("kill"))


def env_for(settings, **extra) -> dict[str, str]:
    return {**os.environ, "KG_ROOT": str(settings.root), "KG_BUILD_DIR": str(settings.build_dir), **extra}


class Build:
    """`kg build -v` in a subprocess; its stderr lines are collected as they come."""

    def __init__(self, settings) -> None:
        self.process = subprocess.Popen(
            [*KG, "build", "-v"],
            env=env_for(settings),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None  # stderr=PIPE
        self.stderr = self.process.stderr
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.stderr:
            self.lines.append(line.strip())

    def saw(self, prefix: str) -> bool:
        return any(line.startswith(prefix) for line in self.lines)

    def kill(self) -> int:
        self.process.send_signal(signal.SIGKILL)
        code = self.process.wait(timeout=30)
        self.reader.join(timeout=10)
        self.stderr.close()
        return code


def wait_for(condition, seconds: float = 120, step: float = 0.005) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def staging_has(settings, name: str):
    return lambda: any((p / name).exists() for p in settings.releases_dir.glob(".tmp-*") if p.is_dir())


def processes_of(build_dir: Path) -> list[int]:
    """Live processes whose environment names this build directory (a build's reasoner and its Java)."""
    marker = f"KG_BUILD_DIR={build_dir}".encode() + b"\0"
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (
                marker in (entry / "environ").read_bytes()
                and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
            ):
                out.append(int(entry.name))
        except OSError:
            continue
    return out


def assert_intact(settings, expected_id: str | None) -> directory.Release:
    """`current` resolves to a complete release (the expected one, when given) whose files match
    its manifest and whose store opens and answers."""
    current = directory.current(settings)
    if expected_id is not None:
        assert current.id == expected_id
    assert directory.verify(current) == []
    store = current.open_store()
    n = next(iter(solutions(store.query(COUNT, use_default_graph_as_union=True))))["n"]
    assert int(n.value) > 40_000
    return current


def pause(seconds: float) -> bool:
    time.sleep(seconds)
    return True


# The moments a build is killed at: what to wait for before the kill (True: reached)
MOMENTS = {
    "after 0.5 s": lambda b, s: pause(0.5),
    "while parsing (staging made)": lambda b, s: wait_for(lambda: any(s.releases_dir.glob(".tmp-*"))),
    "during validation, the reasoner running": lambda b, s: wait_for(lambda: b.saw("reason: started")),
    "waiting for the reasoner (Java running)": lambda b, s: wait_for(lambda: b.saw("validate:")) and pause(0.5),
    "writing the store": lambda b, s: wait_for(staging_has(s, "store")),
    "writing the dumps": lambda b, s: wait_for(staging_has(s, "airm-kg.trig")),
    "publishing (manifest written)": lambda b, s: wait_for(staging_has(s, "manifest.json"), step=0.0005),
}


@pytest.mark.slow
@pytest.mark.parametrize("moment", MOMENTS, ids=list(MOMENTS))
def test_killing_the_build_leaves_the_previous_release_serving_and_intact(project, moment):
    settings = project
    before = assert_intact(settings, None)
    build = Build(settings)
    reached = MOMENTS[moment](build, settings)
    finished = build.process.poll() is not None
    code = build.kill()
    assert reached or finished, f"the build never reached {moment!r}: {build.lines}"
    assert not finished or moment == "publishing (manifest written)", f"finished before {moment!r}"
    if finished:  # it won the race: then the new release must be complete and in service
        assert code == 0, build.lines
        assert_intact(settings, None)
    else:
        assert code == -signal.SIGKILL
        now = assert_intact(settings, None)
        assert now.id in (before.id, *(p.name for p in settings.releases_dir.iterdir())), now.id
        if moment != "publishing (manifest written)":
            assert now.id == before.id, f"killed {moment}: the previous release still serves"
        print(f"killed {moment}: {build.lines[-1] if build.lines else 'no log yet'}; serving {now.id}")
    assert wait_for(lambda: not processes_of(settings.build_dir), 10, 0.1), (
        f"the killed build's reasoner and Java died with it: {processes_of(settings.build_dir)}"
    )

    # The next build succeeds and removes what the killed one left behind.
    done = subprocess.run(
        [*KG, "build", "--no-reasoner"], env=env_for(settings), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    leftovers = [p.name for p in settings.releases_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == [], "no staging directory or lock is left"
    assert not list(settings.build_dir.glob(".current-*"))
    after = assert_intact(settings, None)
    assert after.id != before.id


# --- staging directories and durability (fast) ---------------------------------------------------------


def test_only_the_staging_directories_of_dead_builds_are_removed(tmp_path):
    settings = project_settings(root=tmp_path, build_dir=tmp_path / "build")
    mine = directory.staging_dir(settings, "1")
    code = (
        "import sys, time\nfrom pathlib import Path\nfrom kg.release import directory\nfrom kg.config import from_env\n"
        f"directory.staging_dir(from_env(environ={{}}, root=Path({str(tmp_path)!r}), "
        f"build_dir=Path({str(settings.build_dir)!r})), '2')\n"
        "print('ready', flush=True)\ntime.sleep(60)\n"
    )
    other = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "ready"
        dead = settings.releases_dir / ".tmp-3"
        dead.mkdir()
        (dead / "half-written").write_text("x")
        assert directory.clean_stale(settings) == [dead]
        assert mine.is_dir() and (settings.releases_dir / ".tmp-2").is_dir(), "running builds keep theirs"
    finally:
        other.kill()
        other.wait()
        other.stdout.close()
    assert directory.clean_stale(settings) == [settings.releases_dir / ".tmp-2"]
    directory.discard(mine)
    assert sorted(p.name for p in settings.releases_dir.iterdir()) == []


def test_publish_puts_everything_on_disk_before_each_rename(tmp_path, monkeypatch):
    root = tmp_path / "project"
    for d in ("ontology", "shapes", "data"):
        (root / d).mkdir(parents=True)
    (root / "data" / "d.ttl").write_text('<http://x/s> <http://x/p> "v" .\n', encoding="utf-8")
    settings = project_settings(root=root, build_dir=tmp_path / "build", reasoner=False)
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(directory.os, "fsync", fsync)
    monkeypatch.setattr(directory.os, "replace", replace)
    built = api.build(settings)
    final = settings.releases_dir / built.release_id
    staging = settings.releases_dir / f".tmp-{built.release_id}"
    # renames inside the staging directory (a file written whole, then renamed) publish nothing
    renames = [i for i, e in enumerate(events) if e[0] == "replace" and Path(e[1]).parent != staging]
    assert [events[i][1] for i in renames] == [str(final), str(settings.current_link)]
    synced_first = {Path(p).name for kind, p in events[: renames[0]] if kind == "fsync"}
    assert {"manifest.json", "airm-kg.trig", "airm-kg.nq", "store", f".tmp-{built.release_id}"} <= synced_first
    assert ("fsync", str(settings.releases_dir)) in events[renames[0] : renames[1]], "the rename is on disk"
    assert ("fsync", str(settings.build_dir)) in events[renames[1] :], "the switch of `current` is on disk"
    assert directory.verify(directory.current(settings)) == []


def test_verify_finds_a_damaged_release(tmp_path):
    root = tmp_path / "project"
    for d in ("ontology", "shapes", "data"):
        (root / d).mkdir(parents=True)
    (root / "data" / "d.ttl").write_text('<http://x/s> <http://x/p> "v" .\n', encoding="utf-8")
    settings = project_settings(root=root, build_dir=tmp_path / "build", reasoner=False)
    api.build(settings)
    current = directory.current(settings)
    assert directory.verify(current) == []
    dump = current.dump_path("nquads")
    dump.write_bytes(dump.read_bytes().replace(b'"v"', b'"w"'))
    (current.path / "airm-kg.ttl").unlink()
    problems = directory.verify(current)
    assert any("airm-kg.nq: SHA-256 differs" in p for p in problems), problems
    assert any("airm-kg.ttl: missing" in p for p in problems), problems


# --- the server --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(settings, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with log.open("a") as out:
        process = subprocess.Popen(
            [*KG, "serve"],
            env=env_for(settings, KG_HOST="127.0.0.1", KG_PORT=str(port)),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/-/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    assert wait_for(up, 60, 0.1), f"the server did not come up: {log.read_text()}"
    return process, url


def stop_group(process: subprocess.Popen) -> None:
    """Stop what is left of a server this test started (its own process group: workers included)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def sparql(url: str, query: str, timeout: float = 30) -> dict:
    request = urllib.request.Request(
        f"{url}/sparql?" + urllib.parse.urlencode({"query": query}),
        headers={"Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


@pytest.mark.slow
@pytest.mark.server
def test_killing_the_server_during_a_query_loses_nothing(project, tmp_path) -> None:
    settings = project
    before = assert_intact(settings, None)
    log = tmp_path / "server.log"
    process, url = start_server(settings, log)
    try:
        expected = sparql(url, COUNT)["results"]["bindings"][0]["n"]["value"]
        outcome: list = []

        def slow_query() -> None:  # a cross product: runs until the server dies (or its deadline)
            try:
                outcome.append(sparql(url, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", 60))
            except Exception as exc:
                outcome.append(exc)

        client = threading.Thread(target=slow_query, daemon=True)
        client.start()
        time.sleep(1.0)
        assert not outcome, "the query is still running when the server is killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        client.join(timeout=60)
        assert outcome and isinstance(outcome[0], Exception)
    finally:
        stop_group(process)

    assert_intact(settings, before.id)
    process, url = start_server(settings, log)
    try:
        assert sparql(url, COUNT)["results"]["bindings"][0]["n"]["value"] == expected
    finally:
        stop_group(process)
