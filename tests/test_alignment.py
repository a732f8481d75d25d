"""The alignment module (ontology/alignment.ttl, ontology/nist.ttl), the extracts of AIRO, VAIR, DPV and
Nexus (ontology/imports/), their checks (kg.align, shapes/airm-alignment-shapes.ttl), and what HermiT
infers with them loaded."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from kg import align, api
from kg.errors import Inconsistent, InputError, ValidationFailed
from kg.generate import extract, mappings, nist
from kg.namespaces import ACTOR, AIRM, KG, NS, VS
from kg.shacl.validation import validate_graphs

from conftest import ROOT, project_settings

AIRO = Namespace("https://w3id.org/airo#")
VAIR = Namespace("https://w3id.org/vair#")
DPV = Namespace("https://w3id.org/dpv#")
RISK = Namespace("https://w3id.org/dpv/risk#")
AI = Namespace("https://w3id.org/dpv/ai#")
TECH = Namespace("https://w3id.org/dpv/tech#")
SSSOM = Namespace(NS.sssom)
PAV = Namespace(NS.pav)
VOID = Namespace("http://rdfs.org/ns/void#")
AIRMSH = Namespace("https://w3id.org/airm-kg/shapes#")
SH = Namespace("http://www.w3.org/ns/shacl#")

MODULES = {"alignment": ROOT / "ontology" / "alignment.ttl", "nist": ROOT / "ontology" / "nist.ttl"}
EXTRACTS = {name: ROOT / "ontology" / "imports" / f"{name}-extract.ttl" for name in align.EXTRACTS}
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)

# The logical layer: exactly these axioms into foreign terms (anything else is a SKOS mapping).
LOGICAL = {
    (AIRM.Mitigation, RDFS.subClassOf, AIRO.RiskControl),
    (AIRM.Mitigation, RDFS.subClassOf, RISK.RiskControl),
    (AIRM.Risk, RDFS.subClassOf, AIRO.RiskConcept),
    (AIRM.Risk, RDFS.subClassOf, DPV.RiskConcept),
    (AIRM.addressesRisk, RDFS.subPropertyOf, AIRO.modifiesRiskConcept),
}
# What a logical target may entail, and what it must never reach.
ALLOWED_ANCESTORS = {
    AIRO.RiskControl,
    RISK.RiskControl,
    DPV.RiskMitigationMeasure,
    DPV.TechnicalOrganisationalMeasure,
    AIRO.RiskConcept,
    DPV.RiskConcept,
    AIRO.modifiesRiskConcept,
}
FORBIDDEN = {
    RDFS.Class,
    OWL.Class,
    TECH.LifecycleStage,
    AI.LifecycleStage,
    RISK.RiskManagement,
    RISK.RiskSource,
    AIRO.AISystem,
    AIRO.AIComponent,
    AI.AISystem,
    DPV.Technology,
    AIRO.Stakeholder,
}


def parse(*paths) -> Graph:
    g = Graph()
    for p in paths:
        g.parse(p, format="turtle")
    return g


@pytest.fixture(scope="module")
def extracts() -> Graph:
    return parse(*EXTRACTS.values())


# --- the modules are documented like the core ontology ----------------------------------------------


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_header(name):
    g = parse(MODULES[name])
    onto = URIRef(f"https://w3id.org/airm-kg/ontology/{name}")
    assert (onto, RDF.type, OWL.Ontology) in g
    for p in (OWL.versionIRI, DCTERMS.license, DCTERMS.creator, DCTERMS.title, DCTERMS.description):
        assert g.value(onto, p) is not None, p
    for imported in g.objects(onto, OWL.imports):  # only what the project ships (and serves) itself
        path = str(imported).removeprefix("https://w3id.org/airm-kg/")
        assert path == "ontology" or (ROOT / f"{path}.ttl").is_file(), f"{name} imports {imported}: not shipped"


def _own_terms(g: Graph) -> list[URIRef]:
    return sorted({s for s in g.subjects(RDF.type, None) if isinstance(s, URIRef) and str(s).startswith(str(AIRM))})


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_new_term_has_label_definition_status_and_is_defined_by(name):
    g = parse(MODULES[name])
    terms = _own_terms(g)
    assert terms
    core = parse(ROOT / "ontology" / "airm.ttl", ROOT / "ontology" / "reused.ttl")
    for term in terms:
        missing = [
            p for p in (RDFS.label, SKOS.definition, VS.term_status, RDFS.isDefinedBy) if g.value(term, p) is None
        ]
        assert not missing, f"{term} lacks {missing}"
        assert sum((term, RDF.type, k) in g for k in KINDS) == 1
        assert (term, None, None) not in core, f"{term} is defined in ontology/airm.ttl already"
        if (term, RDF.type, OWL.ObjectProperty) in g:
            assert g.value(term, RDFS.range) is not None


def test_every_property_the_mapping_graphs_use_is_declared_once():
    declared = parse(ROOT / "ontology" / "airm.ttl", ROOT / "ontology" / "reused.ttl", *MODULES.values())
    used = {p for f in (ROOT / "ontology" / "mappings").glob("*.ttl") for p in parse(f).predicates()}
    for p in used - {RDF.type}:
        if str(p).startswith((str(RDF), str(RDFS), str(OWL))):
            continue
        kinds = [k for k in KINDS[1:4] if (p, RDF.type, k) in declared]
        assert len(kinds) == 1, f"{p} declared as {kinds}"


# --- the logical layer ----------------------------------------------------------------------------------


def test_the_logical_axioms_are_the_few_checked_ones():
    g = parse(MODULES["alignment"], MODULES["nist"])
    foreign = {
        (s, p, o)
        for s, p, o in g
        if p
        in (
            RDFS.subClassOf,
            RDFS.subPropertyOf,
            OWL.equivalentClass,
            OWL.equivalentProperty,
            OWL.sameAs,
            RDFS.domain,
            RDFS.range,
        )
        and align.module_of(str(o)) is not None
    }
    assert foreign == LOGICAL


def test_no_equivalence_or_identity_with_foreign_terms_anywhere():
    for path in [*MODULES.values(), *(ROOT / "ontology" / "mappings").glob("*.ttl"), *EXTRACTS.values()]:
        g = parse(path)
        for p in (OWL.equivalentClass, OWL.equivalentProperty, OWL.sameAs):
            assert (None, p, None) not in g, f"{path.name} uses {p}"


def test_each_logical_axiom_says_why_and_points_to_its_mapping_record():
    g = parse(MODULES["alignment"])
    records = parse(ROOT / "ontology" / "mappings" / "airm-ontology-alignment.ttl")
    annotated = set()
    for ax in g.subjects(RDF.type, OWL.Axiom):
        triple = (
            g.value(ax, OWL.annotatedSource),
            g.value(ax, OWL.annotatedProperty),
            g.value(ax, OWL.annotatedTarget),
        )
        assert triple in g and triple in LOGICAL
        assert "Checked" in str(g.value(ax, RDFS.comment))
        record = g.value(ax, RDFS.seeAlso)
        assert (
            records.value(record, AIRM.mappingSubject),
            records.value(record, AIRM.mappingPredicate),
            records.value(record, AIRM.mappingObject),
        ) == triple
        annotated.add(triple)
    assert annotated == LOGICAL


def _ancestors(g: Graph, term: URIRef) -> set:
    out: set[Node] = set()
    todo: list[Node] = [term]
    while todo:
        t = todo.pop()
        for p in (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range):
            for o in g.objects(t, p):
                if o not in out:
                    out.add(o)
                    todo.append(o)
    return out


def test_the_superclass_chains_of_the_targets_were_extracted_and_are_safe(extracts):
    """The chain of every logical target (with the domains and ranges of a property target) is in the
    extracts, ends at the few classes we accept, and reaches no metaclass and no AI system."""
    reached = set()
    for _, _, target in LOGICAL:
        assert (target, RDF.type, None) in extracts, f"{target} is not extracted"
        reached |= {target} | _ancestors(extracts, target)
    assert reached == ALLOWED_ANCESTORS
    assert not reached & FORBIDDEN
    assert extracts.value(AIRO.modifiesRiskConcept, RDFS.domain) == AIRO.RiskControl
    assert extracts.value(AIRO.modifiesRiskConcept, RDFS.range) == AIRO.RiskConcept
    assert extracts.value(RISK.RiskControl, RDFS.subClassOf) == DPV.RiskMitigationMeasure
    assert extracts.value(DPV.RiskMitigationMeasure, RDFS.subClassOf) == DPV.TechnicalOrganisationalMeasure
    assert (DPV.TechnicalOrganisationalMeasure, RDFS.subClassOf, None) not in extracts


def test_no_airm_term_is_typed_with_or_made_a_subclass_of_a_metaclass_or_ai_system():
    g = parse(*MODULES.values(), *(ROOT / "ontology" / "mappings").glob("*.ttl"))
    for s, p, o in g:
        if p in (RDF.type, RDFS.subClassOf) and o in FORBIDDEN - {OWL.Class}:
            raise AssertionError(f"{s} {p} {o}")
    assert (None, AIRO.hasLifecyclePhase, None) not in g


# --- the extracts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", align.EXTRACTS)
def test_extract_header_names_origin_licence_and_rights(name):
    g = parse(EXTRACTS[name])
    onto = URIRef(f"https://w3id.org/airm-kg/ontology/imports/{name}-extract")
    assert (onto, RDF.type, OWL.Ontology) in g
    for p in (DCTERMS.license, DCTERMS.source, DCTERMS.rights, DCTERMS.title, RDFS.comment, OWL.versionInfo):
        assert g.value(onto, p) is not None, p
    expected = {
        "airo": "https://creativecommons.org/licenses/by/4.0/",
        "vair": "https://creativecommons.org/licenses/by/4.0/",
        "dpv": "https://www.w3.org/copyright/document-license-2023/",
        "nexus": "https://www.apache.org/licenses/LICENSE-2.0",
    }[name]
    assert {str(o) for o in g.objects(onto, DCTERMS.license)} == {expected}


@pytest.mark.parametrize("name", align.EXTRACTS)
def test_extracts_are_owl_not_skos_and_name_their_ontology(name):
    g = parse(EXTRACTS[name])
    terms = {s for s in g.subjects(RDF.type, None) if align.module_of(str(s)) is not None}
    assert terms
    for t in terms:
        kinds = {k for k in KINDS if (t, RDF.type, k) in g}
        assert len(kinds) == 1, f"{t}: {kinds}"
        others = set(g.objects(t, RDF.type)) - set(KINDS)
        if kinds != {OWL.NamedIndividual}:
            assert not others, f"{t} is typed as an instance of {others}: a DPV/VAIR class punned as an instance"
        assert g.value(t, RDFS.label) is not None and g.value(t, RDFS.isDefinedBy) is not None
    for p in (SKOS.broader, SKOS.inScheme, SKOS.related):
        assert (None, p, None) not in g
    assert (None, RDF.type, SKOS.Concept) not in g
    assert (None, RDFS.subClassOf, RDFS.Class) not in g
    everything = parse(*EXTRACTS.values())
    for s, p, o in g:
        if p in (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range):
            assert (o, RDF.type, None) in everything, f"{s} {p} {o}: dangling"


def test_every_extracted_term_exists_in_its_shipped_ontology_with_the_same_label(extracts):
    known = align.defined_terms(ROOT)
    sources = Graph()
    for m in align.MODULES:
        for rel in m.files:
            if rel.endswith(".ttl"):
                sources.parse(ROOT / rel, format="turtle")
    for t in {s for s in extracts.subjects(RDF.type, None) if align.module_of(str(s))}:
        assert str(t) in known[align.module_of(str(t)).prefix], t
        label = extracts.value(t, RDFS.label)
        if align.module_of(str(t)).kind == "rdf":
            assert label in set(sources.objects(t, RDFS.label)) | set(sources.objects(t, SKOS.prefLabel)), t


def test_known_defects_of_the_sources_do_not_leak(extracts):
    assert not any("owlapi" in str(s) for s in extracts.subjects())
    assert (AIRO.Technique, None, None) not in extracts
    assert (None, RDFS.subClassOf, URIRef("https://www.w3.org/TR/vocab-dcat-3/Dataset")) not in extracts
    assert extracts.value(RISK.RiskManagement, SKOS.editorialNote) is not None, "the dropped metaclass axiom is noted"
    assert (RISK.RiskManagement, RDFS.subClassOf, None) not in extracts


def _foreign_iris(g: Graph) -> set[str]:
    return {str(t) for triple in g for t in triple if isinstance(t, URIRef) and align.module_of(str(t))}


def test_every_foreign_iri_we_use_exists_in_its_shipped_ontology_and_is_extracted(extracts):
    """Offline: against the copies in data/sources/, never the network."""
    ours = [
        *MODULES.values(),
        ROOT / "ontology" / "airm.ttl",
        ROOT / "ontology" / "reused.ttl",
        *(ROOT / "ontology" / "mappings").glob("*.ttl"),
        *(ROOT / "ontology" / "vocab").glob("*.ttl"),
        *(ROOT / "data").glob("*.ttl"),
    ]
    used = set().union(*(_foreign_iris(parse(p)) for p in ours))
    assert len(used) > 150
    assert align.undefined(ROOT, used) == []
    extracted = {str(s) for s in extracts.subjects(RDF.type, None)}
    assert used <= extracted, sorted(used - extracted)[:10]


def test_the_shipped_copies_are_the_files_the_readme_lists():
    readme = (ROOT / "data" / "sources" / "README.md").read_text(encoding="utf-8")
    import hashlib

    for m in align.MODULES:
        for rel in m.files:
            local = rel.removeprefix("data/sources/")
            digest = hashlib.sha256((ROOT / rel).read_bytes()).hexdigest()
            assert f"{digest}  {local}" in readme, f"{local}: sha256 not in data/sources/README.md"


def test_generated_alignment_files_are_the_generators_output():
    """tests/test_generate.py covers ontology/vocab and data/; this covers ontology/imports and
    ontology/mappings (and data/nist-ai-600-1.ttl once more)."""
    from kg.rdf.canonical import canonical_turtle

    produced = {rel: graph for module in (extract, mappings, nist) for rel, graph in module.build(ROOT).items()}
    for rel, graph in produced.items():
        assert (ROOT / rel).read_text(encoding="utf-8") == canonical_turtle(graph), f"{rel} is stale: run `kg generate`"
    committed = {
        p.relative_to(ROOT).as_posix() for d in ("imports", "mappings") for p in (ROOT / "ontology" / d).glob("*.ttl")
    }
    assert committed == {rel for rel in produced if rel.startswith("ontology/")}


# --- the generators refuse what would break the alignment -------------------------------------------------


@pytest.fixture
def root_copy(tmp_path):
    """A project root whose data/mappings, term lists and alignment can be edited (sources linked)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sources").symlink_to(ROOT / "data" / "sources")
    shutil.copytree(ROOT / "data" / "mappings", tmp_path / "data" / "mappings")
    shutil.copytree(ROOT / "ontology" / "imports" / "term-lists", tmp_path / "ontology" / "imports" / "term-lists")
    shutil.copy(ROOT / "ontology" / "alignment.ttl", tmp_path / "ontology" / "alignment.ttl")
    return tmp_path


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_generating_a_mapping_to_an_absent_iri_fails(root_copy):
    _edit(root_copy / "data" / "mappings" / "mitigation-taxonomy-alignment.sssom.tsv", "dpv:Audit\t", "dpv:Auditing\t")
    with pytest.raises(InputError, match=r"dpv:Auditing does not exist in the shipped dpv ontology"):
        mappings.build(root_copy)
    with pytest.raises(InputError, match=r"https://w3id.org/dpv#Auditing"):
        extract.build(root_copy)


