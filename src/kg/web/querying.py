"""The web's side of `kg.sparql.querying.Querying` (budget, gate, cache, lanes, engine): which client a
request is, the deadline it asks for (`timeout=`), and whether its answer came from the cache
(`request.state.cache`, shown as `X-Cache`). The one `Querying` is `app.state.querying`."""

from __future__ import annotations

from starlette.requests import Request

from kg.sparql.engine import Answer, Job
from kg.sparql.querying import Querying, client_of


def of(request: Request) -> Querying:
    return request.app.state.querying


def client(request: Request) -> str:
    """The budget's name for the request's client (its address; with KG_TRUST_PROXY the last hop)."""
    peer = request.client.host if request.client else None
    return client_of(peer, request.headers.get("x-forwarded-for", ""), of(request).settings.trust_proxy)


def check(request: Request, text: str) -> None:
    """The gate for a query's text, counted against the request's client."""
    of(request).check(client(request), text)


def admit(request: Request, text: str) -> str:
    """A query's text through `Querying.admit` (empty, update, the gate), counted against the client."""
    return of(request).admit(client(request), text)


def job(request: Request, query: str, **fields) -> Job:
    """A job with the service's caps and the deadline the request asks for (`timeout=`), never more."""
    return of(request).job(query, request.query_params.get("timeout"), **fields)


async def run(request: Request, job: Job) -> Answer:
    answer, hit = await of(request).run(client(request), job)
    request.state.cache = "hit" if hit else "miss"
    return answer
