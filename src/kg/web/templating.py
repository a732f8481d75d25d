"""The Jinja2 templates of the HTML pages and what every page is given."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from kg import __version__
from kg.web.representations import Alternate, link_header

TEMPLATES = Path(__file__).parent / "templates"
_templates = Jinja2Templates(directory=str(TEMPLATES))


def root(request: Request) -> str:
    """The path the app is mounted at ('' at the top)."""
    return request.scope.get("root_path", "").rstrip("/")


def page(request: Request, template: str, context: dict, alternates: list[Alternate] = (),
         status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """An HTML page that links its other formats (`<link rel="alternate">` and `Link:`)."""
    release = getattr(request.app.state, "release", None)
    base = {"request": request, "root": root(request), "alternates": list(alternates),
            "release_id": release.id if release else "", "version": __version__}
    headers = {"Vary": "Accept", **(headers or {})}
    link = link_header(alternates)
    if link:
        headers["Link"] = link
    return _templates.TemplateResponse(request, template, {**base, **context}, status_code=status,
                                       headers=headers)


def error_page(request: Request, error: dict, headers: dict[str, str]) -> HTMLResponse:
    """The HTML form of an error; the query page again when a SPARQL query was being answered."""
    query = getattr(request.state, "sparql_query", None)
    if query is not None:
        from kg.web.routes.sparql import editor_context
        context = {**editor_context(request, query), "error": error, "title": error["title"]}
        return page(request, "sparql.html", context, status=error["status"], headers=headers)
    return page(request, "error.html", {"error": error, "title": error["title"]},
                status=error["status"], headers=headers)
