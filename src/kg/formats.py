"""The one table of RDF and result formats, keyed by suffix, media type and parser name.

The CLI, the dumps and the endpoint all read this table (rdflib's plugin-registry habit).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    name: str            # our short name, also rdflib's parser/serializer name where one exists
    suffix: str          # file suffix without the dot
    media_type: str
    kind: str            # "graph" (triples), "dataset" (quads) or "results" (SELECT/ASK)
    rdflib: str | None   # rdflib plugin name
    oxigraph: object | None  # pyoxigraph RdfFormat / QueryResultsFormat
    aliases: tuple[str, ...] = ()


FORMATS: tuple[Format, ...] = (
    Format("turtle", "ttl", "text/turtle", "graph", "turtle", ox.RdfFormat.TURTLE, ("ttl",)),
    Format("ntriples", "nt", "application/n-triples", "graph", "nt", ox.RdfFormat.N_TRIPLES, ("nt", "n-triples")),
    Format("jsonld", "jsonld", "application/ld+json", "graph", "json-ld", ox.RdfFormat.JSON_LD, ("json-ld",)),
    Format("rdfxml", "rdf", "application/rdf+xml", "graph", "xml", ox.RdfFormat.RDF_XML, ("xml", "rdf", "owl")),
    Format("trig", "trig", "application/trig", "dataset", "trig", ox.RdfFormat.TRIG, ()),
    Format("nquads", "nq", "application/n-quads", "dataset", "nquads", ox.RdfFormat.N_QUADS, ("nq", "n-quads")),
    Format("json", "srj", "application/sparql-results+json", "results", None, ox.QueryResultsFormat.JSON, ("srj",)),
    Format("xml", "srx", "application/sparql-results+xml", "results", None, ox.QueryResultsFormat.XML, ("srx",)),
    Format("csv", "csv", "text/csv", "results", None, ox.QueryResultsFormat.CSV, ()),
    Format("tsv", "tsv", "text/tab-separated-values", "results", None, ox.QueryResultsFormat.TSV, ()),
)


def lookup(key: str, kind: str | None = None) -> Format:
    """Find a format by name, alias, suffix (with or without the dot) or media type."""
    k = key.strip().lower().lstrip(".")
    for f in FORMATS:
        if kind and f.kind != kind and not (kind == "graph" and f.kind == "dataset"):
            continue
        if k in (f.name, f.suffix, f.media_type, f.rdflib or "") or k in f.aliases:
            return f
    names = ", ".join(f.name for f in FORMATS if not kind or f.kind == kind)
    raise KeyError(f"unknown format {key!r}; known: {names}")


def for_path(path) -> Format:
    """The RDF format of a file, from its suffix."""
    suffix = str(path).rsplit(".", 1)[-1]
    return lookup(suffix)
