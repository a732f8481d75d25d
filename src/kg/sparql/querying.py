"""Every query a service answers goes through here: the per-client budget, the gate, the result cache
and the engine (worker pool or remote server), in that order. One `Querying` serves the web service
(`kg.web.querying` names its clients by address) and the MCP server (`kg.mcp`): in `kg serve` both
share one, so a client's budget is the same whichever way it asks.

- **Cache.** The graph is read-only between releases, so an answer is a pure function of (release,
  job): answers are kept in an LRU bounded in bytes and dropped when the release changes. A hit costs
  no worker and no budget.
- **Budget.** Each client (a name the interface gives: an address, `stdio`) may spend
  `client_query_seconds` of engine time and `client_errors` failed queries per sliding minute; past
  either it gets 429 with Retry-After saying when it may try again.
- **Lanes.** A client that spent at least one deadline's worth of engine time in the last minute is
  *heavy*: heavy clients together may hold at most half of the workers, so the other half stays free
  for everyone else and ordinary queries keep their latency while abusive ones run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from kg.config import Settings
from kg.errors import Busy, KGError, NoRelease, OverBudget, QueryError, QueryTimeout, UpdateForbidden
from kg.sparql import gate, syntax
from kg.sparql.engine import Answer, Engine, Job
from kg.sparql.gate import Limits

WINDOW = 60.0


class HasBody(Protocol):
    """What a cache keeps: anything with a body (an `Answer`, a rendered page)."""

    @property
    def body(self) -> bytes: ...


Kept = TypeVar("Kept", bound=HasBody)


class ResultCache(Generic[Kept]):
    """Answers of one release, least recently used dropped first, at most `limit` bytes of bodies."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size = limit, 0
        self.entries: OrderedDict[tuple, Kept] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Kept | None:
        answer = self.entries.get(key)
        if answer is None:
            self.misses += 1
            return None
        self.entries.move_to_end(key)
        self.hits += 1
        return answer

    def put(self, key: tuple, answer: Kept) -> None:
        if len(answer.body) > self.limit // 4 or key in self.entries:
            return
        self.entries[key] = answer
        self.size += len(answer.body)
        while self.size > self.limit:
            _, dropped = self.entries.popitem(last=False)
            self.size -= len(dropped.body)

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0


@dataclass
class Spending:
    events: deque = field(default_factory=deque)  # (time, seconds, failed)
    seconds: float = 0.0
    errors: int = 0

    def forget_before(self, cutoff: float) -> None:
        while self.events and self.events[0][0] < cutoff:
            _, seconds, failed = self.events.popleft()
            self.seconds -= seconds
            self.errors -= failed


class Budgets:
    """Query seconds and errors per client over a sliding minute."""

    MAX_CLIENTS = 100_000

    def __init__(self, seconds: float, errors: int, window: float = WINDOW) -> None:
        self.seconds, self.errors, self.window = seconds, errors, window
        self.clients: OrderedDict[str, Spending] = OrderedDict()

    def _spending(self, client: str, now: float) -> Spending:
        spending = self.clients.get(client)
        if spending is None:
            spending = self.clients[client] = Spending()
            if len(self.clients) > self.MAX_CLIENTS:
                self.clients.popitem(last=False)
        self.clients.move_to_end(client)
        spending.forget_before(now - self.window)
        return spending

    def check(self, client: str) -> None:
        now = time.monotonic()
        spending = self._spending(client, now)
        if self.seconds > 0 and spending.seconds >= self.seconds:
            raise OverBudget(
                f"this client used {spending.seconds:.1f} s of query time in the last "
                f"{self.window:g} s, its budget is {self.seconds:g} s; wait, then send lighter queries",
                self._retry_after(spending, now, lambda s: s.seconds >= self.seconds),
            )
        if self.errors > 0 and spending.errors >= self.errors:
            raise OverBudget(
                f"this client sent {spending.errors} failing queries in the last {self.window:g} s "
                f"(at most {self.errors}); check the queries before sending more",
                self._retry_after(spending, now, lambda s: s.errors >= self.errors),
            )

    def _retry_after(self, spending: Spending, now: float, over) -> int:
        """Seconds until enough of the window's spending has expired to be under budget again."""
        probe = Spending(deque(spending.events), spending.seconds, spending.errors)
        for at, _, _ in spending.events:
            probe.forget_before(at + 1e-9)
            if not over(probe):
                return max(1, int(at + self.window - now + 0.999))
        return int(self.window)

    def seconds_spent(self, client: str) -> float:
        spending = self.clients.get(client)
        if spending is None:
            return 0.0
        spending.forget_before(time.monotonic() - self.window)
        return spending.seconds

    def spend(self, client: str, seconds: float, failed: bool) -> None:
        now = time.monotonic()
        spending = self._spending(client, now)
        spending.events.append((now, seconds, int(failed)))
        spending.seconds += seconds
        spending.errors += int(failed)


