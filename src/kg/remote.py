"""Serving from a remote SPARQL 1.1 server instead of the embedded store (docs/deployment.md).

Three parts, all over standard protocols only (SPARQL 1.1 Protocol, SPARQL 1.1 Graph Store HTTP
Protocol), so the graph can live on Oxigraph, Fuseki, GraphDB, Virtuoso, QLever or a cluster:

- `publish(release, gsp_endpoint, query_endpoint)` (`kg publish`) loads a release into the server: one
  GSP `PUT ?graph=` per named graph (unchanged graphs skipped), the union graph `<base>graph/union`,
  a verification of every graph's triple count, then the *publication graph* `<base>graph/published`
  saying which release the server holds and which graphs make it up, and finally a DELETE of the
  project's graphs that are not in the release.
- `RemoteStore` is a read-only stand-in for `pyoxigraph.Store` with exactly what the pages and
  `kg.describe` use: `quads_for_pattern`, `query` (with pyoxigraph's keyword arguments), `len`, iteration.
- `RemoteEngine` answers the service's `kg.engine.Job`s (the `kg.engine.Engine` protocol): read under
  the job's deadline, byte cap and row cap, written in the job's format by pyoxigraph.
- `remote_release_id(query_endpoint)` / `remote_release(...)`: which release the server holds.

Decisions (each explained in docs/deployment.md):

- **The union default graph is a protocol dataset over a materialised union graph.** Every query the
  service sends names its dataset: `default-graph-uri=<base>graph/union` (every triple of the release
  once) and one `named-graph-uri` per graph of the release, as the publication graph lists them.
  That is standard SPARQL 1.1 (the same as `FROM`/`FROM NAMED`), works whatever the server's own
  default graph is (Oxigraph: empty; Virtuoso: every graph, its system graphs included; Fuseki:
  configurable), keeps the publication graph and other data on the server out of the answers, and is
  10x faster on Oxigraph than naming 30 default graphs. A release published without the union graph
  (`--no-union-graph`) is queried with every graph as a `default-graph-uri` instead. A query with
  its own `FROM`/`FROM NAMED` is sent as it is.
- **Blank nodes are skolemized** (RDF 1.1 Concepts §3.5): `_:x` travels as
  `<base>.well-known/genid/x`, because a SPARQL server renames blank nodes on load and a query
  cannot name one, so pages could not follow author lists (`rdf:List`s of blank nodes). Everything
  read back is de-skolemized, so `RemoteStore` and `RemoteEngine` give the same terms, blank node
  labels included, as the release's own store.
- **Parameters are bound with VALUES.** pyoxigraph's `substitutions` do not exist in the protocol; the
  terms (written by pyoxigraph, so escaped) are put in a `VALUES` block at the top of the outer WHERE
  clause, as `kg.queries.NamedQuery.standalone` writes the named queries' examples.
- **A publish is not atomic across graphs.** Each graph is replaced by one PUT (atomic per graph on
  the common servers); the union graph goes after the named graphs (so union-default-graph queries
  switch in one step) and the publication graph last, so while a publish runs a `GRAPH` query or a
  page may see old and new graphs together; `<base>graph/publishing` marks a publish under way (or
  one that failed). For a switch without a mixed window, publish to an idle second server and move
  the replicas (or the name in front of the servers) over: blue/green, see docs/deployment.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator, Mapping
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from kg import __version__, sparql
from kg.engine import Answer, Job, QueryTimeout, ResultTooLarge, count_rows, parse_term, too_big, too_many
from kg.errors import KGError, NoRelease, QueryError
from kg.formats import Format, lookup
from kg.namespaces import DEFAULT_BASE, PREFIXES

SKOLEM_PATH = ".well-known/genid/"
EMPTY_GRAPH = "urn:x-airm-kg:no-graph"       # names an empty default graph in a protocol dataset
RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
QUERY_ACCEPT = f"{RESULTS_JSON}, {N_TRIPLES};q=0.9, text/turtle;q=0.8"
# The engine asks for line-per-row formats (rows counted while they arrive, the request dropped at
# the row cap) and writes the job's format itself, as the embedded engine does.
ENGINE_ACCEPT = (f"text/tab-separated-values, {RESULTS_JSON};q=0.8, application/sparql-results+xml;q=0.7, "
                 f"{N_TRIPLES}, text/turtle;q=0.8, application/rdf+xml;q=0.5")
READ_SLACK = 2                # the server's format may be more verbose than the job's: read up to 2x its byte cap
FORM = "application/x-www-form-urlencoded"
USER_AGENT = f"airm-kg/{__version__}"
ERROR_EXCERPT = 2000          # characters of a server's error message passed on
BATCH = 20_000                # triples serialised at a time while writing a graph for upload

SUBJECT_LIMIT = 2_000         # quads of one subject kept in the subject cache (larger ones: asked per pattern)

DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
PROV = "http://www.w3.org/ns/prov#"
OWL = "http://www.w3.org/2002/07/owl#"
SD = "http://www.w3.org/ns/sparql-service-description#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
CHECKSUM = "http://spdx.org/rdf/terms#checksumValue"
# What a page shows for every linked resource (kg.describe.LABELS and NOTATION): indexed at first use.
INDEXED = tuple(ox.NamedNode(p) for p in ("http://www.w3.org/2004/02/skos/core#prefLabel",
                                          "http://www.w3.org/2000/01/rdf-schema#label",
                                          "http://xmlns.com/foaf/0.1/name", DCTERMS + "title",
                                          "http://www.w3.org/2004/02/skos/core#notation"))


class RemoteError(KGError):
    """The SPARQL server answered, but not as the protocol says (5xx, an unexpected format...) (502)."""

    http_status = 502


class RemoteUnavailable(RemoteError):
    """The SPARQL server could not be reached (503)."""

    http_status = 503


class PublishFailed(KGError):
    """`kg publish` could not make the server hold the release (a load was refused, counts differ)."""


# --- names --------------------------------------------------------------------------------------

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
            rest = iri[len(self.prefix):]
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


# --- query text ---------------------------------------------------------------------------------

_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_POSITION = re.compile(r"error at (\d+):(\d+)")


def declared_prefixes(query: str) -> set[str]:
    """The prefixes a query declares itself."""
    masked = sparql._masked(query)
    return {m.group(1) for m in re.finditer(r"(?i)(?<![\w:])PREFIX\s+([A-Za-z][\w\-.]*|):", masked)}


def bind_values(query: str, terms: Mapping[str, object]) -> str:
    """The query with `terms` (variable name -> pyoxigraph term) fixed by a VALUES block at the top
    of its outer WHERE clause, on the brace's own line (so line numbers hold)."""
    if not terms:
        return query
    for name in terms:
        if not _VARIABLE.match(name):
            raise QueryError(f"not a variable name: {name!r}")
    at = sparql.where_brace(query)
    if at is None:
        raise QueryError("the query has no WHERE clause to bind parameters in")
    names = " ".join(f"?{n}" for n in terms)
    row = " ".join(str(t) for t in terms.values())
    return f"{query[:at + 1]} VALUES ({names}) {{ ({row}) }}{query[at + 1:]}"


