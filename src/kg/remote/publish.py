"""`kg publish`: load a release into a remote SPARQL server over the Graph Store Protocol, verify it, and
say which release the server holds (the publication graph); see `publish` for the steps."""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar, cast
from urllib.parse import unquote, urlencode

import httpx
import pyoxigraph as ox

from kg.errors import PublishFailed, QueryTimeout, RemoteUnavailable
from kg.namespaces import DEFAULT_BASE, NS
from kg.remote.protocol import (
    CHECKSUM,
    EMPTY_GRAPH,
    FORM,
    N_TRIPLES,
    RDF_TYPE,
    SELECT_ACCEPT,
    USER_AGENT,
    RemoteRelease,
    Skolem,
    publication_graph,
    publishing_graph,
    read_release,
    read_solutions,
    refused,
    release_query,
    safe_url,
    server_message,
    union_graph,
)
from kg.sparql.execute import GRAPH_SIZES, graph_sizes, solutions

T = TypeVar("T")
BATCH = 20_000  # triples serialised at a time while writing a graph for upload
CHUNK_BYTES = 32_000_000  # N-Triples sent in one request at most (KG_PUBLISH_CHUNK_BYTES; see docs/deployment.md)


@dataclass
class PublishReport:
    release_id: str
    query_endpoint: str
    graphs: dict[str, int]
    dropped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: bool = False
    sent: list[str] = field(default_factory=list)  # graphs sent (the others were unchanged)

    @property
    def quads(self) -> int:
        return sum(self.graphs.values())

    def lines(self) -> list[str]:
        where = safe_url(self.query_endpoint)
        if self.skipped:
            return [
                f"{where} already holds release {self.release_id} ({self.quads} quads in "
                f"{len(self.graphs)} graphs); nothing sent (--force sends it again)"
            ]
        out = [
            f"published release {self.release_id} to {where}: {self.quads} quads in {len(self.graphs)} "
            f"graphs ({len(self.sent)} sent, the others unchanged), counts verified ({self.seconds:.1f} s)"
        ]
        out += [f"  dropped {g}" for g in self.dropped]
        return out


class ChallengeAuth(httpx.Auth):
    """HTTP Basic or Digest authentication for the Graph Store endpoint: the one `scheme` names, or
    with `scheme="auto"` the one the server's first `WWW-Authenticate` challenge asks for (Virtuoso's
    `/sparql-graph-crud-auth` asks for Digest). The first request goes without credentials; once a
    challenge was answered, later requests carry them at once (Digest: with the server's nonce)."""

    def __init__(self, user: str, password: str, scheme: str = "auto") -> None:
        if scheme not in ("auto", "basic", "digest"):
            raise PublishFailed(f"KG_GSP_AUTH must be auto, basic or digest, not {scheme!r}")
        self.basic, self.digest = httpx.BasicAuth(user, password), httpx.DigestAuth(user, password)
        self.chosen: httpx.Auth | None = {"basic": self.basic, "digest": self.digest}.get(scheme)

    def __repr__(self) -> str:
        return f"<ChallengeAuth {type(self.chosen).__name__ if self.chosen else 'auto'}>"  # no credentials

    def auth_flow(self, request: httpx.Request):
        if self.chosen is None:
            response = yield request
            if response.status_code != 401:
                return
            challenge = response.headers.get("www-authenticate", "").strip().lower()
            self.chosen = self.digest if challenge.startswith("digest") else self.basic
        yield from self.chosen.auth_flow(request)


def gsp_auth(url: str, user: str = "", password: str = "", scheme: str = "auto") -> tuple[str, httpx.Auth | None]:
    """The Graph Store endpoint without credentials, and the authentication its requests carry: the
    user and password of the URL (`http://user:secret@host/...`), else `user` and `password`."""
    parts = httpx.URL(url)
    if parts.username or parts.password:
        user, password = unquote(parts.username), unquote(parts.password)
    if not user and not password:
        return url, None
    return safe_url(url), ChallengeAuth(user, password, scheme)


class Rewindable:
    """A spooled request body that can be sent again (an authentication challenge answered) and whose
    length is known (a Content-Length every server accepts)."""

    def __init__(self, spool) -> None:
        self.spool = spool
        self.size = spool.seek(0, 2)

    def __iter__(self) -> Iterator[bytes]:
        self.spool.seek(0)
        while chunk := self.spool.read(1 << 16):
            yield chunk