def test_a_term_list_entry_absent_from_its_ontology_fails(root_copy):
    with (root_copy / "ontology" / "imports" / "term-lists" / "vair.txt").open("a") as f:
        f.write("vair:API\n")  # exists only in VAIR's stray owlapi namespace
    with pytest.raises(InputError, match=r"vair#API"):
        extract.build(root_copy)


def test_a_logical_mapping_without_its_axiom_fails(root_copy):
    _edit(
        root_copy / "ontology" / "alignment.ttl", "airo:RiskControl ,\n        risk:RiskControl ;", "airo:RiskControl ;"
    )
    with pytest.raises(InputError, match=r"not an axiom of ontology/alignment.ttl"):
        mappings.build(root_copy)


def test_owl_equivalence_is_refused_as_a_mapping_predicate(root_copy):
    path = root_copy / "data" / "mappings" / "actor-alignment.sssom.tsv"
    _edit(path, "\tskos:closeMatch\tairo:AIDeveloper", "\towl:equivalentClass\tairo:AIDeveloper")
    _edit(path, "#   kg: ", "#   owl: http://www.w3.org/2002/07/owl#\n#   kg: ")
    with pytest.raises(InputError, match="not a SKOS mapping property"):
        mappings.build(root_copy)


# --- the SHACL shapes of the alignment (each constraint has a case that breaks it) ---------------------

