"""The graph's records as the source database shapes them, shared by the generators, curation and
`kg diff`.

    columns     the source database's spreadsheet columns and lenient header matching
    table       the graph as canonical spreadsheet rows, one per mitigation and document
    vocab       the vocabularies as a spreadsheet's cells name them (codes, stages, actors, functions)
    write       records written as RDF (mitigations, evidence, classifications, persons, authors)
"""
