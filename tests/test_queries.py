"""Named queries (`queries/*.rq`): headers, typed parameter binding, and each query's answer on the
project's data, checked against an expectation computed independently in Python (rdflib over the
source files, no SPARQL)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kg import api
from kg.errors import InputError, QueryError, UnknownQuery
from kg.namespaces import ACTOR, AIRM, CMETHOD, FN, KG, MTAX, STAGE, V1TAX
from kg.rdf.sources import collect, parse_rdflib
from kg.sparql import execute, fulltext, named

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = named.load_all(ROOT / "queries")
V1 = URIRef("https://w3id.org/airm-kg/vocab/mit-v1-mitigation-taxonomy")
V2 = URIRef("https://w3id.org/airm-kg/vocab/mitigation-taxonomy")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")


# --- the query files themselves ---------------------------------------------------------------


def test_there_are_at_least_fifteen_named_queries():
    assert len(CATALOGUE) >= 15


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_each_query_has_a_title_description_and_only_declared_parameters(name):
    query = CATALOGUE[name]
    assert query.title and query.description
    assert query.form in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
    for p in query.params:
        assert p.default is not None, f"{name}: every shipped parameter has a default (examples run as they are)"
        p.bind(p.default)


HEADER = """#+ title: Things
#+ description: First line,
#+ description: second line.
#+ param: code xsd:string "1.1" — the code
#+ param: who iri actor:developer -- the actor
#+ param: year xsd:gYear — a year
#+ tags: a, b
SELECT ?code ?who ?year WHERE { ?x ?p ?code . ?x ?q ?who . ?x ?r ?year }
"""


def test_header_lines_give_title_description_parameters_and_tags():
    q = named.parse(HEADER, "things")
    assert (q.title, q.description, q.tags) == ("Things", "First line, second line.", ("a", "b"))
    assert [(p.name, p.type, p.default, p.description) for p in q.params] == [
        ("code", "xsd:string", "1.1", "the code"),
        ("who", "iri", "actor:developer", "the actor"),
        ("year", "xsd:gYear", None, "a year"),
    ]
    assert q.params[2].required and not q.params[0].required


@pytest.mark.parametrize(
    "text, problem",
    [
        ("SELECT * WHERE {}", "no `#+ title:`"),
        ("#+ title: T\n#+ param: x xsd:nope\nSELECT ?x {}", "bad parameter line"),
        ("#+ title: T\n#+ param: format xsd:string\nSELECT ?format {}", "bad parameter line"),
        ("#+ title: T\n#+ param: x xsd:string\nSELECT ?y {}", "not used as ?x"),
    ],
)
def test_bad_headers_are_refused_with_the_reason(text, problem):
    with pytest.raises(InputError, match=re.escape(problem)):
        named.parse(text, "bad")


@pytest.mark.parametrize(
    "type_, raw, term",
    [
        ("xsd:string", "red team", ox.Literal("red team")),
        ("xsd:string", '" } ; DROP ALL #', ox.Literal('" } ; DROP ALL #')),
        ("xsd:integer", " 42 ", ox.Literal("42", datatype=ox.NamedNode(str(XSD.integer)))),
        ("xsd:decimal", "0.50", ox.Literal("0.50", datatype=ox.NamedNode(str(XSD.decimal)))),
        ("xsd:boolean", "Yes", ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean)))),
        ("xsd:gYear", "2024", ox.Literal("2024", datatype=ox.NamedNode(str(XSD.gYear)))),
        ("xsd:date", "2024-12-11", ox.Literal("2024-12-11", datatype=ox.NamedNode(str(XSD.date)))),
        ("iri", "actor:developer", ox.NamedNode(str(ACTOR.developer))),
        ("iri", "kg:document/shi2024", ox.NamedNode(str(KG["document/shi2024"]))),
        ("iri", "<https://example.org/x>", ox.NamedNode("https://example.org/x")),
        ("iri", "https://example.org/y", ox.NamedNode("https://example.org/y")),
    ],
)
def test_values_are_bound_as_typed_terms(type_, raw, term):
    assert named.Param("p", type_).bind(raw) == term


@pytest.mark.parametrize(
    "type_, raw",
    [
        ("xsd:integer", "ten"),
        ("xsd:integer", "1.5"),
        ("xsd:decimal", "NaN"),
        ("xsd:boolean", "maybe"),
        ("xsd:gYear", "24"),
        ("xsd:date", "2024-13-01"),
        ("iri", "no iri"),
        ("iri", "x> <y"),
        ("iri", "developer"),
        ("iri", 'a:b"c'),
    ],
)
def test_values_not_of_the_type_are_refused(type_, raw):
    with pytest.raises(QueryError, match="expected"):
        named.Param("p", type_).bind(raw)


def test_unknown_and_missing_parameters_are_refused():
    q = named.parse(HEADER, "things")
    with pytest.raises(QueryError, match="unknown parameter colour"):
        q.substitutions({"colour": "red", "year": "2024"})
    with pytest.raises(QueryError, match="missing required parameter year"):
        q.substitutions({"code": ""})
    assert ox.Variable("year") in q.substitutions({"year": "2024", "format": "csv"})


def test_a_value_cannot_change_the_query():
    """The text of a value is a literal, whatever it contains: nothing is pasted into the query."""
    store = ox.Store()
    store.add(
        ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("v"), ox.NamedNode("http://x/g"))
    )
    q = named.parse("#+ title: T\n#+ param: v xsd:string\nSELECT ?v ?s WHERE { ?s ?p ?v }\n", "t")
    assert [r["s"].value for r in named.execute(q, store, {"v": "v"})] == ["http://x/a"]
    assert list(named.execute(q, store, {"v": 'v" } UNION { ?s ?p ?o } #'})) == []


def test_standalone_text_fixes_the_parameters_in_a_values_block():
    text = CATALOGUE["actor-at-stage"].standalone({"stage": "stage:deploy", "derived": "false"})
    false = f'"false"^^<{XSD.boolean}>'
    assert f"VALUES (?actor ?stage ?derived) {{ (<{ACTOR.developer}> <{STAGE.deploy}> {false}) }}" in text
    assert "WHERE {\n  VALUES" in text


@pytest.mark.parametrize(
    "pairs, expected",
    [
        (["a=1", "b = x=y"], {"a": "1", "b": " x=y"}),
        (["text="], {"text": ""}),
        ([], {}),
    ],
)
def test_cli_assignments(pairs, expected):
    assert named.parse_assignments(pairs) == expected


def test_cli_assignment_without_equals_is_refused():
    with pytest.raises(QueryError, match="NAME=VALUE"):
        named.parse_assignments(["oops"])


def test_queries_that_cut_by_a_dimension_take_the_derived_parameter():
    """docs/model.md, Derived facts: every named query that cuts by stage, actor, function or category."""
    for name, query in CATALOGUE.items():
        cuts = re.search(r"airm:(mitigationCategory|lifecycleStage|actor|airmFunction)\b", query.text)
        # not cuts: the alignment queries cut by mapping; these list or count without a dimension's value
        listing = ("documents", "risk-heading-mitigations", "unclassified-mitigations")
        if cuts and not name.startswith("align-") and name not in listing:
            derived = [p for p in query.params if p.name == "derived"]
            assert derived and (derived[0].type, derived[0].default) == ("xsd:boolean", "true"), name


def test_run_named_uses_the_current_release(built_settings):
    result = api.query_named("documents-by-year", {}, built_settings)
    assert [v.value for v in result.variables] == ["year", "documents", "mitigations"]
    with pytest.raises(UnknownQuery):
        api.query_named("no-such-query", {}, built_settings)


# --- each query's answer on the project's data ------------------------------------------------


@pytest.fixture(scope="session")
def g() -> Graph:
    """The project's source files (ontology, vocabularies, data) in one rdflib graph, no inference."""
    out = Graph()
    for source in collect(ROOT):
        out += parse_rdflib(source)
    return out