def prepare(query: str, prefixes: Mapping[str, str] | None = None, terms: Mapping[str, object] | None = None,
            base_iri: str | None = None) -> tuple[str, int]:
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
    lowered = message.lower()
    if status in (400, 413, 414, 422):
        if offset:
            message = _POSITION.sub(lambda m: f"error at {max(int(m[1]) - offset, 1)}:{m[2]}", message)
        if _POSITION.search(message) or "syntax" in lowered or "pars" in lowered:
            return QueryError(f"malformed query: {sparql.explain(query, message)}")
        return QueryError(f"the query was refused: {message}")
    if "timeout" in lowered.replace(" ", "") or "timed out" in lowered:
        return QueryTimeout(f"the query ran past the SPARQL server's deadline: {message}")
    return RemoteError(f"the SPARQL server at {safe_url(endpoint)} answered {status}: {message or '(no message)'}")


def incomplete(headers: httpx.Headers, endpoint: str) -> KGError | None:
    """Virtuoso's 'anytime' answers are cut (status 200 with X-SQL-State): refuse them."""
    state = headers.get("x-sql-state")
    if state:
        return QueryTimeout(f"the SPARQL server at {safe_url(endpoint)} returned an incomplete answer "
                            f"({state}: {headers.get('x-sql-message', 'partial result')}); narrow the query")
    return None


def media_format(content_type: str, endpoint: str) -> Format:
    media = content_type.split(";")[0].strip().lower()
    try:
        return lookup(media)
    except KeyError:
        raise RemoteError(f"the SPARQL server at {safe_url(endpoint)} answered in {media or 'no media type'}, "
                          "not a SPARQL results or RDF format") from None


# --- the dataset the server holds --------------------------------------------------------------

@dataclass(frozen=True)
class RemoteRelease:
    """What the publication graph on a server says."""

    id: str
    base: str
    graphs: dict[str, int]          # named graph -> triples, as verified by the publish
    quads: int
    created: str = ""               # when the release was built
    published: str = ""             # when the publish finished
    version: str = ""
    union: str = ""                 # the union graph (sd:defaultGraph), '' when the publish made none
    digests: dict[str, str] = field(default_factory=dict)   # graph (the union graph too) -> graph_digest
    publishing: str = ""            # id of a publish under way (or one that failed), '' when none

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
  {{ GRAPH <{pub}> {{ <{pub}> <{DCTERMS}identifier> ?id ; <{VOID}triples> ?quads ; <{VOID}uriSpace> ?base ;
        <{DCTERMS}modified> ?published .
      OPTIONAL {{ <{pub}> <{DCTERMS}created> ?created }}
      OPTIONAL {{ <{pub}> <{OWL}versionInfo> ?version }}
      OPTIONAL {{ <{pub}> <{SD}defaultGraph> ?union }}
      OPTIONAL {{ {{ <{pub}> <{SD}namedGraph> ?x . ?x <{SD}name> ?g ; <{VOID}triples> ?n
                     OPTIONAL {{ ?x <{CHECKSUM}> ?digest }} }}
                 UNION {{ <{pub}> <{SD}defaultGraph> ?g . ?g <{VOID}triples> ?n
                     OPTIONAL {{ ?g <{CHECKSUM}> ?digest }} }} }} }} }}
  UNION {{ GRAPH <{busy}> {{ <{busy}> <{DCTERMS}identifier> ?publishing }} }}
}}"""
    return text, [("named-graph-uri", pub), ("named-graph-uri", busy)]


def read_release(body: bytes) -> RemoteRelease | None:
    """The `RemoteRelease` in the JSON results of `release_query`; None when nothing was published."""
    rows = list(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))
    value = lambda row, name: row[name].value if row[name] is not None else ""   # noqa: E731
    publishing = next((value(r, "publishing") for r in rows if r["publishing"] is not None), "")
    head = next((r for r in rows if r["id"] is not None), None)
    if head is None:
        return RemoteRelease("", "", {}, 0, publishing=publishing) if publishing else None
    union = value(head, "union")
    graphs = {value(r, "g"): int(value(r, "n")) for r in rows if r["g"] is not None and value(r, "g") != union}
    digests = {value(r, "g"): value(r, "digest") for r in rows if r["g"] is not None and r["digest"] is not None}
    return RemoteRelease(id=value(head, "id"), base=value(head, "base"), graphs=dict(sorted(graphs.items())),
                         quads=int(value(head, "quads")), created=value(head, "created"),
                         published=value(head, "published"), version=value(head, "version"),
                         union=union, digests=digests, publishing=publishing)


def protocol_dataset(info: RemoteRelease, query: str, *, union: bool = False, default_graph=None,
                     named_graphs=None) -> list[tuple[str, str]]:
    """The `default-graph-uri` / `named-graph-uri` parameters that give the server the dataset the
    embedded store would use for the same call of `Store.query` (see `RemoteStore.query`): the union
    default graph is the union graph (else every graph of the release), named graphs are the
    release's. Graphs outside the release are left out, as the embedded store does not have them."""
    graphs = info.graph_names
    known = set(graphs)
    if default_graph is not None or named_graphs is not None:
        if default_graph is None or isinstance(default_graph, (ox.NamedNode, ox.DefaultGraph, str)):
            default_graph = [] if default_graph is None else [default_graph]
        defaults = [_iri(g) for g in default_graph if not isinstance(g, ox.DefaultGraph)]
        defaults = [g for g in defaults if g in known]
        named = graphs if named_graphs is None else [g for g in map(_iri, named_graphs) if g in known]
        params = [("default-graph-uri", g) for g in defaults] + [("named-graph-uri", g) for g in named]
        if not defaults:          # the default graph is empty (the store's own is)
            params.insert(0, ("default-graph-uri", EMPTY_GRAPH))
        return params
    if union:
        return [("default-graph-uri", g) for g in info.default_graphs()] + [("named-graph-uri", g) for g in graphs]
    if sparql.declares_dataset(query):
        return []
    return [("default-graph-uri", EMPTY_GRAPH)] + [("named-graph-uri", g) for g in graphs]