@dataclass
class GraphStore:
    """A Graph Store Protocol endpoint: its URL (without credentials), the client and authentication
    its requests use, and the most bytes of N-Triples sent in one request (`chunk_bytes`)."""

    url: str
    client: httpx.Client
    auth: httpx.Auth | None = None
    chunk_bytes: int = CHUNK_BYTES

    def request(self, method: str, graph: str, **kwargs) -> httpx.Response:
        target = httpx.URL(self.url).copy_merge_params({"graph": graph})
        try:
            response = self.client.request(method, target, auth=self.auth or httpx.USE_CLIENT_DEFAULT, **kwargs)
        except httpx.TransportError as exc:
            raise RemoteUnavailable(
                f"the Graph Store endpoint {safe_url(self.url)} cannot be reached: {exc or type(exc).__name__}"
            ) from exc
        if response.status_code >= 400 and not (method == "DELETE" and response.status_code == 404):
            hint = " (check the user and password: KG_GSP_USER, KG_GSP_PASSWORD)" if response.status_code == 401 else ""
            raise PublishFailed(
                f"{method} {safe_url(self.url)}?graph={graph} was refused with {response.status_code}{hint}: "
                f"{server_message(response.content) or '(no message)'}"
            )
        return response

    def send(self, method: str, graph: str, spool) -> None:
        body = Rewindable(spool)
        headers = {"Content-Type": N_TRIPLES, "Content-Length": str(body.size)}
        self.request(method, graph, content=body, headers=headers)

    def put(self, graph: str, triples: Iterable[ox.Triple]) -> int:
        """Replace a graph by `triples` (N-Triples, spooled to a temporary file: bounded memory): one PUT,
        or for a graph larger than `chunk_bytes` a PUT of its first chunk and a POST (add) of each
        further one. The number of triples sent."""
        count, method = 0, "PUT"
        spool = tempfile.TemporaryFile()
        try:
            batch: list[ox.Triple] = []
            size = max(1, min(BATCH, self.chunk_bytes // 200))  # N-Triples lines are ~100-200 bytes
            for triple in triples:
                batch.append(triple)
                if len(batch) >= size:
                    spool.write(cast(bytes, ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES)))  # bytes
                    count += len(batch)
                    batch.clear()
                    if spool.tell() >= self.chunk_bytes:
                        self.send(method, graph, spool)
                        spool.close()
                        spool, method = tempfile.TemporaryFile(), "POST"
            if batch:
                spool.write(cast(bytes, ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES)))
                count += len(batch)
            if method == "PUT" or spool.tell():
                self.send(method, graph, spool)
        finally:
            spool.close()
        return count


def patiently(read: Callable[[], T], tries: int = 4) -> T:
    """`read()` again (after 1, 2, 3 s) while the server says it timed out: right after a large load,
    Virtuoso may answer a count with "SR171: Transaction timed out" while it commits."""
    for attempt in range(tries):
        try:
            return read()
        except QueryTimeout:
            if attempt == tries - 1:
                raise
            time.sleep(1 + attempt)
    raise AssertionError("unreachable")


def _select(client: httpx.Client, endpoint: str, text: str, dataset: list[tuple[str, str]]) -> list:
    body = _select_body(client, endpoint, text, dataset)
    return list(read_solutions(body))


def remote_counts(client: httpx.Client, endpoint: str, graphs: Iterable[str]) -> dict[str, int]:
    """Triples per graph on the server, for the given graphs (absent ones count 0)."""
    graphs = list(graphs)
    rows = _select(
        client, endpoint, GRAPH_SIZES, [("default-graph-uri", EMPTY_GRAPH)] + [("named-graph-uri", g) for g in graphs]
    )
    counts = {row["g"].value: int(row["n"].value) for row in rows}
    return {g: counts.get(g, 0) for g in graphs}


def remote_project_graphs(client: httpx.Client, endpoint: str, base: str) -> set[str]:
    """The non-empty graphs on the server under `<base>graph/` (the project's; others are not touched)."""
    prefix = json.dumps(f"{base}graph/")
    rows = _select(
        client,
        endpoint,
        f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), {prefix})) }}",
        [],
    )
    return {row["g"].value for row in rows}


def _literal(value, datatype: str | None = None) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(NS.xsd + datatype)) if datatype else ox.Literal(str(value))


