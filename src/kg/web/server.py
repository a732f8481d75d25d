"""`kg serve`: the service under uvicorn, on `settings.host`:`settings.port` (KG_HOST, KG_PORT)."""

from __future__ import annotations

import uvicorn

from kg import release
from kg.config import Settings
from kg.web.app import create_app


def serve(settings: Settings) -> None:
    release.current(settings)          # NoRelease (exit 6, "run `kg build`") before binding the port
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