SHAPES = parse(ROOT / "shapes" / "airm-alignment-shapes.ttl")
SET = KG["mappings/actor-alignment"]
M1 = KG["mapping/actor-alignment/001"]  # actor:developer skos:closeMatch airo:AIDeveloper
NM = KG["mitigation/test-nist"]
TASK, SUB = nist.task_iri("TEVV"), nist.NISTSUB["MS-2.7"]


@pytest.fixture(scope="module")
def fixture() -> Graph:
    g = parse(
        MODULES["alignment"],
        ROOT / "ontology" / "mappings" / "actor-alignment.ttl",
        ROOT / "ontology" / "vocab" / "actor.ttl",
        EXTRACTS["airo"],
        EXTRACTS["dpv"],
    )
    g.add((NM, RDF.type, AIRM.Mitigation))
    g.add((NM, AIRM.aiActorTask, TASK))
    g.add((TASK, RDF.type, AIRM.AIActorTask))
    g.add((NM, AIRM.airmfSubcategory, SUB))
    g.add((SUB, RDF.type, AIRM.AIRMFCategory))
    return g


@dataclass
class Case:
    id: str
    shape: str
    focus: URIRef
    mutate: Callable[[Graph], None]
    also: tuple[str, ...] = field(default_factory=tuple)


def _set(s, p, o):
    return lambda g: g.set((s, p, o))


