"""The source files of the graph and their named graphs.

Every Turtle file under ontology/ and data/ is one named graph, `kg:graph/{path without suffix}`
(`data/mit-v1.ttl` -> `https://w3id.org/airm-kg/graph/data/mit-v1`). shapes/ are not data: they are
loaded by validation and published beside the graph, not merged into it.

Every file is screened (`kg.rdf.screen`) before a parser sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from kg.errors import InputError
from kg.formats import for_path
from kg.namespaces import GRAPH
from kg.rdf.screen import MAX_NESTING, screen

DATA_DIRS = ("ontology", "data")
SHAPES_DIR = "shapes"


@dataclass(frozen=True)
class Source:
    path: Path  # absolute
    rel: str  # relative to the project root, with forward slashes

    @property
    def graph_iri(self) -> str:
        return f"{GRAPH}{self.rel.rsplit('.', 1)[0]}"

    @property
    def kind(self) -> str:
        return self.rel.split("/", 1)[0]


def rdf_files(directory: Path) -> list[Path]:
    """RDF files below `directory`, skipping data/sources (inputs of the generators, not graph data)."""
    out = []
    for p in sorted(directory.rglob("*")):
        if (
            p.is_file()
            and p.suffix in (".ttl", ".nt", ".jsonld", ".rdf", ".trig", ".nq")
            and "sources" not in p.relative_to(directory).parts
        ):
            out.append(p)
    return out


def collect(root: Path, paths: list[Path] | None = None) -> list[Source]:
    """The graph sources of the project, or the given files (resolved against `root`)."""
    if paths is None:
        paths = [p for d in DATA_DIRS for p in rdf_files(root / d)]
    return [_source(root, p) for p in paths]


def shape_sources(root: Path) -> list[Source]:
    return [_source(root, p) for p in rdf_files(root / SHAPES_DIR)]


def _source(root: Path, path: Path) -> Source:
    path = (root / path) if not Path(path).is_absolute() else Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.name
    return Source(path, rel)


# --- parsing -----------------------------------------------------------------------------------


def parse_rdflib(source: Source, max_bytes: int | None = None) -> Graph:
    """Parse with rdflib (screened first); errors name the file and line."""
    screen(source, max_bytes)
    g = Graph()
    fmt = for_path(source.path)
    try:
        g.parse(source.path, format=fmt.rdflib)
    except RecursionError as exc:  # screen() keeps nesting far below this; a last line of defence
        raise InputError(
            f"{source.rel}: nested too deep for the parser (at most {MAX_NESTING} levels of [ ( {{ are accepted)"
        ) from exc
    except Exception as exc:
        raise InputError(f"{source.rel}: cannot parse {fmt.name}: {exc}") from exc
    return g


def load_into(store: ox.Store, source: Source, base: str | None = None, max_bytes: int | None = None) -> None:
    """Parse with Oxigraph (screened first) into the source's named graph; errors name the file,
    line and column."""
    fmt = for_path(source.path)
    data = screen(source, max_bytes)
    try:
        store.load(data, format=fmt.rdf_format, base_iri=base, to_graph=ox.NamedNode(source.graph_iri))
    except SyntaxError as exc:
        raise InputError(f"{source.rel}: {exc}") from exc
    except MemoryError as exc:  # Oxigraph caps one token at 16 MiB
        raise InputError(f"{source.rel}: a literal, IRI or name too large to parse ({exc})") from exc


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class TermConverter:
    """Oxigraph terms as rdflib terms (each distinct term converted once)."""

    def __init__(self) -> None:
        self._cache: dict = {}

    def __call__(self, term):
        out = self._cache.get(term)
        if out is None:
            if isinstance(term, ox.NamedNode):
                out = URIRef(term.value)
            elif isinstance(term, ox.BlankNode):
                out = BNode(term.value)
            elif term.language:
                out = Literal(term.value, lang=term.language)
            else:
                datatype = term.datatype.value
                out = Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))
            self._cache[term] = out
        return out


def graph_of(store: ox.Store, source: Source, convert: TermConverter | None = None) -> Graph:
    """The source's named graph of `store` as an rdflib Graph (much faster than parsing it again)."""
    convert = convert or TermConverter()
    g = Graph()
    add = g.add
    for q in store.quads_for_pattern(None, None, None, ox.NamedNode(source.graph_iri)):
        add((convert(q.subject), convert(q.predicate), convert(q.object)))
    return g