def run(store, name: str, **values) -> list[dict]:
    result = named.execute(CATALOGUE[name], store, values)
    names = [v.value for v in result.variables]
    return [{n: py(row[n]) for n in names} for row in result]


def py(term):
    if term is None:
        return None
    if isinstance(term, ox.Literal) and term.datatype.value == str(XSD.integer):
        return int(term.value)
    return term.value


def descendants(g: Graph, concept) -> set:
    """The concept and every concept below it (skos:broader reversed, and skos:narrower)."""
    out, todo = {concept}, [concept]
    while todo:
        c = todo.pop()
        for d in {*g.subjects(SKOS.broader, c), *g.objects(c, SKOS.narrower)} - out:
            out.add(d)
            todo.append(d)
    return out


def in_scheme(g: Graph, scheme) -> set:
    return set(g.subjects(SKOS.inScheme, scheme))


def effective(g: Graph, derived: bool = True) -> dict:
    """category -> the mitigations whose effective category it is (docs/model.md, Effective category):
    what the files assert, and with `derived` also the category of a derived classification where no
    other method classified the mitigation in that taxonomy (what `kg build` infers)."""
    out: dict = defaultdict(set)
    for m, c in g.subject_objects(AIRM.mitigationCategory):
        if derived or any(
            g.value(k, AIRM.category) == c and g.value(k, AIRM.classificationMethod) != CMETHOD.derived
            for k in g.subjects(AIRM.classifies, m)
        ):
            out[c].add(m)
    if derived:
        for k in g.subjects(AIRM.classificationMethod, CMETHOD.derived):
            m2, c2 = g.value(k, AIRM.classifies), g.value(k, AIRM.category)
            scheme = g.value(c2, SKOS.inScheme)
            others = {
                g.value(o, AIRM.category)
                for o in g.subjects(AIRM.classifies, m2)
                if g.value(o, AIRM.classificationMethod) != CMETHOD.derived
            }
            if not any(g.value(o, SKOS.inScheme) == scheme for o in others):
                out[c2].add(m2)
    return out


