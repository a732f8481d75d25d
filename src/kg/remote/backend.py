"""The store and the query engine a service reads a release with: a remote SPARQL server when one is
configured (KG_SPARQL_ENDPOINT, docs/deployment.md), else the release's own store and worker
processes. The web service (`kg.web.app`) and the MCP server (`kg.mcp`) open releases through here."""

from __future__ import annotations

from kg.config import Settings
from kg.release.directory import Release
from kg.remote.engine import RemoteEngine
from kg.remote.store import RemoteStore
from kg.sparql import workers


def backend_for(settings: Settings, current: Release):
    """(store, engine) for `current`; the engine is started by the caller (`await engine.start()`)."""
    if settings.sparql_endpoint:
        base = current.manifest.get("base_iri", settings.base_iri)
        store = RemoteStore(
            settings.sparql_endpoint, settings.query_timeout, base=base, max_bytes=settings.max_result_bytes
        )
        return store, RemoteEngine(settings.sparql_endpoint, settings.query_timeout, base=base, store=store)
    return current.open_store(), workers.Pool(
        current.dump_path("nquads"),
        workers.default_size(settings.query_workers),
        settings.query_queue,
        settings.worker_memory_mb,
    )
