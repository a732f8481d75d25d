"""/diff: what changed between two releases (`kg diff` as a page), and which releases there are.

    /diff                         the releases (versions) and a form to pick two
    /diff?old=X&new=Y             the changes from X to Y (version, release id or "current";
                                  new defaults to current), as HTML, JSON, Turtle (Changeset
                                  vocabulary) or plain text, by Accept or ?format=
    /diff/X/Y                     the same (the IRI kg:diff/X/Y that `kg diff --format turtle` names)

Include this router before `resources` (whose /{path} catches everything else).
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kg.errors import NoRelease
from kg.formats import lookup
from kg.release import diff as diffs
from kg.release import directory as releases
from kg.release import stamp
from kg.web import representations as reps
from kg.web.templating import page

router = APIRouter()
TURTLE = reps.of_format(lookup("turtle"))
TEXT = reps.Representation("text", "text/plain", "txt", "Text", ("text", "txt", "text/plain"), ("text/plain",))


def listing(settings) -> list[dict]:
    out = []
    current = releases.current_path(settings)
    for rel in reversed(releases.all_releases(settings)):
        if rel.manifest.get("version") or rel.path.resolve() == current:
            out.append(
                {
                    "id": rel.id,
                    "version": rel.manifest.get("version"),
                    "label": stamp.label(rel),
                    "created": rel.manifest.get("created"),
                    "quads": rel.manifest.get("quads"),
                    "current": rel.path.resolve() == current,
                }
            )
    return out


@router.api_route("/diff/{old}/{new}", methods=["GET", "HEAD"])
def diff_path(request: Request, old: str, new: str) -> Response:
    return diff_page(request, old, new)


@router.api_route("/diff", methods=["GET", "HEAD"])
def diff_page(request: Request, old: str = "", new: str = "current") -> Response:
    settings = request.app.state.settings
    known = listing(settings)
    offers = (reps.HTML, reps.JSON, TURTLE, TEXT) if old else (reps.HTML, reps.JSON)
    rep = reps.choose(offers, request.headers.get("accept"), request.query_params.getlist("format"))
    if not old:
        if rep is reps.JSON:
            return JSONResponse({"releases": known}, headers={"Vary": "Accept"})
        return page(
            request,
            "diff.html",
            {"title": "Changes between releases", "releases": known, "old": "", "new": new, "changes": None},
            reps.alternates(request.url, (reps.JSON,), "releases"),
        )
    try:
        changes = diffs.diff(old, new, settings)
    except NoRelease as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    if rep is reps.JSON:
        return JSONResponse(changes.as_dict(), headers={"Vary": "Accept"})
    if rep is TURTLE:
        return Response(changes.turtle(), media_type=TURTLE.media_type, headers={"Vary": "Accept"})
    if rep is TEXT:
        return Response(
            "\n".join(changes.lines()) + "\n", media_type="text/plain; charset=utf-8", headers={"Vary": "Accept"}
        )
    return page(
        request,
        "diff.html",
        {
            "title": f"Changes from {changes.old_name} to {changes.new_name}",
            "releases": known,
            "old": old,
            "new": new,
            "changes": changes,
        },
        reps.alternates(request.url, (reps.JSON, TURTLE, TEXT), "changes"),
    )
