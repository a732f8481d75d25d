"""The SPARQL endpoints under test, each started on a free 127.0.0.1 port and always stopped.

    ours      `kg serve` of the project venv over the benchmark's release (KG_ROOT, KG_BUILD_DIR, KG_PORT)
    replica   `kg serve` as a replica (KG_SPARQL_ENDPOINT) of a Virtuoso 7 (`virtuoso-t`, Debian's
              `virtuoso-opensource-7`) over a fresh database, the release loaded by `kg publish`
              with Digest credentials (docs/deployment.md, "Virtuoso 7"): the cost of the hop
    oxigraph  `oxigraph serve` (PyPI `oxigraph`, in memory, union default graph); the release's
              N-Quads dump POSTed to its /store
    rdflib    `rdflib-endpoint serve` (PyPI `rdflib-endpoint`, rdflib's in-memory Dataset with the
              union as default graph) reading the same N-Quads dump

The peers come from the benchmark's own virtual environment (`bench/.venv`, see
`bench/requirements-peers.txt`; `make bench` installs it). Every server runs in a session of its own
and is stopped by killing that process group (its workers with it): nothing else is touched.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.build import group_memory_mb, kill_group

BENCH = Path(__file__).resolve().parent
PEER_BIN = BENCH / ".venv" / "bin"
PEERS = ("oxigraph", "rdflib")
ENDPOINTS = ("ours", "replica", *PEERS)
VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
VIRTUOSO_INI = """[Database]
DatabaseFile = virtuoso.db
ErrorLogFile = virtuoso.log
LockFile = virtuoso.lck
TransactionFile = virtuoso.trx
xa_persistent_file = virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = virtuoso-temp.db
TransactionFile = virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
DirsAllowed = .
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = .
ServerThreads = 40
MaxClientConnections = 40
EnabledGzipContent = 0
[SPARQL]
ResultSetMaxRows = 100000000
MaxQueryExecutionTime = {seconds}
MaxQueryCostEstimationTime = 0
"""  # the recipe of docs/deployment.md (tests/virtuoso.py), with more buffers (~1.3 GB) for the sizes
PROBE = "ASK { }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    url: str  # the SPARQL query endpoint
    proc: subprocess.Popen
    log: Path
    deadline: bool = True  # the server stops a query at the timeout itself (rdflib-endpoint: no)
    startup_seconds: float = 0.0  # process start to answering (ours: opening the release)
    load_seconds: float = 0.0  # loading the dump (peers; included in startup for rdflib)
    notes: list[str] = field(default_factory=list)
    behind: list[subprocess.Popen] = field(default_factory=list)  # servers it needs (a replica's Virtuoso)

    def peak_rss_mb(self) -> float | None:
        """Peak resident memory of the server's process group so far (VmHWM summed), with the
        servers behind it."""
        return round(sum(group_memory_mb(p.pid, "VmHWM") for p in [self.proc, *self.behind]), 1) or None

    def stop(self) -> None:
        for proc in [self.proc, *self.behind]:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
            kill_group(proc)


def _spawn(name: str, argv: list[str], workdir: Path, env: dict | None = None) -> tuple[subprocess.Popen, Path]:
    log = workdir / f"{name}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,
            cwd=workdir,
        )
    return proc, log


def _wait_ready(proc: subprocess.Popen, url: str, log: Path, limit: float, get: bool = False) -> None:
    """Until the endpoint answers ASK {} with 200 (POSTed as application/sparql-query, or with `get`
    as a GET: Virtuoso 7 does not answer that POST); RuntimeError when the process dies or time runs out."""
    deadline = time.monotonic() + limit
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
                raise RuntimeError(f"exited with code {proc.returncode}: {' | '.join(tail)}")
            try:
                accept = {"Accept": "application/sparql-results+json"}
                r = (
                    client.get(url, params={"query": PROBE}, headers=accept)
                    if get
                    else client.post(url, content=PROBE, headers={"Content-Type": "application/sparql-query", **accept})
                )
                if r.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"not ready within {limit:.0f} s")


def start(
    name: str,
    *,
    root: Path,
    build_dir: Path,
    dump: Path,
    workdir: Path,
    kg: str,
    timeout: float,
    ready_limit: float,
    settings: dict[str, str] | None = None,
) -> Server:
    """Start endpoint `name` over the release in `build_dir` (the peers over its N-Quads `dump`);
    `settings` are further KG_* variables for ours."""
    port = free_port()
    began = time.monotonic()
    if name == "ours":
        env = {
            "KG_ROOT": str(root),
            "KG_BUILD_DIR": str(build_dir),
            "KG_HOST": "127.0.0.1",
            "KG_PORT": str(port),
            # Limits raised so that the benchmark measures rather than gets refused: every client
            # here is 127.0.0.1; the largest sizes' results outgrow the default row limit and
            # their queries the default memory of a query worker.
            "KG_QUERY_TIMEOUT": str(timeout),
            "KG_MAX_ROWS": "100000000",
            "KG_MAX_RESULT_BYTES": str(8 << 30),
            "KG_CLIENT_QUERY_SECONDS": "1000000000",
            "KG_CLIENT_ERRORS": "1000000000",
            "KG_WORKER_MEMORY_MB": "8192",
            **(settings or {}),
        }
        proc, log = _spawn(name, [kg, "serve"], workdir, env)
        server = Server(name, f"http://127.0.0.1:{port}/sparql", proc, log)
    elif name == "replica":
        return start_replica(port, root, build_dir, workdir, kg, timeout, ready_limit, settings)
    elif name == "oxigraph":
        proc, log = _spawn(
            name,
            [
                str(PEER_BIN / "oxigraph"),
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--union-default-graph",
                "--timeout-s",
                str(int(timeout)),
            ],
            workdir,
        )
        server = Server(name, f"http://127.0.0.1:{port}/query", proc, log)
    elif name == "rdflib":
        proc, log = _spawn(
            name,
            [str(PEER_BIN / "rdflib-endpoint"), "serve", str(dump), "--host", "127.0.0.1", "--port", str(port)],
            workdir,
        )
        server = Server(name, f"http://127.0.0.1:{port}/", proc, log, deadline=False)
        server.notes.append(
            "loads the dump before it listens: startup includes the load; "
            "no query deadline of its own (rdflib-endpoint has none)"
        )
    else:
        raise ValueError(f"unknown endpoint {name!r}; known: {', '.join(ENDPOINTS)}")
    try:
        _wait_ready(proc, server.url, log, ready_limit)
        server.startup_seconds = time.monotonic() - began
        if name == "oxigraph":
            began = time.monotonic()
            with dump.open("rb") as body, httpx.Client(timeout=ready_limit) as client:
                r = client.post(
                    f"http://127.0.0.1:{port}/store", content=body, headers={"Content-Type": "application/n-quads"}
                )
            r.raise_for_status()
            server.load_seconds = time.monotonic() - began
        elif name == "rdflib":
            server.load_seconds = server.startup_seconds
    except BaseException:
        server.stop()
        raise
    return server


def start_virtuoso(workdir: Path, timeout: float, ready_limit: float) -> tuple[subprocess.Popen, str, str]:
    """A Virtuoso over a fresh database in `workdir`/virtuoso with a publisher user; the process, its
    base URL and the publisher's password."""
    if VIRTUOSO is None or ISQL is None:
        raise RuntimeError("virtuoso-t or isql-vt is missing (apt-get install virtuoso-opensource-7)")
    home = workdir / "virtuoso"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    sql, http = free_port(), free_port()
    (home / "virtuoso.ini").write_text(VIRTUOSO_INI.format(sql=sql, http=http, seconds=max(1, int(timeout) * 2)))
    proc, log = _spawn("virtuoso", [VIRTUOSO, "+configfile", "virtuoso.ini", "+foreground"], home)
    url = f"http://127.0.0.1:{http}"
    try:
        _wait_ready(proc, url + "/sparql", log, ready_limit, get=True)
        password = secrets.token_urlsafe(12)
        grants = (
            f"DB.DBA.USER_CREATE('publisher', '{password}');\nGRANT SPARQL_UPDATE TO \"publisher\";\n"
            "DB.DBA.RDF_DEFAULT_USER_PERMS_SET('nobody', 1);\nDB.DBA.RDF_DEFAULT_USER_PERMS_SET('publisher', 3);\n"
            f"USER_SET_PASSWORD('dba', '{secrets.token_urlsafe(12)}');\n"
        )
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{sql}", "dba", "dba"], input=grants, capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0 or "Error" in done.stdout:
            raise RuntimeError(f"the isql grants failed: {done.stdout[-500:]}")
    except BaseException:
        kill_group(proc)
        raise
    return proc, url, password


