"""Dumps (listed with the manifest's sizes and checksums, streamed byte for byte) and the VoID/DCAT
description at /.well-known/void, over the real server."""

from __future__ import annotations

import hashlib

import pyoxigraph as ox
import pytest

pytestmark = pytest.mark.server

BASE = "https://w3id.org/airm-kg/"
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_dumps_are_listed_and_stream_what_the_manifest_says(http, current):
    listed = http.get("/-/dumps", headers={"Accept": "application/json"}).json()
    assert listed["release"] == current.id
    assert {f["name"] for f in listed["files"]} == {f["name"] for f in current.manifest["files"]}
    formats = {f["format"] for f in listed["files"]}
    assert {"turtle", "ntriples", "jsonld", "nquads", "trig"} <= formats
    for f in listed["files"]:
        r = http.get(f["url"])
        assert r.status_code == 200 and r.headers["content-type"].startswith(f["media_type"])
        assert hashlib.sha256(r.content).hexdigest() == f["sha256"] and len(r.content) == f["bytes"]
        assert r.headers["etag"] == f'"{f["sha256"]}"'
    page = http.get("/-/dumps", headers=BROWSER)
    assert all(f'href="{f["url"]}"' in page.text and f["sha256"] in page.text for f in listed["files"])
    assert http.get("/-/dumps/nothing.ttl").status_code == 404


def test_jsonld_dump_parses_with_the_graph(http, current):
    entry = next(f for f in current.manifest["files"] if f["format"] == "jsonld")
    triples = list(ox.parse(http.get(f"/-/dumps/{entry['name']}").content, format=ox.RdfFormat.JSON_LD))
    turtle = set(ox.parse(path=str(current.path / "airm-kg.ttl"), format=ox.RdfFormat.TURTLE))
    assert len(set(triples)) == len(turtle) > 10000


def test_void_describes_the_dataset(http, server, current, store):
    r = http.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    triples = list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    ds = ox.NamedNode(BASE + ".well-known/void#airm-kg")
    props: dict[str, list] = {}
    for t in triples:
        if t.subject == ds:
            props.setdefault(t.predicate.value, []).append(t.object)
    assert ox.NamedNode(VOID + "Dataset") in props[RDF_TYPE.value]
    assert [o.value for o in props[VOID + "uriSpace"]] == [BASE]
    assert [o.value for o in props[VOID + "sparqlEndpoint"]] == [server + "/sparql"]
    dumps = {o.value for o in props[VOID + "dataDump"]}
    assert {
        f"{server}/-/dumps/{f['name']}" for f in current.manifest["files"] if f["name"].startswith("airm-kg.")
    } == dumps
    distinct = len({(q.subject, q.predicate, q.object) for q in store})
    assert [int(o.value) for o in props[VOID + "triples"]] == [distinct]
    version = current.manifest.get("version")  # what `kg release` stamped; an unstamped build has none
    assert [o.value for o in props.get("http://www.w3.org/2002/07/owl#versionInfo", [])] == (
        [version] if version else []
    )
    assert props[DCTERMS + "issued"]
    subsets = props[VOID + "subset"]
    assert subsets
    for subset in subsets:
        assert any(t.subject == subset and t.predicate.value == DCTERMS + "license" for t in triples), subset
    for dump in sorted(dumps)[:2]:
        assert http.head(dump).status_code == 200
    jsonld = http.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert any(t.subject == ds for t in ox.parse(jsonld.content, format=ox.RdfFormat.JSON_LD))
    page = http.get("/.well-known/void", headers=BROWSER)
    assert page.status_code == 200 and "licence" in page.text and 'rel="alternate"' in page.text
