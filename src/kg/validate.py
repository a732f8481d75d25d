"""Deprecated alias of `kg.shacl` (kept while tests migrate); import from `kg.shacl`."""

from kg.shacl import *  # noqa: F401,F403
from kg.shacl import failing, subject_sources, validate_graphs, violations_from_report, Violation  # noqa: F401
