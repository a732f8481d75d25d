"""How every error becomes a response: the ONE handler of the service, which renders every error
(the types are in `kg.errors`) in one shape:

    {"error": {"status": 400, "title": "Bad Request", "detail": "malformed query: error at 1:25: ..."}}

as JSON, or as an HTML page when a browser asks (the query page again when a query was given).
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from http import HTTPStatus
from typing import ParamSpec, TypeVar

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from kg.errors import KGError
from kg.web import negotiate
from kg.web.editor import editor_context
from kg.web.templating import page

ERROR_TYPES = (KGError, HTTPException, RequestValidationError)
log = logging.getLogger("kg.web")
P = ParamSpec("P")
R = TypeVar("R")


def confined(function: Callable[P, R]) -> Callable[P, R]:
    """For endpoints that run in a worker thread with pyoxigraph results: an exception leaving them
    has the local variables of its frames cleared there, because pyoxigraph's result objects must be
    dropped on the thread that made them (the handler runs on another)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            seen: BaseException | None = exc
            while seen is not None:
                traceback.clear_frames(seen.__traceback__)
                seen = seen.__cause__ or seen.__context__
            raise

    return wrapper


def status_of(exc: Exception) -> int:
    if isinstance(exc, KGError):
        return exc.http_status
    if isinstance(exc, HTTPException):
        return exc.status_code
    return 400 if isinstance(exc, RequestValidationError) else 500


def detail_of(exc: Exception) -> str:
    if not isinstance(exc, ERROR_TYPES):  # a bug of ours: logged in full, never shown
        log.error("unhandled error", exc_info=exc)
        return "internal error: the request could not be answered; it has been logged"
    if isinstance(exc, HTTPException):
        return str(exc.detail)
    if isinstance(exc, RequestValidationError):
        return "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in exc.errors())
    return str(exc)


def problem(status: int, detail: str) -> dict:
    return {"error": {"status": status, "title": HTTPStatus(status).phrase, "detail": detail}}


def headers_of(exc: Exception) -> dict[str, str]:
    headers = {"Vary": "Accept"}
    allow = getattr(exc, "allow", None) or (getattr(exc, "headers", None) or {}).get("Allow")
    if allow:
        headers["Allow"] = allow
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after))
    return headers


def wants_html(request: Request) -> bool:
    offers = [("json", ["application/json", "application/problem+json"]), ("html", ["text/html"])]
    return negotiate.choose(request.headers.get("accept"), offers) == "html"


async def handle(request: Request, exc: Exception) -> Response:
    """The one exception handler: every error of the service goes through here."""
    status = status_of(exc)
    body, headers = problem(status, detail_of(exc)), headers_of(exc)
    if wants_html(request) and request.method != "HEAD":
        return error_page(request, body["error"], headers)
    return JSONResponse(body, status_code=status, headers=headers)


def error_page(request: Request, error: dict, headers: dict[str, str]) -> Response:
    """The HTML form of an error; the query page again when a SPARQL query was being answered."""
    query = getattr(request.state, "sparql_query", None)
    if query is not None:
        context = {**editor_context(request, query), "error": error, "title": error["title"]}
        return page(request, "sparql.html", context, status=error["status"], headers=headers)
    return page(
        request, "error.html", {"error": error, "title": error["title"]}, status=error["status"], headers=headers
    )
