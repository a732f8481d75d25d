"""The named queries over HTTP: the job of one with the request's parameters bound as typed terms
(never pasted into the text), and its answer, as a page or in a machine format. Served at
/queries/{name} (`routes.queries`) and at the short addresses other routes give some of them."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from kg.sparql import named
from kg.sparql.engine import Job, ntriples
from kg.web import querying, tables
from kg.web import representations as reps
from kg.web.state import base_iri, root
from kg.web.templating import page


def values_of(request: Request) -> dict[str, str]:
    """The query-string arguments that are parameters (the last one of a repeated name wins)."""
    return {k: v for k, v in request.query_params.items() if k not in named.RESERVED}


def job_of(request: Request, query: named.NamedQuery, values: dict[str, str], rep: reps.Representation | None) -> Job:
    """The job of a named query: its text with the parameters bound as typed terms (never pasted)."""
    bound = tuple(sorted((v.value, ntriples(t)) for v, t in query.substitutions(values).items()))
    graph = query.form in ("CONSTRUCT", "DESCRIBE")
    machine = rep is not None and rep is not reps.HTML
    return querying.job(
        request,
        query.text,
        substitutions=bound,
        format=rep.name if machine and rep is not None and not graph else "json",
        graph_format=rep.name if machine and rep is not None and graph else "ntriples",
    )


async def answer(request: Request, name: str) -> Response:
    """Run the named query `name` with the request's parameters; the page or the machine answer."""
    query = named.get(request.app.state.queries, name)
    values = values_of(request)
    offers = reps.for_form(query.form)
    rep = reps.choose((*offers, reps.HTML), request.headers.get("accept"), request.query_params.getlist("format"))
    started = time.perf_counter()
    result = await querying.run(request, job_of(request, query, values, rep))
    if rep is not reps.HTML:
        return reps.answer_response(request, result, rep, query.name)
    links = reps.alternates(request.url, offers, query.name)
    context = {
        "title": query.title,
        "query": query,
        "values": {**query.defaults(), **values},
        "table": tables.of_answer(result, base_iri(request), root(request)),
        "elapsed": time.perf_counter() - started,
        "downloads": links,
        "editor": f"{root(request)}/sparql?{urlencode({'query': query.standalone(values)})}",
    }
    return page(request, "query.html", context, links)
