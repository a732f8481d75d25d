"""The app factory: `create_app(settings)` builds the service; its lifespan opens the current
release's store once (read-only) and loads the named queries."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles

from kg import __version__, queries, release
from kg.config import Settings, from_env
from kg.web import description, errors
from kg.web.routes import home, queries as named_queries, sparql
from kg.web.routes import diff, dumps, mappings, resources, taxonomy, void

STATIC = Path(__file__).parent / "static"


def open_release(app: FastAPI, settings: Settings) -> None:
    """Put the release in service, its store, and what pages show often, on `app.state`."""
    current = release.current(settings)
    app.state.release = current
    app.state.store = current.open_store()
    app.state.queries = queries.load_all(queries.directory(settings))
    app.state.graph_sizes = description.graph_sizes(app.state.store)
    app.state.counts = home.counts(app.state.store)


def follow_release(app: FastAPI, settings: Settings) -> None:
    """Switch to a newer release when `build/current` moved (a `kg build` or import finished).

    Releases are immutable directories switched in by one rename, so comparing the link's target
    per request is enough; a request already running keeps the store it started with."""
    path = release.current_path(settings)
    if path is not None and path != app.state.release.path:
        open_release(app, settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        open_release(app, settings)
        yield

    app = FastAPI(title="AIRM-KG", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)   # their pages would load assets from a CDN
    app.state.settings = settings
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
                       allow_headers=["*"], expose_headers=["Link", "Vary"], max_age=86400)
    for error_type in errors.ERROR_TYPES:
        app.add_exception_handler(error_type, errors.handle)

    @app.middleware("http")
    async def serve_the_newest_release(request, call_next):
        follow_release(app, settings)
        return await call_next(request)

    app.mount("/-/static", StaticFiles(directory=STATIC), name="static")
    for module in (home, sparql, named_queries, mappings):
        app.include_router(module.router)
    for module in (diff, dumps, void, taxonomy, resources):   # resources last: its /{path} catches the rest
        app.include_router(module.router)
    return app
