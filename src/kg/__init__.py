"""AIRM-KG: an open knowledge graph of AI risk mitigations.

The Python API mirrors the `kg` command:

    import kg
    settings = kg.settings()              # from KG_* environment variables
    report = kg.build(settings)           # validate, reason, materialise, write a release
    rows = kg.query("SELECT ...", settings)
    kg.validate([path, ...], settings)    # -> list of violations (empty when valid)
    kg.reason(settings)                   # -> ReasonerReport
    kg.export("out.ttl", "turtle", settings)
"""

from __future__ import annotations

__version__ = "0.1.0"

from kg.config import Settings, from_env as settings  # noqa: E402
from kg.api import build, export, query, reason, validate  # noqa: E402

__all__ = ["Settings", "settings", "build", "export", "query", "reason", "validate", "__version__"]
