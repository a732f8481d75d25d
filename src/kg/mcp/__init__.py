"""The MCP server: the graph as tools, resources and prompts for AI assistants (docs/mcp.md).

service     what the tools read (release, store, `Querying`), standalone for `kg mcp` or the web's
models      the typed answers (their JSON schemas are the tools' output schemas)
records     a mitigation, a document, a vocabulary's concepts, as the tools return them
text        the answers as readable text
tools       what the tools do: search_mitigations, get_mitigation, get_document, list_concepts, coverage, sparql
server      the `MCPServer` with tools, resources and prompts; stdio and streamable HTTP
"""