def publication_triples(
    rel,
    graphs: Mapping[str, int],
    base: str,
    now: str,
    union: str = "",
    union_size: int = 0,
    digests: Mapping[str, str] | None = None,
) -> list[ox.Triple]:
    """The publication graph: the release id, its size, when it was built and published, its graphs
    and the union graph, with their triple counts and digests (`graph_digest`)."""
    digests = digests or {}
    node = ox.NamedNode(publication_graph(base))
    n = ox.NamedNode
    triples = [
        ox.Triple(node, n(RDF_TYPE), n(NS.sd + "Dataset")),
        ox.Triple(node, n(NS.dcterms + "identifier"), _literal(rel.id)),
        ox.Triple(node, n(NS.void + "triples"), _literal(sum(graphs.values()), "integer")),
        ox.Triple(node, n(NS.void + "uriSpace"), _literal(base)),
        ox.Triple(node, n(NS.dcterms + "modified"), _literal(now, "dateTime")),
    ]
    if rel.manifest.get("created"):
        triples.append(ox.Triple(node, n(NS.dcterms + "created"), _literal(rel.manifest["created"], "dateTime")))
    if rel.manifest.get("version"):
        triples.append(ox.Triple(node, n(NS.owl + "versionInfo"), _literal(rel.manifest["version"])))
    if union:
        triples += [
            ox.Triple(node, n(NS.sd + "defaultGraph"), n(union)),
            ox.Triple(n(union), n(NS.void + "triples"), _literal(union_size, "integer")),
        ]
        if union in digests:
            triples.append(ox.Triple(n(union), n(CHECKSUM), _literal(digests[union])))
    for graph, size in graphs.items():
        entry = ox.BlankNode()
        triples += [
            ox.Triple(node, n(NS.sd + "namedGraph"), entry),
            ox.Triple(entry, n(NS.sd + "name"), n(graph)),
            ox.Triple(entry, n(NS.void + "triples"), _literal(size, "integer")),
        ]
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
            raise PublishFailed(
                f"the release has a graph named by a blank node ({graph}); the Graph Store "
                "Protocol can only address graphs by IRI"
            )
    return dict(sorted(graph_sizes(store).items()))


