"""`kg generate`: the vocabularies (`ontology/vocab/*.ttl`) and data (`data/*.ttl`) generated,
reproducibly, from the inputs in `data/sources/`.

Each generator module has `build(root) -> {output path relative to the project: graph}`; the
derivers (`derive`) run after them with `build(root, outputs)`, reading the generated graphs; every
output is written canonically (`kg.rdf.canonical.write_canonical`), so the same sources give the same bytes.
The text generators (`TEXT_GENERATORS`, `texts(root) -> {path: text}`) write the SSSOM/TSV mapping sets
that are made from the sources; they run first, since `kg.generate.mappings` turns every set of
data/mappings/ into RDF.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from kg.errors import InputError
from kg.generate import derive, extract, mappings, mit_v1, nexus_links, nexus_vocab, nist, seeds, vocab
from kg.rdf.canonical import write_canonical

GENERATORS = (vocab, nexus_vocab, seeds, mit_v1, nist, extract, mappings)
DERIVERS = (derive,)
TEXT_GENERATORS = (nist, nexus_links)


def texts_all(root: Path) -> dict[str, str]:
    """Every text output (SSSOM/TSV), keyed by its path relative to the project."""
    out: dict[str, str] = {}
    for module in TEXT_GENERATORS:
        out.update(module.texts(root))
    return out


def build_all(root: Path) -> dict[str, Graph]:
    """Every output graph, keyed by its path relative to the project."""
    out: dict[str, Graph] = {}
    for module in GENERATORS:
        for rel, graph in module.build(root).items():
            if rel in out:
                raise InputError(f"two generators write {rel}")
            out[rel] = graph
    for deriver in DERIVERS:
        for rel, graph in deriver.build(root, out).items():
            if rel in out:
                raise InputError(f"two generators write {rel}")
            out[rel] = graph
    return out


def generate_all(root: Path, out: Path | None = None) -> list[Path]:
    """Read `root/data/sources`, write the outputs under `out` (default: `root`); the files written."""
    target = root if out is None else out
    written = []
    for rel, text in sorted(texts_all(root).items()):
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    for rel, graph in sorted(build_all(root).items()):
        path = target / rel
        write_canonical(graph, path)
        written.append(path)
    return written