@pytest.fixture(scope="session")
def cats(g) -> dict:
    return {d: effective(g, d) for d in (True, False)}


def classified(cats: dict, concepts) -> set:
    return {m for c in concepts for m in cats.get(c, ())}


DERIVED = pytest.mark.parametrize("derived", [True, False], ids=["with-derived", "direct"])


def values(g: Graph, m, *properties) -> set:
    return {o for p in properties for o in g.objects(m, p)}


def stages(g, m, derived=True):
    direct = values(g, m, AIRM.lifecycleStage, AIRM.primaryLifecycleStage, AIRM.otherLifecycleStage)
    return direct | (values(g, m, AIRM.derivedLifecycleStage) if derived else set())


def functions(g, m):
    return values(g, m, AIRM.airmFunction, AIRM.primaryAIRMFunction, AIRM.otherAIRMFunction)


def actors(g, m, derived=True):
    direct = values(g, m, AIRM.actor, AIRM.primaryActor, AIRM.otherActor)
    return direct | (values(g, m, AIRM.derivedActor) if derived else set())


def mitigations(g: Graph) -> set:
    return set(g.subjects(RDF.type, AIRM.Mitigation))


def notation(g, c) -> str:
    return str(g.value(c, SKOS.notation))


@DERIVED
@pytest.mark.parametrize("category", [V1TAX["1.2"], V1TAX["3"], MTAX["1"], MTAX["2.4"]])
def test_mitigations_in_subtree(store, g, cats, category, derived):
    expected = {(notation(g, c), str(m)) for c in descendants(g, category) for m in cats[derived].get(c, ())}
    rows = run(store, "mitigations-in-subtree", category=str(category), derived=str(derived).lower())
    assert expected and {(r["code"], r["mitigation"]) for r in rows} == expected
    assert {r["category"] for r in rows} == {str(category)}


@DERIVED
@pytest.mark.parametrize("scheme", [V1, V2])
def test_category_counts(store, g, cats, scheme, derived):
    c_ = cats[derived]
    expected = {
        notation(g, c): (len(classified(c_, {c})), len(classified(c_, descendants(g, c)))) for c in in_scheme(g, scheme)
    }
    rows = run(store, "category-counts", scheme=f"<{scheme}>", derived=str(derived).lower())
    assert {r["code"]: (r["direct_mitigations"], r["subtree_mitigations"]) for r in rows} == expected


@DERIVED
@pytest.mark.parametrize("scheme", [V1, V2])
def test_taxonomy_gaps(store, g, cats, scheme, derived):
    expected = {notation(g, c) for c in in_scheme(g, scheme) if not classified(cats[derived], descendants(g, c))}
    rows = run(store, "taxonomy-gaps", scheme=f"<{scheme}>", derived=str(derived).lower())
    assert {r["code"] for r in rows} == expected


def stage_function_cells(g, derived=True):
    cells = defaultdict(set)
    for m in mitigations(g):
        for s in stages(g, m, derived):
            for f in functions(g, m):
                cells[s, f].add(m)
    return cells


