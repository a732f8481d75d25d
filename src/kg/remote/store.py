"""`RemoteStore`: a read-only stand-in for `pyoxigraph.Store` over the SPARQL 1.1 Protocol, with exactly
what the pages and `kg.describe` use (see the class)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from kg.errors import KGError, QueryError, QueryTimeout, RemoteError, RemoteUnavailable, ResultTooLarge
from kg.namespaces import DEFAULT_BASE, NS
from kg.remote.protocol import (
    FORM,
    SELECT_ACCEPT,
    USER_AGENT,
    RemoteRelease,
    Skolem,
    accept_for,
    as_query_triples,
    deskolemized_solutions,
    dialect_of,
    for_server,
    from_dialect,
    graph_iri,
    held_release,
    incomplete,
    media_format,
    prepare,
    protocol_dataset,
    read_release,
    read_solutions,
    refused,
    release_query,
    safe_url,
    server_deadline,
    server_message,
    substitution_terms,
    triples_of,
)
from kg.sparql import syntax

PROBE_SECONDS = 1.5  # how long /-/health keeps the server's state (`RemoteStore.probe`)
SUBJECT_LIMIT = 2_000  # quads of one subject kept in the subject cache (larger ones: asked per pattern)

# What a page shows for every linked resource (kg.describe.LABELS and NOTATION): indexed at first use.
INDEXED = tuple(
    ox.NamedNode(p)
    for p in (
        "http://www.w3.org/2004/02/skos/core#prefLabel",
        "http://www.w3.org/2000/01/rdf-schema#label",
        "http://xmlns.com/foaf/0.1/name",
        NS.dcterms + "title",
        "http://www.w3.org/2004/02/skos/core#notation",
    )
)


# --- names --------------------------------------------------------------------------------------


# --- query text ---------------------------------------------------------------------------------


# --- the dataset the server holds --------------------------------------------------------------


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

    def __init__(
        self,
        endpoint: str,
        timeout: float = 10.0,
        *,
        base: str = DEFAULT_BASE,
        max_bytes: int = 64_000_000,
        max_connections: int = 32,
        cache_quads: int = 500_000,
        indexed: Iterable[ox.NamedNode] = INDEXED,
        client: httpx.Client | None = None,
    ) -> None:
        self.endpoint, self.timeout, self.base, self.max_bytes = endpoint, timeout, base, max_bytes
        self.skolem = Skolem(base)
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )
        self.cache_quads, self.indexed = cache_quads, frozenset(indexed)
        self._release: RemoteRelease | None = None
        self.dialect = ""  # "virtuoso" once a Virtuoso server answered (its Server header)
        self._probe: tuple[float, dict] | None = None  # (when, what) of the last `probe`
        self._probe_lock = threading.Lock()
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        with self._lock:
            self._index: dict | None = None  # predicate -> subject -> quads
            self._index_size = 0
            self._subjects: OrderedDict = OrderedDict()  # subject -> quads (None: more than SUBJECT_LIMIT)
            self._subject_size = 0

    def __repr__(self) -> str:
        return f"<RemoteStore {safe_url(self.endpoint)}>"

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> RemoteStore:
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
        body, _ = self._request(text, dataset, SELECT_ACCEPT, text, 0)
        return held_release(body, self.endpoint, self.base)

    def probe(self) -> dict:
        """The server's state for `/-/health`: whether it answers, which release it holds, the round
        trip in seconds; asked at most once per PROBE_SECONDS (the answer is kept that long)."""
        kept = self._probe
        if kept is not None and time.monotonic() - kept[0] < PROBE_SECONDS:
            return kept[1]
        with self._probe_lock:
            kept = self._probe
            if kept is not None and time.monotonic() - kept[0] < PROBE_SECONDS:
                return kept[1]
            state: dict = {"endpoint": safe_url(self.endpoint)}
            started = time.perf_counter()
            try:
                text, dataset = release_query(self.base)
                info = read_release(self._request(text, dataset, SELECT_ACCEPT, text, 0)[0])
                state |= {"reachable": True, "release": info.id or None if info else None}
                if info is not None:
                    state |= {"triples": info.quads, "publishing": info.publishing or None}
            except KGError as exc:
                state |= {"reachable": False, "error": str(exc)}
            state["seconds"] = round(time.perf_counter() - started, 4)
            self._probe = (time.monotonic(), state)
            return state

    @property
    def graphs(self) -> tuple[str, ...]:
        return self.release().graph_names

    # -- HTTP --------------------------------------------------------------------------------------
    def _request(
        self, text: str, dataset: list[tuple[str, str]], accept: str, original: str, offset: int
    ) -> tuple[bytes, str]:
        """POST one query; the whole body and its content type, or the mapped error (a Virtuoso server is
        given the deadline too, `server_deadline`)."""
        form = urlencode([("query", text), *dataset, *server_deadline(self.dialect, self.timeout)]).encode("utf-8")
        deadline = time.monotonic() + self.timeout
        try:
            with self.client.stream(
                "POST", self.endpoint, content=form, headers={"Accept": accept, "Content-Type": FORM}
            ) as response:
                self.dialect = dialect_of(response.headers)
                if response.status_code >= 400:
                    message = server_message(_read_capped(response.iter_bytes(), 64_000, deadline)[0])
                    raise refused(response.status_code, message, original, offset, self.endpoint)
                error = incomplete(response.headers, self.endpoint)
                if error is not None:
                    raise error
                body, over = _read_capped(response.iter_bytes(), self.max_bytes, deadline)
                if over:
                    raise ResultTooLarge(
                        f"the answer of the SPARQL server is larger than {self.max_bytes:,} "
                        "bytes, the most this service reads for one page"
                    )
                return body, response.headers.get("content-type", "")
        except httpx.TimeoutException as exc:
            raise QueryTimeout(
                f"the SPARQL server at {safe_url(self.endpoint)} did not answer within {self.timeout:g} s"
            ) from exc
        except httpx.TransportError as exc:
            raise RemoteUnavailable(
                f"the SPARQL server at {safe_url(self.endpoint)} cannot be reached: {exc or type(exc).__name__}"
            ) from exc
        except _Late:
            raise QueryTimeout(
                f"the SPARQL server at {safe_url(self.endpoint)} did not finish its answer within {self.timeout:g} s"
            ) from None

    def _select_quads(
        self, pattern: tuple, graphs: tuple[str, ...], graph: str | None = None, limit: int | None = None
    ) -> list[ox.Quad]:
        """The quads matching (s, p, o) — None or a pyoxigraph term each — in `graphs` (or `graph`)."""
        names = ("s", "p", "o")
        for name, term in zip(names, pattern):
            if term is not None and not isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal, ox.Triple)):
                raise TypeError(f"{name} must be a pyoxigraph term or None, not {type(term).__name__}")
        where = " ".join(str(self.skolem.out(t)) if t is not None else f"?{n}" for n, t in zip(names, pattern))
        free = [n for n, t in zip(names, pattern) if t is None] + ([] if graph else ["g"])
        text = (
            f"SELECT {' '.join('?' + n for n in free) or '*'} WHERE {{ GRAPH {f'<{graph}>' if graph else '?g'} "
            f"{{ {where} }} }}" + (f" LIMIT {limit}" if limit else "")
        )
        body, _ = self._request(
            text, [("named-graph-uri", g) for g in ((graph,) if graph else graphs)], SELECT_ACCEPT, text, 0
        )
        fixed_graph = ox.NamedNode(graph) if graph else None
        back = self.skolem.back
        quads = []
        for row in read_solutions(body):
            s, p, o = (term if term is not None else back(row[n]) for n, term in zip(names, pattern))
            quads.append(ox.Quad(s, p, o, fixed_graph or row["g"]))
        return quads

    def _label_index(self) -> dict | None:
        """predicate -> subject -> quads for the `indexed` predicates (None when over the budget)."""
        if self._index is None and self.indexed:
            values = " ".join(str(p) for p in self.indexed)
            text = f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?p {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
            body, _ = self._request(text, [("named-graph-uri", g) for g in self.graphs], SELECT_ACCEPT, text, 0)
            index: dict = {p: {} for p in self.indexed}
            back, size = self.skolem.back, 0
            for row in read_solutions(body):
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
            return iter(())  # the release keeps everything in named graphs
        graph = None
        if graph_name is not None:
            graph = graph_iri(graph_name)
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
        return iter(
            [
                q
                for q in quads
                if (predicate is None or q.predicate == predicate)
                and (object is None or q.object == object)
                and (wanted is None or q.graph_name == wanted)
            ]
        )

    def query(
        self,
        query: str,
        *,
        base_iri: str | None = None,
        use_default_graph_as_union: bool = False,
        default_graph=None,
        named_graphs=None,
        substitutions=None,
        prefixes: Mapping[str, str] | None = None,
        **unsupported,
    ):
        """Run a query on the server with the dataset `pyoxigraph.Store.query` would use for the same
        arguments; the result as pyoxigraph objects (QuerySolutions, QueryBoolean or QueryTriples)."""
        if unsupported:
            raise TypeError(f"RemoteStore.query does not support {', '.join(sorted(unsupported))}")
        if syntax.is_update(query):
            raise QueryError("a RemoteStore is read-only: SPARQL Update is not sent")
        dataset = protocol_dataset(
            self.release(),
            query,
            union=use_default_graph_as_union,
            default_graph=default_graph,
            named_graphs=named_graphs,
        )
        terms = substitution_terms(substitutions, self.skolem)
        text, offset = prepare(query, prefixes, terms, base_iri)
        text = for_server(text, self.dialect)
        body, ctype = self._request(text, dataset, accept_for(query), query, offset)
        fmt = media_format(ctype, self.endpoint)
        try:
            if fmt.kind == "results":
                body = from_dialect(body)
                if terms and self.dialect == "virtuoso":  # VALUES-bound variables: their exact terms
                    parsed = ox.parse_query_results(body, format=fmt.results_format)
                    return deskolemized_solutions(parsed, self.skolem, terms)
                if fmt.name == "json":
                    body = self.skolem.json_results(body)
                    return ox.parse_query_results(body, format=fmt.results_format)
                return deskolemized_solutions(ox.parse_query_results(body, format=fmt.results_format), self.skolem)
            return as_query_triples(self.skolem.back(t) for t in triples_of(body, fmt))
        except (SyntaxError, ValueError) as exc:
            raise RemoteError(
                f"the SPARQL server at {safe_url(self.endpoint)} sent an unreadable {fmt.media_type} answer: {exc}"
            ) from exc

    def __len__(self) -> int:
        """Quads in the release's graphs on the server (counted there; the publication graph has the
        count the publish verified, `release().quads`, without a scan)."""
        text = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        body, _ = self._request(text, [("named-graph-uri", g) for g in self.graphs], SELECT_ACCEPT, text, 0)
        row = next(iter(read_solutions(body)))
        return int(row["n"].value)

    def __iter__(self) -> Iterator[ox.Quad]:
        """Every quad of the release (one query: mind `max_bytes` on large graphs)."""
        return self.quads_for_pattern(None, None, None)

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        return iter([ox.NamedNode(g) for g in self.graphs])

    def contains_named_graph(self, graph) -> bool:
        return graph_iri(graph) in self.graphs


class _Late(Exception):
    """The deadline passed while the body was still coming."""


def _read_capped(chunks: Iterable[bytes], limit: int, deadline: float | None = None) -> tuple[bytes, bool]:
    """At most `limit` bytes of `chunks` (and whether there were more); _Late past `deadline`."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            return b"".join(parts), True
        parts.append(chunk)
        if deadline is not None and time.monotonic() > deadline:
            raise _Late()
    return b"".join(parts), False


# --- the engine ---------------------------------------------------------------------------------


# --- publishing a release -------------------------------------------------------------------------
