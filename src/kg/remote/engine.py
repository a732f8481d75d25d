"""The service's query engine over a remote SPARQL 1.1 server (the `kg.sparql.engine.Engine` protocol):
each `Job` answered under its deadline, byte cap and row cap, written in the job's format by pyoxigraph."""

from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import urlencode

import httpx

from kg.errors import QueryError, QueryTimeout, RemoteError, RemoteUnavailable
from kg.namespaces import DEFAULT_BASE, PREFIXES
from kg.remote.protocol import (
    FORM,
    N_TRIPLES,
    RESULTS_JSON,
    SELECT_ACCEPT,
    USER_AGENT,
    RemoteRelease,
    Skolem,
    accept_for,
    convert_answer,
    dialect_of,
    for_server,
    held_release,
    incomplete,
    media_format,
    prepare,
    protocol_dataset,
    refused,
    release_query,
    safe_url,
    server_deadline,
    server_message,
    server_row_cap,
)
from kg.remote.store import RemoteStore
from kg.sparql import syntax
from kg.sparql.engine import Answer, Job, count_rows, parse_term, too_big, too_many

# The engine asks for SPARQL JSON results or N-Triples (`accept_for`): rows are counted while they
# arrive (`RowCounter`) and the request is dropped at the row cap; it writes the job's format itself,
# as the embedded engine does.
_VARS = re.compile(rb'"vars"\s*:\s*\[([^\]]*)\]')
READ_SLACK = 3  # the server's format may be more verbose than the job's: read up to 3x its byte cap


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
        self.dialect = ""  # "virtuoso" once a Virtuoso server answered (its Server header)

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
        body, _ = await self._post(text, dataset, SELECT_ACCEPT, Job(text, timeout=self.timeout), text, 0)
        return held_release(body, self.endpoint, self.base)

    async def run(self, job: Job) -> Answer:
        started = time.perf_counter()
        if syntax.is_update(job.query):
            raise QueryError("SPARQL Update is not sent to the server: the graph is read-only")
        info = await self.release()
        query = syntax.escape_dotted_names(job.query)
        terms = {name: self.skolem.out(parse_term(text)) for name, text in job.substitutions}
        text, offset = prepare(query, PREFIXES, terms)
        text = for_server(text, self.dialect)
        if job.default_graphs or job.named_graphs:
            dataset = protocol_dataset(
                info, query, default_graph=list(job.default_graphs), named_graphs=list(job.named_graphs)
            )
        else:
            dataset = protocol_dataset(info, query, union=not syntax.declares_dataset(query))
        body, ctype = await self._post(text, dataset, accept_for(query), job, query, offset)
        got = media_format(ctype, self.endpoint)
        if got.name == "csv":
            raise RemoteError(
                f"the SPARQL server at {safe_url(self.endpoint)} answered in CSV, which cannot be "
                "read back into RDF terms; it should support TSV or SPARQL JSON results"
            )
        want = job.result_format if got.kind == "results" else job.graph_result_format
        try:
            bound = terms if self.dialect == "virtuoso" else None
            body = await asyncio.to_thread(convert_answer, body, got, want, self.skolem, bound)
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
        cap, stopped as soon as an XML or N-Triples answer has more rows than its row cap) and its type.
        A Virtuoso server is given the job's deadline and row cap too (`server_deadline`, `server_row_cap`)."""
        bounds = server_deadline(self.dialect, job.timeout) + server_row_cap(self.dialect, text, job.max_rows + 1)
        form = urlencode([("query", text), *dataset, *bounds]).encode("utf-8")
        try:
            async with asyncio.timeout(job.timeout):
                async with self.client.stream(
                    "POST", self.endpoint, content=form, headers={"Accept": accept, "Content-Type": FORM}
                ) as response:
                    self.dialect = dialect_of(response.headers)
                    if response.status_code >= 400:
                        chunk, _ = await _aread_capped(response, 64_000)
                        raise refused(response.status_code, server_message(chunk), original, offset, self.endpoint)
                    error = incomplete(response.headers, self.endpoint)
                    if error is not None:
                        raise error
                    ctype = response.headers.get("content-type", "")
                    media = ctype.split(";")[0].strip().lower()
                    counter = RowCounter(media, job.max_rows)
                    body, over = await _aread_capped(response, job.max_bytes * READ_SLACK, counter)
                    if over == "rows":
                        raise too_many(job.max_rows + 1, job)
                    if over:
                        raise too_big(len(body), job)
                    return body, ctype
        except TimeoutError:
            raise QueryTimeout(
                f"the query did not finish within {job.timeout:g} s and was given up (a Virtuoso server "
                "stops it too); narrow it (fewer joins, a LIMIT, a more selective pattern)"
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


class RowCounter:
    """Tells, while an answer arrives, whether it has more rows than `cap`: N-Triples by its lines;
    SPARQL JSON results by their terms (`"type"` keys), since a row has at most one term per variable
    of the head: more terms than `cap` times the variables is more rows than `cap`. Other formats are
    counted once read."""

    def __init__(self, media: str, cap: int) -> None:
        self.media, self.cap = media, cap
        self.limit: int | None = cap if media == N_TRIPLES else None
        self.seen = 0
        self.head = self.tail = b""

    def over(self, chunk: bytes) -> bool:
        if self.media == N_TRIPLES:
            self.seen += chunk.count(b"\n")
            return self.seen > self.cap
        if self.media != RESULTS_JSON:
            return False
        if self.limit is None:  # the head's variables first
            self.head += chunk
            found = _VARS.search(self.head)
            if found is None:
                if len(self.head) > 65_536:
                    self.media = ""  # no head where it should be: counted once read
                return False
            self.limit = self.cap * max(1, found[1].count(b'"') // 2)
            chunk, self.head = self.head[found.end() :], b""
        text = self.tail + chunk
        self.seen += text.count(b'"type"')
        self.tail = text[-5:]  # shorter than the key: nothing counted twice
        return self.seen > self.limit


async def _aread_capped(response: httpx.Response, limit: int, counter: RowCounter | None = None) -> tuple[bytes, str]:
    """At most `limit` bytes of the response and, with a `counter`, no more rows than its cap; the
    second value says which was exceeded ('bytes', 'rows' or '')."""
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return b"".join(parts), "bytes"
        parts.append(chunk)
        if counter is not None and counter.over(chunk):
            return b"".join(parts), "rows"
    return b"".join(parts), ""
