"""The MCP server (`mcp` SDK's `MCPServer`): the tools, the resources (the ontology, each vocabulary,
the named queries, the dataset description) and a prompt per named query.

`create_server(settings, source)` takes where the service comes from: `kg mcp` runs it over stdio
with a `Standalone` service of its own (`run_stdio`); `kg serve` adds its streamable HTTP route at
/mcp to the web service (`http_app`), reading the web service's release and `Querying`."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import pyoxigraph as ox
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from kg.config import Settings
from kg.errors import KGError, RetryLater
from kg.mcp import text, tools
from kg.mcp.models import Concepts, Coverage, DocumentRecord, Mitigation, Search, SparqlResult
from kg.mcp.records import dataset as dataset_of
from kg.mcp.service import Source, Standalone
from kg.namespaces import NS, PREFIXES
from kg.sparql import named
from kg.sparql.querying import client_of
from kg.version import __version__

INSTRUCTIONS = """AIRM-KG is a knowledge graph of AI risk mitigations extracted from frameworks and papers,
classified into mitigation taxonomies, lifecycle stages, actors, NIST AI RMF functions and risks, each
cited to its source document. Find mitigations with search_mitigations (or sparql), read one whole with
get_mitigation (evidence quotes, classifications with method and provenance, the document and its
authors), and cite it by its IRI, which dereferences to its page. Records whose `preliminary` is true
come from preliminary data that must not be shared or cited. list_concepts shows a vocabulary,
coverage counts mitigations by two dimensions, and sparql answers read-only SPARQL 1.1 queries with
the project prefixes (airm:, kg:, mtax:, v1tax:, skos:, dcterms:, ...) predeclared."""
FacetKey = Literal["category", "stage", "actor", "function", "document", "year", "method", "risk", "dataset"]
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
TURTLE = "text/turtle"
SEARCH = (
    "Find mitigations: ranked full-text search over names, evidence quotes, reasoning, categories and "
    "documents, with filters by facet and the counts of every facet over all matches. Each result has its "
    "id (for get_mitigation), IRI, label, a snippet with the matched words, categories and document. "
    'Query syntax: words (all must match), "a phrase", prefix*, OR, NOT or -word, field:word. Filters: '
    "{facet: [values]} with the facets category, stage, actor, function, document, year, method, risk, "
    "dataset (values of one facet OR-ed, facets AND-ed; a category includes its narrower concepts); the "
    "facets of an answer give the values to filter by."
)
COVERAGE = (
    "How many mitigations there are for each pair of values of two dimensions (e.g. category × stage, "
    "actor × function, document × year), most first: where the catalogue is dense and where it has gaps. "
    "Dimensions: " + "; ".join(f"{k} ({v[2]})" for k, v in tools.DIMENSIONS.items()) + "."
)
SPARQL = (
    "Run a read-only SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE) over the whole graph (default "
    "graph: the union of all). The project prefixes are predeclared: "
    + ", ".join(f"{p}:" for p in PREFIXES)
    + ". The limits of the public /sparql endpoint apply: no SERVICE, no updates, a deadline, at most "
    "10,000 rows (add LIMIT and page with OFFSET), a budget of query time per client; a refusal says why "
    "and where (line, column). Classes: airm:Mitigation, airm:SourceDocument, airm:EvidenceQuote, "
    "airm:Classification; the effective category is airm:mitigationCategory, stages airm:lifecycleStage, "
    "actors airm:actor, functions airm:airmFunction, risks airm:addressesRisk, documents airm:sourceDocument."
)


def client(ctx: Context, settings: Settings) -> str:
    """The budget's name for the caller: its HTTP address (as /sparql names it), or `stdio`."""
    request = ctx.request_context.request
    if request is None or not hasattr(request, "headers"):
        return "stdio"
    peer = request.client.host if request.client else None
    return client_of(peer, request.headers.get("x-forwarded-for", ""), settings.trust_proxy)


def answer(model: BaseModel, readable: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=readable)], structured_content=model.model_dump(mode="json")
    )


def refusal(exc: KGError) -> ToolError:
    """A refusal of the service as a tool error: the message /sparql gives, with when to retry."""
    retry = f" (retry after {exc.retry_after} s)" if isinstance(exc, RetryLater) and exc.retry_after else ""
    return ToolError(f"{exc}{retry}")


def register_tools(server: MCPServer, settings: Settings, source: Source) -> None:
    register_search_tool(server, source)
    register_record_tools(server, source)
    register_query_tools(server, settings, source)


