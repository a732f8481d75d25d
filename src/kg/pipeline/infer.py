"""Materialisation of the inferences users query for, into the graph `kg:graph/inferred`.

Rules, applied to a fixpoint over the union of all graphs (a small, predictable subset of
RDFS/OWL RL; HermiT checks consistency separately, in `kg.reason`):
  - types from rdfs:subClassOf chains
  - statements from rdfs:subPropertyOf chains (primaryActor -> actor, skos:broader -> broaderTransitive)
  - owl:inverseOf in both directions (parentMitigation <-> childMitigation, skos:broader <-> narrower)
  - owl:TransitiveProperty closure (skos:broaderTransitive, skos:narrowerTransitive)
  - the effective category (airm:mitigationCategory) of a mitigation in each taxonomy (the
    skos:inScheme of the categories): the category of its classification by the method of highest
    precedence, curator > published > classifier > derived (`PRECEDENCE`); so a derived category is
    effective only where no other method classified the mitigation in that taxonomy
Only statements not already asserted are added.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.namespaces import GRAPH, PREFIXES
from kg.sparql.execute import constructed, solutions

INFERRED = ox.NamedNode(f"{GRAPH}inferred")

# Classification methods, highest precedence first (docs/model.md, "Effective category").
PRECEDENCE = ("curator", "published", "classifier", "derived")
_RANKS = " ".join(f"(cmethod:{m} {i})" for i, m in enumerate(PRECEDENCE))

RULES: dict[str, str] = {
    "subclass": """
        CONSTRUCT { ?x a ?super } WHERE {
          ?x a ?c . ?c rdfs:subClassOf+ ?super . FILTER(isIRI(?super) && ?super != owl:Thing)
          FILTER NOT EXISTS { ?x a ?super } }""",
    "subproperty": """
        CONSTRUCT { ?s ?super ?o } WHERE {
          ?p rdfs:subPropertyOf+ ?super . FILTER(isIRI(?super) && ?p != ?super)
          ?s ?p ?o . FILTER NOT EXISTS { ?s ?super ?o } }""",
    "inverse": """
        CONSTRUCT { ?o ?q ?s } WHERE {
          { ?p owl:inverseOf ?q } UNION { ?q owl:inverseOf ?p }
          ?s ?p ?o . FILTER(!isLiteral(?o)) FILTER NOT EXISTS { ?o ?q ?s } }""",
    "effective-category": f"""
        CONSTRUCT {{ ?m airm:mitigationCategory ?cat }} WHERE {{
          {{ SELECT ?m ?scheme (MIN(?r) AS ?best) WHERE {{
              ?c airm:classifies ?m ; airm:category ?k ; airm:classificationMethod ?method .
              ?k skos:inScheme ?scheme . VALUES (?method ?r) {{ {_RANKS} }} }} GROUP BY ?m ?scheme }}
          ?c airm:classifies ?m ; airm:category ?cat ; airm:classificationMethod ?method .
          ?cat skos:inScheme ?scheme . VALUES (?method ?best) {{ {_RANKS} }}
          MINUS {{ ?m airm:mitigationCategory ?cat }} }}""",
}

# SPARQL property paths take no variables: one closure query per transitive property.
TRANSITIVE_PROPERTIES = "SELECT DISTINCT ?p WHERE { ?p a owl:TransitiveProperty . FILTER(isIRI(?p)) }"
TRANSITIVE_CLOSURE = "CONSTRUCT {{ ?s <{p}> ?o }} WHERE {{ ?s <{p}>/<{p}>+ ?o . FILTER NOT EXISTS {{ ?s <{p}> ?o }} }}"


def _rules(store: ox.Store):
    yield from RULES.items()
    for row in solutions(store.query(TRANSITIVE_PROPERTIES, prefixes=PREFIXES, use_default_graph_as_union=True)):
        yield "transitive", TRANSITIVE_CLOSURE.format(p=row["p"].value)


def materialise(store: ox.Store, max_rounds: int = 10) -> dict[str, int]:
    """Add the inferences to `INFERRED` in `store`; return how many each rule added."""
    added = dict.fromkeys([*RULES, "transitive"], 0)
    for _ in range(max_rounds):
        new = 0
        for name, rule in _rules(store):
            triples = set(constructed(store.query(rule, prefixes=PREFIXES, use_default_graph_as_union=True)))
            store.extend(ox.Quad(t.subject, t.predicate, t.object, INFERRED) for t in triples)
            added[name] = added.get(name, 0) + len(triples)
            new += len(triples)
        if not new:
            return added
    raise RuntimeError(f"inference did not reach a fixpoint in {max_rounds} rounds")
