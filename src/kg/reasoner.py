"""OWL reasoning with owlready2 and HermiT: consistency and unsatisfiable classes.

The reasoner runs in a child process (`python -m kg.reasoner FILE`) so that a deadline can stop it
and owlready2's global quadstore never leaks into the caller. Its input is the ontology, the
vocabularies and the data as N-Triples, less what OWL 2 DL cannot take: rdf:List structures of
author lists (bibo:authorList) and literals of datatypes outside the OWL 2 datatype map
(xsd:gYear, xsd:date), which carry no logical weight in this ontology.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import RDF, XSD

from kg.errors import Inconsistent, ReasonerUnavailable
from kg.namespaces import BIBO

NON_OWL_DATATYPES = {XSD.gYear, XSD.date, XSD.gYearMonth, XSD.gMonthDay, XSD.gDay, XSD.gMonth, XSD.duration}


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
    author_lists = set()
    for head in graph.objects(None, BIBO.authorList):
        while head is not None and head != RDF.nil and head not in author_lists:
            author_lists.add(head)
            head = graph.value(head, RDF.rest)
    out = Graph()
    for s, p, o in graph:
        if p == BIBO.authorList or s in author_lists:
            continue
        if isinstance(o, Literal) and o.datatype in NON_OWL_DATATYPES:
            continue
        out.add((s, p, o))
    return out


def check(graph: Graph, java: str = "java", timeout: float = 300.0) -> ReasonerReport:
    """Run HermiT over `graph`; raise ReasonerUnavailable when it cannot run at all."""
    if shutil.which(java) is None:
        raise ReasonerUnavailable(
            f"Java ('{java}') not found: HermiT needs a JRE. Run `make setup` (installs "
            "default-jre-headless) or set KG_REASONER=0 to build without the reasoner.")
    data = reasoner_input(graph)
    with tempfile.TemporaryDirectory(prefix="kg-reason-") as tmp:
        path = Path(tmp) / "input.nt"
        data.serialize(path, format="nt", encoding="utf-8")
        cmd = [sys.executable, "-m", "kg.reasoner", str(path), java]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise ReasonerUnavailable(f"HermiT did not finish within {timeout:.0f} s "
                                      "(KG_REASONER_TIMEOUT)") from exc
    if done.returncode != 0:
        raise ReasonerUnavailable(f"the reasoner failed: {done.stderr.strip()[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return ReasonerReport(triples=len(data), **result)


def require_ok(report: ReasonerReport) -> None:
    if not report.ok:
        raise Inconsistent(str(report))


def _worker(path: str, java: str) -> dict:
    """Runs in the child process: load into a fresh owlready2 World and call HermiT."""
    import time

    import owlready2

    owlready2.JAVA_EXE = java
    world = owlready2.World()
    world.get_ontology(Path(path).as_uri()).load(format="ntriples")
    start = time.monotonic()
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0,
                                       ignore_unsupported_datatypes=True)
    except owlready2.OwlReadyInconsistentOntologyError:
        return {"consistent": False, "seconds": time.monotonic() - start,
                "message": "HermiT found the ontology with its data inconsistent"}
    unsat = sorted(c.iri for c in world.inconsistent_classes() if c.iri != str(owlready2.Nothing.iri))
    return {"consistent": True, "unsatisfiable": unsat, "seconds": time.monotonic() - start}


if __name__ == "__main__":
    print(json.dumps(_worker(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "java")))