def register_search_tool(server: MCPServer, source: Source) -> None:
    """search_mitigations: the explorer's index of the release in service."""

    @server.tool(annotations=READ_ONLY, structured_output=True, description=SEARCH)
    async def search_mitigations(
        query: Annotated[
            str,
            Field(description='words, "a phrase", prefix*, OR, NOT, -word, field:word (empty: all)', max_length=2000),
        ] = "",
        filters: Annotated[
            dict[FacetKey, list[Annotated[str, Field(max_length=2000)]]] | None,
            Field(description="facet -> values (IRIs or CURIEs such as stage:deploy, v1tax:3.1; years as digits)"),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=100, description="results per page")] = 10,
        offset: Annotated[int, Field(ge=0, le=100_000, description="results to skip (paging)")] = 0,
        sort: Annotated[Literal["relevance", "name", "year"], Field(description="order of the results")] = "relevance",
        derived: Annotated[bool, Field(description="let derived facts match filters and count in facets")] = True,
    ) -> Annotated[CallToolResult, Search]:
        try:
            chosen = {str(k): v for k, v in (filters or {}).items()}
            found = tools.search(await source(), query, chosen, limit, offset, sort, derived)
        except KGError as exc:
            raise refusal(exc) from exc
        return answer(found, text.search(found))


def register_record_tools(server: MCPServer, source: Source) -> None:
    """The tools that read one record or a vocabulary from the store."""

    @server.tool(annotations=READ_ONLY, structured_output=True)
    async def get_mitigation(
        id: Annotated[
            str,
            Field(
                description="the record id (e.g. A0086_Future_of_Life_Institute2024) or its IRI "
                "(https://w3id.org/airm-kg/mitigation/...)",
                max_length=2000,
            ),
        ],
    ) -> Annotated[CallToolResult, Mitigation]:
        """One mitigation, whole: its name, evidence quotes, every classification with its method
        (curator, published, classifier, derived), reasoning and who made it, lifecycle stages, actors,
        AI RMF functions, risks, parent and child headings, the source document with its authors in
        order, its dataset, and `cite` (the IRI to cite: it dereferences to the record's page)."""
        try:
            record = tools.get_mitigation(await source(), id)
        except KGError as exc:
            raise refusal(exc) from exc
        return answer(record, text.mitigation(record))

    @server.tool(annotations=READ_ONLY, structured_output=True)
    async def get_document(
        id: Annotated[str, Field(description="the document id (e.g. FLI2024, shi2024) or its IRI", max_length=2000)],
    ) -> Annotated[CallToolResult, DocumentRecord]:
        """A source document: title, authors in order, year, abstract, DOI, web page, and the
        mitigations extracted from it (with their category codes)."""
        try:
            record = tools.get_document(await source(), id)
        except KGError as exc:
            raise refusal(exc) from exc
        return answer(record, text.document(record))

    @server.tool(annotations=READ_ONLY, structured_output=True)
    async def list_concepts(
        scheme: Annotated[
            str,
            Field(
                description="the vocabulary: mitigation-taxonomy (v2), mit-v1-mitigation-taxonomy, "
                "lifecycle-stage, actor, airm-function, risk-domain, risk-cause, classification-method "
                "(or the scheme's IRI)",
                max_length=2000,
            ),
        ],
    ) -> Annotated[CallToolResult, Concepts]:
        """Every concept of a vocabulary (taxonomy, lifecycle stages, actors, NIST AI RMF functions,
        risk domains and causes), top-down, each with its code, label, definition, broader concepts,
        and how many mitigations are linked to it (directly, and with the concepts below it)."""
        try:
            record = tools.list_concepts(await source(), scheme)
        except KGError as exc:
            raise refusal(exc) from exc
        return answer(record, text.concepts(record))


def register_query_tools(server: MCPServer, settings: Settings, source: Source) -> None:
    """The tools that run queries, through the client's budget like /sparql."""

    @server.tool(annotations=READ_ONLY, structured_output=True, description=COVERAGE)
    async def coverage(
        ctx: Context,
        dim_a: Annotated[str, Field(description="first dimension: " + ", ".join(tools.DIMENSIONS))],
        dim_b: Annotated[str | None, Field(description="second dimension (none: count by dim_a only)")] = None,
        derived: Annotated[
            bool, Field(description="include the categories, stages and actors the project derived from mappings")
        ] = True,
        taxonomy: Annotated[
            str | None,
            Field(description="for `category`: only mitigation-taxonomy (v2) or mit-v1-mitigation-taxonomy"),
        ] = None,
    ) -> Annotated[CallToolResult, Coverage]:
        try:
            record = await tools.coverage(await source(), client(ctx, settings), dim_a, dim_b, derived, taxonomy)
        except KGError as exc:
            raise refusal(exc) from exc
        return answer(record, text.coverage(record))

    @server.tool(annotations=READ_ONLY, structured_output=True, description=SPARQL)
    async def sparql(
        ctx: Context,
        query: Annotated[str, Field(description="a SPARQL 1.1 SELECT, ASK, CONSTRUCT or DESCRIBE query")],
        timeout: Annotated[
            float | None, Field(description="seconds, at most the service's deadline (10 s by default)", gt=0)
        ] = None,
    ) -> Annotated[CallToolResult, SparqlResult]:
        try:
            record = await tools.sparql(await source(), client(ctx, settings), query, timeout)
        except KGError as exc:
            raise refusal(exc) from exc
        return answer(record, text.sparql(record))


