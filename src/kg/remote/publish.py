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
from typing import cast
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from kg.errors import PublishFailed, RemoteUnavailable
from kg.namespaces import DEFAULT_BASE, NS
from kg.remote.protocol import (
    CHECKSUM,
    EMPTY_GRAPH,
    FORM,
    N_TRIPLES,
    RDF_TYPE,
    RESULTS_JSON,
    USER_AGENT,
    RemoteRelease,
    Skolem,
    json_solutions,
    publication_graph,
    publishing_graph,
    read_release,
    refused,
    release_query,
    safe_url,
    server_message,
    union_graph,
)
from kg.sparql.execute import GRAPH_SIZES, graph_sizes, solutions

BATCH = 20_000  # triples serialised at a time while writing a graph for upload


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


def _gsp_request(client: httpx.Client, method: str, gsp: str, graph: str, **kwargs) -> httpx.Response:
    try:
        response = client.request(method, httpx.URL(gsp).copy_merge_params({"graph": graph}), **kwargs)
    except httpx.TransportError as exc:
        raise RemoteUnavailable(
            f"the Graph Store endpoint {safe_url(gsp)} cannot be reached: {exc or type(exc).__name__}"
        ) from exc
    if response.status_code >= 400 and not (method == "DELETE" and response.status_code == 404):
        raise PublishFailed(
            f"{method} {safe_url(gsp)}?graph={graph} was refused with {response.status_code}: "
            f"{server_message(response.content) or '(no message)'}"
        )
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
                spool.write(cast(bytes, ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES)))  # no output: bytes
                count += len(batch)
                batch.clear()
        if batch:
            spool.write(cast(bytes, ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES)))
            count += len(batch)
        spool.seek(0)
        _gsp_request(client, "PUT", gsp, graph, content=spool, headers={"Content-Type": N_TRIPLES})
    return count


def _select(client: httpx.Client, endpoint: str, text: str, dataset: list[tuple[str, str]]) -> list:
    body = _select_body(client, endpoint, text, dataset)
    return list(json_solutions(body))


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
        self, rel, gsp: str, endpoint: str, client: httpx.Client, union: bool, log: Callable[[str], None]
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
        return remote_project_graphs(self.client, self.endpoint, self.base)

    def load(self, graphs: list[str]) -> None:
        """The publishing marker, then each graph (the union graph last: one switch)."""
        marker = ox.NamedNode(self.busy)
        _put_triples(
            self.client,
            self.gsp,
            self.busy,
            [
                ox.Triple(marker, ox.NamedNode(NS.dcterms + "identifier"), _literal(self.rel.id)),
                ox.Triple(marker, ox.NamedNode(NS.prov + "startedAtTime"), _literal(now_iso(), "dateTime")),
            ],
        )
        for graph in graphs:
            count = _put_triples(self.client, self.gsp, graph, self.triples_of(graph))
            self.log(f"PUT {graph}: {count} triples" + (" (the union)" if graph == self.union else ""))

    def verify(self) -> None:
        counts = remote_counts(self.client, self.endpoint, self.checked)
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
        _put_triples(
            self.client,
            self.gsp,
            self.pub,
            publication_triples(
                self.rel, self.expected, self.base, now_iso(), self.union, self.checked.get(self.union, 0), self.digests
            ),
        )
        self.log(f"PUT {self.pub}: release {self.rel.id}")
        stale = sorted(self.project_graphs() - set(self.checked) - {self.pub, self.busy})
        for graph in stale:
            _gsp_request(self.client, "DELETE", self.gsp, graph)
            self.log(f"DELETE {graph}")
        _gsp_request(self.client, "DELETE", self.gsp, self.busy)
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
    publish) is not sent again; when nothing changed at all, nothing is written. `force` sends all."""
    started = time.monotonic()
    own = client is None
    client = client or httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), headers={"User-Agent": USER_AGENT}
    )
    try:
        job = Publication(rel, gsp_endpoint, query_endpoint, client, union, log)
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
        response = client.post(endpoint, content=form, headers={"Accept": RESULTS_JSON, "Content-Type": FORM})
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
