"""The service's query engine over a remote SPARQL 1.1 server (the `kg.sparql.engine.Engine` protocol):
each `Job` answered under its deadline, byte cap and row cap, written in the job's format by pyoxigraph."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

import httpx

from kg.errors import QueryError, QueryTimeout, RemoteError, RemoteUnavailable
from kg.namespaces import DEFAULT_BASE, PREFIXES
from kg.remote.protocol import (
    FORM,
    N_TRIPLES,
    RESULTS_JSON,
    USER_AGENT,
    RemoteRelease,
    Skolem,
    convert_answer,
    held_release,
    incomplete,
    media_format,
    prepare,
    protocol_dataset,
    refused,
    release_query,
    safe_url,
    server_message,
)
from kg.remote.store import RemoteStore
from kg.sparql import syntax
from kg.sparql.engine import Answer, Job, count_rows, parse_term, too_big, too_many

# The engine asks for line-per-row formats (rows counted while they arrive, the request dropped at
# the row cap) and writes the job's format itself, as the embedded engine does.
ENGINE_ACCEPT = (
    f"text/tab-separated-values, {RESULTS_JSON};q=0.8, application/sparql-results+xml;q=0.7, "
    f"{N_TRIPLES}, text/turtle;q=0.8, application/rdf+xml;q=0.5"
)
READ_SLACK = 2  # the server's format may be more verbose than the job's: read up to 2x its byte cap


class RemoteEngine:
    """The service's query engine over a remote SPARQL 1.1 server (the `kg.sparql.engine.Engine` protocol).

    A job's query is sent as the embedded engine would run it (`kg.sparql.execute.run_dataset`): project
    prefixes predeclared, `mtax:1.1.3` names escaped, its protocol dataset or else the union of the
    release's graphs, its substitutions bound with VALUES. The answer is asked for in the job's
    format, read within `job.timeout` and `job.max_bytes`, and counted against `job.max_rows`."""

    def __init__(
        self,
        endpoint: str,
        timeout: float = 10.0,
        *,
        base: str = DEFAULT_BASE,
        store: RemoteStore | None = None,
        max_connections: int = 64,
    ) -> None:
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
                timeout=httpx.Timeout(None, connect=min(self.timeout, 5.0)),
                headers={"User-Agent": USER_AGENT},
                limits=httpx.Limits(
                    max_connections=self.max_connections, max_keepalive_connections=self.max_connections
                ),
            )
        return self._client

    async def start(self) -> None:
        """Read which release the server holds (NoRelease when none): fail before taking queries."""
        await self.release()

    async def release(self) -> RemoteRelease:
        if self.store is not None:
            held = self.store._release  # read once already: no thread
            return held if held is not None else await asyncio.to_thread(self.store.release)
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
        return held_release(body, self.endpoint, self.base)

    async def run(self, job: Job) -> Answer:
        started = time.perf_counter()
        if syntax.is_update(job.query):
            raise QueryError("SPARQL Update is not sent to the server: the graph is read-only")
        info = await self.release()
        query = syntax.escape_dotted_names(job.query)
        terms = {name: self.skolem.out(parse_term(text)) for name, text in job.substitutions}
        text, offset = prepare(query, PREFIXES, terms)
        if job.default_graphs or job.named_graphs:
            dataset = protocol_dataset(
                info, query, default_graph=list(job.default_graphs), named_graphs=list(job.named_graphs)
            )
        else:
            dataset = protocol_dataset(info, query, union=not syntax.declares_dataset(query))
        body, ctype = await self._post(text, dataset, ENGINE_ACCEPT, job, query, offset)
        got = media_format(ctype, self.endpoint)
        if got.name == "csv":
            raise RemoteError(
                f"the SPARQL server at {safe_url(self.endpoint)} answered in CSV, which cannot be "
                "read back into RDF terms; it should support TSV or SPARQL JSON results"
            )
        want = job.result_format if got.kind == "results" else job.graph_result_format
        try:
            body = await asyncio.to_thread(convert_answer, body, got, want, self.skolem)
        except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
            raise RemoteError(
                f"the SPARQL server at {safe_url(self.endpoint)} sent an unreadable {got.media_type} answer: {exc}"
            ) from exc
        if len(body) > job.max_bytes:
            raise too_big(len(body), job)
        kind, rows = await asyncio.to_thread(count_rows, body, want)
        if rows > job.max_rows:
            raise too_many(rows, job)
        return Answer(body, want.media_type, kind, rows, time.perf_counter() - started)

    async def _post(
        self, text: str, dataset: list[tuple[str, str]], accept: str, job: Job, original: str, offset: int
    ) -> tuple[bytes, str]:
        """POST the query; the body (read within the job's deadline, at most READ_SLACK times its byte
        cap, stopped as soon as a line-per-row answer has more rows than its row cap) and its type."""
        form = urlencode([("query", text), *dataset]).encode("utf-8")
        try:
            async with asyncio.timeout(job.timeout):
                async with self.client.stream(
                    "POST", self.endpoint, content=form, headers={"Accept": accept, "Content-Type": FORM}
                ) as response:
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
            raise QueryTimeout(
                f"the query ran past its deadline of {job.timeout:g} s; narrow it "
                "(fewer joins, a LIMIT) or ask for less"
            ) from None
        except httpx.TimeoutException as exc:
            raise QueryTimeout(f"the SPARQL server at {safe_url(self.endpoint)} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise RemoteUnavailable(
                f"the SPARQL server at {safe_url(self.endpoint)} cannot be reached: {exc or type(exc).__name__}"
            ) from exc

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def _aread_capped(response: httpx.Response, limit: int, lines: int | None = None) -> tuple[bytes, str]:
    """At most `limit` bytes of the response and, when `lines` is given, at most that many complete
    lines; the second value says which was exceeded ('bytes', 'lines' or '')."""
    parts: list[bytes] = []
    size = newlines = 0
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