def _rm(s, p, o=None):
    return lambda g: g.remove((s, p, o))


def _add(*triples):
    return lambda g: [g.add(t) for t in triples]


def _all(*fs):
    return lambda g: [f(g) for f in fs]


CASES = [
    Case("no subject", "Mapping-subject", M1, _rm(M1, AIRM.mappingSubject), ("MappingTriple-recorded",)),
    Case(
        "owl:sameAs",
        "Mapping-predicate",
        M1,
        _set(M1, AIRM.mappingPredicate, OWL.sameAs),
        ("Mapping-stated", "MappingTriple-recorded"),
    ),
    Case("two objects", "Mapping-object", M1, _add((M1, AIRM.mappingObject, AIRO.AIUser)), ("Mapping-stated",)),
    Case("not SEMAPV", "Mapping-justification", M1, _set(M1, SSSOM.mapping_justification, KG["agent/x"])),
    Case("confidence 1.5", "Mapping-confidence", M1, _set(M1, SSSOM.confidence, Literal(1.5, datatype=XSD.double))),
    Case("no confidence", "Mapping-confidence", M1, _rm(M1, SSSOM.confidence)),
    Case("no author", "Mapping-author", M1, _rm(M1, PAV.authoredBy)),
    Case("date as text", "Mapping-date", M1, _set(M1, DCTERMS.created, Literal("23 Nov 2026"))),
    Case("no set", "Mapping-inDataset", M1, _rm(M1, VOID.inDataset), ("MappingSet-count-matches",)),
    Case(
        "untyped subject",
        "Mapping-subject-exists",
        M1,
        _all(
            _set(M1, AIRM.mappingSubject, ACTOR.nobody),
            _rm(ACTOR.developer, SKOS.closeMatch, AIRO.AIDeveloper),
            _add((ACTOR.nobody, SKOS.closeMatch, AIRO.AIDeveloper)),
        ),
    ),
    Case(
        "absent foreign object",
        "Mapping-object-exists",
        M1,
        _all(
            _set(M1, AIRM.mappingObject, AIRO.AIDevelopper),
            _rm(ACTOR.developer, SKOS.closeMatch, AIRO.AIDeveloper),
            _add((ACTOR.developer, SKOS.closeMatch, AIRO.AIDevelopper)),
        ),
    ),
    Case(
        "foreign object typed outside the extracts",
        "Mapping-object-exists",
        M1,
        _all(
            _set(M1, AIRM.mappingObject, DPV.Invented),
            _rm(ACTOR.developer, SKOS.closeMatch, AIRO.AIDeveloper),
            _add((ACTOR.developer, SKOS.closeMatch, DPV.Invented), (DPV.Invented, RDF.type, OWL.Class)),
        ),
    ),
    Case("triple not stated", "Mapping-stated", M1, _rm(ACTOR.developer, SKOS.closeMatch, AIRO.AIDeveloper)),
    Case(
        "triple without record", "MappingTriple-recorded", ACTOR.user, _add((ACTOR.user, SKOS.exactMatch, AIRO.AIUser))
    ),
    Case("no title", "MappingSet-title", SET, _rm(SET, DCTERMS.title)),
    Case("no licence", "MappingSet-license", SET, _rm(SET, DCTERMS.license)),
    Case(
        "count as text",
        "MappingSet-count",
        SET,
        _set(SET, AIRM.mappingCount, Literal("12")),
        ("MappingSet-count-matches",),
    ),
    Case(
        "stale count", "MappingSet-count-matches", SET, _set(SET, AIRM.mappingCount, Literal(13, datatype=XSD.integer))
    ),
    Case("task is an actor", "Mitigation-aiActorTask", NM, _set(NM, AIRM.aiActorTask, ACTOR.developer)),
    Case(
        "two subcategories",
        "Mitigation-airmfSubcategory",
        NM,
        _add(
            (NM, AIRM.airmfSubcategory, nist.NISTSUB["MS-2.8"]), (nist.NISTSUB["MS-2.8"], RDF.type, AIRM.AIRMFCategory)
        ),
    ),
]