@DERIVED
def test_stage_function_matrix(store, g, derived):
    cells = stage_function_cells(g, derived)
    all_stages = in_scheme(g, URIRef(str(STAGE)[:-1]))
    columns = {
        "govern": FN.govern,
        "map": FN.map,
        "measure": FN.measure,
        "manage": FN.manage,
        "unclassified": FN["unable-to-classify"],
    }
    expected = {
        str(s): {
            **{col: len(cells[s, f]) for col, f in columns.items()},
            "mitigations": len({m for (s2, _), ms in cells.items() if s2 == s for m in ms}),
        }
        for s in all_stages
    }
    rows = run(store, "stage-function-matrix", derived=str(derived).lower())
    assert {r["stage"]: {k: r[k] for k in [*columns, "mitigations"]} for r in rows} == expected
    # the three seed pages' own records; with derived facts also the NIST actions
    assert sum(r["mitigations"] for r in rows) >= (150 if derived else 3)


@DERIVED
def test_stage_function_gaps(store, g, derived):
    cells = stage_function_cells(g, derived)
    all_functions = in_scheme(g, URIRef(str(FN)[:-1]))
    expected = {
        (str(s), str(f)) for s in in_scheme(g, URIRef(str(STAGE)[:-1])) for f in all_functions if not cells[s, f]
    }
    rows = run(store, "stage-function-gaps", derived=str(derived).lower())
    assert {(r["stage"], r["function"]) for r in rows} == expected


@pytest.mark.parametrize(
    "actor, stage", [(ACTOR.developer, STAGE["build-and-use-model"]), (ACTOR.deployer, STAGE.deploy)]
)
@DERIVED
def test_actor_at_stage(store, g, actor, stage, derived):
    expected = {str(m) for m in mitigations(g) if actor in actors(g, m, derived) and stage in stages(g, m, derived)}
    rows = run(store, "actor-at-stage", actor=str(actor), stage=str(stage), derived=str(derived).lower())
    assert {r["mitigation"] for r in rows} == expected
    assert len(expected) > (10 if derived else -1)


@DERIVED
@pytest.mark.parametrize("document", [KG["document/shi2024"], KG["document/FLI2024"]])
def test_document_mitigations(store, g, cats, document, derived):
    codes = defaultdict(set)
    for c, ms in cats[derived].items():
        for m in ms:
            codes[m].add(notation(g, c))
    expected = {(str(m), code) for m in g.subjects(AIRM.sourceDocument, document) for code in (codes[m] or {None})}
    rows = run(store, "document-mitigations", document=str(document), derived=str(derived).lower())
    assert expected and {(r["mitigation"], r["code"]) for r in rows} == expected


def test_document_mitigations_of_the_seed_document(store):
    rows = run(store, "document-mitigations")
    assert len({r["mitigation"] for r in rows}) == 12  # 3 pages' own records + 9 listed siblings


def test_documents(store, g):
    docs = set(g.subjects(RDF.type, AIRM.SourceDocument))
    expected = {
        str(d): (
            len(set(g.subjects(AIRM.sourceDocument, d))),
            len({m for m in g.subjects(AIRM.sourceDocument, d) if g.value(m, AIRM.mitigationCategory)}),
        )
        for d in docs
    }
    rows = run(store, "documents")
    assert {r["document"]: (r["mitigations"], r["classified_mitigations"]) for r in rows} == expected


def test_documents_by_year(store, g):
    by_year = defaultdict(lambda: [set(), set()])
    for d in g.subjects(RDF.type, AIRM.SourceDocument):
        for year in g.objects(d, DCTERMS.issued):
            by_year[str(year)][0].add(d)
            by_year[str(year)][1].update(g.subjects(AIRM.sourceDocument, d))
    rows = run(store, "documents-by-year")
    assert {r["year"]: (r["documents"], r["mitigations"]) for r in rows} == {
        y: (len(ds), len(ms)) for y, (ds, ms) in by_year.items()
    }
    assert sum(r["documents"] for r in rows) == len(set(g.subjects(RDF.type, AIRM.SourceDocument)))


def disagreements(g, first, second):
    out = set()
    for m in mitigations(g):
        cs = list(g.objects(m, AIRM.hasClassification)) + list(g.subjects(AIRM.classifies, m))
        for a in cs:
            for b in cs:
                ca, cb = g.value(a, AIRM.category), g.value(b, AIRM.category)
                if (
                    (g.value(a, AIRM.classificationMethod), g.value(b, AIRM.classificationMethod)) == (first, second)
                    and ca != cb
                    and g.value(ca, SKOS.inScheme) == g.value(cb, SKOS.inScheme)
                ):
                    out.add((str(m), notation(g, ca), notation(g, cb)))
    return out