def turtle(triples: list[ox.Triple]) -> str:
    return (ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES)) or b"").decode("utf-8")


def register_resources(server: MCPServer, settings: Settings, source: Source) -> None:
    def graph_resource(uri: str, graph: str, title: str, description: str) -> None:
        async def read() -> str:
            service = await source()
            return turtle(service.describer.graph(service.base + graph))

        server.resource(uri, name=uri.rsplit("/", 1)[-1], title=title, description=description, mime_type=TURTLE)(read)

    graph_resource(
        "airm-kg://ontology", "graph/ontology/airm", "The AIRM-KG ontology", "OWL classes and properties (Turtle)"
    )
    for path in sorted((settings.root / "ontology" / "vocab").glob("*.ttl")):
        graph_resource(
            f"airm-kg://vocab/{path.stem}",
            f"graph/ontology/vocab/{path.stem}",
            f"Vocabulary {path.stem}",
            f"The SKOS concept scheme {path.stem} (Turtle)",
        )

    @server.resource(
        "airm-kg://dataset",
        name="dataset",
        title="The dataset description",
        description="The release in service and the datasets of the graph, with licence, source and status (JSON)",
        mime_type="application/json",
    )
    async def dataset() -> str:
        service = await source()
        d = service.describer
        subjects = {
            q.subject.value
            for q in d.store.quads_for_pattern(None, ox.NamedNode(NS.rdf + "type"), ox.NamedNode(NS.void + "Dataset"))
            if isinstance(q.subject, ox.NamedNode)
        }
        manifest = service.release.manifest
        body: dict[str, Any] = {
            "release": manifest.get("id"),
            "version": manifest.get("version", manifest.get("id")),
            "quads": manifest.get("quads"),
            "base_iri": service.base,
            "datasets": [dataset_of(d, s).model_dump() for s in sorted(subjects)],
        }
        return json.dumps(body, indent=2, ensure_ascii=False)

    register_queries(server, settings)


def register_queries(server: MCPServer, settings: Settings) -> None:
    """Each named query as a resource (its text) and as a prompt (run it with the sparql tool)."""
    for query in named.load_all(named.folder(settings)).values():
        uri = f"airm-kg://queries/{query.name}"
        server.resource(
            uri, name=query.name, title=query.title, description=query.description, mime_type="application/sparql-query"
        )(text_of(query))
        server.add_prompt(
            Prompt(
                name=query.name,
                title=query.title,
                description=query.description,
                arguments=[
                    PromptArgument(name=p.name, description=f"{p.description} ({p.hint})", required=p.required)
                    for p in query.params
                ],
                fn=prompt_for(query),
                context_kwarg=None,
            )
        )


def text_of(query: named.NamedQuery) -> Callable[[], str]:
    return lambda: query.text


def prompt_for(query: named.NamedQuery) -> Callable[..., str]:
    def render(**values: str) -> str:
        return (
            f"{query.title}: {query.description}\n\nRun this query with the sparql tool and summarise the "
            f"answer, citing each record by its IRI:\n\n{query.standalone(values)}"
        )

    return render


def create_server(settings: Settings, source: Source, lifespan=None) -> MCPServer:
    server: MCPServer = MCPServer(
        name="airm-kg",
        title="AIRM-KG: AI risk mitigations",
        instructions=INSTRUCTIONS,
        version=__version__,
        website_url=settings.base_iri,
        lifespan=lifespan,
    )
    register_tools(server, settings, source)
    register_resources(server, settings, source)
    return server


def run_stdio(settings: Settings) -> None:
    """`kg mcp`: the server over stdio, on the current release (followed as `kg build` moves it)."""
    standalone = Standalone(settings)

    @asynccontextmanager
    async def lifespan(_server):
        await standalone.open()
        try:
            yield {}
        finally:
            await standalone.close()

    create_server(settings, standalone.current, lifespan).run("stdio")


def http_app(settings: Settings, source: Source):
    """The streamable HTTP app (stateless, JSON answers) whose route is /mcp, and its session manager
    (to run in the hosting app's lifespan: `async with server.session_manager.run(): ...`)."""
    server = create_server(settings, source)
    app = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=True,
        json_response=True,
        host=settings.host,
        max_request_body_size=settings.max_query_bytes * 2,
    )
    return app, server.session_manager