def start_replica(
    port: int,
    root: Path,
    build_dir: Path,
    workdir: Path,
    kg: str,
    timeout: float,
    ready_limit: float,
    settings: dict[str, str] | None,
) -> Server:
    """`kg serve` over a replica's copy of the release (no store), serving from a Virtuoso that
    `kg publish` loaded; its load time is the publish."""
    began = time.monotonic()
    virtuoso, url, password = start_virtuoso(workdir, timeout, ready_limit)
    try:
        current = (build_dir / "current").resolve()
        replica = workdir / "replica-build"
        shutil.rmtree(replica, ignore_errors=True)
        (replica / "releases" / current.name).mkdir(parents=True)
        for path in current.iterdir():
            if path.name != "store":
                (replica / "releases" / current.name / path.name).symlink_to(path)
        (replica / "current").symlink_to(Path("releases") / current.name)
        env = {**os.environ, "KG_ROOT": str(root), "KG_BUILD_DIR": str(build_dir)}
        env |= {"KG_SPARQL_ENDPOINT": url + "/sparql", "KG_GSP_ENDPOINT": url + "/sparql-graph-crud-auth"}
        env |= {"KG_GSP_USER": "publisher", "KG_GSP_PASSWORD": password}
        loading = time.monotonic()
        subprocess.run([kg, "publish"], env=env, check=True, capture_output=True, timeout=ready_limit * 4)
        load_seconds = time.monotonic() - loading
        server = start(
            "ours",
            root=root,
            build_dir=replica,
            dump=Path(),
            workdir=workdir,
            kg=kg,
            timeout=timeout,
            ready_limit=ready_limit,
            settings={"KG_SPARQL_ENDPOINT": url + "/sparql", **(settings or {})},
        )
    except BaseException:
        kill_group(virtuoso)
        raise
    server.name, server.behind, server.load_seconds = "replica", [virtuoso], load_seconds
    server.startup_seconds = time.monotonic() - began - load_seconds
    server.notes.append("kg serve as a replica of Virtuoso 7 (KG_SPARQL_ENDPOINT); load: kg publish")
    return server


