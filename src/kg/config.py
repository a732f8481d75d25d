"""Settings: the only module that reads the environment.

Every setting is declared once in `SETTINGS` with its environment variable, default and help text;
`docs/settings.md` is checked against this table by the tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from kg.namespaces import DEFAULT_BASE


def _default_root() -> Path:
    """The project directory: the current directory when it holds `ontology/`, else the source checkout."""
    cwd = Path.cwd()
    if (cwd / "ontology").is_dir() and (cwd / "shapes").is_dir():
        return cwd
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=_default_root, metadata={
        "env": "KG_ROOT", "help": "Project directory holding ontology/, shapes/, data/ and queries/."})
    build_dir: Path | None = field(default=None, metadata={
        "env": "KG_BUILD_DIR", "help": "Where releases and the embedded store are written (default: ROOT/build)."})
    base_iri: str = field(default=DEFAULT_BASE, metadata={
        "env": "KG_BASE_IRI", "help": "Base IRI of all instances and vocabularies; must end with '/'."})
    host: str = field(default="127.0.0.1", metadata={
        "env": "KG_HOST", "help": "Address the service listens on."})
    port: int = field(default=8000, metadata={
        "env": "KG_PORT", "help": "Port the service listens on."})
    reasoner: bool = field(default=True, metadata={
        "env": "KG_REASONER", "help": "Run the OWL reasoner (HermiT, needs Java) during `kg build`; 0 to skip."})
    java: str = field(default="java", metadata={
        "env": "KG_JAVA", "help": "The Java executable HermiT runs with."})
    reasoner_timeout: float = field(default=300.0, metadata={
        "env": "KG_REASONER_TIMEOUT", "help": "Seconds the reasoner may run before the build fails."})
    keep_releases: int = field(default=5, metadata={
        "env": "KG_KEEP_RELEASES", "help": "How many built releases to keep in BUILD_DIR/releases."})

    def __post_init__(self) -> None:
        if not self.base_iri.endswith("/"):
            raise ValueError(f"KG_BASE_IRI must end with '/': {self.base_iri!r}")
        if self.build_dir is None:
            object.__setattr__(self, "build_dir", self.root / "build")

    @property
    def releases_dir(self) -> Path:
        return self.build_dir / "releases"

    @property
    def current_link(self) -> Path:
        return self.build_dir / "current"

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def _convert(raw: str, typ) -> object:
    kind = typ if isinstance(typ, str) else getattr(typ, "__name__", str(typ))
    if "bool" in kind:
        return raw.strip().lower() not in ("0", "false", "no", "off", "")
    if "int" in kind:
        return int(raw)
    if "float" in kind:
        return float(raw)
    if "Path" in kind:
        return Path(raw)
    return raw


def from_env(environ: dict[str, str] | None = None, **overrides) -> Settings:
    """Settings from the environment (KG_* variables), then explicit overrides."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for f in fields(Settings):
        env = f.metadata.get("env")
        if env and environ.get(env) not in (None, ""):
            values[f.name] = _convert(environ[env], f.type)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


SETTINGS = [(f.metadata["env"], f.name, f.metadata["help"]) for f in fields(Settings)]
