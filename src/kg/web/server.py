"""`kg serve`: the service under uvicorn, on `settings.host`:`settings.port` (KG_HOST, KG_PORT), with
connection limits: at most `max_connections` at once (more get 503), idle keep-alive connections closed
after `keep_alive` seconds, and a request head no longer than the URL cap plus 16 KiB of headers."""

from __future__ import annotations

from collections.abc import Sequence

import uvicorn

from kg.config import Settings
from kg.release import directory
from kg.web.app import Extend, create_app


def serve(settings: Settings, extensions: Sequence[Extend] = ()) -> None:
    directory.current(settings)  # NoRelease (exit 6, "run `kg build`") before binding the port
    uvicorn.run(
        create_app(settings, extensions),
        host=settings.host,
        port=settings.port,
        log_level="info",
        limit_concurrency=settings.max_connections,
        # uvicorn annotates these two as int; it hands them to asyncio (call_later, wait_for): floats work
        timeout_keep_alive=settings.keep_alive,  # type: ignore[arg-type]
        h11_max_incomplete_event_size=settings.max_url_bytes + 16 * 1024,
        timeout_graceful_shutdown=max(settings.query_timeout, 1.0),  # type: ignore[arg-type]
    )
