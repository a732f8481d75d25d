"""The Jinja2 templates of the HTML pages and what every page is given."""

from __future__ import annotations

import re
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
# Unicode's explicit directional formatting characters: embeddings, overrides (U+202E) and isolates
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
RAW_TEXT = ("title", "textarea", "script", "style")  # their text is no markup: <bdi> would show as text


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
    response = _templates.TemplateResponse(request, template, {**base, **context}, status_code=status, headers=headers)
    html = bytes(response.body).decode("utf-8")
    if BIDI_CONTROLS.search(html):
        response.body = isolate_bidi(html).encode("utf-8")
        response.headers["content-length"] = str(len(response.body))
    return response


def isolate_bidi(html: str) -> str:
    """Every run of text that holds a directional control character, in its own `<bdi>`: a right-to-left
    override in a name then turns at most its own text around, never the page's text after it. Text of
    raw-text elements (title, textarea) and attribute values are left alone (they are not laid out
    as the page's text). Tags are found by `<...>`: the templates escape `<` and `>` in every value."""
    parts = re.split(r"(<[^>]*>)", html)
    raw: str | None = None
    for i, part in enumerate(parts):
        if part.startswith("<"):
            name = re.match(r"</?([a-zA-Z0-9]+)", part)
            tag = name.group(1).lower() if name else ""
            if raw is None and tag in RAW_TEXT and not part.startswith("</"):
                raw = tag
            elif raw == tag and part.startswith("</"):
                raw = None
        elif raw is None and BIDI_CONTROLS.search(part):
            parts[i] = f"<bdi>{part}</bdi>"
    return "".join(parts)
