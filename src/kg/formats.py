"""The one table of RDF and result formats, keyed by name, alias, suffix and media type.

Everything that names a format reads this table (rdflib's plugin-registry habit): the CLI's
`--format` choices, the dumps, the endpoint's content negotiation and `?format=`, the service
description's `sd:resultFormat`s, and the parsers of the build and of a remote server's answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.namespaces import NS


@dataclass(frozen=True)
class Format:
    name: str  # our short name, also rdflib's parser/serializer name where one exists
    suffix: str  # file suffix without the dot
    media_type: str  # the registered media type
    kind: str  # "graph" (triples), "dataset" (quads) or "results" (SELECT/ASK)
    rdflib: str | None  # rdflib plugin name
    oxigraph: ox.RdfFormat | ox.QueryResultsFormat  # the pyoxigraph format
    label: str  # how a page names it
    aliases: tuple[str, ...] = ()  # other names `--format` and `?format=` accept
    accepts: tuple[str, ...] = ()  # other media types that select it in Accept (clients send them)
    w3c: str = ""  # its name under http://www.w3.org/ns/formats/ (sd:resultFormat)

    @property
    def names(self) -> tuple[str, ...]:
        """Everything `?format=` accepts for it."""
        return (self.name, self.suffix, self.media_type, *self.aliases)

    @property
    def media_types(self) -> tuple[str, ...]:
        """Every media type that selects it in Accept, the registered one first."""
        return (self.media_type, *self.accepts)

    @property
    def rdf_format(self) -> ox.RdfFormat:
        """The pyoxigraph format of a graph or dataset format (what parse, serialize, load and dump take)."""
        if not isinstance(self.oxigraph, ox.RdfFormat):
            raise TypeError(f"{self.label} is a query results format, not an RDF format")
        return self.oxigraph

    @property
    def results_format(self) -> ox.QueryResultsFormat:
        """The pyoxigraph format of a SELECT/ASK results format."""
        if not isinstance(self.oxigraph, ox.QueryResultsFormat):
            raise TypeError(f"{self.label} is an RDF format, not a query results format")
        return self.oxigraph

    @property
    def iri(self) -> str:
        """W3C's IRI of the format ('' when it has none)."""
        return NS.formats + self.w3c if self.w3c else ""


FORMATS: tuple[Format, ...] = (
    Format(
        "turtle",
        "ttl",
        "text/turtle",
        "graph",
        "turtle",
        ox.RdfFormat.TURTLE,
        "Turtle",
        ("ttl", "n3", "text/n3"),
        ("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3"),
        "Turtle",
    ),
    Format(
        "ntriples",
        "nt",
        "application/n-triples",
        "graph",
        "nt",
        ox.RdfFormat.N_TRIPLES,
        "N-Triples",
        ("nt", "n-triples"),
        ("text/plain",),
        "N-Triples",
    ),
    Format(
        "jsonld",
        "jsonld",
        "application/ld+json",
        "graph",
        "json-ld",
        ox.RdfFormat.JSON_LD,
        "JSON-LD",
        ("json-ld", "json"),
        ("application/json", "application/x-json+ld"),
        "JSON-LD",
    ),
    Format(
        "rdfxml",
        "rdf",
        "application/rdf+xml",
        "graph",
        "xml",
        ox.RdfFormat.RDF_XML,
        "RDF/XML",
        ("xml", "rdf", "owl", "rdf+xml"),
        ("application/xml", "text/xml"),
        "RDF_XML",
    ),
    Format("trig", "trig", "application/trig", "dataset", "trig", ox.RdfFormat.TRIG, "TriG"),
    Format(
        "nquads", "nq", "application/n-quads", "dataset", "nquads", ox.RdfFormat.N_QUADS, "N-Quads", ("nq", "n-quads")
    ),
    Format(
        "json",
        "srj",
        "application/sparql-results+json",
        "results",
        None,
        ox.QueryResultsFormat.JSON,
        "SPARQL JSON",
        ("srj",),
        ("application/json",),
        "SPARQL_Results_JSON",
    ),
    Format(
        "xml",
        "srx",
        "application/sparql-results+xml",
        "results",
        None,
        ox.QueryResultsFormat.XML,
        "SPARQL XML",
        ("srx",),
        ("application/xml", "text/xml"),
        "SPARQL_Results_XML",
    ),
    Format("csv", "csv", "text/csv", "results", None, ox.QueryResultsFormat.CSV, "CSV", (), (), "SPARQL_Results_CSV"),
    Format(
        "tsv",
        "tsv",
        "text/tab-separated-values",
        "results",
        None,
        ox.QueryResultsFormat.TSV,
        "TSV",
        (),
        (),
        "SPARQL_Results_TSV",
    ),
)


def of_kind(kind: str) -> tuple[Format, ...]:
    """The formats of a kind; "graph" includes the dataset formats (a graph can be written as quads)."""
    return tuple(f for f in FORMATS if f.kind == kind or (kind == "graph" and f.kind == "dataset"))


def lookup(key: str, kind: str | None = None) -> Format:
    """Find a format by name, alias, suffix (with or without the dot) or media type.

    Some names mean one format of each kind ("json" is SPARQL JSON results and, for graphs, JSON-LD;
    "xml" is SPARQL XML results and RDF/XML): with `kind` the format of that kind is found, without it
    the first of the table (an RDF format of a file suffix before a result format)."""
    k = key.strip().lower().lstrip(".")
    candidates = of_kind(kind) if kind else FORMATS
    for f in candidates:  # exact names first: "xml" is the results format's name
        if k in (f.name, f.suffix, f.media_type, f.rdflib or ""):
            return f
    for f in candidates:
        if k in f.aliases:
            return f
    names = ", ".join(f.name for f in candidates)
    raise KeyError(f"unknown format {key!r}; known: {names}")


def for_path(path: object) -> Format:
    """The RDF format of a file, from its suffix."""
    suffix = str(path).rsplit(".", 1)[-1]
    return lookup(suffix, kind="graph")


def names(kind: str) -> list[str]:
    """The names of a kind's formats (what `--format` offers)."""
    return [f.name for f in of_kind(kind)]