def _local(shape) -> str | None:
    text = str(shape or "")
    m = re.search(r"shapes#([\w-]+)>?$", text)
    return m.group(1) if m else None


def test_the_fixture_conforms(fixture):
    assert validate_graphs(fixture, SHAPES) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_break_is_reported_by_its_shape(case, fixture):
    g = Graph()
    g += fixture
    case.mutate(g)
    results = validate_graphs(g, SHAPES)
    report = "\n".join(map(str, results)) or "(none)"
    hits = [v for v in results if _local(v.shape) == case.shape and v.focus == f"<{case.focus}>"]
    assert hits, report
    assert {_local(v.shape) for v in results} <= {case.shape, *case.also}, report
    assert all(v.severity == "Violation" and not re.search(r"\{[$?]\w+\}", v.message) for v in hits)
    if SHAPES.value(AIRMSH[case.shape], SH.sparql) is not None:  # the reference engine agrees
        reference = validate_graphs(g, SHAPES, engine="pyshacl")
        assert sorted((v.focus, v.shape, v.message) for v in reference) == sorted(
            (v.focus, v.shape, v.message) for v in results
        )


def test_every_alignment_shape_is_exercised():
    shapes = {_local(s) for s in SHAPES.subjects(RDF.type, None) if (s, SH.severity, None) in SHAPES}
    structural = {"MappingShape", "MappingSetShape"}
    assert shapes - structural == {c.shape for c in CASES}


