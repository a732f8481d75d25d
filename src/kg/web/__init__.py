"""The web service: the SPARQL 1.1 Protocol endpoint, the query page, named queries and search.

`create_app(settings)` (in `kg.web.app`) builds the ASGI application; `kg serve` runs it.
"""