@pytest.mark.parametrize("first, second", [(CMETHOD.curator, CMETHOD.classifier), (CMETHOD.published, CMETHOD.curator)])
def test_classification_disagreements_on_the_project_data(store, g, first, second):
    rows = run(store, "classification-disagreements", first=str(first), second=str(second))
    assert {(r["mitigation"], r["firstCode"], r["secondCode"]) for r in rows} == disagreements(g, first, second)


DISAGREEMENT = """
@prefix airm: <https://w3id.org/airm-kg/ontology#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix cmethod: <https://w3id.org/airm-kg/vocab/classification-method/> . @prefix x: <http://example.org/> .
x:c1 skos:inScheme x:s ; skos:notation "1" .  x:c2 skos:inScheme x:s ; skos:notation "2" .
x:m airm:hasClassification x:a , x:b .
x:a airm:classificationMethod cmethod:curator ; airm:category x:c1 ; airm:reasoning "by hand" .
x:b airm:classificationMethod cmethod:classifier ; airm:category x:c2 .
x:n airm:hasClassification x:d , x:e .
x:d airm:classificationMethod cmethod:curator ; airm:category x:c1 .
x:e airm:classificationMethod cmethod:classifier ; airm:category x:c1 .
"""


def test_classification_disagreements_finds_a_disagreement():
    store = ox.Store()
    store.load(DISAGREEMENT.encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("http://example.org/g"))
    rows = run(store, "classification-disagreements")
    assert [(r["mitigation"], r["firstCode"], r["secondCode"], r["firstReasoning"]) for r in rows] == [
        ("http://example.org/m", "1", "2", "by hand")
    ]


def addressing(g, risk) -> set:
    return {*g.subjects(AIRM.addressesRisk, risk), *g.objects(risk, AIRM.addressedBy)}


def heading_risks(g) -> set:
    return set(g.subjects(RDF.type, AIRM.Risk)) - set(g.subjects(RDF.type, AIRM.RiskCategory))


@pytest.mark.parametrize("heading", ["Value Misalignment", "robustness to ATTACK", "No such heading"])
def test_risk_heading_mitigations(store, g, heading):
    risks = {r for r in heading_risks(g) if str(g.value(r, RDFS.label)).lower() == heading.lower()}
    expected = {str(m) for r in risks for m in addressing(g, r)}
    assert {r["mitigation"] for r in run(store, "risk-heading-mitigations", heading=heading)} == expected


def test_risk_headings(store, g):
    expected = {str(r): len(addressing(g, r)) for r in heading_risks(g)}
    assert expected
    assert {r["risk"]: r["mitigations"] for r in run(store, "risk-headings")} == expected


@DERIVED
def test_taxonomy_comparison(store, g, cats, derived):
    expected = set()
    for label, scheme in (("v1", V1), ("v2", V2)):
        tops = {*g.subjects(SKOS.topConceptOf, scheme), *g.objects(scheme, SKOS.hasTopConcept)}
        for top in tops:
            below = descendants(g, top)
            expected.add((label, notation(g, top), len(below) - 1, len(classified(cats[derived], below))))
    rows = run(store, "taxonomy-comparison", derived=str(derived).lower())
    assert {(r["taxonomy"], r["code"], r["subcategories"], r["mitigations"]) for r in rows} == expected


@DERIVED
@pytest.mark.parametrize("word", ["monitor", "AUDIT", "security"])
def test_categories_matching(store, g, cats, word, derived):
    expected = set()
    for label, scheme in (("v1", V1), ("v2", V2)):
        for c in in_scheme(g, scheme):
            text = f"{g.value(c, SKOS.prefLabel) or ''} {g.value(c, SKOS.definition) or ''}".lower()
            if word.lower() in text:
                expected.add((label, notation(g, c), len(classified(cats[derived], descendants(g, c)))))
    rows = run(store, "categories-matching", word=word, derived=str(derived).lower())
    assert expected and {(r["taxonomy"], r["code"], r["mitigations"]) for r in rows} == expected


@pytest.mark.parametrize("text", ["red team", "WATERMARK", "interpretability"])
def test_search(store, g, text):
    expected = set()
    for prop, field in ((RDFS.label, "label"), (SKOS.prefLabel, "name"), (DCTERMS.title, "title")):
        expected |= {(str(s), field) for s, o in g.subject_objects(prop) if text.lower() in str(o).lower()}
    for m, e in g.subject_objects(AIRM.hasEvidence):
        if text.lower() in str(g.value(e, AIRM.quoteText)).lower():
            expected.add((str(m), "evidence"))
    assert 0 < len(expected) < 500
    rows = run(store, "search", text=text)
    assert {(r["resource"], r["field"]) for r in rows} == expected
    assert all(text.lower() in r["excerpt"].lower() for r in rows)


