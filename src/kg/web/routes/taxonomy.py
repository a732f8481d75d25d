"""The browsable vocabularies: `/vocab/` lists every concept scheme with its size; each scheme's own
IRI (`/vocab/mitigation-taxonomy`, served by `resources.py`) shows its tree with counts."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kg.web import representations as reps
from kg.web.errors import confined
from kg.web.state import describer
from kg.web.templating import page

router = APIRouter()


@router.api_route("/vocab/", methods=["GET", "HEAD"])
@confined
def schemes(request: Request) -> Response:
    d = describer(request)
    reps.choose((reps.HTML,), request.headers.get("accept"))
    entries = []
    for scheme in d.schemes():
        tree = d.tree(scheme.value)
        entries.append({"scheme": scheme, "top": tree, "concepts": sum(1 for t in tree for _ in t.walk())})
    return page(request, "vocabularies.html", {"title": "Vocabularies", "entries": entries})
