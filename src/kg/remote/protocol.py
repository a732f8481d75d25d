"""What the replica and the publisher say to a remote SPARQL 1.1 server, and how they read its answers:
the names of the graphs a publish writes, blank nodes as skolem IRIs, the query text sent (prefixes,
parameters bound with VALUES), the dataset of each query, the release the server holds, and the
server's refusals as the project's errors (see `kg.remote` for the decisions)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from kg.errors import KGError, NoRelease, QueryError, QueryTimeout, RemoteError
from kg.formats import Format, lookup
from kg.namespaces import DEFAULT_BASE, NS, PREFIXES
from kg.sparql import syntax
from kg.sparql.execute import constructed, solutions
from kg.version import __version__

SKOLEM_PATH = ".well-known/genid/"
EMPTY_GRAPH = "urn:x-airm-kg:no-graph"  # names an empty default graph in a protocol dataset
RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
# What the replica asks a server for (docs/deployment.md, "Dialects"): SPARQL JSON results for SELECT
# and ASK (never TSV or CSV: Virtuoso's TSV quotes its header and drops datatypes; XML only as a second
# choice: pyoxigraph's XML results reader trims the spaces around a literal), N-Triples for CONSTRUCT
# and DESCRIBE. One list per form, because Virtuoso does not weigh q-values across kinds: offered
# results formats first, it writes a graph as RDF/XML.
SELECT_ACCEPT = f"{RESULTS_JSON}, {RESULTS_XML};q=0.5"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.8, application/rdf+xml;q=0.5"
N_TRIPLES = "application/n-triples"
FORM = "application/x-www-form-urlencoded"
USER_AGENT = f"airm-kg/{__version__}"
ERROR_EXCERPT = 2000  # characters of a server's error message passed on
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
CHECKSUM = "http://spdx.org/rdf/terms#checksumValue"


def publication_graph(base: str = DEFAULT_BASE) -> str:
    """The graph on the server that says which release it holds (written last by a publish)."""
    return f"{base}graph/published"


def union_graph(base: str = DEFAULT_BASE) -> str:
    """The graph holding every triple of the release once: the default graph of the service's queries."""
    return f"{base}graph/union"


def publishing_graph(base: str = DEFAULT_BASE) -> str:
    """The graph that marks a publish under way (deleted when it finished; left behind when it failed)."""
    return f"{base}graph/publishing"


def safe_url(url: str) -> str:
    """The URL without user name and password (for messages)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


class Skolem:
    """Blank nodes as IRIs `<base>.well-known/genid/<label>` on the server, and back."""

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        self.prefix = base + SKOLEM_PATH
        self.marker = self.prefix.encode("utf-8")

    def out(self, term):
        """A term as it is stored on the server."""
        if isinstance(term, ox.BlankNode):
            return ox.NamedNode(self.prefix + quote(term.value, safe=""))
        if isinstance(term, ox.Triple):
            return ox.Triple(self.out(term.subject), term.predicate, self.out(term.object))
        return term

    def label(self, iri: str) -> str | None:
        """The blank node label a skolem IRI stands for, None for any other IRI."""
        if iri.startswith(self.prefix):
            rest = iri[len(self.prefix) :]
            if rest and "/" not in rest:
                return unquote(rest)
        return None

    def back(self, term):
        """A term read from the server as the release's store has it."""
        if isinstance(term, ox.NamedNode):
            label = self.label(term.value)
            return ox.BlankNode(label) if label is not None else term
        if isinstance(term, ox.Triple):
            return ox.Triple(self.back(term.subject), term.predicate, self.back(term.object))
        return term

    def json_term(self, value: dict) -> dict:
        """A SPARQL JSON results term, de-skolemized."""
        if value.get("type") == "uri":
            label = self.label(value.get("value", ""))
            if label is not None:
                return {"type": "bnode", "value": label}
        elif value.get("type") == "triple" and isinstance(value.get("value"), dict):
            return {**value, "value": {k: self.json_term(v) for k, v in value["value"].items()}}
        return value

    def json_results(self, body: bytes) -> bytes:
        """SPARQL JSON results with every skolem IRI turned back into its blank node."""
        if self.marker not in body:
            return body
        doc = json.loads(body)
        for row in doc.get("results", {}).get("bindings", []):
            for name, value in row.items():
                row[name] = self.json_term(value)
        return json.dumps(doc).encode("utf-8")


