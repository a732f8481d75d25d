"""The Python API (`import kg`): the same operations as the `kg` command."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from kg import reasoner, sparql
from kg import release as releases
from kg.config import Settings, from_env
from kg.formats import lookup
from kg.pipeline import BuildReport, build as _build, parse_all, union
from kg.shacl import Violation, validate_graphs
from kg.sources import collect, parse_rdflib, shape_sources


def build(settings: Settings | None = None, log: Callable[[str], None] = lambda _: None) -> BuildReport:
    """Validate, reason, materialise and publish a new release; raise on any failure."""
    return _build(settings or from_env(), log)


def validate(paths: list[Path] | None = None, settings: Settings | None = None) -> list[Violation]:
    """SHACL results for the given data files (default: all), with the ontology and vocabularies as context."""
    settings = settings or from_env()
    context = collect(settings.root, None)
    chosen = collect(settings.root, [Path(p) for p in paths]) if paths else context
    graphs = {s: parse_rdflib(s) for s in {*chosen, *(c for c in context if c.kind == "ontology")}}
    sources = {}
    for src in chosen:
        for s in graphs[src].subjects():
            sources.setdefault(s, src.rel)
    shapes = union(parse_rdflib(s) for s in shape_sources(settings.root))
    results = validate_graphs(union(graphs.values()), shapes, sources=sources)
    return [v for v in results if v.source is not None or not paths]


def reason(settings: Settings | None = None) -> reasoner.ReasonerReport:
    """HermiT over the ontology, vocabularies and data: consistency and unsatisfiable classes."""
    settings = settings or from_env()
    graphs, _ = parse_all(collect(settings.root))
    return reasoner.check(union(graphs.values()), settings.java, settings.reasoner_timeout)


def query(text: str, settings: Settings | None = None, substitutions: dict | None = None):
    """Run SPARQL over the current release (union of all graphs); returns pyoxigraph results."""
    store = releases.current(settings or from_env()).open_store()
    return sparql.run(store, text, substitutions)


def export(path: str | Path, fmt: str | None = None, settings: Settings | None = None) -> Path:
    """Write the current release in `fmt` (default: from the file suffix) to `path`."""
    current = releases.current(settings or from_env())
    fmt_ = lookup(fmt) if fmt else lookup(Path(path).suffix)
    target = Path(path)
    if fmt_.name in releases.DUMPS:
        shutil.copyfile(current.dump_path(fmt_.name), target)
    else:  # formats not kept as dumps (JSON-LD, RDF/XML) are written from the store's union
        store = current.open_store()
        triples = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
        target.write_bytes(triples.serialize(format=fmt_.oxigraph))
    return target
