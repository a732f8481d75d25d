"""Dereferencing every IRI over the real server: content negotiation, suffixes, headers, 404/406,
every subject of the Turtle dump, and a crawl of the HTML pages with no dead link."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
import pytest

pytestmark = pytest.mark.server

BASE = "https://w3id.org/airm-kg/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
RDF = {
    "ttl": ("text/turtle", ox.RdfFormat.TURTLE),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "nt": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "rdf": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
}
KINDS = {
    "mitigation": "mitigation/A0086_Future_of_Life_Institute2024",
    "seed mitigation": "mitigation/shi2024-value-misalignment",
    "document": "document/shi2024",
    "person": "person/shi-dan",
    "concept": "vocab/mitigation-taxonomy/1.1",
    "scheme": "vocab/mitigation-taxonomy",
    "stage": "vocab/lifecycle-stage/build-and-use-model",
    "actor": "vocab/actor/developer",
    "function": "vocab/airm-function/manage",
    "risk": "risk/shi2024-value-misalignment",
    "risk category": "vocab/risk-domain/1",
    "dataset": "dataset/mit-mitigation-database-v1",
    "ontology": "ontology",
    "shapes": "shapes",
    "classification": "classification/A0086_Future_of_Life_Institute2024/curator",
    "evidence": "evidence/A0086_Future_of_Life_Institute2024",
}


def parse(body: bytes, fmt) -> list[ox.Triple]:
    return list(ox.parse(body, format=fmt, base_iri=BASE))


def check_rdf(r, path: str, suffix: str) -> None:
    media_type, fmt = RDF[suffix]
    assert r.status_code == 200 and r.headers["content-type"].startswith(media_type)
    assert "Accept" in r.headers["vary"] and r.headers["etag"]
    assert r.headers["content-location"] == f"/{path}.{suffix}"
    alternates = re.findall(r'<([^>]+)>; rel="alternate"', r.headers["link"])
    assert f"/{path}.html" in alternates and len(alternates) == 4
    node = ox.NamedNode(BASE + path)
    assert any(t.subject == node and t.predicate == RDF_TYPE for t in parse(r.content, fmt)), "<iri> a ?type"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("suffix", RDF)
def test_rdf_by_accept_and_by_suffix(http, kind, suffix):
    path = KINDS[kind]
    check_rdf(http.get(f"/{path}", headers={"Accept": RDF[suffix][0]}), path, suffix)
    check_rdf(http.get(f"/{path}.{suffix}"), path, suffix)
    # the suffix wins over Accept
    other = "text/html" if suffix != "ttl" else "application/ld+json"
    check_rdf(http.get(f"/{path}.{suffix}", headers={"Accept": other}), path, suffix)


@pytest.mark.parametrize("kind", KINDS)
def test_html_by_accept_and_by_suffix(http, kind):
    path = KINDS[kind]
    for url, headers in ((f"/{path}", BROWSER), (f"/{path}.html", {"Accept": "text/turtle"})):
        r = http.get(url, headers=headers)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), url
        assert "Accept" in r.headers["vary"] and r.headers["etag"] and r.headers["content-location"] == f"/{path}.html"
        linked = set(re.findall(r'<link rel="alternate" type="([^"]+)" href="([^"]+)"', r.text))
        assert linked == {(media, f"/{path}.{s}") for s, (media, _) in RDF.items()}
        assert 'rel="alternate"' in r.headers["link"]
        assert re.search(r"<h1>[^<]*\S", r.text), "a main heading"


def test_etag_revalidates(http):
    r = http.get("/document/shi2024", headers={"Accept": "text/turtle"})
    again = http.get("/document/shi2024", headers={"Accept": "text/turtle", "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == r.headers["etag"]
    html = http.get("/document/shi2024", headers=BROWSER)
    assert html.headers["etag"] != r.headers["etag"], "each representation has its own ETag"


def test_unknown_iri_is_a_helpful_404(http):
    r = http.get("/mitigation/no-such-mitigation")
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    assert (
        set(r.json()["error"]) == {"status", "title", "detail"}
        and "mitigation/no-such-mitigation" in r.json()["error"]["detail"]
    )
    page = http.get("/mitigation/no-such-mitigation", headers=BROWSER)
    assert page.status_code == 404 and "<h1>404 Not Found</h1>" in page.text and 'id="error"' in page.text
    assert 'href="/mitigation/"' in page.text and 'href="/vocab/"' in page.text
    assert http.get("/mitigation/no-such-mitigation.ttl").status_code == 404


@pytest.mark.parametrize("path", ["/probe%5C%1B%01", "/%EE%BD%83", "/a%20b%7Bc%7D", "/%C2%A3%F1%89%89%A3r"])
def test_paths_that_are_no_iri_are_404(http, path):
    """Found by schemathesis: a path that cannot be part of an IRI was a 500."""
    for method in ("GET", "HEAD"):
        assert http.request(method, path).status_code == 404


def test_nothing_acceptable_is_406(http):
    r = http.get("/document/shi2024", headers={"Accept": "image/png"})
    assert r.status_code == 406 and r.json()["error"]["status"] == 406 and "text/turtle" in r.json()["error"]["detail"]


def test_hash_iris_are_served_by_their_document(http):
    triples = parse(http.get("/ontology", headers={"Accept": "text/turtle"}).content, ox.RdfFormat.TURTLE)
    classes = {
        t.subject.value
        for t in triples
        if t.predicate == RDF_TYPE and t.object == ox.NamedNode("http://www.w3.org/2002/07/owl#Class")
    }
    assert BASE + "ontology#Mitigation" in classes
    html = http.get("/ontology", headers=BROWSER).text
    assert all(f'id="{iri.split("#")[1]}"' in html for iri in classes if iri.startswith(BASE + "ontology#"))
    version = http.get("/ontology/0.1.0", headers={"Accept": "text/turtle"})
    assert version.status_code == 200 and version.content == http.get("/ontology.ttl").content
    shapes = parse(http.get("/shapes.ttl").content, ox.RdfFormat.TURTLE)
    assert any(t.subject.value == BASE + "shapes#DatasetShape" for t in shapes)


def test_every_subject_of_the_dump_dereferences_to_turtle_describing_it(http, current):
    """ALL IRIs under the base that are subjects of the Turtle dump (a few thousand requests)."""
    dump = current.path / "airm-kg.ttl"
    subjects = {
        t.subject.value
        for t in ox.parse(path=str(dump), format=ox.RdfFormat.TURTLE)
        if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(BASE)
    }
    by_document: dict[str, set[str]] = {}
    for iri in subjects:
        by_document.setdefault(iri.split("#")[0], set()).add(iri)
    assert len(subjects) > 2000
    failures = []
    for document, iris in sorted(by_document.items()):
        r = http.get("/" + document[len(BASE) :], headers={"Accept": "text/turtle"})
        if r.status_code != 200:
            failures.append((document, r.status_code))
            continue
        described = {t.subject.value for t in parse(r.content, ox.RdfFormat.TURTLE)}
        missing = iris - described
        if missing:
            failures.append((document, sorted(missing)[:3]))
    assert failures == []


def same_origin_links(server: str, url: str, html: str) -> set[str]:
    out = set()
    for href in re.findall(r'<a [^>]*href="([^"#]*)', html):
        href = href.replace("&amp;", "&")
        if not href:
            continue
        absolute = urljoin(url, href)
        if absolute.startswith(server + "/"):
            out.add(absolute)
    return out


BOUNDED = (
    "/mitigation/",
    "/evidence/",
    "/classification/",
    "/derivation/",
    "/mapping/",
    "/sparql?",
    "/queries/",
    "/mitigations",
)


def test_crawl_from_home_finds_no_dead_link(http, server):
    """BFS over every same-origin link from `/`: every category, concept, document, person, risk,
    listing and vocabulary page; mitigations, evidence, classifications and queries sampled (the
    dump test above dereferences all of them)."""
    seen, queue, visited, budget = {server + "/"}, deque([server + "/"]), [], dict.fromkeys(BOUNDED, 40)
    dead = []
    while queue and len(visited) < 900:
        url = queue.popleft()
        r = http.get(url, headers=BROWSER)
        visited.append(url)
        if r.status_code >= 400:
            dead.append((url, r.status_code))
            continue
        if not r.headers["content-type"].startswith("text/html"):
            continue
        for link in sorted(same_origin_links(server, url, r.text)):
            if link in seen:
                continue
            path = link[len(server) :]
            bucket = next((p for p in BOUNDED if path.startswith(p) and path != p), None)
            if bucket and path.rstrip("/") not in ("/mitigation", "/evidence", "/classification"):
                if budget[bucket] == 0:
                    continue
                budget[bucket] -= 1
            if path.startswith("/-/dumps/"):
                seen.add(link)  # the dumps are checked in test_dumps_void (big files)
                continue
            seen.add(link)
            queue.append(link)
    assert dead == []
    paths = {urlsplit(u).path for u in visited}
    assert {
        "/document/shi2024",
        "/person/shi-dan",
        "/vocab/mitigation-taxonomy/1.1",
        "/ontology",
        "/-/dumps",
        "/.well-known/void",
    } <= paths
    assert sum(p.startswith("/person/") for p in paths) > 100 and sum(p.startswith("/document/") for p in paths) >= 15
