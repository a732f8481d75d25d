"""AIRM-KG: an open knowledge graph of AI risk mitigations.

The Python API mirrors the `kg` command:

    import kg
    settings = kg.settings()              # from KG_* environment variables
    report = kg.build(settings)           # validate, reason, materialise, write a release
    result = kg.query("SELECT ...", settings)
    found = kg.search("model weights", stage="stage:deploy")  # ranked, with facets (docs/explorer.md)
    kg.validate([path, ...], settings)    # -> list of violations (empty when valid)
    kg.reason(settings)                   # -> ReasonerReport
    kg.export("out.ttl", "turtle", settings)
"""

from __future__ import annotations

from kg.version import __version__

_API = ("build", "export", "query", "reason", "search", "validate")
__all__ = ["Settings", "settings", *_API, "__version__"]


def __getattr__(name: str):
    # Imported lazily so that `import kg.rdf.canonical` stays light and free of import cycles.
    if name in _API:
        from kg import api

        return getattr(api, name)
    if name == "settings":
        from kg.config import from_env

        return from_env
    if name == "Settings":
        from kg.config import Settings

        return Settings
    raise AttributeError(name)
