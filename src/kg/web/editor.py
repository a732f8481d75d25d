"""The query page's editor: the text it opens with, the named queries as examples, the named graphs
and the download formats (used by /sparql and by the error page of a failed query)."""

from __future__ import annotations

from starlette.requests import Request

from kg.namespaces import sparql_prologue
from kg.web import representations as reps

EXAMPLE = """SELECT ?mitigation ?label ?code ?category
WHERE {
  ?mitigation a airm:Mitigation ;
    rdfs:label ?label ;
    airm:mitigationCategory ?concept .
  ?concept skos:notation ?code ;
    skos:prefLabel ?category .
}
ORDER BY ?code ?label
LIMIT 50
"""


def editor_context(request: Request, query: str | None) -> dict:
    """What the query page needs: the text in the editor, the examples, the named graphs."""
    state = request.app.state
    examples = [
        {"name": q.name, "title": q.title, "description": q.description, "text": q.standalone()}
        for q in getattr(state, "queries", {}).values()
    ]
    return {
        "title": "SPARQL query",
        "query": query if query is not None else sparql_prologue() + "\n" + EXAMPLE,
        "examples": examples,
        "graphs": getattr(state, "graph_sizes", {}),
        "table": None,
        "formats": [*reps.RESULTS, *reps.GRAPH],
    }