# --- kg build refuses a mapping to an absent IRI (SHACL) or an inconsistent alignment (HermiT) ---------


@pytest.mark.slow
def test_build_fails_on_a_mapping_to_an_iri_no_shipped_ontology_defines(project_copy):
    path = project_copy / "ontology" / "mappings" / "actor-alignment.ttl"
    _edit(path, "airm:mappingObject airo:AIDeveloper", "airm:mappingObject airo:AIDevelopper")
    _edit(path, "skos:closeMatch\n        airo:AIDeveloper", "skos:closeMatch\n        airo:AIDevelopper")
    settings = project_settings(root=project_copy, build_dir=project_copy / "build", reasoner=False)
    with pytest.raises(ValidationFailed) as caught:
        api.build(settings)
    assert "airo#AIDevelopper" in str(caught.value) or any("AIDevelopper" in str(v) for v in caught.value.violations)


@pytest.mark.slow
def test_build_fails_when_an_alignment_axiom_makes_the_data_inconsistent(project_copy):
    path = project_copy / "ontology" / "alignment.ttl"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + "\nairm:Mitigation rdfs:subClassOf airo:Risk .\nairo:Risk owl:disjointWith airo:RiskControl .\n",
        encoding="utf-8",
    )
    settings = project_settings(root=project_copy, build_dir=project_copy / "build", reasoner=True)
    with pytest.raises(Inconsistent):
        api.build(settings)