def _iri(graph) -> str:
    return graph.value if isinstance(graph, ox.NamedNode) else str(graph)


# --- the store ------------------------------------------------------------------------------------

class RemoteStore:
    """A read-only stand-in for `pyoxigraph.Store` over the SPARQL 1.1 Protocol: the subset the pages
    and `kg.describe` use (`quads_for_pattern`, `query`, `len`, iteration, `named_graphs`).

    The release's graphs are read from the server's publication graph on first use and kept;
    `refresh()` reads them again (after a `kg publish`). Connections are pooled and the client is
    shared by the service's threads. Results are read whole, at most `max_bytes`, within `timeout`
    seconds per request.

    A page looks up hundreds of labels, one `quads_for_pattern` each; a round trip per lookup would
    make it take seconds. So the store keeps (until `refresh()` finds another release) an index of
    the label and notation triples (`INDEXED`, one query at first use), and the quads of recently
    asked subjects (one query per subject, at most `SUBJECT_LIMIT` quads each), up to `cache_quads`
    quads in all; patterns without a subject go to the server every time."""

    def __init__(self, endpoint: str, timeout: float = 10.0, *, base: str = DEFAULT_BASE,
                 max_bytes: int = 64_000_000, max_connections: int = 32, cache_quads: int = 500_000,
                 indexed: Iterable[ox.NamedNode] = INDEXED, client: httpx.Client | None = None) -> None:
        self.endpoint, self.timeout, self.base, self.max_bytes = endpoint, timeout, base, max_bytes
        self.skolem = Skolem(base)
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections))
        self.cache_quads, self.indexed = cache_quads, frozenset(indexed)
        self._release: RemoteRelease | None = None
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        with self._lock:
            self._index: dict | None = None          # predicate -> subject -> quads
            self._index_size = 0
            self._subjects: OrderedDict = OrderedDict()   # subject -> quads (None: more than SUBJECT_LIMIT)
            self._subject_size = 0

    def __repr__(self) -> str:
        return f"<RemoteStore {safe_url(self.endpoint)}>"

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "RemoteStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- which release -----------------------------------------------------------------------------
    def release(self) -> RemoteRelease:
        """The release the server holds (read once, then kept); NoRelease when none was published."""
        current = self._release
        if current is None:
            with self._lock:
                if self._release is None:
                    self._release = self._read_release()
                current = self._release
        return current

    def refresh(self) -> bool:
        """Read the publication graph again; True (and the caches emptied) when the server now holds
        another release."""
        new = self._read_release()
        old = self._release
        changed = old is None or (new.id, new.graphs, new.union) != (old.id, old.graphs, old.union)
        if changed:
            self._clear()
        self._release = new
        return changed

    def _read_release(self) -> RemoteRelease:
        text, dataset = release_query(self.base)
        body, _ = self._request(text, dataset, RESULTS_JSON, text, 0)
        info = read_release(body)
        if info is None or not info.id:
            raise NoRelease(f"the SPARQL server at {safe_url(self.endpoint)} holds no published release "
                            f"(no graph <{publication_graph(self.base)}>): run `kg publish` first")
        return info

    @property
    def graphs(self) -> tuple[str, ...]:
        return self.release().graph_names

    # -- HTTP --------------------------------------------------------------------------------------
    def _request(self, text: str, dataset: list[tuple[str, str]], accept: str, original: str,
                 offset: int) -> tuple[bytes, str]:
        """POST one query; the whole body and its content type, or the mapped error."""
        form = urlencode([("query", text), *dataset]).encode("utf-8")
        deadline = time.monotonic() + self.timeout
        try:
            with self.client.stream("POST", self.endpoint, content=form,
                                    headers={"Accept": accept, "Content-Type": FORM}) as response:
                if response.status_code >= 400:
                    message = server_message(_read_capped(response.iter_bytes(), 64_000, deadline)[0])
                    raise refused(response.status_code, message, original, offset, self.endpoint)
                error = incomplete(response.headers, self.endpoint)
                if error is not None:
                    raise error
                body, over = _read_capped(response.iter_bytes(), self.max_bytes, deadline)
                if over:
                    raise ResultTooLarge(f"the answer of the SPARQL server is larger than {self.max_bytes:,} "
                                         "bytes, the most this service reads for one page")
                return body, response.headers.get("content-type", "")
        except httpx.TimeoutException as exc:
            raise QueryTimeout(f"the SPARQL server at {safe_url(self.endpoint)} did not answer within "
                               f"{self.timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise RemoteUnavailable(f"the SPARQL server at {safe_url(self.endpoint)} cannot be reached: "
                                    f"{exc or type(exc).__name__}") from exc
        except _Late:
            raise QueryTimeout(f"the SPARQL server at {safe_url(self.endpoint)} did not finish its answer "
                               f"within {self.timeout:g} s") from None

    def _select_quads(self, pattern: tuple, graphs: tuple[str, ...], graph: str | None = None,
                      limit: int | None = None) -> list[ox.Quad]:
        """The quads matching (s, p, o) — None or a pyoxigraph term each — in `graphs` (or `graph`)."""
        names = ("s", "p", "o")
        for name, term in zip(names, pattern):
            if term is not None and not isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal, ox.Triple)):
                raise TypeError(f"{name} must be a pyoxigraph term or None, not {type(term).__name__}")
        where = " ".join(str(self.skolem.out(t)) if t is not None else f"?{n}" for n, t in zip(names, pattern))
        free = [n for n, t in zip(names, pattern) if t is None] + ([] if graph else ["g"])
        text = (f"SELECT {' '.join('?' + n for n in free) or '*'} WHERE {{ GRAPH {f'<{graph}>' if graph else '?g'} "
                f"{{ {where} }} }}" + (f" LIMIT {limit}" if limit else ""))
        body, _ = self._request(text, [("named-graph-uri", g) for g in ((graph,) if graph else graphs)],
                                RESULTS_JSON, text, 0)
        fixed_graph = ox.NamedNode(graph) if graph else None
        back = self.skolem.back
        quads = []
        for row in ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON):
            s, p, o = (term if term is not None else back(row[n]) for n, term in zip(names, pattern))
            quads.append(ox.Quad(s, p, o, fixed_graph or row["g"]))
        return quads

    def _label_index(self) -> dict | None:
        """predicate -> subject -> quads for the `indexed` predicates (None when over the budget)."""
        if self._index is None and self.indexed:
            values = " ".join(str(p) for p in self.indexed)
            text = f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?p {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
            body, _ = self._request(text, [("named-graph-uri", g) for g in self.graphs], RESULTS_JSON, text, 0)
            index: dict = {p: {} for p in self.indexed}
            back, size = self.skolem.back, 0
            for row in ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON):
                subject = back(row["s"])
                index[row["p"]].setdefault(subject, []).append(ox.Quad(subject, row["p"], back(row["o"]), row["g"]))
                size += 1
            with self._lock:
                self._index, self._index_size = (index if size <= self.cache_quads // 2 else {}), size
        return self._index or None

    def _subject_quads(self, subject) -> list[ox.Quad] | None:
        """Every quad of `subject` (kept in the subject cache); None when it has more than SUBJECT_LIMIT."""
        with self._lock:
            if subject in self._subjects:
                self._subjects.move_to_end(subject)
                return self._subjects[subject]
        quads = self._select_quads((subject, None, None), self.graphs, limit=SUBJECT_LIMIT + 1)
        kept = quads if len(quads) <= SUBJECT_LIMIT else None
        with self._lock:
            if subject not in self._subjects:
                self._subjects[subject] = kept
                self._subject_size += len(kept or ()) + 1
                budget = self.cache_quads - self._index_size
                while self._subject_size > budget and self._subjects:
                    _, dropped = self._subjects.popitem(last=False)
                    self._subject_size -= len(dropped or ()) + 1
        return kept

    # -- the Store subset ----------------------------------------------------------------------------
    def quads_for_pattern(self, subject, predicate, object, graph_name=None) -> Iterator[ox.Quad]:
        """The quads matching the pattern (None: any), in every graph of the release or in `graph_name`."""
        graphs = self.graphs
        if isinstance(graph_name, ox.DefaultGraph):
            return iter(())                 # the release keeps everything in named graphs
        graph = None
        if graph_name is not None:
            graph = _iri(graph_name)
            if graph not in graphs:
                return iter(())
        quads = None
        if subject is not None:
            if predicate in self.indexed:
                index = self._label_index()
                if index is not None:
                    quads = index[predicate].get(subject, [])
            if quads is None:
                quads = self._subject_quads(subject)
        if quads is None:
            return iter(self._select_quads((subject, predicate, object), graphs, graph))
        wanted = ox.NamedNode(graph) if graph else None
        return iter([q for q in quads if (predicate is None or q.predicate == predicate)
                     and (object is None or q.object == object) and (wanted is None or q.graph_name == wanted)])

    def query(self, query: str, *, base_iri: str | None = None, use_default_graph_as_union: bool = False,
              default_graph=None, named_graphs=None, substitutions=None, prefixes: Mapping[str, str] | None = None,
              **unsupported):
        """Run a query on the server with the dataset `pyoxigraph.Store.query` would use for the same
        arguments; the result as pyoxigraph objects (QuerySolutions, QueryBoolean or QueryTriples)."""
        if unsupported:
            raise TypeError(f"RemoteStore.query does not support {', '.join(sorted(unsupported))}")
        if sparql.is_update(query):
            raise QueryError("a RemoteStore is read-only: SPARQL Update is not sent")
        dataset = protocol_dataset(self.release(), query, union=use_default_graph_as_union,
                                   default_graph=default_graph, named_graphs=named_graphs)
        text, offset = prepare(query, prefixes, substitution_terms(substitutions, self.skolem), base_iri)
        body, ctype = self._request(text, dataset, QUERY_ACCEPT, query, offset)
        fmt = media_format(ctype, self.endpoint)
        try:
            if fmt.kind == "results":
                if fmt.name == "json":
                    body = self.skolem.json_results(body)
                    return ox.parse_query_results(body, format=fmt.oxigraph)
                return _deskolemized_solutions(ox.parse_query_results(body, format=fmt.oxigraph), self.skolem)
            return _query_triples(self.skolem.back(t) for t in _triples(body, fmt))
        except (SyntaxError, ValueError) as exc:
            raise RemoteError(f"the SPARQL server at {safe_url(self.endpoint)} sent an unreadable "
                              f"{fmt.media_type} answer: {exc}") from exc

    def __len__(self) -> int:
        """Quads in the release's graphs on the server (counted there; the publication graph has the
        count the publish verified, `release().quads`, without a scan)."""
        text = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        body, _ = self._request(text, [("named-graph-uri", g) for g in self.graphs], RESULTS_JSON, text, 0)
        row = next(iter(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)))
        return int(row["n"].value)

    def __iter__(self) -> Iterator[ox.Quad]:
        """Every quad of the release (one query: mind `max_bytes` on large graphs)."""
        return self.quads_for_pattern(None, None, None)

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        return iter([ox.NamedNode(g) for g in self.graphs])

    def contains_named_graph(self, graph) -> bool:
        return _iri(graph) in self.graphs


