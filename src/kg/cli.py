"""The `kg` command: parses arguments, calls the modules, maps errors to exit codes."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from kg import api, formats
from kg.config import from_env
from kg.errors import KGError, ValidationFailed
from kg.version import __version__


def _err(text: str) -> None:
    print(text, file=sys.stderr)


class Progress:
    """Progress of a long `kg build` or `kg import` on a terminal: one line rewritten in place with the
    phase (the steps' log lines, rows included), the time so far and an estimate of the time left
    from the timings of the release in service. Quiet when stderr is no terminal or CI is set."""

    def __init__(self, command: str, settings) -> None:
        self.command, self.started, self.expected = command, time.monotonic(), 0.0
        self.on = sys.stderr.isatty() and not os.environ.get("CI")
        try:
            from kg.release import directory

            timings = directory.current(settings).manifest.get("timings", {})
            self.expected = sum(timings.values()) * (1.5 if command == "import" else 1.2)
        except KGError:
            pass

    def __call__(self, text: str) -> None:
        if not self.on:
            return
        took = time.monotonic() - self.started
        eta = f", about {max(self.expected - took, 1):.0f} s left" if self.expected > took else ""
        sys.stderr.write(f"\r\x1b[Kkg {self.command} {took:5.1f} s{eta}: {text[:100]}")
        sys.stderr.flush()

    def done(self) -> None:
        if self.on:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def cmd_build(args, settings) -> int:
    progress = Progress("build", settings)
    try:
        report = api.build(settings, log=_err if args.verbose else progress)
    finally:
        progress.done()
    print("\n".join(report.lines()))
    return 0


def cmd_validate(args, settings) -> int:
    results = api.validate(args.paths or None, settings)
    for v in results:
        print(v)
    errors = [v for v in results if v.severity == "Violation"]
    print(f"{len(errors)} violation(s), {len(results) - len(errors)} warning(s)/info", file=sys.stderr)
    return ValidationFailed.exit_code if errors else 0


def cmd_reason(args, settings) -> int:
    report = api.reason(settings)
    print(report)
    return 0 if report.ok else 4


def cmd_query(args, settings) -> int:
    from kg.sparql import execute, named

    if args.name:
        result = api.query_named(args.name, named.parse_assignments(args.param), settings)
        sys.stdout.buffer.write(execute.render(result, args.format))
        return 0
    text = Path(args.file).read_text(encoding="utf-8") if args.file else args.query
    if not text:
        _err("kg query: give a query, or --file F")
        return 2
    sys.stdout.buffer.write(execute.render(api.query(text, settings), args.format))
    return 0


def cmd_search(args, settings) -> int:
    from kg.explorer import FACETS

    filters: dict[str, list[str]] = {}
    for item in args.filter:
        key, sep, value = item.partition("=")
        if not sep or key not in FACETS:
            _err(f"kg search: --filter takes FACET=VALUE with FACET one of {', '.join(FACETS)}; got {item!r}")
            return 2
        filters.setdefault(key, []).append(value)
    found = api.search(
        args.query or "", settings, sort=args.sort, limit=args.limit, offset=args.offset, derived=not args.no_derived,
        **filters,
    )  # fmt: skip
    if args.format == "json":
        print(json.dumps(found, indent=2, ensure_ascii=False))
        return 0
    print(_search_table(found))
    return 0


def _search_table(found: dict) -> str:
    import html
    import re

    rows = [("score", "id", "label", "snippet")]
    for r in found["results"]:
        text = html.unescape(re.sub(r"</?mark>", "*", r["snippet"]))
        rows.append((f"{r['score']:.2f}", r["id"], r["label"][:60], text[:100]))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    out = ["  ".join([c.ljust(w) for c, w in zip(row[:3], widths)] + [row[3]]).rstrip() for row in rows]
    first = found["offset"] + 1 if found["results"] else 0
    out.append(f"({first}-{found['offset'] + len(found['results'])} of {found['total']})")
    return "\n".join(out)


def cmd_export(args, settings) -> int:
    if args.file and args.output and args.file != args.output:
        _err(f"kg export: two files given ({args.file} and -o {args.output}); give one")
        return 2
    target = args.output or args.file
    if target is None:
        _err("kg export: give the file to write: kg export FILE (or -o FILE)")
        return 2
    written = api.export(target, args.format, settings)
    for path in written if isinstance(written, list) else [written]:
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


def cmd_import(args, settings) -> int:
    from kg.errors import ImportRejected

    progress = Progress("import", settings)
    try:
        report = api.import_files(
            args.files,
            settings,
            source=args.source,
            strict=args.strict,
            dry_run=args.dry_run,
            version=args.version,
            curator=args.curator,
            update=args.update,
            log=_err if args.verbose else progress,
        )
    except ImportRejected as exc:
        report = exc.report
        code = exc.exit_code
    else:
        code = 2 if report.errors else 0
    finally:
        progress.done()
    print("\n".join(report.lines()))
    print(f"report: {report.reports[0]}", file=sys.stderr)
    return code


def cmd_release(args, settings) -> int:
    from kg.release import stamp

    stamped = api.stamp_release(args.version, settings)
    print(f"release {stamped.manifest['version']}: {stamped.id} ({stamped.manifest['quads']} quads) in {stamped.path}")
    print(f"release IRI {stamped.manifest['release_iri']}; checksums in {stamped.path / 'SHA256SUMS'}")
    previous = stamped.manifest.get("previous_version")
    if previous:
        print(f"previous version {previous}: `kg diff {previous} {stamp.label(stamped)}` lists the changes")
    return 0


def cmd_diff(args, settings) -> int:
    changes = api.diff(args.old, args.new, settings)
    if args.format == "turtle":
        sys.stdout.buffer.write(changes.turtle())
    elif args.format == "json":
        print(json.dumps(changes.as_dict(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(changes.lines()))
    return 0


def cmd_generate(args, settings) -> int:
    from kg.generate import generate_all

    for path in generate_all(settings.root):
        print(f"wrote {path}")
    return 0


def cmd_fmt(args, settings) -> int:
    from kg.rdf import canonical

    paths = [Path(p) for p in args.paths] or canonical.committed_turtle(settings.root)
    if args.check:
        bad = canonical.check(paths)
        for p in bad:
            print(f"{p}: not in canonical formatting; run `kg fmt`")
        return 1 if bad else 0
    for p in canonical.format_files(paths):
        print(f"formatted {p}")
    return 0


def cmd_publish(args, settings) -> int:
    from kg.release import stamp
    from kg.remote import publish

    gsp, endpoint = args.gsp or settings.gsp_endpoint, args.endpoint or settings.sparql_endpoint
    if not gsp or not endpoint:
        _err(
            "kg publish: name the server's Graph Store endpoint and query endpoint "
            "(KG_GSP_ENDPOINT and KG_SPARQL_ENDPOINT, or --gsp and --endpoint); see docs/deployment.md"
        )
        return 2
    report = publish.publish(
        stamp.resolve(settings, args.release),
        gsp,
        endpoint,
        force=args.force,
        union=not args.no_union_graph,
        log=_err if args.verbose else (lambda _: None),
        user=settings.gsp_user,
        password=settings.gsp_password,
        auth=settings.gsp_auth,
        chunk_bytes=settings.publish_chunk_bytes,
    )
    print("\n".join(report.lines()))
    return 0


def cmd_serve(args, settings) -> int:
    from kg.web.server import serve

    settings = settings.with_(host=args.host or settings.host, port=args.port or settings.port)
    serve(settings, extensions=() if args.no_mcp else (mcp_over_http(settings),))
    return 0


def mcp_over_http(settings):
    """The MCP server's streamable HTTP route (/mcp) as an extension of the web service, reading the
    web service's release, store, named queries and `Querying` (one budget per client for both).
    Composed here because the interfaces (kg.web, kg.mcp) do not import each other."""
    from kg.mcp.server import http_app
    from kg.mcp.service import Service
    from kg.web.app import Extension

    def extend(app) -> Extension:
        describers: dict = {}

        async def source() -> Service:
            state = app.state
            return Service(settings, state.release, state.store, state.querying, state.queries, describers)

        mcp_app, manager = http_app(settings, source)
        return Extension(routes=tuple(mcp_app.routes), running=manager.run)

    return extend


def cmd_mcp(args, settings) -> int:
    from kg.mcp.server import run_stdio
    from kg.release import directory

    directory.current(settings)  # NoRelease (exit 6, "run `kg build`") before speaking the protocol
    run_stdio(settings)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kg", description="AIRM-KG: build, check, query and serve the AI risk mitigation graph."
    )
    p.add_argument("--version", action="version", version=f"kg {__version__}")
    p.add_argument("--root", type=Path, help="project directory (default: KG_ROOT or the checkout)")
    sub = p.add_subparsers(dest="command", required=True)
    _build_commands(sub)
    _query_commands(sub)
    _curation_commands(sub)
    _service_commands(sub)
    return p


def _build_commands(sub) -> None:
    """The commands that check and build the graph."""
    b = sub.add_parser("build", help="validate, reason, materialise and publish a release")
    b.add_argument("--no-reasoner", action="store_true", help="skip HermiT (same as KG_REASONER=0)")
    b.add_argument("-v", "--verbose", action="store_true", help="print each step as it finishes")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="SHACL-validate data files (default: all)")
    v.add_argument("paths", nargs="*", type=Path)
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser("reason", help="report consistency and unsatisfiable classes (HermiT)")
    r.set_defaults(func=cmd_reason)

    g = sub.add_parser("generate", help="regenerate ontology/vocab/ and data/ from data/sources/")
    g.set_defaults(func=cmd_generate)

    f = sub.add_parser("fmt", help="write committed Turtle in canonical formatting")
    f.add_argument("paths", nargs="*")
    f.add_argument("--check", action="store_true", help="only report files that are not canonical")
    f.set_defaults(func=cmd_fmt)


def _query_commands(sub) -> None:
    """The commands that read a release."""
    q = sub.add_parser("query", help="run SPARQL against the built store")
    q.add_argument("query", nargs="?", help="the SPARQL query text")
    q.add_argument("--file", "-f", help="read the query from a file")
    q.add_argument(
        "--format",
        default="table",
        choices=["table", *formats.names("results"), *formats.names("graph")],
        help="SELECT and ASK: table (default) or a results format; CONSTRUCT and DESCRIBE: an RDF format",
    )
    q.add_argument("--name", "-n", help="run the named query queries/NAME.rq (list: /queries in the service)")
    q.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter of the named query (repeatable)",
    )
    q.set_defaults(func=cmd_query)

    s = sub.add_parser("search", help="ranked full-text search of the mitigations, with facet filters")
    s.add_argument("query", nargs="?", help='the text query: words (AND), "a phrase", prefix*, OR, NOT, -word')
    s.add_argument(
        "--filter", action="append", default=[], metavar="FACET=VALUE", help="repeatable; see docs/explorer.md"
    )
    s.add_argument("--sort", default="relevance", choices=["relevance", "name", "year"])
    s.add_argument("--limit", type=int, default=20)
    s.add_argument("--offset", type=int, default=0)
    s.add_argument("--no-derived", action="store_true", help="leave out derived facts (docs/model.md)")
    s.add_argument("--format", default="table", choices=["table", "json"])
    s.set_defaults(func=cmd_search)

    e = sub.add_parser("export", help="write the current release to a file")
    e.add_argument(
        "--format",
        help=f"{', '.join(f.suffix for f in formats.of_kind('graph'))} (default: from the file "
        "suffix); csv or xlsx: the mitigations and documents in the source database's columns",
    )
    e.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="the file; for csv a directory (mitigations.csv, documents.csv) or NAME.csv",
    )
    e.add_argument("-o", "--output", type=Path, help="the file, as an option (the same as FILE)")
    e.set_defaults(func=cmd_export)


def _curation_commands(sub) -> None:
    """The commands that change the data and compare releases."""
    i = sub.add_parser("import", help="import a spreadsheet export (CSV or XLSX) of the source database")
    i.add_argument("files", nargs="+", type=Path, help="one XLSX, or the mitigations and/or documents CSV")
    i.add_argument(
        "--source", default="curated", help="the source it is an export of: data/imports/SOURCE.ttl (default: curated)"
    )
    i.add_argument("--strict", action="store_true", help="import nothing when any row has an error")
    i.add_argument(
        "--update", action="store_true", help="let rows move existing mitigations to another document (Source)"
    )
    i.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    i.add_argument("--version", help="version of the release it makes (default: YYYY.MM.DD[.N])")
    i.add_argument("--curator", help="who made the human classifications (default: kg:agent/curator)")
    i.add_argument("--no-reasoner", action="store_true", help="build without HermiT")
    i.add_argument("-v", "--verbose", action="store_true", help="print each step")
    i.set_defaults(func=cmd_import)

    rl = sub.add_parser(
        "release",
        help="stamp a version on the current build: a new, versioned release directory (its quads and "
        "a description of the version), switched in as current; unversioned releases beyond "
        "KG_KEEP_RELEASES are pruned",
    )
    rl.add_argument("--version", help="YYYY.MM.DD[.N] or MAJOR.MINOR.PATCH (default: today's date-based one)")
    rl.set_defaults(func=cmd_release)

    d = sub.add_parser("diff", help="list what changed between two releases")
    d.add_argument("old", help="a version, a release id, or current")
    d.add_argument("new", nargs="?", default="current", help="a version, a release id, or current (default)")
    d.add_argument("--format", default="text", choices=["text", "turtle", "json"])
    d.set_defaults(func=cmd_diff)


def _service_commands(sub) -> None:
    """The commands that serve a release."""
    pb = sub.add_parser("publish", help="load a release into a remote SPARQL server (Graph Store Protocol)")
    pb.add_argument("--release", default="current", help="a version, a release id, or current (default)")
    pb.add_argument("--gsp", help="the server's Graph Store Protocol endpoint (default: KG_GSP_ENDPOINT)")
    pb.add_argument("--endpoint", help="the server's query endpoint (default: KG_SPARQL_ENDPOINT)")
    pb.add_argument("--force", action="store_true", help="send the release even when the server holds it already")
    pb.add_argument(
        "--no-union-graph",
        action="store_true",
        help="do not load the union graph (half the space; union queries name every graph instead)",
    )
    pb.add_argument("-v", "--verbose", action="store_true", help="print each graph as it is sent")
    pb.set_defaults(func=cmd_publish)

    s = sub.add_parser("serve", help="run the web service over the current release")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--no-mcp", action="store_true", help="do not serve the MCP server at /mcp")
    s.set_defaults(func=cmd_serve)

    m = sub.add_parser("mcp", help="run the MCP server over stdio on the current release (docs/mcp.md)")
    m.set_defaults(func=cmd_mcp)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    overrides = {"root": args.root}
    if getattr(args, "no_reasoner", False):
        overrides["reasoner"] = False
    try:
        settings = from_env(**overrides)
        return args.func(args, settings)
    except KGError as exc:
        _err(f"kg {args.command}: {exc}")
        for v in getattr(exc, "violations", [])[:200]:
            _err(f"  {v}")
        return exc.exit_code
    except ValueError as exc:  # bad settings
        _err(f"kg {args.command}: {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
