"""The AIRM-KG benchmark suite (`make bench`): build and query graphs of growing size, and compare
our SPARQL endpoint with Oxigraph server and rdflib-endpoint serving the same data. See README.md."""