_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_POSITION = re.compile(r"error at (\d+):(\d+)")


def declared_prefixes(query: str) -> set[str]:
    """The prefixes a query declares itself."""
    masked = syntax.masked(query)
    return {m.group(1) for m in re.finditer(r"(?i)(?<![\w:])PREFIX\s+([A-Za-z][\w\-.]*|):", masked)}


def bind_values(query: str, terms: Mapping[str, object]) -> str:
    """The query with `terms` (variable name -> pyoxigraph term) fixed by a VALUES block at the top
    of its outer WHERE clause, on the brace's own line (so line numbers hold)."""
    if not terms:
        return query
    for name in terms:
        if not _VARIABLE.match(name):
            raise QueryError(f"not a variable name: {name!r}")
    at = syntax.where_brace(query)
    if at is None:
        raise QueryError("the query has no WHERE clause to bind parameters in")
    names = " ".join(f"?{n}" for n in terms)
    row = " ".join(str(t) for t in terms.values())
    return f"{query[: at + 1]} VALUES ({names}) {{ ({row}) }}{query[at + 1 :]}"


def prepare(
    query: str,
    prefixes: Mapping[str, str] | None = None,
    terms: Mapping[str, object] | None = None,
    base_iri: str | None = None,
) -> tuple[str, int]:
    """The text sent to the server and how many lines were put before the caller's text: BASE and
    the prefixes the query does not declare itself on one first line, then the query with `terms`
    bound (see `bind_values`)."""
    text = bind_values(query, terms or {})
    own = declared_prefixes(query)
    head = [f"BASE <{base_iri}>"] if base_iri else []
    head += [f"PREFIX {p}: <{ns}>" for p, ns in (prefixes or {}).items() if p not in own]
    return ("\n".join([" ".join(head), text]), 1) if head else (text, 0)


def substitution_terms(substitutions, skolem: Skolem) -> dict[str, object]:
    """pyoxigraph-style substitutions ({Variable or name: term}) as {name: term as stored remotely}."""
    out = {}
    for var, term in (substitutions or {}).items():
        name = var.value if isinstance(var, ox.Variable) else str(var).lstrip("?$")
        out[name] = skolem.out(term)
    return out


