"""What the MCP tools read: the release in service, its store, the named queries and the one
`kg.sparql.querying.Querying` every query goes through (budget per client, gate, cache, deadline,
row and byte caps).

`Standalone` opens them itself for `kg mcp` (stdio) and follows `build/current` as the web service
does; in `kg serve` the commands layer hands over the web service's own (`Service` from its state),
so an MCP client and a `/sparql` client from one address share one budget."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from kg.config import Settings
from kg.describe import Describer
from kg.namespaces import DEFAULT_BASE
from kg.release import directory
from kg.remote.backend import backend_for
from kg.sparql import named
from kg.sparql.querying import Querying


@dataclass
class Service:
    settings: Settings
    release: directory.Release
    store: Any  # pyoxigraph.Store or kg.remote.store.RemoteStore
    querying: Querying
    queries: dict[str, named.NamedQuery]
    describers: dict[int, Describer] = field(default_factory=dict, repr=False)

    @property
    def base(self) -> str:
        return str(self.release.manifest.get("base_iri", DEFAULT_BASE))

    @property
    def describer(self) -> Describer:
        """A `Describer` of the store in service (kept while the store is)."""
        key = id(self.store)
        if key not in self.describers:
            self.describers.clear()
            self.describers[key] = Describer(self.store, self.base)
        return self.describers[key]


Source = Callable[[], Awaitable[Service]]


class Standalone:
    """The release, its engine and its `Querying`, opened by the MCP server itself (`kg mcp`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.querying = Querying(settings)
        self.service: Service | None = None
        self.switching = asyncio.Lock()
        self.describers: dict[int, Describer] = {}

    async def open(self) -> Service:
        current = directory.current(self.settings)
        store, engine = backend_for(self.settings, current)
        await engine.start()
        old = await self.querying.switch(engine, current.id)
        if old is not None:
            await old.close()
        queries = named.load_all(named.folder(self.settings))
        self.service = Service(self.settings, current, store, self.querying, queries, self.describers)
        return self.service

    async def current(self) -> Service:
        """The service, moved to a newer release when `build/current` moved since the last call."""
        async with self.switching:
            if self.service is None or directory.current_path(self.settings) != self.service.release.path:
                return await self.open()
            return self.service

    async def close(self) -> None:
        if self.querying.engine is not None:
            await self.querying.engine.close()
