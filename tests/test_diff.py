"""Release versions (`kg release`) and what changed between two releases (`kg diff`, /diff).

Small hand-made releases (a few triples each, published with kg.release.directory) keep these tests fast.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import RDF

from kg import api
from kg.errors import NoRelease, VersionError
from kg.namespaces import GRAPH
from kg.release import directory, stamp
from kg.release.diff import compare, snapshot

from conftest import project_settings

CS = Namespace("http://purl.org/vocab/changeset/schema#")
PREFIXES = """
@base <https://w3id.org/airm-kg/> .
@prefix airm: <https://w3id.org/airm-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<vocab/mitigation-taxonomy/2.2.3> skos:inScheme <vocab/mitigation-taxonomy> ; skos:notation "2.2.3" ;
    skos:prefLabel "Auditing & Compliance"@en .
<vocab/mit-v1-mitigation-taxonomy/1.1> skos:inScheme <vocab/mit-v1-mitigation-taxonomy> ; skos:notation "1.1" ;
    skos:prefLabel "Board Structure & Oversight"@en .
<vocab/lifecycle-stage/deploy> skos:inScheme <vocab/lifecycle-stage> ; skos:prefLabel "Deploy"@en .
<person/a-ann> foaf:familyName "A" ; foaf:givenName "Ann" .
<person/b> foaf:familyName "B" .
"""
OLD = (
    PREFIXES
    + """
<document/D1> a airm:SourceDocument ; dcterms:title "Doc one" ; dcterms:issued "2024"^^xsd:gYear ;
    bibo:authorList ( <person/a-ann> <person/b> ) .
<mitigation/M1> a airm:Mitigation ; rdfs:label "One" ; airm:sourceDocument <document/D1> ;
    airm:mitigationCategory <vocab/mit-v1-mitigation-taxonomy/1.1> ;
    airm:hasClassification <classification/M1/curator> .
<classification/M1/curator> a airm:Classification ; airm:classifies <mitigation/M1> ;
    airm:category <vocab/mit-v1-mitigation-taxonomy/1.1> ; prov:wasAttributedTo <agent/mit> .
<mitigation/M2> a airm:Mitigation ; rdfs:label "Two" ; airm:sourceDocument <document/D1> .
<mitigation/M4> a airm:Mitigation ; rdfs:label "Four" ; airm:sourceDocument <document/D1> ;
    prov:wasGeneratedBy <import/x/1> .
"""
)
NEW = (
    PREFIXES
    + """
<document/D1> a airm:SourceDocument ; dcterms:title "Doc one" ; dcterms:issued "2024"^^xsd:gYear ;
    bibo:authorList ( <person/b> <person/a-ann> ) .
<mitigation/M1> a airm:Mitigation ; rdfs:label "One" ; airm:sourceDocument <document/D1> ;
    airm:mitigationCategory <vocab/mitigation-taxonomy/2.2.3> ;
    airm:hasClassification <classification/M1/curator> .
<classification/M1/curator> a airm:Classification ; airm:classifies <mitigation/M1> ;
    airm:category <vocab/mitigation-taxonomy/2.2.3> ; prov:wasAttributedTo <agent/curator> .
<mitigation/M3> a airm:Mitigation ; rdfs:label "Three" ; airm:sourceDocument <document/D1> ;
    airm:primaryLifecycleStage <vocab/lifecycle-stage/deploy> .
<mitigation/M4> a airm:Mitigation ; rdfs:label "Four" ; airm:sourceDocument <document/D1> ;
    prov:wasGeneratedBy <import/x/2> .
