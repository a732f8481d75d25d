"""One module per resource: `home` (/, /-/health), `sparql` (/sparql), `queries` (/queries)."""
