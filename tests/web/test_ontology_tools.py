"""The ontology as OWL tools and documentation generators meet it, over the real server: owlready2's
`get_ontology(url).load()` (no Accept header: RDF/XML), its imports followed to the term-list extracts
the service serves, HermiT on what it loaded, and pyLODE building its documentation from the served
Turtle. The server here serves a release built with its own URL as the base IRI, as a deployment
without w3id does, so every IRI an OWL tool follows is answered by this server and nothing else."""

from __future__ import annotations

import re
import shutil
import urllib.request

import pytest

from kg import api
from servers import free_port, running_server

from conftest import project_settings, small_copy

pytestmark = pytest.mark.server

EXTRACTS = ("airo-extract", "dpv-extract")


@pytest.fixture(scope="module")
def own_base_server(tmp_path_factory):
    """A server whose release names its own URL as the base IRI."""
    root = small_copy(tmp_path_factory.mktemp("ownbase"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = project_settings(root=root, build_dir=root / "build", reasoner=False, base_iri=url + "/")
    api.build(settings)
    with running_server(root, settings.build_dir, root / "server.log", port=port, KG_BASE_IRI=url + "/") as served:
        assert served == url
        yield url


def fetch(url: str, accept: str | None = None):
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get_content_type(), response.read()


@pytest.mark.parametrize("path", ["ontology", "ontology/imports/airo-extract", "vocab/lifecycle-stage"])
def test_rdf_for_no_accept_and_any_html_for_browsers(own_base_server, path):
    url = f"{own_base_server}/{path}"
    assert fetch(url)[0] == "application/rdf+xml"  # urllib, owlready2: no Accept header
    assert fetch(url, "*/*")[0] == "application/rdf+xml"  # curl
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert fetch(url, browser)[0] == "text/html"
    assert fetch(url + ".owl")[0] == "application/rdf+xml"


def test_owlready2_loads_the_ontology_and_its_imports_from_the_server(own_base_server, tmp_path):
    import owlready2

    world = owlready2.World()
    onto = world.get_ontology(f"{own_base_server}/ontology").load()
    imported = {o.base_iri.rstrip("#/") for o in onto.imported_ontologies}
    assert imported == {f"{own_base_server}/ontology/imports/{name}" for name in EXTRACTS} | {
        f"{own_base_server}/ontology/reused"  # the reused terms' declarations, a module of their own
    }
    mitigation = world[f"{own_base_server}/ontology#Mitigation"]
    assert mitigation is not None and mitigation.label.en == ["Mitigation"]
    ancestors = {c.iri for c in mitigation.ancestors() if hasattr(c, "iri")}
    assert "https://w3id.org/airo#RiskControl" in ancestors  # declared in the imported AIRO extract
    assert world["https://w3id.org/airo#RiskControl"].label  # ... with its label from there
    again = owlready2.World().get_ontology(f"{own_base_server}/ontology.owl").load()
    assert again.imported_ontologies


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java")
def test_hermit_finds_what_owlready2_loaded_consistent(own_base_server):
    import owlready2

    world = owlready2.World()
    world.get_ontology(f"{own_base_server}/ontology").load()
    with world.get_ontology("http://x/inferred#"):
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # pyLODE leaves its CSS file open
def test_pylode_documents_the_served_turtle(own_base_server):
    from pylode import OntPub

    html = OntPub(ontology=f"{own_base_server}/ontology.ttl").make_html()
    title = "AIRM-KG ontology of AI risk mitigations"
    assert f"<h1>{title}</h1>" in html  # title and label agree: one title, not two run together
    assert html.count(title) >= 2  # the page's <title> and its heading
    metadata = html.split('id="metadata"', 1)[1]
    description = metadata.split(">Description</a>", 1)[1].split("</dd>", 1)[0]
    assert "<li>" not in description, "one description (pyLODE lists several, e.g. an rdfs:comment, in a <ul>)"
    assert "Classes and properties for AI risk mitigations" in description
    for name in ("Mitigation", "EvidenceQuote", "Classification", "SourceDocument"):
        assert f"{own_base_server}/ontology#{name}" in html
    classes = html.split('id="classes"', 1)[1].split('id="objectproperties"', 1)[0]
    listed = set(re.findall(r'<div class="property entity" id="([^"]+)"', classes))
    assert "Mitigation" in listed
    assert not listed & {"Person", "Organization", "Entity", "Agent", "Concept", "ConceptScheme", "Dataset"}, (
        "reused classes are declared in ontology/reused.ttl, not listed among ours"
    )
    for name in EXTRACTS:
        assert f"{own_base_server}/ontology/imports/{name}" in html  # the imports, listed in the metadata
