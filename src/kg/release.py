"""Releases: a built graph written once into its own directory and switched in atomically.

    build/releases/<id>/manifest.json   what went in, what came out (checksums, sizes, counts)
    build/releases/<id>/store/          the embedded Oxigraph store (named graphs)
    build/releases/<id>/airm-kg.*       dumps: TriG, N-Quads (all graphs), Turtle, N-Triples, JSON-LD (union)
    build/current -> releases/<id>      the release in service

A build writes into `releases/.tmp-<id>` and renames it when complete, then replaces the `current`
link with one rename; a failed or killed build leaves the previous release serving and intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox

from kg.config import Settings
from kg.errors import NoRelease
from kg.formats import lookup
from kg.namespaces import PREFIXES

DUMPS = ("trig", "nquads", "turtle", "ntriples", "jsonld")
DUMP_NAME = "airm-kg"


@dataclass(frozen=True)
class Release:
    path: Path
    manifest: dict

    @property
    def id(self) -> str:
        return self.manifest["id"]

    def open_store(self) -> ox.Store:
        """The release's store, read-only."""
        return ox.Store.read_only(str(self.path / "store"))

    def dump_path(self, fmt: str) -> Path:
        return self.path / f"{DUMP_NAME}.{lookup(fmt).suffix}"


def new_id(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def staging_dir(settings: Settings, release_id: str) -> Path:
    path = settings.releases_dir / f".tmp-{release_id}"
    path.mkdir(parents=True, exist_ok=False)
    return path


def write_store(staging: Path, memory: ox.Store) -> None:
    disk = ox.Store(str(staging / "store"))
    disk.bulk_load(memory.dump(format=ox.RdfFormat.N_QUADS), ox.RdfFormat.N_QUADS)
    disk.flush()
    del disk


def write_dumps(staging: Path, memory: ox.Store) -> list[dict]:
    """Write every dump format; return their file entries for the manifest."""
    files = []
    union = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in memory}, key=str)
    for name in DUMPS:
        fmt = lookup(name)
        path = staging / f"{DUMP_NAME}.{fmt.suffix}"
        with path.open("wb") as out:
            if fmt.kind == "dataset":
                memory.dump(out, fmt.oxigraph, prefixes=PREFIXES if name == "trig" else None)
            else:
                ox.serialize(union, out, fmt.oxigraph, prefixes=PREFIXES if name == "turtle" else None)
        files.append({"name": path.name, "format": fmt.name, "media_type": fmt.media_type,
                      "bytes": path.stat().st_size, "sha256": sha256(path)})
    return files


def copy_shapes(staging: Path, shapes: list[Path]) -> list[dict]:
    files = []
    for src in shapes:
        dst = staging / f"shapes-{src.name}"
        shutil.copyfile(src, dst)
        files.append({"name": dst.name, "format": "turtle", "media_type": "text/turtle",
                      "bytes": dst.stat().st_size, "sha256": sha256(dst)})
    return files


def publish(settings: Settings, staging: Path, manifest: dict) -> Release:
    """Finish the staging directory and switch `current` to it atomically."""
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    final = settings.releases_dir / manifest["id"]
    os.replace(staging, final)
    link_tmp = settings.build_dir / f".current-{manifest['id']}"
    os.symlink(Path("releases") / manifest["id"], link_tmp)
    os.replace(link_tmp, settings.current_link)
    prune(settings)
    return Release(final, manifest)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def prune(settings: Settings) -> None:
    """Keep the newest `keep_releases` releases (never the current one, never a versioned one:
    `kg release` stamps a version on releases meant to be kept and compared); drop stale staging dirs."""
    current = current_path(settings)
    releases = sorted(p for p in settings.releases_dir.iterdir() if not p.name.startswith("."))
    for old in releases[:-settings.keep_releases]:
        if old.resolve() != current and not _manifest(old).get("version"):
            shutil.rmtree(old, ignore_errors=True)


def _manifest(path: Path) -> dict:
    try:
        return json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def all_releases(settings: Settings) -> list[Release]:
    """Every complete release in the build directory, oldest first."""
    if not settings.releases_dir.is_dir():
        return []
    out = []
    for path in sorted(p for p in settings.releases_dir.iterdir() if not p.name.startswith(".")):
        manifest = _manifest(path)
        if manifest.get("id"):
            out.append(Release(path, manifest))
    return out


def switch(settings: Settings, release_id: str) -> Release:
    """Put an existing release back in service (one atomic rename of the `current` link)."""
    final = settings.releases_dir / release_id
    manifest = _manifest(final)
    if not manifest:
        raise NoRelease(f"no release {release_id} in {settings.releases_dir}")
    link_tmp = settings.build_dir / f".current-{release_id}-{os.getpid()}"
    os.symlink(Path("releases") / release_id, link_tmp)
    os.replace(link_tmp, settings.current_link)
    return Release(final, manifest)


def current_path(settings: Settings) -> Path | None:
    link = settings.current_link
    return link.resolve() if link.exists() else None


def current(settings: Settings) -> Release:
    """The release in service; NoRelease when nothing was built yet."""
    path = current_path(settings)
    if path is None or not (path / "manifest.json").is_file():
        raise NoRelease(f"no release in {settings.build_dir}: run `kg build` (or `make build`) first")
    return Release(path, json.loads((path / "manifest.json").read_text(encoding="utf-8")))