def test_unclassified_mitigations(store, g):
    expected = {str(m) for m in mitigations(g) if g.value(m, AIRM.mitigationCategory) is None}
    assert {r["mitigation"] for r in run(store, "unclassified-mitigations")} == expected


@DERIVED
@pytest.mark.parametrize("category", [MTAX["2.4"], V1TAX["3.5"], MTAX["2.3"]])
def test_category_evidence(store, g, cats, category, derived):
    expected = {
        (str(m), str(g.value(e, AIRM.quoteText)))
        for m in classified(cats[derived], descendants(g, category))
        for e in g.objects(m, AIRM.hasEvidence)
    }
    rows = run(store, "category-evidence", category=str(category), derived=str(derived).lower())
    assert (expected or not derived) and {(r["mitigation"], r["quote"]) for r in rows} == expected


def test_document_headings(store, g):
    document = KG["document/shi2024"]

    def depth(m):
        parent, n = g.value(m, AIRM.parentMitigation), 0
        while parent is not None:
            parent, n = g.value(parent, AIRM.parentMitigation), n + 1
        return n

    expected = {
        (str(m), str(g.value(m, AIRM.parentMitigation)), depth(m))
        for m in g.subjects(AIRM.sourceDocument, document)
        if g.value(m, AIRM.parentMitigation)
    }
    rows = run(store, "document-headings", document=str(document))
    assert expected and {(r["mitigation"], r["parent"], r["depth"]) for r in rows} == expected


def test_mitigation_record(store, g):
    m = KG["mitigation/A0086_Future_of_Life_Institute2024"]
    nodes = {m, *g.objects(m, AIRM.hasEvidence), *g.objects(m, AIRM.hasClassification)}
    expected = {(str(s), str(p), str(o)) for s in nodes for p, o in g.predicate_objects(s)}
    got = {
        (t.subject.value, t.predicate.value, t.object.value)
        for t in named.execute(CATALOGUE["mitigation-record"], store, {})
    }
    assert expected <= got  # what the sources say, plus the inferences
    assert {s for s, _, _ in got} == {str(n) for n in nodes}


def test_named_graphs(store):
    expected = {s.graph_iri: len(parse_rdflib(s)) for s in collect(ROOT)}
    rows = {r["graph"]: r["triples"] for r in run(store, "named-graphs")}
    inferred = rows.pop(str(KG["graph/inferred"]))
    assert rows == expected and inferred > 0


def test_every_query_answers_the_same_as_its_standalone_text(store, current):
    """The text the query page shows as an example answers what the named query answers."""
    functions = fulltext.functions(current.path)  # kgf:textScore (queries tagged "extension")
    for name, query in CATALOGUE.items():
        fmt = "ntriples" if query.form in ("CONSTRUCT", "DESCRIBE") else "csv"
        answer = execute.render(named.execute(query, store, {}, functions), fmt)
        standalone = execute.render(execute.run_dataset(store, query.standalone(), functions=functions), fmt)
        assert sorted(answer.splitlines()) == sorted(standalone.splitlines()), name


def test_ranked_search_orders_by_the_explorer_score(store, current):
    from kg import explorer

    rows = list(named.execute(CATALOGUE["ranked-search"], store, {}, fulltext.functions(current.path)))
    scores = [float(r["score"].value) for r in rows]
    assert rows and scores == sorted(scores, reverse=True)
    top = explorer.explore(current.path, "model weights security", limit=1)["results"][0]
    assert rows[0]["mitigation"].value == top["iri"]


def test_every_query_is_tested_here():
    import test_align_queries  # the cross-vocabulary queries (queries/align-*.rq) are tested there

    names = [*globals(), *vars(test_align_queries)]
    tests = [n.removeprefix("test_").replace("_", "-") for n in names if n.startswith("test_")]
    untested = {q for q in CATALOGUE if not any(t == q or t.startswith(q + "-") for t in tests)}
    assert not untested, "named queries without a test of their answer"


def test_docs_list_every_named_query():
    docs = (ROOT / "docs" / "sparql.md").read_text(encoding="utf-8")
    assert not [name for name in CATALOGUE if f"(../queries/{name}.rq)" not in docs]
