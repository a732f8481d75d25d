"""Releases: a built graph written once into its own directory and switched in atomically.

    build/releases/<id>/manifest.json   what went in, what came out (checksums, sizes, counts)
    build/releases/<id>/store/          the embedded Oxigraph store (named graphs)
    build/releases/<id>/airm-kg.*       dumps: TriG, N-Quads (all graphs), Turtle, N-Triples, JSON-LD (union)
    build/releases/<id>/search.sqlite   the explorer's full-text and facet index (kg.explorer)
    build/current -> releases/<id>      the release in service

A build writes into `releases/.tmp-<id>` and renames it when complete, then replaces the `current`
link with one rename; a failed or killed build leaves the previous release serving and intact.
Everything is fsynced (files, then directories) before each rename, so a power cut cannot leave a
`current` pointing at a release whose files were never written. A staging directory is locked
(`flock` on `releases/.tmp-<id>.lock`) while its build runs; the next build removes the staging
directories whose lock is free, i.e. whose build died. `verify` checks a release against its manifest.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from kg.config import Settings
from kg.errors import NoRelease
from kg.formats import lookup
from kg.namespaces import DEFAULT_BASE, PREFIXES
from kg.rdf import jsonld

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
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_LOCKS: dict[Path, int] = {}  # staging directory -> the fd holding its lock


def staging_dir(settings: Settings, release_id: str) -> Path:
    """A new, locked staging directory `releases/.tmp-<id>` (stale ones of dead builds are removed)."""
    settings.releases_dir.mkdir(parents=True, exist_ok=True)
    clean_stale(settings)
    path = settings.releases_dir / f".tmp-{release_id}"
    fd = _lock(_lock_path(path), wait=False)
    if fd is None:
        raise FileExistsError(f"{path}: another build is using this release id")
    try:
        path.mkdir(exist_ok=False)
    except BaseException:
        os.close(fd)
        raise
    _LOCKS[path] = fd
    return path


def _lock_path(staging: Path) -> Path:
    return staging.with_name(staging.name + ".lock")


def _lock(lock: Path, wait: bool = False, create: bool = True) -> int | None:
    """An fd holding an exclusive flock on the file `lock` (None when another process holds it).
    The file is re-checked after locking: one unlinked meanwhile (by its owner or a cleaner) is no lock."""
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | (os.O_CREAT if create else 0), 0o644)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)
        if not create:
            return None


def _unlock(staging: Path) -> None:
    fd = _LOCKS.pop(staging, None)
    if fd is not None:
        _lock_path(staging).unlink(missing_ok=True)
        os.close(fd)


def clean_stale(settings: Settings) -> list[Path]:
    """Remove the staging directories (and lock files) of builds that died; return what was removed.
    A staging directory whose lock is held belongs to a running build and stays."""
    removed: list[Path] = []
    if not settings.releases_dir.is_dir():
        return removed
    for entry in sorted(settings.releases_dir.glob(".tmp-*")):
        staging = entry.with_name(entry.name[: -len(".lock")]) if entry.name.endswith(".lock") else entry
        if staging in _LOCKS or (entry is not staging and staging.exists()):
            continue  # ours, or a lock file whose directory is handled on its own
        fd = _lock(_lock_path(staging), create=entry is staging)
        if fd is None:
            continue  # its build is running (or it went away meanwhile)
        try:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
                removed.append(staging)
            _lock_path(staging).unlink(missing_ok=True)
        finally:
            os.close(fd)
    for link in settings.build_path.glob(".current-*"):  # half-made links of dead processes
        pid = link.name.rsplit("-", 1)[-1]
        if link.is_symlink() and pid.isdigit() and not process_alive(int(pid)):
            link.unlink(missing_ok=True)
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process of this id exists (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fsync_tree(path: Path) -> None:
    """fsync every file below `path`, then every directory (deepest first), then `path` itself."""
    dirs = []
    for root, _dirnames, filenames in os.walk(path):
        dirs.append(root)
        for name in filenames:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    for d in reversed(dirs):
        fsync_dir(Path(d))


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_store(staging: Path, memory: ox.Store) -> None:
    disk = ox.Store(str(staging / "store"))
    disk.bulk_extend(memory)  # straight from store to store: no N-Quads text in between
    disk.flush()
    del disk


def write_dumps(staging: Path, memory: ox.Store, base: str = DEFAULT_BASE) -> list[dict]:
    """Write every dump format (JSON-LD compacted with the project's context) and the context
    document itself; return their file entries for the manifest."""
    files = []
    union = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in memory}, key=str)
    for name in DUMPS:
        fmt = lookup(name)
        path = staging / f"{DUMP_NAME}.{fmt.suffix}"
        with path.open("wb") as out:
            if fmt.kind == "dataset":
                memory.dump(out, fmt.rdf_format, prefixes=PREFIXES if name == "trig" else None)
            elif name == "jsonld":
                out.write(jsonld.serialize(union, base))
            else:
                ox.serialize(union, out, fmt.rdf_format, prefixes=PREFIXES if name == "turtle" else None)
        files.append(file_entry(path, fmt.name, fmt.media_type))
    context = staging / jsonld.CONTEXT_NAME
    context.write_bytes(jsonld.context_document(base))
    return [*files, file_entry(context, "jsonld-context", "application/ld+json")]


def file_entry(path: Path, fmt: str, media_type: str) -> dict:
    """A file's entry in the manifest (what `verify` checks)."""
    return {
        "name": path.name,
        "format": fmt,
        "media_type": media_type,
        "bytes": path.stat().st_size,
        "sha256": sha256(path),
    }


def copy_shapes(staging: Path, shapes: list[Path]) -> list[dict]:
    files = []
    for src in shapes:
        dst = staging / f"shapes-{src.name}"
        shutil.copyfile(src, dst)
        files.append(file_entry(dst, "turtle", "text/turtle"))
    return files


def install(settings: Settings, staging: Path, manifest: dict) -> Release:
    """Finish the staging directory and switch `current` to it atomically (and durably: every file
    and directory is on disk before the rename that makes it visible)."""
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    fsync_tree(staging)
    final = settings.releases_dir / manifest["id"]
    os.replace(staging, final)
    fsync_dir(settings.releases_dir)
    _unlock(staging)
    _switch_link(settings, manifest["id"])
    prune(settings)
    return Release(final, manifest)


def _switch_link(settings: Settings, release_id: str) -> None:
    link_tmp = settings.build_path / f".current-{release_id}-{os.getpid()}"
    link_tmp.unlink(missing_ok=True)
    os.symlink(Path("releases") / release_id, link_tmp)
    os.replace(link_tmp, settings.current_link)
    fsync_dir(settings.build_path)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    _unlock(staging)


def prune(settings: Settings) -> None:
    """Keep the newest `keep_releases` unversioned releases (and always the current one); never
    remove a versioned one (`kg release` stamps a version on releases meant to be kept and compared);
    drop stale staging dirs."""
    clean_stale(settings)
    current = current_path(settings)
    releases = sorted(p for p in settings.releases_dir.iterdir() if not p.name.startswith("."))
    unversioned = [p for p in releases if not _manifest(p).get("version")]
    for old in unversioned[: -settings.keep_releases]:
        if old.resolve() != current:
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
    _switch_link(settings, release_id)
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


def verify(rel: Release) -> list[str]:
    """What is wrong with a release, checked against its manifest (empty: intact): every file listed
    is there with its size and SHA-256, and the store opens and holds the manifest's quads."""
    problems = []
    stored = _manifest(rel.path)
    if stored != rel.manifest:
        problems.append(f"{rel.path}/manifest.json: missing, unreadable or changed")
    for entry in [*rel.manifest.get("files", []), *([rel.manifest["index"]] if "index" in rel.manifest else [])]:
        path = rel.path / entry["name"]
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.stat().st_size != entry["bytes"]:
            problems.append(f"{path}: {path.stat().st_size} bytes, the manifest says {entry['bytes']}")
        elif sha256(path) != entry["sha256"]:
            problems.append(f"{path}: SHA-256 differs from the manifest's")
    try:
        store = rel.open_store()
        quads = len(store)
        del store
    except Exception as exc:
        problems.append(f"{rel.path}/store: does not open: {exc}")
    else:
        if quads != rel.manifest.get("quads"):
            problems.append(f"{rel.path}/store: {quads} quads, the manifest says {rel.manifest.get('quads')}")
    return problems