def distinct_triples(store: ox.Store) -> int:
    """Triples of the release, each counted once however many graphs state it (the union graph's size)."""
    rows = solutions(
        store.query("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
    )
    return int(next(iter(rows))["n"].value)


def union_triples(store: ox.Store) -> Iterator[ox.Triple]:
    """Every triple of the release's named graphs, once."""
    for row in solutions(store.query("SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")):
        yield ox.Triple(row["s"], row["p"], row["o"])


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Publication:
    """One `kg publish` of a release to a server: its graphs, the triples each is sent as (blank nodes
    skolemized), and the steps of `publish`, each a method."""

    def __init__(
        self, rel, gsp: GraphStore, endpoint: str, client: httpx.Client, union: bool, log: Callable[[str], None]
    ) -> None:
        self.rel, self.gsp, self.endpoint, self.client, self.log = rel, gsp, endpoint, client, log
        self.base = rel.manifest.get("base_iri", DEFAULT_BASE)
        self.pub, self.busy = publication_graph(self.base), publishing_graph(self.base)
        self.union = union_graph(self.base) if union else ""
        self.store = rel.open_store()
        self.skolem = Skolem(self.base)
        self.expected = self.release_graphs()
        self.checked: dict[str, int] = {}  # graph (and the union graph) -> triples
        self.digests: dict[str, str] = {}

    def release_graphs(self) -> dict[str, int]:
        """The release's graphs with their sizes; PublishFailed for a release that cannot be published."""
        if next(iter(self.store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
            raise PublishFailed(
                f"release {self.rel.id} has triples in the default graph; a published release "
                "keeps everything in named graphs"
            )
        expected = release_graphs(self.store)
        reserved = {self.pub, self.busy, union_graph(self.base)} & set(expected)
        if reserved:
            raise PublishFailed(
                f"release {self.rel.id} has a graph named {', '.join(sorted(reserved))}, a name "
                "publishing uses for itself"
            )
        return expected

    def triples_of(self, graph: str) -> Iterator[ox.Triple]:
        source = (
            union_triples(self.store)
            if graph == self.union
            else (
                ox.Triple(q.subject, q.predicate, q.object)
                for q in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            )
        )
        for t in source:
            yield ox.Triple(self.skolem.out(t.subject), t.predicate, self.skolem.out(t.object))

    def digest(self) -> None:
        for graph in [*self.expected, *([self.union] if self.union else [])]:
            self.checked[graph], self.digests[graph] = graph_digest(self.triples_of(graph))

    def held(self) -> RemoteRelease | None:
        text, dataset = release_query(self.base)
        return read_release(_select_body(self.client, self.endpoint, text, dataset))

    def unchanged(self, info: RemoteRelease | None) -> set[str]:
        """The graphs the server holds already, as a completed publish of the same triples left them."""
        if info is None or not info.id or info.publishing:
            return set()
        held = remote_counts(self.client, self.endpoint, self.checked)
        recorded = {**info.graphs, **({info.union: held.get(info.union, -1)} if info.union else {})}
        return {
            g
            for g in self.checked
            if info.digests.get(g) == self.digests[g] and recorded.get(g) == held[g] == self.checked[g]
        }

    def nothing_to_do(self, info: RemoteRelease | None, unchanged: set[str]) -> bool:
        return (
            info is not None
            and unchanged == set(self.checked)
            and info.id == self.rel.id
            and info.union == self.union
            and set(info.graphs) == set(self.expected)
            and self.project_graphs() - {self.pub} == set(self.checked)
        )

    def project_graphs(self) -> set[str]:
        return patiently(lambda: remote_project_graphs(self.client, self.endpoint, self.base))

    def load(self, graphs: list[str]) -> None:
        """The publishing marker, then each graph (the union graph last: one switch)."""
        marker = ox.NamedNode(self.busy)
        self.gsp.put(
            self.busy,
            [
                ox.Triple(marker, ox.NamedNode(NS.dcterms + "identifier"), _literal(self.rel.id)),
                ox.Triple(marker, ox.NamedNode(NS.prov + "startedAtTime"), _literal(now_iso(), "dateTime")),
            ],
        )
        for graph in graphs:
            count = self.gsp.put(graph, self.triples_of(graph))
            self.log(f"PUT {graph}: {count} triples" + (" (the union)" if graph == self.union else ""))

    def verify(self) -> None:
        counts = patiently(lambda: remote_counts(self.client, self.endpoint, self.checked))
        wrong = [
            f"{g}: {counts[g]} on the server, {n} in the release" for g, n in self.checked.items() if counts[g] != n
        ]
        if wrong:
            raise PublishFailed(
                f"after loading release {self.rel.id}, the server at {safe_url(self.endpoint)} "
                f"holds other triple counts than the release; the previous publication stays in "
                f"place and <{self.busy}> marks the failed publish (`kg publish --force` sends "
                f"everything again):\n  " + "\n  ".join(wrong)
            )

    def commit(self) -> list[str]:
        """The publication graph, then the stale graphs and the marker dropped; the graphs dropped."""
        self.gsp.put(
            self.pub,
            publication_triples(
                self.rel, self.expected, self.base, now_iso(), self.union, self.checked.get(self.union, 0), self.digests
            ),
        )
        self.log(f"PUT {self.pub}: release {self.rel.id}")
        stale = sorted(self.project_graphs() - set(self.checked) - {self.pub, self.busy})
        for graph in stale:
            self.gsp.request("DELETE", graph)
            self.log(f"DELETE {graph}")
        self.gsp.request("DELETE", self.busy)
        left = self.project_graphs() - {self.pub}
        if left != set(self.checked):
            raise PublishFailed(
                f"after publishing release {self.rel.id}, the server's graphs under "
                f"{self.base}graph/ are not the release's: extra {sorted(left - set(self.checked))}, "
                f"missing {sorted(set(self.checked) - left)}"
            )
        return stale


def publish(
    rel,
    gsp_endpoint: str,
    query_endpoint: str,
    *,
    timeout: float = 300.0,
    force: bool = False,
    union: bool = True,
    log: Callable[[str], None] = lambda _: None,
    client: httpx.Client | None = None,
    user: str = "",
    password: str = "",
    auth: str = "auto",
    chunk_bytes: int = CHUNK_BYTES,
) -> PublishReport:
    """Make the server hold `rel` (a `kg.release.directory.Release`) and nothing else under `<base>graph/`.

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
    publish) is not sent again; when nothing changed at all, nothing is written. `force` sends all.
    The Graph Store requests authenticate with the URL's user and password, else `user` and
    `password`, by HTTP Basic or Digest (`auth`: auto, basic or digest; see `ChallengeAuth`); a
    graph larger than `chunk_bytes` of N-Triples is sent in several requests (`GraphStore.put`)."""
    started = time.monotonic()
    own = client is None
    client = client or httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), headers={"User-Agent": USER_AGENT}
    )
    try:
        url, credentials = gsp_auth(gsp_endpoint, user, password, auth)
        job = Publication(rel, GraphStore(url, client, credentials, chunk_bytes), query_endpoint, client, union, log)
        info = None if force else job.held()
        job.digest()
        unchanged = job.unchanged(info)
        if job.nothing_to_do(info, unchanged):
            return PublishReport(rel.id, query_endpoint, job.expected, seconds=time.monotonic() - started, skipped=True)
        sent = [g for g in job.checked if g not in unchanged]
        job.load(sent)
        job.verify()
        stale = job.commit()
        return PublishReport(rel.id, query_endpoint, job.expected, stale, time.monotonic() - started, sent=sent)
    finally:
        if own:
            client.close()


def _select_body(client: httpx.Client, endpoint: str, text: str, dataset: list[tuple[str, str]]) -> bytes:
    form = urlencode([("query", text), *dataset]).encode("utf-8")
    try:
        response = client.post(endpoint, content=form, headers={"Accept": SELECT_ACCEPT, "Content-Type": FORM})
    except httpx.TransportError as exc:
        raise RemoteUnavailable(
            f"the SPARQL server at {safe_url(endpoint)} cannot be reached: {exc or type(exc).__name__}"
        ) from exc
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
