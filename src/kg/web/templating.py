"""The Jinja2 templates of the HTML pages and what every page is given."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from kg.version import __version__
from kg.web.representations import Alternate, link_header
from kg.web.state import root

TEMPLATES = Path(__file__).parent / "templates"
_templates = Jinja2Templates(directory=str(TEMPLATES))


def page(
    request: Request,
    template: str,
    context: dict,
    alternates: Sequence[Alternate] = (),
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """An HTML page that links its other formats (`<link rel="alternate">` and `Link:`)."""
    release = getattr(request.app.state, "release", None)
    base = {
        "request": request,
        "root": root(request),
        "alternates": list(alternates),
        "release_id": release.id if release else "",
        "version": __version__,
    }
    headers = {"Vary": "Accept", **(headers or {})}
    link = link_header(alternates)
    if link:
        headers["Link"] = link
    return _templates.TemplateResponse(request, template, {**base, **context}, status_code=status, headers=headers)
