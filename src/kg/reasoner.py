"""OWL reasoning with owlready2 and HermiT: consistency and unsatisfiable classes.

The reasoner runs in a child process (`python -m kg.reasoner FILE`) so that a deadline can stop it
and owlready2's global quadstore never leaks into the caller. Its input is the ontology, the
vocabularies and the data as N-Triples, less what OWL 2 DL cannot take: rdf:List structures of
author lists (bibo:authorList) and literals of datatypes outside the OWL 2 datatype map
(xsd:gYear, xsd:date), which carry no logical weight in this ontology. owl:imports triples are
left out too: neither owlready2 nor HermiT (the OWL API) ever fetches anything, and the child
refuses any network access of its own (an audit hook).

`start` launches the child and returns at once (the build validates meanwhile); `ReasonerRun.wait` collects
the report. The child leads a process group of its own, with HermiT's Java in it: a deadline or an
abandoned job kills the whole group, and both die with the process that started them (Linux
PR_SET_PDEATHSIG), so a killed build leaves no reasoner running.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pyoxigraph as ox
from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDF, XSD
from rdflib.term import Node

from kg.errors import Inconsistent, ReasonerUnavailable
from kg.namespaces import BIBO
from kg.sparql.execute import solutions

NON_OWL_DATATYPES = {XSD.gYear, XSD.date, XSD.gYearMonth, XSD.gMonthDay, XSD.gDay, XSD.gMonth, XSD.duration}
# HermiT runs for seconds, not hours: the JIT's first tier and the serial collector halve its CPU time.
JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto"


@dataclass
class ReasonerReport:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    seconds: float = 0.0
    triples: int = 0
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable

    def __str__(self) -> str:
        if not self.consistent:
            return f"INCONSISTENT: {self.message}"
        if self.unsatisfiable:
            return "unsatisfiable classes: " + ", ".join(self.unsatisfiable)
        return f"consistent, no unsatisfiable classes ({self.triples} triples, {self.seconds:.1f} s)"


def reasoner_input(graph: Graph) -> Graph:
    """The part of `graph` HermiT can take (see the module docstring)."""
    author_lists: set[Node] = set()
    head: Node | None
    for head in graph.objects(None, BIBO.authorList):
        while head is not None and head != RDF.nil and head not in author_lists:
            author_lists.add(head)
            head = graph.value(head, RDF.rest)
    out = Graph()
    for s, p, o in graph:
        if p == BIBO.authorList or p == OWL.imports or s in author_lists:
            continue
        if isinstance(o, Literal) and o.datatype in NON_OWL_DATATYPES:
            continue
        out.add((s, p, o))
    return out


_AUTHOR_LIST_NODES = f"""SELECT DISTINCT ?n WHERE {{
  ?d <{BIBO.authorList}> ?head . ?head <{RDF.rest}>* ?n FILTER(?n != <{RDF.nil}>) }}"""


def store_input(store: ox.Store) -> tuple[bytes, int]:
    """`reasoner_input` of the union of the graphs of an Oxigraph store, as N-Triples, and its size."""
    skip_nodes = {row["n"] for row in solutions(store.query(_AUTHOR_LIST_NODES, use_default_graph_as_union=True))}
    skip_predicates = {ox.NamedNode(str(BIBO.authorList)), ox.NamedNode(str(OWL.imports))}
    skip_types = {ox.NamedNode(str(t)) for t in NON_OWL_DATATYPES}
    triples: set[ox.Triple] = set()
    for q in store:
        o = q.object
        if q.predicate in skip_predicates or q.subject in skip_nodes:
            continue
        if isinstance(o, ox.Literal) and o.datatype in skip_types:
            continue
        triples.add(ox.Triple(q.subject, q.predicate, o))
    return cast(bytes, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)), len(triples)  # bytes: no output given


class ReasonerRun:
    """A running reasoner child; `wait` for its report, or `kill` it."""

    def __init__(self, process: subprocess.Popen, workdir: Path, triples: int, timeout: float) -> None:
        self.process, self.workdir, self.triples, self.timeout = process, workdir, triples, timeout
        self.started = time.perf_counter()
        self.ended: float | None = None
        self._done = threading.Event()
        threading.Thread(target=self._watch, name="kg-reasoner-watch", daemon=True).start()

    def _watch(self) -> None:
        self.process.wait()
        self.ended = time.perf_counter()
        self._done.set()

    @property
    def seconds(self) -> float:
        """How long the child ran (so far)."""
        return (self.ended or time.perf_counter()) - self.started

    def wait(self) -> ReasonerReport:
        """The child's report; ReasonerUnavailable when it failed or passed its deadline."""
        try:
            if not self._done.wait(max(self.timeout - self.seconds, 0)):
                self.kill()
                raise ReasonerUnavailable(
                    f"HermiT did not finish within {self.timeout:g} s "
                    "(KG_REASONER_TIMEOUT); the reasoner and its Java were stopped"
                )
            out = (self.workdir / "out.txt").read_text(encoding="utf-8", errors="replace")
            err = (self.workdir / "err.txt").read_text(encoding="utf-8", errors="replace")
            if self.process.returncode != 0:
                why = (
                    f"killed by signal {-self.process.returncode}"
                    if self.process.returncode < 0
                    else f"exit code {self.process.returncode}"
                )
                raise ReasonerUnavailable(f"the reasoner failed ({why}): {err.strip()[-2000:]}")
            try:
                result = json.loads(out.strip().splitlines()[-1])
            except (IndexError, ValueError):
                raise ReasonerUnavailable(f"the reasoner gave no report: {(out + err).strip()[-2000:]}") from None
            return ReasonerReport(triples=self.triples, **result)
        finally:
            self._cleanup()

    def kill(self) -> None:
        """Stop the child and its Java (the whole process group); idempotent."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        self.process.wait()
        self._done.wait(5)
        self._cleanup()

    def _cleanup(self) -> None:
        if self.process.poll() is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def start(
    data: Graph | ox.Store, java: str = "java", timeout: float = 300.0, workdir: Path | None = None
) -> ReasonerRun:
    """Start HermiT over `data` (an rdflib Graph or an Oxigraph store: the union of its graphs) in
    a child process; raise ReasonerUnavailable at once when Java is missing. Its files go to
    `workdir` (default: a new temporary directory), which is removed when the job ends."""
    if shutil.which(java) is None:
        raise ReasonerUnavailable(
            f"Java ('{java}') not found: HermiT needs a JRE. Run `make setup` (installs "
            "default-jre-headless) or set KG_REASONER=0 to build without the reasoner."
        )
    if isinstance(data, ox.Store):
        text, triples = store_input(data)
    else:
        prepared = reasoner_input(data)
        text, triples = prepared.serialize(format="nt", encoding="utf-8"), len(prepared)
    workdir = Path(tempfile.mkdtemp(prefix="kg-reason-")) if workdir is None else Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "input.nt"
    path.write_bytes(text)
    env = {**os.environ, "JAVA_TOOL_OPTIONS": f"{os.environ.get('JAVA_TOOL_OPTIONS', '')} {JAVA_OPTIONS}".strip()}
    with (workdir / "out.txt").open("wb") as out, (workdir / "err.txt").open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "kg.reasoner", str(path), java, str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            cwd=workdir,
            process_group=0,
        )
    return ReasonerRun(process, workdir, triples, timeout)


def check(graph: Graph, java: str = "java", timeout: float = 300.0) -> ReasonerReport:
    """Run HermiT over `graph`; raise ReasonerUnavailable when it cannot run at all."""
    job = start(graph, java, timeout)
    try:
        return job.wait()
    finally:
        job.kill()


def require_ok(report: ReasonerReport) -> None:
    if not report.ok:
        raise Inconsistent(str(report))


# --- the child --------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: get SIGKILL when the parent dies (a killed build leaves no reasoner behind)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _no_network(event: str, _args) -> None:
    if event in ("urllib.Request", "socket.connect", "socket.getaddrinfo", "http.client.connect"):
        raise PermissionError(f"the reasoner does not access the network ({event})")


def _worker(path: str, java: str) -> dict:
    """Runs in the child process: load into a fresh owlready2 World and call HermiT."""
    import owlready2
    from owlready2 import reasoning

    owlready2.JAVA_EXE = java
    if hasattr(reasoning, "_subprocess_kargs") and sys.platform.startswith("linux"):
        reasoning._subprocess_kargs["preexec_fn"] = _die_with_parent  # Java dies with this child
    world = owlready2.World()
    with open(path, "rb") as f:
        world.get_ontology(Path(path).as_uri()).load(format="ntriples", fileobj=f, only_local=True)
    start = time.monotonic()
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0, ignore_unsupported_datatypes=True)
    except owlready2.OwlReadyInconsistentOntologyError:
        return {
            "consistent": False,
            "seconds": time.monotonic() - start,
            "message": "HermiT found the ontology with its data inconsistent",
        }
    unsat = sorted(c.iri for c in world.inconsistent_classes() if c.iri != str(owlready2.Nothing.iri))
    return {"consistent": True, "unsatisfiable": unsat, "seconds": time.monotonic() - start}


if __name__ == "__main__":
    _die_with_parent()
    if len(sys.argv) > 3 and os.getppid() != int(sys.argv[3]):
        sys.exit("kg.reasoner: the build that started it is gone")
    sys.addaudithook(_no_network)
    print(json.dumps(_worker(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "java")))
