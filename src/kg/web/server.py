"""`kg serve`: the service under uvicorn, on `settings.host`:`settings.port` (KG_HOST, KG_PORT), behind
the front door of `kg.web.front` (uvicorn's h11 protocol with a request-head timeout, a cap of
connections per client address and in all, and JSON answers with a clean close for request heads
past the limits); idle keep-alive connections are closed after `keep_alive` seconds.

uvicorn stays the server: the limits it lacks are a few methods on its own protocol class, which
it takes as a setting (`http=`), rather than a second server or a proxy in front that every
deployment would need."""

from __future__ import annotations

from collections.abc import Sequence

import uvicorn

from kg.config import Settings
from kg.release import directory
from kg.web.app import Extend, create_app
from kg.web.front import head_limit, protocol


def serve(settings: Settings, extensions: Sequence[Extend] = ()) -> None:
    directory.current(settings)  # NoRelease (exit 6, "run `kg build`") before binding the port
    uvicorn.run(
        create_app(settings, extensions),
        host=settings.host,
        port=settings.port,
        log_level="info",
        http=protocol(settings),
        # uvicorn annotates these two as int; it hands them to asyncio (call_later, wait_for): floats work
        timeout_keep_alive=settings.keep_alive,  # type: ignore[arg-type]
        h11_max_incomplete_event_size=head_limit(settings),
        timeout_graceful_shutdown=max(settings.query_timeout, 1.0),  # type: ignore[arg-type]
    )
