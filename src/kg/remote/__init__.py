"""Serving from a remote SPARQL 1.1 server instead of the embedded store (docs/deployment.md).

Four modules, all over standard protocols only (SPARQL 1.1 Protocol, SPARQL 1.1 Graph Store HTTP
Protocol), so the graph can live on Oxigraph, Fuseki, GraphDB, Virtuoso, QLever or a cluster:

- `publish(release, gsp_endpoint, query_endpoint)` (`kg publish`) loads a release into the server: one
  GSP `PUT ?graph=` per named graph (unchanged graphs skipped), the union graph `<base>graph/union`,
  a verification of every graph's triple count, then the *publication graph* `<base>graph/published`
  saying which release the server holds and which graphs make it up, and finally a DELETE of the
  project's graphs that are not in the release.
- `RemoteStore` is a read-only stand-in for `pyoxigraph.Store` with exactly what the pages and
  `kg.describe` use: `quads_for_pattern`, `query` (with pyoxigraph's keyword arguments), `len`, iteration.
- `RemoteEngine` answers the service's `kg.sparql.engine.Job`s (the `kg.sparql.engine.Engine` protocol): read under
  the job's deadline, byte cap and row cap, written in the job's format by pyoxigraph.
- `remote_release_id(query_endpoint)` / `remote_release(...)`: which release the server holds.

Decisions (each explained in docs/deployment.md):

- **The union default graph is a protocol dataset over a materialised union graph.** Every query the
  service sends names its dataset: `default-graph-uri=<base>graph/union` (every triple of the release
  once) and one `named-graph-uri` per graph of the release, as the publication graph lists them.
  That is standard SPARQL 1.1 (the same as `FROM`/`FROM NAMED`), works whatever the server's own
  default graph is (Oxigraph: empty; Virtuoso: every graph, its system graphs included; Fuseki:
  configurable), keeps the publication graph and other data on the server out of the answers, and is
  10x faster on Oxigraph than naming 30 default graphs. A release published without the union graph
  (`--no-union-graph`) is queried with every graph as a `default-graph-uri` instead. A query with
  its own `FROM`/`FROM NAMED` is sent as it is.
- **Blank nodes are skolemized** (RDF 1.1 Concepts §3.5): `_:x` travels as
  `<base>.well-known/genid/x`, because a SPARQL server renames blank nodes on load and a query
  cannot name one, so pages could not follow author lists (`rdf:List`s of blank nodes). Everything
  read back is de-skolemized, so `RemoteStore` and `RemoteEngine` give the same terms, blank node
  labels included, as the release's own store.
- **Parameters are bound with VALUES.** pyoxigraph's `substitutions` do not exist in the protocol; the
  terms (written by pyoxigraph, so escaped) are put in a `VALUES` block at the top of the outer WHERE
  clause, as `kg.sparql.named.NamedQuery.standalone` writes the named queries' examples.
- **A publish is not atomic across graphs.** Each graph is replaced by one PUT (atomic per graph on
  the common servers); the union graph goes after the named graphs (so union-default-graph queries
  switch in one step) and the publication graph last, so while a publish runs a `GRAPH` query or a
  page may see old and new graphs together; `<base>graph/publishing` marks a publish under way (or
  one that failed). For a switch without a mixed window, publish to an idle second server and move
  the replicas (or the name in front of the servers) over: blue/green, see docs/deployment.md.
"""