class _Late(Exception):
    """The deadline passed while the body was still coming."""


def _read_capped(chunks: Iterable[bytes], limit: int, deadline: float | None = None) -> tuple[bytes, bool]:
    """At most `limit` bytes of `chunks` (and whether there were more); _Late past `deadline`."""
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            return b"".join(parts), True
        parts.append(chunk)
        if deadline is not None and time.monotonic() > deadline:
            raise _Late()
    return b"".join(parts), False


def _triples(body: bytes, fmt: Format) -> Iterator[ox.Triple]:
    for quad in ox.parse(body, format=fmt.oxigraph):
        yield ox.Triple(quad.subject, quad.predicate, quad.object)


def _query_triples(triples: Iterable[ox.Triple]) -> ox.QueryTriples:
    """A pyoxigraph QueryTriples over the given triples (through an in-memory store)."""
    memory = ox.Store()
    memory.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return memory.query("CONSTRUCT WHERE { ?s ?p ?o }")


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD + "string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    raise TypeError(f"not an RDF term: {term!r}")


def _deskolemized_solutions(solutions, skolem: Skolem):
    """QuerySolutions (or a QueryBoolean, unchanged) with skolem IRIs turned back into blank nodes."""
    if isinstance(solutions, ox.QueryBoolean):
        return solutions
    names = [v.value for v in solutions.variables]
    rows = [{n: _json_term(skolem.back(row[n])) for n in names if row[n] is not None} for row in solutions]
    doc = {"head": {"vars": names}, "results": {"bindings": rows}}
    return ox.parse_query_results(json.dumps(doc).encode("utf-8"), format=ox.QueryResultsFormat.JSON)