class Endpoint:
    """A server that can be restarted with the same arguments (after a request it could not answer in
    time kept it busy); `sent` is what the running instance has been sent since it started."""

    def __init__(self, name: str, **options) -> None:
        self.name, self.options = name, options
        self.restarts, self.peak_rss, self.sent = 0, 0.0, set()
        self.server = start(name, **options)
        self.deadline = self.server.deadline
        self.startup_seconds, self.load_seconds = self.server.startup_seconds, self.server.load_seconds

    @property
    def url(self) -> str:
        return self.server.url

    def restart(self) -> None:
        self.stop()
        self.server = start(self.name, **self.options)
        self.restarts += 1
        self.sent = set()

    def stop(self) -> None:
        self.peak_rss = max(self.peak_rss, self.server.peak_rss_mb() or 0.0)
        self.server.stop()


def peer_versions() -> dict[str, str]:
    """Versions of the peers installed in bench/.venv (by pip's metadata)."""
    out = {}
    python = PEER_BIN / "python"
    if python.exists():
        code = (
            "import importlib.metadata as m\n"
            "for d in ('oxigraph', 'rdflib-endpoint', 'rdflib'):\n"
            "    print(d, m.version(d))"
        )
        for line in subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.splitlines():
            name, _, version = line.partition(" ")
            out[name] = version
    return out


def replica_missing() -> str:
    """Why the replica column cannot run here ('' when it can)."""
    return "" if VIRTUOSO and ISQL else "virtuoso-t is missing (apt-get install virtuoso-opensource-7)"


def check_peers() -> list[str]:
    """What is missing from bench/.venv (empty when both peers are installed)."""
    return [str(p) for p in (PEER_BIN / "oxigraph", PEER_BIN / "rdflib-endpoint") if not p.exists()]
