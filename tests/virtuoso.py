"""Starting a real Virtuoso 7 in tests: `virtuoso-t` (Debian's `virtuoso-opensource-7`, installed by
.ci/run) in the foreground over a fresh database in a temporary directory, with its own virtuoso.ini
(SQL and HTTP ports on 127.0.0.1), a publisher user made by an isql script, stopped by its PID.

The ini and the grants are the recipe docs/deployment.md gives operators ("Virtuoso 7")."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from servers import free_port, stop

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt") or shutil.which("isql")
PUBLISHER = "publisher"

INI = """\
[Database]
DatabaseFile       = virtuoso.db
ErrorLogFile       = virtuoso.log
LockFile           = virtuoso.lck
TransactionFile    = virtuoso.trx
xa_persistent_file = virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile    = virtuoso-temp.db
TransactionFile = virtuoso-temp.trx

[Parameters]
ServerPort           = 127.0.0.1:{sql_port}
DisableUnixSocket    = 1
MaxClientConnections = 20
CheckpointInterval   = 60
CaseMode             = 2
DirsAllowed          = .
NumberOfBuffers      = 10000
MaxDirtyBuffers      = 6000
ThreadsPerQuery      = 2
MaxQueryMem          = 500M

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = .
MaxClientConnections = 20
ServerThreads        = 20
MaxKeepAlives        = 20
KeepAliveTimeout     = 10
Charset              = UTF-8
EnabledGzipContent   = 0

[SPARQL]
ResultSetMaxRows           = 10000000
MaxQueryExecutionTime      = {max_seconds}
MaxQueryCostEstimationTime = 0
MaxSortedTopRows           = 100000
"""

GRANTS = """\
DB.DBA.USER_CREATE('{user}', '{password}');
GRANT SPARQL_UPDATE TO "{user}";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET('nobody', 1);
DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{user}', 3);
USER_SET_PASSWORD('dba', '{dba}');
"""


@dataclass(frozen=True)
class Virtuoso:
    url: str
    pid: int
    password: str  # the publisher's
    directory: Path

    name = "virtuoso"

    @property
    def query(self) -> str:
        return self.url + "/sparql"

    @property
    def store(self) -> str:
        """The digest-protected Graph Store endpoint, the publisher's credentials in the URL."""
        host = self.url.removeprefix("http://")
        return f"http://{PUBLISHER}:{self.password}@{host}/sparql-graph-crud-auth"

    @property
    def auth(self):
        import httpx

        return httpx.DigestAuth(PUBLISHER, self.password)


def missing(what: str) -> None:
    if os.environ.get("CI"):
        raise RuntimeError(f"{what} is missing: .ci/run installs virtuoso-opensource-7")
    pytest.skip(f"{what} is missing (apt-get install virtuoso-opensource-7)")


@contextmanager
def virtuoso_server(directory: Path, max_seconds: int = 30):
    """`virtuoso-t` over a fresh database in `directory`; stopped (by its PID) on exit."""
    if VIRTUOSO is None:
        missing("virtuoso-t")
    if ISQL is None:
        missing("isql-vt")
    directory.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    (directory / "virtuoso.ini").write_text(INI.format(sql_port=sql_port, http_port=http_port, max_seconds=max_seconds))
    log = directory / "virtuoso-t.out"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(VIRTUOSO), "+configfile", "virtuoso.ini", "+foreground"],
            cwd=directory,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    password = secrets.token_urlsafe(12)
    server = Virtuoso(f"http://127.0.0.1:{http_port}", process.pid, password, directory)
    try:
        wait_for(server, process, directory)
        grants = GRANTS.format(user=PUBLISHER, password=password, dba=secrets.token_urlsafe(12))
        done = subprocess.run(
            [str(ISQL), f"127.0.0.1:{sql_port}", "dba", "dba"],
            input=grants,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0 or "Error" in done.stdout + done.stderr:
            raise RuntimeError(f"the isql grants failed: {done.stdout}{done.stderr}")
        yield server
    finally:
        stop(process, seconds=20)


def wait_for(server: Virtuoso, process: subprocess.Popen, directory: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {process.returncode}: {tail(directory)}")
        try:
            with urllib.request.urlopen(server.query + "?query=ASK%7B%7D", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"virtuoso did not answer on {server.url} within {seconds} s") from None
            time.sleep(0.2)


def tail(directory: Path) -> str:
    log = directory / "virtuoso.log"
    return log.read_text(errors="replace")[-2000:] if log.exists() else ""
