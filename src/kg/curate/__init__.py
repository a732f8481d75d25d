"""Curation: spreadsheet exports of the source database in and out of the graph (docs/curation.md).

    read        CSV/XLSX readers (nothing evaluated, cells capped)
    rows        one row's checks and its canonical cells
    checks      the project as an import sees it; every row and the references across rows and data
    changes     each valid row compared with the data; the new import file
    mapping     canonical cells -> RDF, one column group at a time
    report      what an import did to each record, written to build/import-reports/
    importer    `kg import`: prepare, write, build, stamp, and undo on any failure
    export      `kg export --format csv|xlsx`

The spreadsheet layout itself (`kg.records.columns`, `kg.records.table`, `kg.records.vocab`) and the
overlay rule the build applies (`kg.pipeline.overlay`) live below, so that the build and `kg diff`
use them without importing curation.
"""