"""
)


def store_of(ttl: str) -> ox.Store:
    store = ox.Store()
    store.load(ttl.encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f"{GRAPH}data/test"))
    return store


def publish(settings, ttl: str) -> directory.Release:
    memory = store_of(ttl)
    rid = directory.new_id()
    staging = directory.staging_dir(settings, rid)
    directory.write_store(staging, memory)
    files = directory.write_dumps(staging, memory)
    manifest = {
        "id": rid,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_iri": settings.base_iri,
        "quads": len(memory),
        "files": files,
        "inputs": [],
    }
    return directory.install(settings, staging, manifest)


@pytest.fixture
def settings(tmp_path):
    return project_settings(build_dir=tmp_path / "build")


# --- comparing ----------------------------------------------------------------------------------


def test_changes_are_listed_per_mitigation_with_their_classifications():
    changes = compare(snapshot(store_of(OLD)), snapshot(store_of(NEW)))
    got = [(c.kind, c.subject.split("airm-kg/")[1], c.status) for c in changes]
    assert got == [
        ("classification", "classification/M1/curator", "changed"),
        ("document", "document/D1", "changed"),
        ("mitigation", "mitigation/M1", "changed"),
        ("mitigation", "mitigation/M2", "removed"),
        ("mitigation", "mitigation/M3", "added"),
    ], "provenance (M4) is not a change"
    document = changes[1]
    assert [(p.rsplit("/", 1)[-1], o.value) for p, o in document.removed] == [("authorList", "A, Ann; B")]
    assert [(p.rsplit("/", 1)[-1], o.value) for p, o in document.added] == [("authorList", "B; A, Ann")]


def test_the_readable_list_names_codes_and_labels(settings):
    old, new = publish(settings, OLD), publish(settings, NEW)
    text = "\n".join(api.diff(old.id, new.id, settings).lines())
    assert text.splitlines()[0].endswith(
        "mitigations: 1 added, 1 changed, 1 removed; classifications: 1 changed; documents: 1 changed"
    )
    assert (
        'changed mitigation M1 "One"\n    category: v1:1.1 Board Structure & Oversight -> 2.2.3 Auditing & Compliance'
        in text
    )
    assert "classification (curator): made by: kg:agent/mit -> kg:agent/curator" in text
    assert 'removed mitigation M2 "Two"' in text and 'added mitigation M3 "Three"' in text
    assert 'authors: "A, Ann; B" -> "B; A, Ann"' in text


def test_the_changes_as_rdf_use_the_changeset_vocabulary(settings):
    old = publish(settings, OLD)
    publish(settings, NEW)  # becomes "current"
    changes = api.diff(old.id, "current", settings)
    g = Graph().parse(data=changes.turtle(), format="turtle")
    sets = list(g.subjects(RDF.type, CS.ChangeSet))
    assert len(sets) == 5
    additions = {
        (str(g.value(st, RDF.predicate)).rsplit("#", 1)[-1], str(g.value(st, RDF.object)).rsplit("/", 1)[-1])
        for cs in sets
        for st in g.objects(cs, CS.addition)
    }
    assert ("mitigationCategory", "2.2.3") in additions
    reasons = sorted(str(g.value(cs, CS.changeReason)) for cs in sets)
    assert reasons == [
        "added mitigation",
        "changed classification",
        "changed document",
        "changed mitigation",
        "removed mitigation",
    ]
    data = changes.as_dict()
    assert json.loads(json.dumps(data))["summary"] == changes.summary()


def test_identical_releases_have_no_changes(settings):
    old, new = publish(settings, OLD), publish(settings, OLD)
    changes = api.diff(old.id, new.id, settings)
    assert changes.changes == [] and changes.summary() == "no changes"


# --- versions -----------------------------------------------------------------------------------


def test_stamping_versions_the_current_build_and_describes_it(settings):
    first = publish(settings, OLD)
    now = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
    v1 = stamp.stamp(settings, now=now)
    assert v1.manifest["version"] == "2025.03.04" and v1.manifest["stamped_from"] == first.id
    assert directory.current(settings).id == v1.id
    publish(settings, NEW)
    v2 = stamp.stamp(settings, now=now)
    assert v2.manifest["version"] == "2025.03.04.2" and v2.manifest["previous_version"] == "2025.03.04"
    rows = list(
        v2.open_store().query(
            "SELECT ?p ?o WHERE { GRAPH <https://w3id.org/airm-kg/graph/release> { "
            "<https://w3id.org/airm-kg/release/2025.03.04.2> ?p ?o } }"
        )
    )
    facts = {(r["p"].value.rsplit("/", 1)[-1].rsplit("#", 1)[-1], r["o"].value) for r in rows}
    assert ("version", "2025.03.04.2") in facts and ("versionInfo", "2025.03.04.2") in facts
    assert ("replaces", "https://w3id.org/airm-kg/release/2025.03.04") in facts
    assert ("identifier", v2.id) in facts
    sums = (v2.path / "SHA256SUMS").read_text().splitlines()
    for line in sums:
        digest, name = line.split("  ")
        assert directory.sha256(v2.path / name) == digest
    assert {f["name"] for f in v2.manifest["files"]} == {line.split("  ")[1] for line in sums}
    assert len(v2.open_store()) == v2.manifest["quads"]


def test_versions_are_checked_and_releases_found_by_version_or_id(settings):
    publish(settings, OLD)
    stamped = stamp.stamp(settings, "1.0.0")
    with pytest.raises(VersionError, match="already version 1.0.0"):
        stamp.stamp(settings, "1.0.1")
    publish(settings, NEW)
    with pytest.raises(VersionError, match="taken"):
        stamp.stamp(settings, "1.0.0")
    with pytest.raises(VersionError, match="YYYY.MM.DD"):
        stamp.stamp(settings, "v2 final")
    assert stamp.resolve(settings, "1.0.0").id == stamped.id
    assert stamp.resolve(settings, stamped.id).id == stamped.id
    assert stamp.resolve(settings, "current").id == directory.current(settings).id
    with pytest.raises(NoRelease, match="no release 'nope'"):
        stamp.resolve(settings, "nope")


def test_pruning_keeps_versioned_releases(tmp_path):
    settings = project_settings(build_dir=tmp_path / "build", keep_releases=1)
    publish(settings, OLD)
    kept = stamp.stamp(settings, "1.0.0")
    for _ in range(3):
        publish(settings, NEW)
    names = [p.name for p in settings.releases_dir.iterdir()]
    assert kept.id in names and len(names) == 2


# --- the page -----------------------------------------------------------------------------------


@pytest.fixture
def client(settings):
    """Requests to the app in this process (httpx over ASGI; the release opened as the lifespan would)."""
    import httpx

    from kg.web.app import create_app

    publish(settings, OLD)
    stamp.stamp(settings, "1.0.0")
    publish(settings, NEW)
    stamp.stamp(settings, "1.1.0")
    app = create_app(settings)

    def get(path: str, **kwargs):
        async def go():
            async with app.router.lifespan_context(app):
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kg.test") as c:
                    return await c.get(path, **kwargs)

        return asyncio.run(go())

    return get


def test_the_diff_page_lists_releases_and_shows_changes(client):
    listing = client("/diff", headers={"accept": "application/json"}).json()["releases"]
    assert [r["version"] for r in listing] == ["1.1.0", "1.0.0"] and listing[0]["current"]
    page = client("/diff?old=1.0.0&new=1.1.0")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "changed mitigation M1" in page.text and "2.2.3 Auditing &amp; Compliance" in page.text
    turtle = client("/diff/1.0.0/1.1.0", headers={"accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle") and "cs:ChangeSet" in turtle.text
    assert client("/diff?old=1.0.0&format=json").json()["summary"].startswith("mitigations:")
    assert client("/diff?old=9.9.9").status_code == 404
