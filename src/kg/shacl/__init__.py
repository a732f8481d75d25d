"""SHACL validation of the instance data.

validation          the entry points (`validate_graphs`, `validate_store`): violations with their files
core                SHACL Core compiled to set-oriented SPARQL and run by Oxigraph (pyshacl's results)
compiler            the compiler of constraint components into patterns
plan                what shapes compile into, and the deadline they run under
sparql_constraints  SHACL-SPARQL constraints (sh:sparql) over all focus nodes at once
"""