# --- what HermiT infers with the module loaded ------------------------------------------------------------


def _tbox() -> Graph:
    return parse(
        ROOT / "ontology" / "airm.ttl", ROOT / "ontology" / "reused.ttl", *MODULES.values(), *EXTRACTS.values()
    )


@pytest.mark.slow
def test_hermit_infers_the_dpv_and_airo_types_of_mitigations_and_risks():
    g = _tbox()
    m, r = KG["mitigation/test"], KG["risk/test"]
    g.add((m, RDF.type, AIRM.Mitigation))
    g.add((r, RDF.type, AIRM.Risk))
    g.add((m, AIRM.addressesRisk, r))
    result = align.reasoner_inferences(
        g,
        [str(AIRM.Mitigation), str(AIRM.Risk), str(AIRM.RiskCategory), str(AIRM.LifecycleStage), str(AIRM.Actor)],
        [str(m), str(r)],
    )
    assert result["consistent"]
    sup = {k: set(v) for k, v in result["superclasses"].items()}
    assert sup[str(AIRM.Mitigation)] == {
        str(AIRO.RiskControl),
        str(RISK.RiskControl),
        str(DPV.RiskMitigationMeasure),
        str(DPV.TechnicalOrganisationalMeasure),
        "http://www.w3.org/ns/prov#Entity",
    }
    assert sup[str(AIRM.Risk)] == {str(AIRO.RiskConcept), str(DPV.RiskConcept)}
    assert sup[str(AIRM.RiskCategory)] >= {str(AIRO.RiskConcept), str(DPV.RiskConcept)}
    assert sup[str(AIRM.LifecycleStage)] == {str(SKOS.Concept)}, "SKOS mappings only: no lifecycle metaclass"
    assert sup[str(AIRM.Actor)] == {str(SKOS.Concept)}
    assert set(result["types"][str(m)]) == sup[str(AIRM.Mitigation)] | {str(AIRM.Mitigation)}
    assert set(result["types"][str(r)]) == {str(AIRM.Risk), str(AIRO.RiskConcept), str(DPV.RiskConcept)}


@pytest.mark.slow
def test_hermit_shows_why_airo_has_lifecycle_phase_is_not_reused():
    """Its domain is AI system or AI component: a mitigation given a lifecycle phase with it becomes one
    of them, which contradicts any statement that mitigations are not AI systems."""
    g = _tbox()
    g.parse(ROOT / "data" / "sources" / "airo" / "airo.ttl")  # the property with its union domain
    m = KG["mitigation/test"]
    g.add((m, RDF.type, AIRM.Mitigation))
    g.add((m, AIRO.hasLifecyclePhase, KG["phase/test"]))
    assert align.reasoner_inferences(g, [], [str(m)])["consistent"]
    for cls in (AIRO.AISystem, AIRO.AIComponent):
        g.add((AIRM.Mitigation, OWL.disjointWith, cls))
    assert not align.reasoner_inferences(g, [], [str(m)])["consistent"]


@pytest.mark.slow
def test_the_whole_graph_with_the_alignment_is_consistent_under_hermit():
    report = api.reason(project_settings())
    assert report.consistent and report.unsatisfiable == [], str(report)
