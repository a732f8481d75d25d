"""Curation: spreadsheet exports of the source database in and out of the graph (docs/curation.md).

    columns     the source database's columns and lenient header matching
    read        CSV/XLSX readers (nothing evaluated, cells capped)
    vocab       taxonomy codes, stages, actors, functions as the cells name them
    table       the graph as canonical spreadsheet rows (what `kg export --format csv` writes)
    rows        row checks and canonical cells
    mapping     canonical cells -> RDF, one column group at a time
    overlay     how data/imports/*.ttl override fields of other files during the build
    importer    `kg import`: the transactional import with its report
    export_csv  `kg export --format csv|xlsx`

Kept light on purpose: `kg.pipeline` imports `kg.curate.overlay`.
"""
