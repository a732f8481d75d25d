"""Settings: the only module that reads the environment.

Every setting is declared once in `SETTINGS` with its environment variable, default and help text;
`docs/settings.md` is checked against this table by the tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, cast

from kg.namespaces import DEFAULT_BASE


def _default_root() -> Path:
    """The project directory: the current directory when it holds `ontology/`, else the source checkout."""
    cwd = Path.cwd()
    if (cwd / "ontology").is_dir() and (cwd / "shapes").is_dir():
        return cwd
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    root: Path = field(
        default_factory=_default_root,
        metadata={"env": "KG_ROOT", "help": "Project directory holding ontology/, shapes/, data/ and queries/."},
    )
    build_dir: Path | None = field(
        default=None,
        metadata={
            "env": "KG_BUILD_DIR",
            "help": "Where releases and the embedded store are written (default: ROOT/build).",
        },
    )
    base_iri: str = field(
        default=DEFAULT_BASE,
        metadata={"env": "KG_BASE_IRI", "help": "Base IRI of all instances and vocabularies; must end with '/'."},
    )
    host: str = field(default="127.0.0.1", metadata={"env": "KG_HOST", "help": "Address the service listens on."})
    port: int = field(default=8000, metadata={"env": "KG_PORT", "help": "Port the service listens on."})
    reasoner: bool = field(
        default=True,
        metadata={
            "env": "KG_REASONER",
            "help": "Run the OWL reasoner (HermiT, needs Java) during `kg build`; 0 to skip.",
        },
    )
    java: str = field(default="java", metadata={"env": "KG_JAVA", "help": "The Java executable HermiT runs with."})
    reasoner_timeout: float = field(
        default=300.0,
        metadata={"env": "KG_REASONER_TIMEOUT", "help": "Seconds the reasoner may run before the build fails."},
    )
    keep_releases: int = field(
        default=5,
        metadata={"env": "KG_KEEP_RELEASES", "help": "How many built releases to keep in BUILD_DIR/releases."},
    )
    shacl_timeout: float = field(
        default=300.0,
        metadata={"env": "KG_SHACL_TIMEOUT", "help": "Seconds SHACL validation may run before the build fails."},
    )
    max_source_bytes: int = field(
        default=200_000_000,
        metadata={
            "env": "KG_MAX_SOURCE_BYTES",
            "help": "Largest RDF source or spreadsheet a build or import reads, in bytes.",
        },
    )
    # --- The query service: workers, deadlines, limits, budgets (see docs/sparql.md) ---
    query_timeout: float = field(
        default=10.0,
        metadata={
            "env": "KG_QUERY_TIMEOUT",
            "help": "Deadline of one query in seconds; a client may ask for less (`timeout`), never more.",
        },
    )
    query_workers: int = field(
        default=0,
        metadata={"env": "KG_QUERY_WORKERS", "help": "Query worker processes (0: one per CPU core, at least 2)."},
    )
    query_queue: int = field(
        default=64,
        metadata={
            "env": "KG_QUERY_QUEUE",
            "help": "Queries that may wait for a worker; more get 503 with Retry-After.",
        },
    )
    worker_memory_mb: int = field(
        default=2048,
        metadata={
            "env": "KG_WORKER_MEMORY_MB",
            "help": "Memory one query worker may use (resident, MiB) before it is killed.",
        },
    )
    max_rows: int = field(
        default=10_000,
        metadata={
            "env": "KG_MAX_ROWS",
            "help": "Most rows (or triples) one query result may have; larger results are refused, never cut.",
        },
    )
    max_result_bytes: int = field(
        default=64_000_000,
        metadata={
            "env": "KG_MAX_RESULT_BYTES",
            "help": "Largest serialised query result in bytes; larger results are refused, never cut.",
        },
    )
    max_query_bytes: int = field(
        default=100_000,
        metadata={"env": "KG_MAX_QUERY_BYTES", "help": "Largest request body in bytes (413 while it streams in)."},
    )
    max_url_bytes: int = field(
        default=16_384,
        metadata={"env": "KG_MAX_URL_BYTES", "help": "Longest request target (path and query string) in bytes (414)."},
    )
    result_cache_mb: int = field(
        default=128,
        metadata={
            "env": "KG_RESULT_CACHE_MB",
            "help": "Memory for cached query results of the release in service (0: no cache).",
        },
    )
    client_query_seconds: float = field(
        default=60.0,
        metadata={
            "env": "KG_CLIENT_QUERY_SECONDS",
            "help": "Query seconds one client may use per minute; more get 429 with Retry-After.",
        },
    )
    client_errors: int = field(
        default=60,
        metadata={
            "env": "KG_CLIENT_ERRORS",
            "help": "Failed queries one client may send per minute; more get 429 with Retry-After.",
        },
    )
    trust_proxy: bool = field(
        default=False,
        metadata={
            "env": "KG_TRUST_PROXY",
            "help": "Tell clients apart by X-Forwarded-For (set it only behind your own proxy).",
        },
    )
    max_connections: int = field(
        default=256,
        metadata={
            "env": "KG_MAX_CONNECTIONS",
            "help": "Concurrent connections the service holds; more get 503 at once.",
        },
    )
    max_client_connections: int = field(
        default=32,
        metadata={
            "env": "KG_MAX_CLIENT_CONNECTIONS",
            "help": "Concurrent connections one client address may hold; more get 503 (0: no cap; off behind a proxy).",
        },
    )
    head_timeout: float = field(
        default=5.0,
        metadata={
            "env": "KG_HEAD_TIMEOUT",
            "help": "Seconds a connection has to send a complete request head; slower ones are closed (408).",
        },
    )
    keep_alive: float = field(
        default=5.0, metadata={"env": "KG_KEEP_ALIVE", "help": "Seconds an idle keep-alive connection stays open."}
    )
    # --- Serving from a remote SPARQL 1.1 server instead of the embedded store (docs/deployment.md) ---
    sparql_endpoint: str = field(
        default="",
        metadata={
            "env": "KG_SPARQL_ENDPOINT",
            "help": "Query endpoint of a remote SPARQL 1.1 server to serve from (empty: the embedded store).",
        },
    )
    gsp_endpoint: str = field(
        default="",
        metadata={
            "env": "KG_GSP_ENDPOINT",
            "help": "Graph Store Protocol endpoint of that server, where `kg publish` loads a release.",
        },
    )
    gsp_user: str = field(
        default="",
        metadata={
            "env": "KG_GSP_USER",
            "help": "User `kg publish` authenticates as at the Graph Store endpoint (or user:password in its URL).",
        },
    )
    gsp_password: str = field(
        default="",
        repr=False,
        metadata={"env": "KG_GSP_PASSWORD", "help": "That user's password (never printed)."},
    )
    gsp_auth: str = field(
        default="auto",
        metadata={
            "env": "KG_GSP_AUTH",
            "help": "HTTP authentication for the Graph Store endpoint: auto (as the server's challenge asks), basic, digest.",
        },
    )
    publish_chunk_bytes: int = field(
        default=32_000_000,
        metadata={
            "env": "KG_PUBLISH_CHUNK_BYTES",
            "help": "Most bytes of N-Triples `kg publish` sends in one request; larger graphs go in chunks.",
        },
    )

    def __post_init__(self) -> None:
        if not self.base_iri.endswith("/"):
            raise ValueError(f"KG_BASE_IRI must end with '/': {self.base_iri!r}")
        if self.build_dir is None:
            object.__setattr__(self, "build_dir", self.root / "build")

    @property
    def build_path(self) -> Path:
        """BUILD_DIR resolved: the directory given, else ROOT/build (`__post_init__` fills it in)."""
        return cast(Path, self.build_dir)

    @property
    def releases_dir(self) -> Path:
        return self.build_path / "releases"

    @property
    def current_link(self) -> Path:
        return self.build_path / "current"

    def with_(self, **changes) -> Settings:
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


def from_env(environ: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Settings from the environment (KG_* variables), then explicit overrides."""
    variables: Mapping[str, str] = os.environ if environ is None else environ
    values: dict[str, Any] = {}  # each value of its field's type (`_convert`)
    for f in fields(Settings):
        env = f.metadata.get("env")
        if env and variables.get(env) not in (None, ""):
            values[f.name] = _convert(variables[env], f.type)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


SETTINGS = [(f.metadata["env"], f.name, f.metadata["help"]) for f in fields(Settings)]