def convert_answer(body: bytes, got: Format, want: Format, skolem: Skolem) -> bytes:
    """An answer the server wrote in `got`, written in `want` by pyoxigraph (as the embedded engine
    writes it), skolem IRIs turned back into their blank nodes."""
    if got.kind == "results":
        parsed = ox.parse_query_results(body, format=got.oxigraph)
        if skolem.marker in body:
            parsed = _deskolemized_solutions(parsed, skolem)
        return parsed.serialize(format=want.oxigraph)
    return ox.serialize([skolem.back(t) for t in _triples(body, got)], format=want.oxigraph)


# --- the engine ---------------------------------------------------------------------------------

class RemoteEngine:
    """The service's query engine over a remote SPARQL 1.1 server (the `kg.engine.Engine` protocol).

    A job's query is sent as the embedded engine would run it (`kg.sparql.run_dataset`): project
    prefixes predeclared, `mtax:1.1.3` names escaped, its protocol dataset or else the union of the
    release's graphs, its substitutions bound with VALUES. The answer is asked for in the job's
    format, read within `job.timeout` and `job.max_bytes`, and counted against `job.max_rows`."""

    def __init__(self, endpoint: str, timeout: float = 10.0, *, base: str = DEFAULT_BASE,
                 store: RemoteStore | None = None, max_connections: int = 64) -> None:
        self.endpoint, self.timeout, self.base = endpoint, timeout, base
        self.skolem = Skolem(base)
        self.store = store
        self.max_connections = max_connections
        self._client: httpx.AsyncClient | None = None
        self._release: RemoteRelease | None = None

    def __repr__(self) -> str:
        return f"<RemoteEngine {safe_url(self.endpoint)}>"

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(None, connect=min(self.timeout, 5.0)), headers={"User-Agent": USER_AGENT},
                limits=httpx.Limits(max_connections=self.max_connections,
                                    max_keepalive_connections=self.max_connections))
        return self._client

    async def start(self) -> None:
        """Read which release the server holds (NoRelease when none): fail before taking queries."""
        await self.release()

    async def release(self) -> RemoteRelease:
        if self.store is not None:
            return self.store._release or await asyncio.to_thread(self.store.release)
        if self._release is None:
            self._release = await self._read_release()
        return self._release

    async def refresh(self) -> bool:
        """Read the publication graph again; True when the server now holds another release."""
        if self.store is not None:
            return await asyncio.to_thread(self.store.refresh)
        new = await self._read_release()
        changed = self._release is None or (new.id, new.graphs) != (self._release.id, self._release.graphs)
        self._release = new
        return changed

    async def _read_release(self) -> RemoteRelease:
        text, dataset = release_query(self.base)
        body, _ = await self._post(text, dataset, RESULTS_JSON, Job(text, timeout=self.timeout), text, 0)
        info = read_release(body)
        if info is None or not info.id:
            raise NoRelease(f"the SPARQL server at {safe_url(self.endpoint)} holds no published release "
                            f"(no graph <{publication_graph(self.base)}>): run `kg publish` first")
        return info

    async def run(self, job: Job) -> Answer:
        started = time.perf_counter()
        if sparql.is_update(job.query):
            raise QueryError("SPARQL Update is not sent to the server: the graph is read-only")
        info = await self.release()
        query = sparql.escape_dotted_names(job.query)
        terms = {name: self.skolem.out(parse_term(text)) for name, text in job.substitutions}
        text, offset = prepare(query, PREFIXES, terms)
        if job.default_graphs or job.named_graphs:
            dataset = protocol_dataset(info, query, default_graph=list(job.default_graphs),
                                       named_graphs=list(job.named_graphs))
        else:
            dataset = protocol_dataset(info, query, union=not sparql.declares_dataset(query))
        body, ctype = await self._post(text, dataset, ENGINE_ACCEPT, job, query, offset)
        got = media_format(ctype, self.endpoint)
        if got.name == "csv":
            raise RemoteError(f"the SPARQL server at {safe_url(self.endpoint)} answered in CSV, which cannot be "
                              "read back into RDF terms; it should support TSV or SPARQL JSON results")
        want = job.result_format if got.kind == "results" else job.graph_result_format
        try:
            body = await asyncio.to_thread(convert_answer, body, got, want, self.skolem)
        except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
            raise RemoteError(f"the SPARQL server at {safe_url(self.endpoint)} sent an unreadable "
                              f"{got.media_type} answer: {exc}") from exc
        if len(body) > job.max_bytes:
            raise too_big(len(body), job)
        kind, rows = await asyncio.to_thread(count_rows, body, want)
        if rows > job.max_rows:
            raise too_many(rows, job)
        return Answer(body, want.media_type, kind, rows, time.perf_counter() - started)

    async def _post(self, text: str, dataset: list[tuple[str, str]], accept: str, job: Job, original: str,
                    offset: int) -> tuple[bytes, str]:
        """POST the query; the body (read within the job's deadline, at most READ_SLACK times its byte
        cap, stopped as soon as a line-per-row answer has more rows than its row cap) and its type."""
        form = urlencode([("query", text), *dataset]).encode("utf-8")
        try:
            async with asyncio.timeout(job.timeout):
                async with self.client.stream("POST", self.endpoint, content=form,
                                              headers={"Accept": accept, "Content-Type": FORM}) as response:
                    if response.status_code >= 400:
                        chunk, _ = await _aread_capped(response, 64_000)
                        raise refused(response.status_code, server_message(chunk), original, offset, self.endpoint)
                    error = incomplete(response.headers, self.endpoint)
                    if error is not None:
                        raise error
                    ctype = response.headers.get("content-type", "")
                    media = ctype.split(";")[0].strip().lower()
                    # TSV: a header line, then one line per solution; N-Triples: one line per triple
                    lines = {"text/tab-separated-values": job.max_rows + 1, N_TRIPLES: job.max_rows}.get(media)
                    body, over = await _aread_capped(response, job.max_bytes * READ_SLACK, lines)
                    if over == "lines":
                        raise too_many(job.max_rows + 1, job)
                    if over:
                        raise too_big(len(body), job)
                    return body, ctype
        except TimeoutError:
            raise QueryTimeout(f"the query ran past its deadline of {job.timeout:g} s; narrow it "
                               "(fewer joins, a LIMIT) or ask for less") from None
        except httpx.TimeoutException as exc:
            raise QueryTimeout(f"the SPARQL server at {safe_url(self.endpoint)} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise RemoteUnavailable(f"the SPARQL server at {safe_url(self.endpoint)} cannot be reached: "
                                    f"{exc or type(exc).__name__}") from exc

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def _aread_capped(response: httpx.Response, limit: int, lines: int | None = None) -> tuple[bytes, str]:
    """At most `limit` bytes of the response and, when `lines` is given, at most that many complete
    lines; the second value says which was exceeded ('bytes', 'lines' or '')."""
    parts, size, newlines = [], 0, 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return b"".join(parts), "bytes"
        parts.append(chunk)
        if lines is not None:
            newlines += chunk.count(b"\n")
            if newlines > lines:
                return b"".join(parts), "lines"
    return b"".join(parts), ""


