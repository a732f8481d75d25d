"""Release versions: `kg release` stamps a version on the current build.

A version is date-based, `YYYY.MM.DD` for the first release of a (UTC) day and `YYYY.MM.DD.N` for
the N-th (N >= 2), or semantic (`1.2.0`, `1.2.0-rc.1`) when given. Stamping writes a new release
directory (the same quads plus the graph `kg:graph/release` describing the release), with
checksums in its manifest and in `SHA256SUMS`, and switches `build/current` to it atomically; the
unversioned build it came from is pruned like any other. Versioned releases are never pruned, so
that `kg diff` can compare them.

The release is described as `kg:release/{version}`: a void:Dataset and dcat:Dataset with
`dcat:version` and `owl:versionInfo`, `dcterms:issued` (xsd:dateTime), `dcterms:identifier` (the
release id), `void:triples`, the licence, and `dcterms:replaces` the previous version.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime

import pyoxigraph as ox

from kg import explorer
from kg.config import Settings
from kg.errors import NoRelease, VersionError
from kg.namespaces import DEFAULT_BASE, GRAPH, node, rebase
from kg.release import directory

DATE_VERSION = re.compile(r"^\d{4}\.\d{2}\.\d{2}(\.\d+)?$")
SEMANTIC_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
RELEASE_GRAPH = f"{GRAPH}release"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def release_iri(version: str, base: str) -> str:
    return rebase(f"{DEFAULT_BASE}release/{version}", base)


def versioned(settings: Settings) -> list[directory.Release]:
    """Versioned releases, oldest first."""
    return [r for r in directory.all_releases(settings) if r.manifest.get("version")]


def label(rel: directory.Release) -> str:
    """How a release is named to people: its version, else its id."""
    return rel.manifest.get("version") or rel.id


def next_version(settings: Settings, now: datetime | None = None, taken: set[str] | None = None) -> str:
    """The date-based version for a new release today: YYYY.MM.DD, then YYYY.MM.DD.2, .3, ..."""
    day = (now or datetime.now(UTC)).strftime("%Y.%m.%d")
    taken = taken if taken is not None else {label(r) for r in versioned(settings)}
    if day not in taken:
        return day
    n = 2
    while f"{day}.{n}" in taken:
        n += 1
    return f"{day}.{n}"


def check_version(settings: Settings, version: str) -> str:
    version = version.strip()
    if not (DATE_VERSION.match(version) or SEMANTIC_VERSION.match(version)):
        raise VersionError(
            f"version {version!r}: write it as YYYY.MM.DD[.N] (date-based) or MAJOR.MINOR.PATCH (semantic)"
        )
    if version in {label(r) for r in versioned(settings)}:
        raise VersionError(f"version {version} is taken; choose another (or omit --version for a date-based one)")
    return version


def resolve(settings: Settings, ref: str) -> directory.Release:
    """A release by version, by id, or "current"."""
    if ref in ("current", "latest"):
        return directory.current(settings)
    known = directory.all_releases(settings)
    for rel in reversed(known):
        if ref in (rel.manifest.get("version"), rel.id):
            return rel
    names = ", ".join(label(r) for r in known[-10:]) or "none"
    raise NoRelease(
        f"no release {ref!r} in {settings.releases_dir} (recent: {names}); versions are stamped by `kg release`"
    )


def release_quads(
    version: str, release_id: str, issued: str, quads: int, base: str, previous: str | None
) -> list[ox.Quad]:
    """The triples describing a release, in the graph kg:graph/release."""
    g = ox.NamedNode(rebase(RELEASE_GRAPH, base))
    r = ox.NamedNode(release_iri(version, base))
    out: list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (r, node("rdf:type"), node("void:Dataset")),
        (r, node("rdf:type"), node("dcat:Dataset")),
        (r, node("rdf:type"), node("prov:Entity")),
        (r, node("dcterms:title"), ox.Literal(f"AIRM-KG {version}", language="en")),
        (r, node("dcat:version"), ox.Literal(version)),
        (r, node("owl:versionInfo"), ox.Literal(version)),
        (r, node("dcterms:identifier"), ox.Literal(release_id)),
        (r, node("dcterms:issued"), ox.Literal(issued, datatype=node("xsd:dateTime"))),
        (r, node("dcterms:license"), ox.NamedNode(CC_BY)),
        (r, node("void:triples"), ox.Literal(str(quads), datatype=node("xsd:integer"))),
    ]
    if previous:
        out.append((r, node("dcterms:replaces"), ox.NamedNode(release_iri(previous, base))))
    return [ox.Quad(s, p, o, g) for s, p, o in out]


def stamp(settings: Settings, version: str | None = None, now: datetime | None = None) -> directory.Release:
    """Stamp `version` (default: the next date-based one) on the current build; return the new release."""
    current = directory.current(settings)
    if current.manifest.get("version"):
        raise VersionError(
            f"the current release {current.id} is already version "
            f"{current.manifest['version']}; `kg build` makes a new one to stamp"
        )
    now = now or datetime.now(UTC)
    version = check_version(settings, version) if version else next_version(settings, now)
    previous = versioned(settings)
    previous_version = previous[-1].manifest["version"] if previous else None
    base = current.manifest.get("base_iri", settings.base_iri)
    issued = now.isoformat(timespec="seconds").replace("+00:00", "Z")

    memory = ox.Store()
    source = current.open_store()
    memory.extend(iter(source))
    del source
    data_quads = len(memory)
    release_id = directory.new_id()
    memory.extend(release_quads(version, release_id, issued, data_quads, base, previous_version))

    staging = directory.staging_dir(settings, release_id)
    try:
        directory.write_store(staging, memory)
        files = directory.write_dumps(staging, memory, base)
        if (current.path / explorer.FILE).is_file():  # the same mitigations: the search index carries over
            shutil.copyfile(current.path / explorer.FILE, staging / explorer.FILE)
        for shapes in sorted(current.path.glob("shapes-*.ttl")):
            shutil.copyfile(shapes, staging / shapes.name)
            files.append(
                {
                    "name": shapes.name,
                    "format": "turtle",
                    "media_type": "text/turtle",
                    "bytes": shapes.stat().st_size,
                    "sha256": directory.sha256(shapes),
                }
            )
        (staging / "SHA256SUMS").write_text("".join(f"{f['sha256']}  {f['name']}\n" for f in files), encoding="utf-8")
        manifest = {
            **current.manifest,
            "id": release_id,
            "created": now.isoformat(timespec="seconds"),
            "version": version,
            "issued": issued,
            "stamped_from": current.id,
            "previous_version": previous_version,
            "release_iri": release_iri(version, base),
            "quads": len(memory),
            "files": files,
        }
        return directory.install(settings, staging, manifest)
    except BaseException:
        directory.discard(staging)
        raise
