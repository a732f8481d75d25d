"""The app factory: `create_app(settings)` builds the service. Its lifespan opens the current
release (its read-only store for pages, its query engine for queries) and loads the named queries;
each request checks `build/current` and moves to a newer release when one was published."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from kg.config import Settings, from_env
from kg.release import directory
from kg.remote.backend import backend_for
from kg.sparql import execute, named
from kg.sparql.querying import Querying
from kg.version import __version__
from kg.web import errors, openapi
from kg.web.middleware import FollowReleases, RequestLimits, SecurityHeaders
from kg.web.routes import diff, dumps, explorer, home, mappings, resources, sparql, taxonomy, void
from kg.web.routes import queries as named_queries

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("kg.web")


async def open_release(app: FastAPI, settings: Settings) -> None:
    """Put the release in service: its query engine (started before it takes queries), its store,
    and what pages show often, on `app.state`. The engine it replaces finishes its running queries."""
    current = directory.current(settings)
    store, engine = backend_for(settings, current)
    await engine.start()
    if settings.sparql_endpoint and store.release().id != current.id:
        log.warning(
            "the SPARQL server holds release %s, this replica's files are release %s: "
            "run `kg publish` for the same release",
            store.release().id,
            current.id,
        )
    app.state.queries = named.load_all(named.folder(settings))
    app.state.graph_sizes = execute.graph_sizes(store)
    app.state.counts = home.counts(store)
    old_store = getattr(app.state, "store", None)
    app.state.release, app.state.store = current, store
    old = await app.state.querying.switch(engine, current.id)
    if old is not None:
        await old.close()
    if old_store is not None and hasattr(old_store, "close") and old_store is not store and settings.sparql_endpoint:
        old_store.close()


async def follow_release(app: FastAPI, settings: Settings) -> None:
    """Switch to a newer release when `build/current` moved (a `kg build` or import finished).

    Releases are immutable directories switched in by one rename, so comparing the link's target
    per request is enough; a request already running keeps the store and engine it started with.
    One switch at a time: requests arriving meanwhile are served by the release in service."""
    path = directory.current_path(settings)
    if path is None or path == app.state.release.path or app.state.switching.locked():
        return
    async with app.state.switching:
        if directory.current_path(settings) != app.state.release.path:
            await open_release(app, settings)


@dataclass(frozen=True)
class Extension:
    """Routes another interface adds to the service (the MCP server's /mcp), composed by the commands
    layer (`kg.cli`), and the context they run in while the service runs (entered in its lifespan)."""

    routes: Sequence[BaseRoute]
    running: Callable[[], AbstractAsyncContextManager[Any]]


Extend = Callable[[FastAPI], Extension]


class Service(FastAPI):
    """The FastAPI application, its OpenAPI description completed with the project's shared schemas."""

    def openapi(self) -> dict[str, Any]:
        return self.openapi_schema or openapi.complete(super().openapi())


def create_app(settings: Settings | None = None, extensions: Sequence[Extend] = ()) -> FastAPI:
    settings = settings or from_env()
    added: list[Extension] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.querying = Querying(settings)
        app.state.switching = asyncio.Lock()
        await open_release(app, settings)
        try:
            async with AsyncExitStack() as stack:
                for extension in added:
                    await stack.enter_async_context(extension.running())
                yield
        finally:
            engine = app.state.querying.engine
            if engine is not None:
                await engine.close()

    app = Service(
        title="AIRM-KG",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/-/openapi.json",
    )  # no docs pages: they would load their assets from a CDN
    app.state.settings = settings
    for error_type in (*errors.ERROR_TYPES, Exception):
        app.add_exception_handler(error_type, errors.handle)

    app.add_middleware(FollowReleases, follow=lambda app: follow_release(app, settings))
    app.add_middleware(RequestLimits, max_body=settings.max_query_bytes, max_url=settings.max_url_bytes)
    app.add_middleware(SecurityHeaders)
    # outermost (added last), so that every answer of the app has CORS, the limits' 413 and 414 too
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["Link", "Vary", "Retry-After", "X-Cache", "Server-Timing"],
        max_age=86400,
    )
    app.mount("/-/static", StaticFiles(directory=STATIC), name="static")
    for module in (home, sparql, named_queries, mappings, explorer):
        app.include_router(module.router)
    for extend in extensions:  # before resources, whose /{path} catches the rest
        added.append(extend(app))
        app.router.routes.extend(added[-1].routes)
    for module in (diff, dumps, void, taxonomy, resources):  # resources last: its /{path} catches the rest
        app.include_router(module.router)
    return app