# --- publishing a release -------------------------------------------------------------------------

@dataclass
class PublishReport:
    release_id: str
    query_endpoint: str
    graphs: dict[str, int]
    dropped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: bool = False
    sent: list[str] = field(default_factory=list)     # graphs sent (the others were unchanged)

    @property
    def quads(self) -> int:
        return sum(self.graphs.values())

    def lines(self) -> list[str]:
        where = safe_url(self.query_endpoint)
        if self.skipped:
            return [f"{where} already holds release {self.release_id} ({self.quads} quads in "
                    f"{len(self.graphs)} graphs); nothing sent (--force sends it again)"]
        out = [f"published release {self.release_id} to {where}: {self.quads} quads in {len(self.graphs)} "
               f"graphs ({len(self.sent)} sent, the others unchanged), counts verified ({self.seconds:.1f} s)"]
        out += [f"  dropped {g}" for g in self.dropped]
        return out


def _gsp_request(client: httpx.Client, method: str, gsp: str, graph: str, **kwargs) -> httpx.Response:
    try:
        response = client.request(method, httpx.URL(gsp).copy_merge_params({"graph": graph}), **kwargs)
    except httpx.TransportError as exc:
        raise RemoteUnavailable(f"the Graph Store endpoint {safe_url(gsp)} cannot be reached: "
                                f"{exc or type(exc).__name__}") from exc
    if response.status_code >= 400 and not (method == "DELETE" and response.status_code == 404):
        raise PublishFailed(f"{method} {safe_url(gsp)}?graph={graph} was refused with {response.status_code}: "
                            f"{server_message(response.content) or '(no message)'}")
    return response


