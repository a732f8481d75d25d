"""What every route reads from the application's state (`app.state`, set by `kg.web.app`): where the
app is mounted, the base IRI of the release in service, and the `Describer` of its store."""

from __future__ import annotations

from starlette.requests import Request

from kg.describe import Describer
from kg.namespaces import DEFAULT_BASE


def root(request: Request) -> str:
    """The path the app is mounted at ('' at the top)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def base_iri(request: Request) -> str:
    """The base IRI of the release in service (a release may be built with another than the default)."""
    return str(request.app.state.release.manifest.get("base_iri", DEFAULT_BASE))


def describer(request: Request) -> Describer:
    """The app's Describer for the store in service (made on first use, kept with the store)."""
    state = request.app.state
    current = getattr(state, "describer", None)
    if current is None or current.store is not state.store:
        current = state.describer = Describer(state.store, base_iri(request), root(request))
    return current
