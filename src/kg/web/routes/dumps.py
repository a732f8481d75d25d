"""`/-/dumps`: the current release's files (dumps, the JSON-LD context and shapes) with size and
sha256 from its manifest; `/-/dumps/{name}` streams one (ETag = its sha256), with a
`Content-Disposition` naming the file. `/context.jsonld` is the JSON-LD context at its stable IRI
(`<base>context.jsonld`)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from kg.rdf import jsonld
from kg.web import representations as reps
from kg.web.state import base_iri
from kg.web.templating import page, root

router = APIRouter()


def files(request: Request) -> list[dict]:
    """The manifest's file entries, each with its download URL."""
    release = request.app.state.release
    return [{**f, "url": f"{root(request)}/-/dumps/{f['name']}"} for f in release.manifest.get("files", [])]


@router.api_route("/-/dumps", methods=["GET", "HEAD"])
def listing(request: Request) -> Response:
    rep = reps.choose((reps.HTML, reps.JSON), request.headers.get("accept"), request.query_params.getlist("format"))
    release = request.app.state.release
    entries = files(request)
    if rep is reps.JSON:
        return JSONResponse(
            {"release": release.id, "version": release.manifest.get("version", release.id), "files": entries},
            headers={"Vary": "Accept"},
        )
    links = reps.alternates(request.url, (reps.JSON,), "dumps")
    return page(request, "dumps.html", {"title": "Dumps", "files": entries, "manifest": release.manifest}, links)


@router.api_route("/-/dumps/{name}", methods=["GET", "HEAD"])
def download(request: Request, name: str) -> Response:
    entry = next((f for f in request.app.state.release.manifest.get("files", []) if f["name"] == name), None)
    if entry is None:
        raise HTTPException(404, f"no file {name!r} in release {request.app.state.release.id}; see /-/dumps")
    etag = f'"{entry["sha256"]}"'
    headers = {"ETag": etag, "X-Checksum-SHA256": entry["sha256"], "Cache-Control": "public, max-age=3600"}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    response = FileResponse(
        request.app.state.release.path / name, media_type=entry["media_type"], filename=name, headers=headers
    )
    response.headers["etag"] = etag
    return response


@router.api_route("/context.jsonld", methods=["GET", "HEAD"])
def context(request: Request) -> Response:
    """The JSON-LD context of the ontology and vocabularies (the same bytes as the release's
    `context.jsonld`)."""
    etag = f'"{request.app.state.release.id}-context"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(jsonld.context_document(base_iri(request)), media_type="application/ld+json", headers=headers)