def server_message(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    return text[:ERROR_EXCERPT] + (" ..." if len(text) > ERROR_EXCERPT else "")


def refused(status: int, message: str, query: str, offset: int, endpoint: str) -> KGError:
    """The error for a refusal (HTTP status >= 400) of the server: the client's fault (400, 413,
    414, 422: QueryError, positions in the message moved back to the caller's text), a deadline the
    server enforced (QueryTimeout), else the server's or its configuration's (RemoteError)."""
    message = message.split("\n\nSPARQL query:")[0].strip()  # Virtuoso repeats the whole query text
    lowered = message.lower()
    if status in (400, 413, 414, 422):
        if not _POSITION.search(message):  # Virtuoso: no usable position; the embedded parser's words
            message = local_syntax_error(query) or message
            lowered = message.lower()
        elif offset:
            message = _POSITION.sub(lambda m: f"error at {max(int(m[1]) - offset, 1)}:{m[2]}", message)
        if _POSITION.search(message) or any(w in lowered for w in ("syntax", "pars", "sparql compiler")):
            return QueryError(f"malformed query: {syntax.explain(query, message)}")
        return QueryError(f"the query was refused: {message}")
    if "timeout" in lowered.replace(" ", "") or "timed out" in lowered:
        return QueryTimeout(f"the query ran past the SPARQL server's deadline: {message}")
    return RemoteError(f"the SPARQL server at {safe_url(endpoint)} answered {status}: {message or '(no message)'}")


def local_syntax_error(query: str) -> str | None:
    """pyoxigraph's message (with its position) for a query it cannot parse, None when it parses (it
    is run over an empty store: nothing to match, so at once)."""
    try:
        ox.Store().query(query, prefixes=dict(PREFIXES))
    except SyntaxError as exc:
        return str(exc)
    except Exception:  # parsed, then failed on the empty store: not a syntax error
        return None
    return None


def incomplete(headers: httpx.Headers, endpoint: str) -> KGError | None:
    """Virtuoso's 'anytime' answers are cut (status 200 with X-SQL-State): refuse them."""
    state = headers.get("x-sql-state")
    if state:
        return QueryTimeout(
            f"the SPARQL server at {safe_url(endpoint)} returned an incomplete answer "
            f"({state}: {headers.get('x-sql-message', 'partial result')}); narrow the query"
        )
    return None


def media_format(content_type: str, endpoint: str) -> Format:
    media = content_type.split(";")[0].strip().lower()
    try:
        return lookup(media)
    except KeyError:
        raise RemoteError(
            f"the SPARQL server at {safe_url(endpoint)} answered in {media or 'no media type'}, "
            "not a SPARQL results or RDF format"
        ) from None


@dataclass(frozen=True)
class RemoteRelease:
    """What the publication graph on a server says."""

    id: str
    base: str
    graphs: dict[str, int]  # named graph -> triples, as verified by the publish
    quads: int
    created: str = ""  # when the release was built
    published: str = ""  # when the publish finished
    version: str = ""
    union: str = ""  # the union graph (sd:defaultGraph), '' when the publish made none
    digests: dict[str, str] = field(default_factory=dict)  # graph (the union graph too) -> graph_digest
    publishing: str = ""  # id of a publish under way (or one that failed), '' when none

    @property
    def graph_names(self) -> tuple[str, ...]:
        return tuple(self.graphs)

    def default_graphs(self) -> tuple[str, ...]:
        """What makes the union default graph: the union graph, else every graph of the release."""
        return (self.union,) if self.union else self.graph_names


def release_query(base: str) -> tuple[str, list[tuple[str, str]]]:
    """The query reading the publication and publishing graphs, with its protocol dataset."""
    pub, busy = publication_graph(base), publishing_graph(base)
    text = f"""SELECT ?id ?quads ?base ?created ?published ?version ?union ?g ?n ?digest ?publishing WHERE {{
  {{ GRAPH <{pub}> {{ <{pub}> <{NS.dcterms}identifier> ?id ; <{NS.void}triples> ?quads ; <{NS.void}uriSpace> ?base ;
        <{NS.dcterms}modified> ?published .
      OPTIONAL {{ <{pub}> <{NS.dcterms}created> ?created }}
      OPTIONAL {{ <{pub}> <{NS.owl}versionInfo> ?version }}
      OPTIONAL {{ <{pub}> <{NS.sd}defaultGraph> ?union }}
      OPTIONAL {{ {{ <{pub}> <{NS.sd}namedGraph> ?x . ?x <{NS.sd}name> ?g ; <{NS.void}triples> ?n
                     OPTIONAL {{ ?x <{CHECKSUM}> ?digest }} }}
                 UNION {{ <{pub}> <{NS.sd}defaultGraph> ?g . ?g <{NS.void}triples> ?n
                     OPTIONAL {{ ?g <{CHECKSUM}> ?digest }} }} }} }} }}
  UNION {{ GRAPH <{busy}> {{ <{busy}> <{NS.dcterms}identifier> ?publishing }} }}
}}"""
    return text, [("named-graph-uri", pub), ("named-graph-uri", busy)]


def dialect_of(headers: httpx.Headers) -> str:
    """'virtuoso' for an answer of Virtuoso (its Server header), else ''."""
    return "virtuoso" if headers.get("server", "").lower().startswith("virtuoso") else ""


def server_row_cap(dialect: str, query: str, rows: int) -> list[tuple[str, str]]:
    """The request parameters that stop the server at `rows` solutions of a SELECT: Virtuoso's
    `maxrows` (it does not stream, so without it a SELECT past the cap is computed and sent whole
    before the replica can refuse it; it ignores `maxrows` for CONSTRUCT and DESCRIBE)."""
    if dialect == "virtuoso" and syntax.query_form(query) == "SELECT":
        return [("maxrows", str(rows))]
    return []


def server_deadline(dialect: str, seconds: float) -> list[tuple[str, str]]:
    """The request parameters that give the server the query's deadline: Virtuoso's `timeout`
    (milliseconds; it then stops the query, answering what it has with X-SQL-State, see `incomplete`).
    Servers without one get none: the replica's own deadline still holds (docs/deployment.md)."""
    return [("timeout", str(max(1, int(seconds * 1000))))] if dialect == "virtuoso" else []


def for_server(query: str, dialect: str) -> str:
    """The query text (as `prepare` writes it) as the server reads it: for Virtuoso, local names without `\\.` escapes (it refuses
    them) and DESCRIBE as a concise bounded description, the resource's own triples (its default
    also gives the triples that point to it; the embedded store's DESCRIBE does not)."""
    if dialect != "virtuoso":
        return query
    if "\\" in query:
        query = syntax.unescape_dotted_names(query)
    if syntax.query_form(query) == "DESCRIBE":
        query = 'define sql:describe-mode "CBD" ' + query
    return query


def accept_for(query: str) -> str:
    """The Accept header for a query: results formats for SELECT and ASK, RDF formats for the others."""
    return GRAPH_ACCEPT if syntax.query_form(query) in ("CONSTRUCT", "DESCRIBE") else SELECT_ACCEPT


# Virtuoso labels blank nodes in results `nodeID://b10000`, which is no blank node label, and writes
# the booleans of its JSON results as "1" and "0" (its XML and N-Triples say "true" and "false").
_VIRTUOSO_BNODE = re.compile(rb'(<bnode>|"type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')
_VIRTUOSO_BOOLEAN = re.compile(
    rb'("datatype"\s*:\s*"http://www\.w3\.org/2001/XMLSchema#boolean"\s*,\s*"value"\s*:\s*")([01])"'
)


def from_dialect(body: bytes) -> bytes:
    """A SPARQL JSON or XML results document with the known departures of servers from the standards
    repaired (docs/deployment.md, "Dialects"): Virtuoso's `nodeID://` blank node labels and its JSON
    booleans."""
    if b"nodeID://" in body:
        body = _VIRTUOSO_BNODE.sub(rb"\1virtuoso", body)
    if b"XMLSchema#boolean" in body:
        body = _VIRTUOSO_BOOLEAN.sub(lambda m: m[1] + (b'true"' if m[2] == b"1" else b'false"'), body)
    return body


def results_format(body: bytes) -> ox.QueryResultsFormat:
    """SPARQL JSON or XML results, told apart by their first character."""
    return ox.QueryResultsFormat.JSON if body.lstrip()[:1] == b"{" else ox.QueryResultsFormat.XML


def read_results(body: bytes):
    """A SELECT or ASK answer in SPARQL XML or JSON results, as pyoxigraph objects."""
    body = from_dialect(body)
    return ox.parse_query_results(body, format=results_format(body))


def read_solutions(body: bytes) -> ox.QuerySolutions:
    """The solutions of a SELECT answer in SPARQL JSON or XML results."""
    return solutions(read_results(body))


def read_release(body: bytes) -> RemoteRelease | None:
    """The `RemoteRelease` in the JSON results of `release_query`; None when nothing was published."""
    rows = list(read_solutions(body))
    value = lambda row, name: row[name].value if row[name] is not None else ""
    publishing = next((value(r, "publishing") for r in rows if r["publishing"] is not None), "")
    head = next((r for r in rows if r["id"] is not None), None)
    if head is None:
        return RemoteRelease("", "", {}, 0, publishing=publishing) if publishing else None
    union = value(head, "union")
    graphs = {value(r, "g"): int(value(r, "n")) for r in rows if r["g"] is not None and value(r, "g") != union}
    digests = {value(r, "g"): value(r, "digest") for r in rows if r["g"] is not None and r["digest"] is not None}
    return RemoteRelease(
        id=value(head, "id"),
        base=value(head, "base"),
        graphs=dict(sorted(graphs.items())),
        quads=int(value(head, "quads")),
        created=value(head, "created"),
        published=value(head, "published"),
        version=value(head, "version"),
        union=union,
        digests=digests,
        publishing=publishing,
    )


def held_release(body: bytes, endpoint: str, base: str) -> RemoteRelease:
    """The release a server holds, from the JSON results of `release_query`; NoRelease when none."""
    info = read_release(body)
    if info is None or not info.id:
        raise NoRelease(
            f"the SPARQL server at {safe_url(endpoint)} holds no published release "
            f"(no graph <{publication_graph(base)}>): run `kg publish` first"
        )
    return info


def protocol_dataset(
    info: RemoteRelease, query: str, *, union: bool = False, default_graph=None, named_graphs=None
) -> list[tuple[str, str]]:
    """The `default-graph-uri` / `named-graph-uri` parameters that give the server the dataset the
    embedded store would use for the same call of `Store.query` (see `RemoteStore.query`): the union
    default graph is the union graph (else every graph of the release), named graphs are the
    release's. Graphs outside the release are left out, as the embedded store does not have them."""
    graphs = info.graph_names
    known = set(graphs)
    if default_graph is not None or named_graphs is not None:
        if default_graph is None or isinstance(default_graph, (ox.NamedNode, ox.DefaultGraph, str)):
            default_graph = [] if default_graph is None else [default_graph]
        defaults = [graph_iri(g) for g in default_graph if not isinstance(g, ox.DefaultGraph)]
        defaults = [g for g in defaults if g in known]
        named = graphs if named_graphs is None else [g for g in map(graph_iri, named_graphs) if g in known]
        params = [("default-graph-uri", g) for g in defaults] + [("named-graph-uri", g) for g in named]
        if not defaults:  # the default graph is empty (the store's own is)
            params.insert(0, ("default-graph-uri", EMPTY_GRAPH))
        return params
    if union:
        return [("default-graph-uri", g) for g in info.default_graphs()] + [("named-graph-uri", g) for g in graphs]
    if syntax.declares_dataset(query):
        return []
    return [("default-graph-uri", EMPTY_GRAPH)] + [("named-graph-uri", g) for g in graphs]


def graph_iri(graph) -> str:
    return graph.value if isinstance(graph, ox.NamedNode) else str(graph)


def triples_of(body: bytes, fmt: Format) -> Iterator[ox.Triple]:
    for quad in ox.parse(body, format=fmt.rdf_format):
        yield ox.Triple(quad.subject, quad.predicate, quad.object)


def as_query_triples(triples: Iterable[ox.Triple]) -> ox.QueryTriples:
    """A pyoxigraph QueryTriples over the given triples (through an in-memory store)."""
    memory = ox.Store()
    memory.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return constructed(memory.query("CONSTRUCT WHERE { ?s ?p ?o }"))


def json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != NS.xsd + "string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": json_term(term.subject),
                "predicate": json_term(term.predicate),
                "object": json_term(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def deskolemized_solutions(solutions, skolem: Skolem, bound: Mapping[str, object] | None = None):
    """QuerySolutions (or a QueryBoolean, unchanged) with skolem IRIs turned back into blank nodes and
    the variables the replica bound with VALUES (`bound`: name -> term) given exactly their terms:
    Virtuoso keeps no booleans and answers `true` bound by VALUES as the integer 1."""
    if isinstance(solutions, ox.QueryBoolean):
        return solutions
    names = [v.value for v in solutions.variables]
    bound = bound or {}
    rows = [{n: json_term(skolem.back(bound.get(n, row[n]))) for n in names if row[n] is not None} for row in solutions]
    doc = {"head": {"vars": names}, "results": {"bindings": rows}}
    return ox.parse_query_results(json.dumps(doc).encode("utf-8"), format=ox.QueryResultsFormat.JSON)


def convert_answer(body: bytes, got: Format, want: Format, skolem: Skolem, bound: Mapping | None = None) -> bytes:
    """An answer the server wrote in `got`, written in `want` by pyoxigraph (as the embedded engine
    writes it), skolem IRIs turned back into their blank nodes, `bound` variables given their terms."""
    if got.kind == "results":
        parsed = ox.parse_query_results(from_dialect(body), format=got.results_format)
        if skolem.marker in body or bound:
            parsed = deskolemized_solutions(parsed, skolem, bound)
        return cast(bytes, parsed.serialize(format=want.results_format))  # bytes: no output given
    return cast(bytes, ox.serialize([skolem.back(t) for t in triples_of(body, got)], format=want.rdf_format))
