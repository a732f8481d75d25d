"""What the OpenAPI description (`/-/openapi.json`) says about the routes whose parameters FastAPI
cannot see (they read the SPARQL Protocol's repeated and dashed parameters from the request)."""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "title", "detail"],
            "properties": {"status": {"type": "integer"}, "title": {"type": "string"}, "detail": {"type": "string"}},
        }
    },
}
RESULT_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "text/html",
)


def _errors(*codes: int) -> dict:
    reasons = {
        400: "Malformed query, or refused by the gate (size, nesting, UNION, path, SERVICE)",
        403: "SPARQL Update refused (read-only)",
        404: "No such named query",
        405: "Method not allowed",
        406: "No acceptable format",
        413: "Request body too large",
        414: "Request target too long",
        415: "Unsupported body type",
        422: "Result over the row or byte cap: page with LIMIT/OFFSET",
        429: "Client over its budget of query seconds or errors; see Retry-After",
        500: "The process answering the query stopped (only this request is lost)",
        503: "Deadline passed, memory limit passed, or all workers busy; see Retry-After",
    }
    return {
        str(code): {"description": reasons[code], "content": {"application/json": {"schema": ERROR}}} for code in codes
    }


PROTOCOL_ERRORS = _errors(400, 403, 406, 413, 414, 422, 429, 500, 503)
OK = {
    "200": {
        "description": "The whole answer (never cut)",
        "content": {t: {"schema": {"type": "string"}} for t in RESULT_TYPES},
    }
}
DATASET = [
    {
        "name": "default-graph-uri",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": {"type": "string", "format": "iri"}},
        "description": "A graph of the store to use as (part of) the default graph; never fetched.",
    },
    {
        "name": "named-graph-uri",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": {"type": "string", "format": "iri"}},
        "description": "A graph of the store to make addressable with GRAPH; never fetched.",
    },
]
FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "Result format by name (json, xml, csv, tsv, turtle, ntriples, jsonld, rdfxml, html); "
    "wins over Accept.",
}
TIMEOUT = {
    "name": "timeout",
    "in": "query",
    "required": False,
    "schema": {"type": "number", "exclusiveMinimum": 0},
    "description": "Deadline in seconds; lowers the service's deadline, never raises it.",
}
QUERY = {
    "name": "query",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "The SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE). Without it: the query page "
    "or the service description.",
}

SPARQL_GET = {
    "summary": "SPARQL 1.1 Protocol query operation (GET)",
    "parameters": [QUERY, *DATASET, FORMAT, TIMEOUT],
    "responses": {**OK, **PROTOCOL_ERRORS},
}
SPARQL_POST = {
    "summary": "SPARQL 1.1 Protocol query operation (POST, form or direct)",
    "parameters": [*DATASET, FORMAT, TIMEOUT],
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["query"],
                    "properties": {
                        "query": {"type": "string"},
                        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                        "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
            "application/sparql-query": {"schema": {"type": "string"}},
        },
    },
    "responses": {**OK, **_errors(400, 403, 406, 413, 415, 422, 429, 500, 503)},
}


NAMED_QUERY = {
    "summary": "Run a named query; its own parameters (see /queries) are query-string arguments",
    "parameters": [FORMAT, TIMEOUT],
    "responses": {**OK, **_errors(400, 404, 406, 422, 429, 500, 503)},
}


def complete(schema: dict) -> dict:
    """Add the shared error schema to FastAPI's generated description."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    return schema
