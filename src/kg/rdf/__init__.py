"""RDF files in and out: which files make the graph and their named graphs, parsing them once with
untrusted input screened first, and the one canonical formatting of committed Turtle.

    sources     the source files (ontology/, data/), their graphs, parsing into a store
    screen      untrusted input refused before a parser sees it (sizes, DTDs, contexts, nesting)
    canonical   `kg fmt`: committed Turtle in one canonical form
"""