def client_of(peer: str | None, forwarded: str = "", trust_proxy: bool = False) -> str:
    """The budget's name for an HTTP client: its address, or with KG_TRUST_PROXY the last
    X-Forwarded-For hop."""
    if trust_proxy:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1]
    return peer or "unknown"


def limits_of(settings: Settings) -> Limits:
    return gate.limits_for(settings)


class Querying:
    """The service's one way to answer a query: budget, cache, engine."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cache = ResultCache[Answer](settings.result_cache_mb * 1024 * 1024)
        self.budgets = Budgets(settings.client_query_seconds, settings.client_errors)
        self.limits = limits_of(settings)
        self.engine: Engine | None = None
        self.release_id: str | None = None
        self.heavy_lane: asyncio.Semaphore | None = None

    async def switch(self, engine: Engine, release_id: str) -> Engine | None:
        """Serve from `engine` for `release_id` from now on; return the engine it replaces."""
        old, self.engine, self.release_id = self.engine, engine, release_id
        size = getattr(engine, "size", 0)
        self.heavy_lane = asyncio.Semaphore(max(1, size // 2)) if size > 1 else None
        self.cache.clear()
        return old

    def job(self, query: str, asked: str | float | None = None, **fields) -> Job:
        """A job with the service's caps and the deadline: the configured one, or less when the client
        asks (`timeout=`, seconds), never more."""
        timeout = self.settings.query_timeout
        if asked:
            try:
                timeout = min(timeout, max(0.1, float(asked)))
            except ValueError:
                raise QueryError(f"timeout={asked!r} is not a number of seconds") from None
        return Job(
            query=query,
            max_rows=self.settings.max_rows,
            max_bytes=self.settings.max_result_bytes,
            timeout=timeout,
            **fields,
        )

    def lane_of(self, client: str) -> asyncio.Semaphore | None:
        heavy = self.budgets.seconds_spent(client) >= self.settings.query_timeout
        return self.heavy_lane if heavy else None

    async def run_in_lane(self, lane: asyncio.Semaphore, engine: Engine, job: Job) -> Answer:
        started = time.monotonic()
        try:
            await asyncio.wait_for(lane.acquire(), timeout=job.timeout)
        except TimeoutError:
            raise Busy(
                "this client's recent queries were heavy and the workers heavy queries may use are "
                f"busy; try again in {job.timeout:g} s",
                retry_after=max(1, round(job.timeout)),
            ) from None
        try:
            remaining = max(0.1, job.timeout - (time.monotonic() - started))
            return await engine.run(dataclasses.replace(job, timeout=remaining))
        finally:
            lane.release()

    def check(self, client: str, text: str) -> None:
        """The gate (kg.sparql.gate) for a query's text; a refusal counts as one of the client's errors."""
        self.budgets.check(client)
        try:
            gate.check(text, self.limits)
        except KGError:
            self.budgets.spend(client, 0.0, failed=True)
            raise

    def admit(self, client: str, text: str) -> str:
        """A query's text before it becomes a job: refused when empty, an update (403), or by the gate
        (too large, nested or long, SERVICE: 400). Returns the text as SPARQL reads it (`\\u` escapes
        applied)."""
        if not text.strip():
            raise QueryError("the query is empty")
        plain = gate.unescape(text)
        if syntax.is_update(plain):
            raise UpdateForbidden()
        self.check(client, text)
        return plain

    async def run(self, client: str, job: Job) -> tuple[Answer, bool]:
        """The answer to `job` for `client`, and whether it came from the cache."""
        key = (self.release_id, job)
        cached = self.cache.get(key)
        if cached is not None:
            return cached, True
        self.budgets.check(client)
        started = time.monotonic()
        engine, lane = self.engine, self.lane_of(client)
        if engine is None:
            raise NoRelease("no release in service yet: queries are answered once one is open (Querying.switch)")
        try:
            if lane is None:
                answer = await engine.run(job)
            else:
                answer = await self.run_in_lane(lane, engine, job)
        except Busy:
            raise  # the service's state, not the client's doing
        except KGError as exc:
            spent = job.timeout if isinstance(exc, QueryTimeout) else time.monotonic() - started
            self.budgets.spend(client, spent, failed=True)
            raise
        self.budgets.spend(client, answer.elapsed, failed=False)
        if engine is self.engine:
            self.cache.put(key, answer)
        return answer, False