def _put_triples(client: httpx.Client, gsp: str, graph: str, triples: Iterable[ox.Triple]) -> int:
    """PUT a graph as N-Triples, written to a temporary file first (bounded memory, a Content-Length
    every server accepts); the number of triples sent."""
    count = 0
    with tempfile.TemporaryFile() as spool:
        batch: list[ox.Triple] = []
        for triple in triples:
            batch.append(triple)
            if len(batch) >= BATCH:
                spool.write(ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES))
                count += len(batch)
                batch.clear()
        if batch:
            spool.write(ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES))
            count += len(batch)
        spool.seek(0)
        _gsp_request(client, "PUT", gsp, graph, content=spool, headers={"Content-Type": N_TRIPLES})
    return count


def _select(client: httpx.Client, endpoint: str, text: str, dataset: list[tuple[str, str]]) -> list:
    body = _select_body(client, endpoint, text, dataset)
    return list(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))


def remote_counts(client: httpx.Client, endpoint: str, graphs: Iterable[str]) -> dict[str, int]:
    """Triples per graph on the server, for the given graphs (absent ones count 0)."""
    graphs = list(graphs)
    rows = _select(client, endpoint, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
                   [("default-graph-uri", EMPTY_GRAPH)] + [("named-graph-uri", g) for g in graphs])
    counts = {row["g"].value: int(row["n"].value) for row in rows}
    return {g: counts.get(g, 0) for g in graphs}


def remote_project_graphs(client: httpx.Client, endpoint: str, base: str) -> set[str]:
    """The non-empty graphs on the server under `<base>graph/` (the project's; others are not touched)."""
    prefix = json.dumps(f"{base}graph/")
    rows = _select(client, endpoint, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
                                     f"FILTER(STRSTARTS(STR(?g), {prefix})) }}", [])
    return {row["g"].value for row in rows}


def _literal(value, datatype: str | None = None) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype)) if datatype else ox.Literal(str(value))


def publication_triples(rel, graphs: Mapping[str, int], base: str, now: str, union: str = "",
                        union_size: int = 0, digests: Mapping[str, str] | None = None) -> list[ox.Triple]:
    """The publication graph: the release id, its size, when it was built and published, its graphs
    and the union graph, with their triple counts and digests (`graph_digest`)."""
    digests = digests or {}
    node = ox.NamedNode(publication_graph(base))
    n = ox.NamedNode
    triples = [ox.Triple(node, n(RDF_TYPE), n(SD + "Dataset")),
               ox.Triple(node, n(DCTERMS + "identifier"), _literal(rel.id)),
               ox.Triple(node, n(VOID + "triples"), _literal(sum(graphs.values()), "integer")),
               ox.Triple(node, n(VOID + "uriSpace"), _literal(base)),
               ox.Triple(node, n(DCTERMS + "modified"), _literal(now, "dateTime"))]
    if rel.manifest.get("created"):
        triples.append(ox.Triple(node, n(DCTERMS + "created"), _literal(rel.manifest["created"], "dateTime")))
    if rel.manifest.get("version"):
        triples.append(ox.Triple(node, n(OWL + "versionInfo"), _literal(rel.manifest["version"])))
    if union:
        triples += [ox.Triple(node, n(SD + "defaultGraph"), n(union)),
                    ox.Triple(n(union), n(VOID + "triples"), _literal(union_size, "integer"))]
        if union in digests:
            triples.append(ox.Triple(n(union), n(CHECKSUM), _literal(digests[union])))
    for graph, size in graphs.items():
        entry = ox.BlankNode()
        triples += [ox.Triple(node, n(SD + "namedGraph"), entry), ox.Triple(entry, n(SD + "name"), n(graph)),
                    ox.Triple(entry, n(VOID + "triples"), _literal(size, "integer"))]
        if graph in digests:
            triples.append(ox.Triple(entry, n(CHECKSUM), _literal(digests[graph])))
    return triples


def graph_digest(triples: Iterable[ox.Triple]) -> tuple[int, str]:
    """How many triples, and a digest of them as a set, independent of their order: the sum of the
    SHA-256 of each triple's N-Triples text, modulo 2^256 (computed while streaming, nothing kept)."""
    total = count = 0
    for triple in triples:
        total += int.from_bytes(hashlib.sha256(str(triple).encode("utf-8")).digest(), "big")
        count += 1
    return count, f"{total % (1 << 256):064x}"


def release_graphs(store: ox.Store) -> dict[str, int]:
    """Triples per named graph of a release's store."""
    for graph in store.named_graphs():
        if not isinstance(graph, ox.NamedNode):
            raise PublishFailed(f"the release has a graph named by a blank node ({graph}); the Graph Store "
                                "Protocol can only address graphs by IRI")
    rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return dict(sorted((row["g"].value, int(row["n"].value)) for row in rows))


def distinct_triples(store: ox.Store) -> int:
    """Triples of the release, each counted once however many graphs state it (the union graph's size)."""
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
    return int(next(iter(rows))["n"].value)


def union_triples(store: ox.Store) -> Iterator[ox.Triple]:
    """Every triple of the release's named graphs, once."""
    for row in store.query("SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"):
        yield ox.Triple(row["s"], row["p"], row["o"])


