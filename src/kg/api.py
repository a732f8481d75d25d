"""The Python API (`import kg`): the same operations as the `kg` command."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import cast

from kg import explorer, reasoner
from kg.config import Settings, from_env
from kg.formats import lookup
from kg.pipeline.build import BuildReport, parse_all, parse_graphs, shape_results, union
from kg.pipeline.build import build as _build
from kg.rdf.sources import collect
from kg.release import directory
from kg.shacl.validation import Violation
from kg.sparql import execute, fulltext, gate, named


def build(settings: Settings | None = None, log: Callable[[str], None] = lambda _: None) -> BuildReport:
    """Validate, reason, materialise and publish a new release; raise on any failure."""
    return _build(settings or from_env(), log)


def validate(paths: list[Path] | None = None, settings: Settings | None = None) -> list[Violation]:
    """SHACL results for the given data files (default: all), with the ontology and vocabularies as context."""
    settings = settings or from_env()
    context = collect(settings.root, None)
    chosen = collect(settings.root, [Path(p) for p in paths]) if paths else context
    from kg.pipeline import overlay

    # An import file refers to and overrides records of the other data files: they are its context.
    with_data = any(overlay.is_import(s.rel) for s in chosen)
    graphs = parse_graphs({*chosen, *(c for c in context if c.kind == "ontology" or with_data)}, settings)
    results = shape_results(graphs, settings, blame=chosen)
    return [v for v in results if v.source is not None or not paths]


def reason(settings: Settings | None = None) -> reasoner.ReasonerReport:
    """HermiT over the ontology, vocabularies and data: consistency and unsatisfiable classes."""
    settings = settings or from_env()
    graphs, _ = parse_all(collect(settings.root), settings.max_source_bytes)
    return reasoner.check(union(graphs.values()), settings.java, settings.reasoner_timeout)


def query(text: str, settings: Settings | None = None, substitutions: dict | None = None):
    """Run SPARQL over the current release (union of all graphs); returns pyoxigraph results.
    The text passes the endpoint's gate first (`kg.sparql.gate`: SERVICE, size, nesting, ...), so a
    query is refused here with the same message, position and caret as at `/sparql`."""
    settings = settings or from_env()
    gate.check(text, gate.limits_for(settings))
    release = directory.current(settings)
    return execute.run(release.open_store(), text, substitutions, fulltext.functions(release.path))


def search(
    q: str = "",
    settings: Settings | None = None,
    *,
    sort: str = "relevance",
    limit: int = 20,
    offset: int = 0,
    derived: bool = True,
    **filters: str | list[str],
) -> dict:
    """Ranked full-text search over the current release with facet filters (`kg search`,
    docs/explorer.md): `kg.search("model weights", stage="stage:deploy", actor=["actor:deployer"])`.
    A filter is one of kg.explorer.FACETS; its values are OR-ed, the filters AND-ed."""
    release = directory.current(settings or from_env())
    return explorer.explore(release.path, q, filters, sort=sort, limit=limit, offset=offset, derived=derived)


def query_named(name: str, params: Mapping[str, str], settings: Settings | None = None):
    """`kg query --name NAME --param k=v`: run a named query of `queries/` over the current release,
    its parameters bound as typed terms."""
    settings = settings or from_env()
    query = named.get(named.load_all(named.folder(settings)), name)
    release = directory.current(settings)
    return named.execute(query, release.open_store(), params, fulltext.functions(release.path))


def export(path: str | Path, fmt: str | None = None, settings: Settings | None = None):
    """Write the current release in `fmt` (default: from the file suffix) to `path`.

    `fmt` "csv" or "xlsx" writes the mitigations and documents in the source database's columns
    (`path` a directory, NAME.csv or NAME.xlsx) and returns the list of files written."""
    settings = settings or from_env()
    table_fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    if table_fmt in ("csv", "xlsx"):
        from kg.curate.export import write_tables

        return write_tables(Path(path), table_fmt, settings)
    current = directory.current(settings)
    fmt_ = lookup(fmt) if fmt else lookup(Path(path).suffix)
    target = Path(path)
    if fmt_.name in directory.DUMPS:
        shutil.copyfile(current.dump_path(fmt_.name), target)
    else:  # formats not kept as dumps (JSON-LD, RDF/XML) are written from the store's union
        store = current.open_store()
        triples = execute.constructed(
            store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
        )
        target.write_bytes(cast(bytes, triples.serialize(format=fmt_.rdf_format)))  # no output given: bytes
    return target


def import_files(
    paths: list[str | Path],
    settings: Settings | None = None,
    *,
    source: str = "curated",
    strict: bool = False,
    dry_run: bool = False,
    version: str | None = None,
    curator: str | None = None,
    log: Callable[[str], None] = lambda _: None,
):
    """Import a spreadsheet export (CSV files or one XLSX) into data/imports/<source>.ttl, build and
    stamp a release; returns the ImportReport (raises kg.curate.importer.ImportRejected when
    nothing could be imported). See docs/curation.md."""
    from kg.curate import importer

    return importer.run(
        [Path(p) for p in paths],
        settings or from_env(),
        source=source,
        strict=strict,
        dry_run=dry_run,
        version=version,
        curator=curator,
        log=log,
    )


def stamp_release(version: str | None = None, settings: Settings | None = None) -> directory.Release:
    """Stamp a version (default: date-based YYYY.MM.DD[.N]) on the current build (`kg release`)."""
    from kg.release import stamp

    return stamp.stamp(settings or from_env(), version)


def diff(old: str, new: str = "current", settings: Settings | None = None):
    """The changes between two releases, each named by version, id or "current" (`kg diff`)."""
    from kg.release import diff as diffs

    return diffs.diff(old, new, settings or from_env())
