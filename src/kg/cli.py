"""The `kg` command: parses arguments, calls the modules, maps errors to exit codes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kg import __version__, api
from kg.config import from_env
from kg.errors import KGError, ValidationFailed


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def cmd_build(args, settings) -> int:
    report = api.build(settings, log=_err if args.verbose else (lambda _: None))
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
    from kg import queries, sparql
    if args.name:
        result = queries.run_named(args.name, queries.parse_assignments(args.param), settings)
        sys.stdout.buffer.write(sparql.render(result, args.format))
        return 0
    text = Path(args.file).read_text(encoding="utf-8") if args.file else args.query
    if not text:
        _err("kg query: give a query, or --file F")
        return 2
    sys.stdout.buffer.write(sparql.render(api.query(text, settings), args.format))
    return 0


def cmd_export(args, settings) -> int:
    path = api.export(args.output, args.format, settings)
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


def cmd_generate(args, settings) -> int:
    from kg.generate import generate_all
    for path in generate_all(settings.root):
        print(f"wrote {path}")
    return 0


def cmd_fmt(args, settings) -> int:
    from kg import fmt
    paths = [Path(p) for p in args.paths] or fmt.committed_turtle(settings.root)
    if args.check:
        bad = fmt.check(paths)
        for p in bad:
            print(f"{p}: not in canonical formatting; run `kg fmt`")
        return 1 if bad else 0
    for p in fmt.format_files(paths):
        print(f"formatted {p}")
    return 0


def cmd_serve(args, settings) -> int:
    from kg.web.server import serve
    serve(settings.with_(host=args.host or settings.host, port=args.port or settings.port))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kg", description="AIRM-KG: build, check, query and serve the AI risk mitigation graph.")
    p.add_argument("--version", action="version", version=f"kg {__version__}")
    p.add_argument("--root", type=Path, help="project directory (default: KG_ROOT or the checkout)")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="validate, reason, materialise and publish a release")
    b.add_argument("--no-reasoner", action="store_true", help="skip HermiT (same as KG_REASONER=0)")
    b.add_argument("-v", "--verbose", action="store_true", help="print each step as it finishes")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="SHACL-validate data files (default: all)")
    v.add_argument("paths", nargs="*", type=Path)
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser("reason", help="report consistency and unsatisfiable classes (HermiT)")
    r.set_defaults(func=cmd_reason)

    q = sub.add_parser("query", help="run SPARQL against the built store")
    q.add_argument("query", nargs="?", help="the SPARQL query text")
    q.add_argument("--file", "-f", help="read the query from a file")
    q.add_argument("--format", default="table", choices=["table", "csv", "tsv", "json", "xml",
                                                        "turtle", "ntriples", "jsonld", "rdfxml"])
    q.add_argument("--name", "-n", help="run the named query queries/NAME.rq (list: /queries in the service)")
    q.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter of the named query (repeatable)")
    q.set_defaults(func=cmd_query)

    e = sub.add_parser("export", help="write the current release to a file")
    e.add_argument("--format", help="ttl, nt, jsonld, rdf, trig or nq (default: from the file suffix)")
    e.add_argument("-o", "--output", required=True, type=Path)
    e.set_defaults(func=cmd_export)

    g = sub.add_parser("generate", help="regenerate ontology/vocab/ and data/ from data/sources/")
    g.set_defaults(func=cmd_generate)

    f = sub.add_parser("fmt", help="write committed Turtle in canonical formatting")
    f.add_argument("paths", nargs="*")
    f.add_argument("--check", action="store_true", help="only report files that are not canonical")
    f.set_defaults(func=cmd_fmt)

    s = sub.add_parser("serve", help="run the web service over the current release")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.set_defaults(func=cmd_serve)
    return p


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