def publish(rel, gsp_endpoint: str, query_endpoint: str, *, timeout: float = 300.0, force: bool = False,
            union: bool = True, log: Callable[[str], None] = lambda _: None,
            client: httpx.Client | None = None) -> PublishReport:
    """Make the server hold `rel` (a `kg.release.Release`) and nothing else under `<base>graph/`.

    1. PUT the publishing marker `<base>graph/publishing` (which release is being loaded, since when);
    2. PUT every named graph of the release (N-Triples, blank nodes skolemized), one request each;
    3. PUT the union graph `<base>graph/union`, every triple of the release once (unless not `union`):
       the default graph of the service's queries, switched by this one request;
    4. compare every graph's triple count on the server with the release's: PublishFailed on a
       difference (the publication graph still names the previous release, the marker stays);
    5. PUT the publication graph `<base>graph/published` (release id, size, graphs with their counts
       and digests, the union graph): from here on the service's queries name the new graphs;
    6. DELETE the project's graphs the release does not have, then the marker; check the server's
       project graphs are exactly the release's.

    A graph whose digest and count are those the server's publication graph records (a completed
    publish) is not sent again; when nothing changed at all, nothing is written. `force` sends all."""
    started = time.monotonic()
    base = rel.manifest.get("base_iri", DEFAULT_BASE)
    pub, busy, all_graph = publication_graph(base), publishing_graph(base), union_graph(base)
    store = rel.open_store()
    if next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
        raise PublishFailed(f"release {rel.id} has triples in the default graph; a published release keeps "
                            "everything in named graphs")
    expected = release_graphs(store)
    reserved = {pub, busy, all_graph} & set(expected)
    if reserved:
        raise PublishFailed(f"release {rel.id} has a graph named {', '.join(sorted(reserved))}, a name "
                            "publishing uses for itself")
    skolem = Skolem(base)

    def triples_of(graph: str) -> Iterator[ox.Triple]:
        source = (union_triples(store) if graph == all_graph else
                  (ox.Triple(q.subject, q.predicate, q.object)
                   for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))))
        for t in source:
            yield ox.Triple(skolem.out(t.subject), t.predicate, skolem.out(t.object))

    own = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                                    headers={"User-Agent": USER_AGENT})
    try:
        text, dataset = release_query(base)
        info = None if force else read_release(_select_body(client, query_endpoint, text, dataset))
        checked, digests = {}, {}
        for graph in [*expected, *([all_graph] if union else [])]:
            checked[graph], digests[graph] = graph_digest(triples_of(graph))
        unchanged: set[str] = set()
        if info is not None and info.id and not info.publishing:
            held = remote_counts(client, query_endpoint, checked)
            recorded = {**info.graphs, **({info.union: held.get(info.union, -1)} if info.union else {})}
            unchanged = {g for g in checked if info.digests.get(g) == digests[g]
                         and recorded.get(g) == held[g] == checked[g]}
            if (unchanged == set(checked) and info.id == rel.id and info.union == (all_graph if union else "")
                    and set(info.graphs) == set(expected)
                    and remote_project_graphs(client, query_endpoint, base) - {pub} == set(checked)):
                return PublishReport(rel.id, query_endpoint, expected, seconds=time.monotonic() - started,
                                     skipped=True)
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        marker = ox.NamedNode(busy)
        _put_triples(client, gsp_endpoint, busy, [
            ox.Triple(marker, ox.NamedNode(DCTERMS + "identifier"), _literal(rel.id)),
            ox.Triple(marker, ox.NamedNode(PROV + "startedAtTime"), _literal(now, "dateTime"))])
        sent = [g for g in checked if g not in unchanged]     # the union graph last: one switch
        for graph in sent:
            count = _put_triples(client, gsp_endpoint, graph, triples_of(graph))
            log(f"PUT {graph}: {count} triples" + (" (the union)" if graph == all_graph else ""))
        counts = remote_counts(client, query_endpoint, checked)
        wrong = [f"{g}: {counts[g]} on the server, {n} in the release" for g, n in checked.items() if counts[g] != n]
        if wrong:
            raise PublishFailed(f"after loading release {rel.id}, the server at {safe_url(query_endpoint)} holds "
                                f"other triple counts than the release; the previous publication stays in place "
                                f"and <{busy}> marks the failed publish (`kg publish --force` sends everything "
                                f"again):\n  " + "\n  ".join(wrong))
        done = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        _put_triples(client, gsp_endpoint, pub, publication_triples(
            rel, expected, base, done, all_graph if union else "", checked.get(all_graph, 0), digests))
        log(f"PUT {pub}: release {rel.id}")
        stale = sorted(remote_project_graphs(client, query_endpoint, base) - set(checked) - {pub, busy})
        for graph in stale:
            _gsp_request(client, "DELETE", gsp_endpoint, graph)
            log(f"DELETE {graph}")
        _gsp_request(client, "DELETE", gsp_endpoint, busy)
        left = remote_project_graphs(client, query_endpoint, base) - {pub}
        if left != set(checked):
            raise PublishFailed(f"after publishing release {rel.id}, the server's graphs under {base}graph/ are not "
                                f"the release's: extra {sorted(left - set(checked))}, missing "
                                f"{sorted(set(checked) - left)}")
        return PublishReport(rel.id, query_endpoint, expected, stale, time.monotonic() - started, sent=sent)
    finally:
        if own:
            client.close()


def _select_body(client: httpx.Client, endpoint: str, text: str, dataset: list[tuple[str, str]]) -> bytes:
    form = urlencode([("query", text), *dataset]).encode("utf-8")
    try:
        response = client.post(endpoint, content=form, headers={"Accept": RESULTS_JSON, "Content-Type": FORM})
    except httpx.TransportError as exc:
        raise RemoteUnavailable(f"the SPARQL server at {safe_url(endpoint)} cannot be reached: "
                                f"{exc or type(exc).__name__}") from exc
    if response.status_code >= 400:
        raise refused(response.status_code, server_message(response.content), text, 0, endpoint)
    return response.content


def remote_release(query_endpoint: str, base: str = DEFAULT_BASE, timeout: float = 10.0) -> RemoteRelease | None:
    """What the server's publication graph says (None when nothing was published there)."""
    text, dataset = release_query(base)
    with httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT}) as client:
        return read_release(_select_body(client, query_endpoint, text, dataset))


def remote_release_id(query_endpoint: str, base: str = DEFAULT_BASE, timeout: float = 10.0) -> str | None:
    """The id of the release the server holds completely (its publication graph), None when none.
    While a publish runs the previous id is returned: `remote_release(...).publishing` says which."""
    info = remote_release(query_endpoint, base, timeout)
    return (info.id or None) if info is not None else None
