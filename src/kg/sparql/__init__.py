"""SPARQL: the text of a query, the gate it passes, the engines that answer it, the named queries.

syntax      a query's text read without running it (form, keywords, WHERE, positions)
gate        size, nesting, UNION, path and SERVICE limits before any engine parses the text
execute     running a query on a pyoxigraph store and writing its answer
engine      what the service asks of an engine: `Job` in, `Answer` out, rows and bytes capped
workers     the embedded engine: killable worker processes forked from a template
querying    every query a service answers: budget per client, gate, cache, lanes, engine
named       the named queries of queries/*.rq with typed parameters
"""
