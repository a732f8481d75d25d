"""One data object per resource: `describe(store, iri)` gathers what the graph says about an IRI —
its types, label, outgoing and incoming statements and the extras of its kind (a mitigation's
category, evidence, citation...) — and the same object feeds the HTML page and the RDF
representation (`Resource.triples`: a CBD-like description).

Every lookup is a targeted index scan (`quads_for_pattern`) or a SPARQL query bound to the IRI, so a
description costs a few milliseconds; what is shared by many pages (labels, counts per concept,
trees) is cached on the `Describer`, which lives as long as the release's store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import pyoxigraph as ox

from kg.namespaces import DEFAULT_BASE, NS
from kg.sparql import execute

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LANG_STRING = NS.rdf + "langString"

TYPE = ox.NamedNode(NS.rdf + "type")
FIRST, REST, NIL = ox.NamedNode(NS.rdf + "first"), ox.NamedNode(NS.rdf + "rest"), ox.NamedNode(NS.rdf + "nil")
LABELS = tuple(
    ox.NamedNode(p) for p in (NS.skos + "prefLabel", NS.rdfs + "label", NS.foaf + "name", NS.dcterms + "title")
)
NOTATION = ox.NamedNode(NS.skos + "notation")
INCOMING_LIMIT = 1000  # incoming triples put in the RDF description
SHOWN_PER_PREDICATE = 60  # incoming subjects listed per predicate on a page


def airm(base: str) -> str:
    return base + "ontology#"


# (kind, class IRI relative to the ontology namespace or absolute), first match wins.
KINDS = (
    ("mitigation", "#Mitigation"),
    ("document", "#SourceDocument"),
    ("person", NS.foaf + "Person"),
    ("organization", NS.foaf + "Organization"),
    ("category", "#MitigationCategory"),
    ("stage", "#LifecycleStage"),
    ("actor", "#Actor"),
    ("function", "#AIRMFunction"),
    ("riskcategory", "#RiskCategory"),
    ("risk", "#Risk"),
    ("scheme", NS.skos + "ConceptScheme"),
    ("concept", NS.skos + "Concept"),
    ("dataset", NS.void + "Dataset"),
    ("classification", "#Classification"),
    ("evidence", "#EvidenceQuote"),
    ("ontology", NS.owl + "Ontology"),
    ("agent", NS.prov + "Agent"),
    ("agent", NS.foaf + "Agent"),
)
KIND_NAMES = {
    "mitigation": "Mitigation",
    "document": "Source document",
    "person": "Person",
    "organization": "Organisation",
    "category": "Mitigation category",
    "stage": "Lifecycle stage",
    "actor": "Actor",
    "function": "NIST AI RMF function",
    "riskcategory": "Risk category",
    "risk": "Risk",
    "scheme": "Concept scheme",
    "concept": "Concept",
    "dataset": "Dataset",
    "classification": "Classification",
    "evidence": "Evidence quote",
    "ontology": "Ontology",
    "agent": "Agent",
    "resource": "Resource",
}
CONCEPT_KINDS = frozenset({"category", "stage", "actor", "function", "riskcategory", "concept"})


@dataclass(frozen=True)
class Term:
    """An RDF term as a page shows it."""

    kind: str  # "iri", "literal" or "bnode"
    value: str  # the IRI, the lexical form, or the blank node id
    label: str = ""  # what is shown (the resource's label, else its short name)
    href: str = ""  # where it links to ('' for literals and blank nodes)
    note: str = ""  # a literal's language or datatype
    code: str = ""  # skos:notation of a concept

    @property
    def text(self) -> str:
        return self.label or self.value


@dataclass
class Group:
    """The values of one predicate."""

    predicate: Term
    values: list[Term]
    total: int = 0


@dataclass
class Resource:
    iri: str
    kind: str
    types: list[Term]
    label: str
    outgoing: list[Group]
    incoming: list[Group]
    triples: list[ox.Triple]
    extras: dict = field(default_factory=dict)
    comment: str = ""

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    def has_type(self, iri: str) -> bool:
        return any(t.value == iri for t in self.types)


@dataclass
class Node:
    """A concept in a taxonomy tree."""

    term: Term
    definition: str
    count: int  # mitigations classified here or below
    direct: int  # mitigations classified exactly here
    children: list[Node] = field(default_factory=list)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def natural_key(text: str):
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text or "")]


def local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri


def literal_value(term) -> str:
    return term.value if term is not None else ""


class Describer:
    """Describes resources of one store; caches what many pages share."""

    def __init__(self, store: ox.Store, base: str = DEFAULT_BASE, root: str = "") -> None:
        self.store, self.base, self.root = store, base, root
        self.ns = airm(base)
        self._label = lru_cache(maxsize=200_000)(self._label_uncached)
        self._notation = lru_cache(maxsize=200_000)(self._notation_uncached)
        self._counts: tuple[dict[str, int], dict[str, int]] | None = None
        self._trees: dict[str, list[Node]] = {}
        self._mitigations_of: dict[str, list[dict]] = {}  # document -> its mitigations (shared by their pages)

    # -- terms ------------------------------------------------------------------------------
    def href(self, iri: str) -> str:
        if iri.startswith(self.base) and len(iri) > len(self.base):
            return f"{self.root}/{iri[len(self.base) :]}"
        return iri if iri.lower().startswith(("http://", "https://")) else ""

    def _first(self, node: ox.NamedNode, predicate: ox.NamedNode) -> str:
        best = ""
        for quad in self.store.quads_for_pattern(node, predicate, None):
            obj = quad.object
            if isinstance(obj, ox.Literal):
                if obj.language in (None, "en"):
                    return obj.value
                best = best or obj.value
        return best

    def _label_uncached(self, iri: str) -> str:
        node = ox.NamedNode(iri)
        for predicate in LABELS:
            text = self._first(node, predicate)
            if text:
                return text
        return ""

    def _notation_uncached(self, iri: str) -> str:
        return self._first(ox.NamedNode(iri), NOTATION)

    def label(self, iri: str) -> str:
        """The label of an IRI, else its notation, else ''."""
        return self._label(iri) or self._notation(iri)

    def short(self, iri: str) -> str:
        text = execute.readable(ox.NamedNode(iri))
        return text[1:-1] if text.startswith("<") else text

    def term(self, node) -> Term:
        if isinstance(node, ox.NamedNode):
            iri = node.value
            code = self._notation(iri)
            label = self._label(iri)
            shown = f"{code} {label}".strip() if code and label and label != code else (label or code)
            return Term("iri", iri, shown or self.short(iri), self.href(iri), code=code)
        if isinstance(node, ox.Literal):
            dt = node.datatype.value
            note = node.language or ("" if dt in (XSD_STRING, LANG_STRING) else self.short(dt))
            return Term("literal", node.value, node.value, note=note)
        return Term("bnode", str(node), "(blank node)")

    def iri_term(self, iri: str) -> Term:
        return self.term(ox.NamedNode(iri))

    # -- statements -------------------------------------------------------------------------
    def outgoing(self, node) -> list[ox.Triple]:
        seen, out = set(), []
        for quad in self.store.quads_for_pattern(node, None, None):
            triple = ox.Triple(quad.subject, quad.predicate, quad.object)
            if triple not in seen:
                seen.add(triple)
                out.append(triple)
        return out

    def closure(self, node) -> list[ox.Triple]:
        """Outgoing triples, blank-node objects (rdf:List author lists...) expanded."""
        triples, todo, done = [], [node], set()
        while todo:
            current = todo.pop()
            if current in done:
                continue
            done.add(current)
            for triple in self.outgoing(current):
                triples.append(triple)
                if isinstance(triple.object, ox.BlankNode):
                    todo.append(triple.object)
        return triples

    def incoming(self, node, limit: int = INCOMING_LIMIT) -> tuple[list[ox.Triple], int]:
        seen: set[ox.Triple] = set()
        out: list[ox.Triple] = []
        for quad in self.store.quads_for_pattern(None, None, node):
            triple = ox.Triple(quad.subject, quad.predicate, quad.object)
            if triple not in seen:
                seen.add(triple)
                if len(out) < limit:
                    out.append(triple)
        return out, len(seen)

    def exists(self, iri: str) -> bool:
        """Whether the graph mentions `iri` (False for text that is not an IRI at all)."""
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            return False
        return (
            next(iter(self.store.quads_for_pattern(node, None, None)), None) is not None
            or next(iter(self.store.quads_for_pattern(None, None, node)), None) is not None
        )

    def label_triples(self, node: ox.NamedNode) -> list[ox.Triple]:
        for predicate in (*LABELS, NOTATION):
            for quad in self.store.quads_for_pattern(node, predicate, None):
                return [ox.Triple(node, predicate, quad.object)]
        return []

    def group(self, pairs: list[tuple[ox.NamedNode, object]], limit: int = 0) -> list[Group]:
        groups: dict[str, Group] = {}
        for predicate, value in pairs:
            g = groups.get(predicate.value)
            if g is None:
                g = groups[predicate.value] = Group(self.term(predicate), [])
            g.total += 1
            if not limit or len(g.values) < limit:
                g.values.append(self.term(value))
        for g in groups.values():
            g.values.sort(key=lambda t: natural_key(t.text))
        return sorted(groups.values(), key=lambda g: (g.predicate.value != NS.rdf + "type", g.predicate.text))

    # -- queries ----------------------------------------------------------------------------
    def select(self, query: str, **iris: str) -> list[dict]:
        for name, iri in iris.items():
            query = query.replace(f"${name}", f"<{iri}>")
        result = execute.run(self.store, f"PREFIX airm: <{self.ns}>\n{query}")
        names = [v.value for v in result.variables]
        return [{n: row[n] for n in names} for row in result]

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Mitigations per concept: (in its subtree, directly) — over category, stage, actor,
        function and addressed risk."""
        if self._counts is None:
            links = "VALUES ?p { airm:mitigationCategory airm:lifecycleStage airm:actor airm:airmFunction airm:addressesRisk }"
            subtree = self.select(f"""SELECT ?c (COUNT(DISTINCT ?m) AS ?n) WHERE {{ {links}
                ?m ?p ?x . ?x skos:broaderTransitive* ?c }} GROUP BY ?c""")
            direct = self.select(f"SELECT ?c (COUNT(DISTINCT ?m) AS ?n) WHERE {{ {links} ?m ?p ?c }} GROUP BY ?c")
            self._counts = (
                {r["c"].value: int(r["n"].value) for r in subtree if isinstance(r["c"], ox.NamedNode)},
                {r["c"].value: int(r["n"].value) for r in direct if isinstance(r["c"], ox.NamedNode)},
            )
        return self._counts

    def tree(self, scheme: str) -> list[Node]:
        """The concepts of a scheme as a tree (top concepts first, by notation), with counts."""
        if scheme not in self._trees:
            rows = self.select(
                """SELECT ?c ?b ?d WHERE { ?c skos:inScheme $s .
                OPTIONAL { ?c skos:broader ?b . ?b skos:inScheme $s }
                OPTIONAL { ?c skos:definition ?d } }""",
                s=scheme,
            )
            subtree, direct = self.counts()
            nodes: dict[str, Node] = {}
            parents: dict[str, set[str]] = {}
            for r in rows:
                iri = r["c"].value
                if iri not in nodes:
                    nodes[iri] = Node(
                        self.iri_term(iri), literal_value(r["d"]), subtree.get(iri, 0), direct.get(iri, 0)
                    )
                if r["b"] is not None:
                    parents.setdefault(iri, set()).add(r["b"].value)
            top: list[Node] = []
            for iri, node in nodes.items():
                ps = [p for p in parents.get(iri, ()) if p in nodes]
                (nodes[sorted(ps)[0]].children if ps else top).append(node)
            for node in nodes.values():
                node.children.sort(key=lambda n: natural_key(n.term.code or n.term.text))
            self._trees[scheme] = sorted(top, key=lambda n: natural_key(n.term.code or n.term.text))
        return self._trees[scheme]

    def subtree(self, scheme: str, concept: str) -> Node | None:
        for top in self.tree(scheme):
            for node in top.walk():
                if node.term.value == concept:
                    return node
        return None

    def schemes(self) -> list[Term]:
        rows = self.select("SELECT DISTINCT ?s WHERE { ?s a skos:ConceptScheme }")
        return sorted((self.term(r["s"]) for r in rows), key=lambda t: t.text)

    def instances(self, cls: str, limit: int = 5000) -> list[Term]:
        terms = [
            self.term(q.subject)
            for q in self.store.quads_for_pattern(None, TYPE, ox.NamedNode(cls))
            if isinstance(q.subject, ox.NamedNode)
        ]
        unique = {t.value: t for t in terms}
        return sorted(unique.values(), key=lambda t: natural_key(t.text))[:limit]

    # -- kinds ------------------------------------------------------------------------------
    def kind_of(self, types: set[str]) -> str:
        for kind, cls in KINDS:
            if (self.ns + cls[1:] if cls.startswith("#") else cls) in types:
                return kind
        return "resource"

    def citation(self, doc: str) -> dict:
        node = ox.NamedNode(doc)
        authors, seen = [], set()
        for head in self.store.quads_for_pattern(node, ox.NamedNode(NS.bibo + "authorList"), None):
            cell: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None = head.object
            while isinstance(cell, ox.BlankNode) and cell not in seen:
                seen.add(cell)
                first = next(iter(self.store.quads_for_pattern(cell, FIRST, None)), None)
                if first is not None:
                    authors.append(self.term(first.object))
                rest = next(iter(self.store.quads_for_pattern(cell, REST, None)), None)
                cell = rest.object if rest is not None else None
            break
        if not authors:
            authors = sorted(
                {
                    q.object.value: self.term(q.object)
                    for q in self.store.quads_for_pattern(node, ox.NamedNode(NS.dcterms + "creator"), None)
                    if isinstance(q.object, ox.NamedNode)
                }.values(),
                key=lambda t: t.text,
            )
        get = lambda p: self._first(node, ox.NamedNode(p))
        return {
            "document": self.iri_term(doc),
            "title": get(NS.dcterms + "title"),
            "authors": authors,
            "year": get(NS.dcterms + "issued") or get(NS.dcterms + "date"),
            "abstract": get(NS.dcterms + "abstract"),
            "doi": get(NS.bibo + "doi"),
            "page": next(
                (
                    q.object.value
                    for q in self.store.quads_for_pattern(node, ox.NamedNode(NS.foaf + "page"), None)
                    if not isinstance(q.object, ox.Triple)  # a quoted triple (no .value) is no page
                ),
                "",
            ),
        }

    def mitigations_of(self, doc: str) -> list[dict]:
        """The mitigations citing a document, with their codes (kept: every one of them shows the list)."""
        if doc not in self._mitigations_of:
            self._mitigations_of[doc] = self._mitigations_of_uncached(doc)
        return self._mitigations_of[doc]

    def _mitigations_of_uncached(self, doc: str) -> list[dict]:
        rows = self.select(
            """SELECT ?m (MIN(?code) AS ?c) WHERE { ?m airm:sourceDocument $d .
            OPTIONAL { ?m airm:mitigationCategory/skos:notation ?code } } GROUP BY ?m""",
            d=doc,
        )
        out = [{"mitigation": self.term(r["m"]), "code": literal_value(r["c"])} for r in rows]
        return sorted(out, key=lambda x: natural_key(x["mitigation"].value))

    def concept_info(self, iri: str) -> dict:
        node = ox.NamedNode(iri)
        broader = [
            self.term(q.object) for q in self.store.quads_for_pattern(node, ox.NamedNode(NS.skos + "broader"), None)
        ]
        return {
            "concept": self.iri_term(iri),
            "definition": self._first(node, ox.NamedNode(NS.skos + "definition")),
            "broader": sorted({t.value: t for t in broader}.values(), key=lambda t: t.text),
        }

    def objects(self, node, predicate: str) -> list:
        return sorted({q.object for q in self.store.quads_for_pattern(node, ox.NamedNode(predicate), None)}, key=str)

    def mitigation_extras(self, iri: str) -> dict:
        node, ns = ox.NamedNode(iri), self.ns
        docs = [o.value for o in self.objects(node, ns + "sourceDocument")]
        classifications = []
        for c in self.objects(node, ns + "hasClassification"):
            classifications.append(
                {
                    "classification": self.term(c),
                    "categories": [self.concept_info(o.value) for o in self.objects(c, ns + "category")],
                    "method": [self.term(o) for o in self.objects(c, ns + "classificationMethod")],
                    "by": [self.term(o) for o in self.objects(c, NS.prov + "wasAttributedTo")],
                    "reasoning": self._first(c, ox.NamedNode(ns + "reasoning")),
                }
            )
        evidence = [
            {"evidence": self.term(e), "quote": self._first(e, ox.NamedNode(ns + "quoteText"))}
            for e in self.objects(node, ns + "hasEvidence")
        ]
        roles = []
        for name, prop in (
            ("Lifecycle stage", "LifecycleStage"),
            ("Actor", "Actor"),
            ("AI RMF function", "AIRMFunction"),
        ):
            for rank in ("primary", "other"):
                for o in self.objects(node, f"{ns}{rank}{prop}"):
                    roles.append({"role": name, "rank": rank, **self.concept_info(o.value)})
        siblings = [m for d in docs for m in self.mitigations_of(d) if m["mitigation"].value != iri]
        return {
            "categories": [self.concept_info(o.value) for o in self.objects(node, ns + "mitigationCategory")],
            "classifications": classifications,
            "evidence": evidence,
            "roles": roles,
            "citations": [self.citation(d) for d in docs],
            "parents": [self.term(o) for o in self.objects(node, ns + "parentMitigation")],
            "children": sorted(
                (self.term(o) for o in self.objects(node, ns + "childMitigation")), key=lambda t: t.value
            ),
            "risks": [self.term(o) for o in self.objects(node, ns + "addressesRisk")],
            "siblings": siblings,
            "additional": self._first(node, ox.NamedNode(ns + "additionalInformation")),
        }

    def concept_extras(self, iri: str, kind: str) -> dict:
        node = ox.NamedNode(iri)
        schemes = [o.value for o in self.objects(node, NS.skos + "inScheme")]
        tree = self.subtree(schemes[0], iri) if schemes else None
        chain: list[Term] = []
        cursor, seen = iri, set()
        while cursor and cursor not in seen:
            seen.add(cursor)
            up = [o.value for o in self.objects(ox.NamedNode(cursor), NS.skos + "broader")]
            cursor = up[0] if up else ""
            if cursor:
                chain.insert(0, self.iri_term(cursor))
        rows = self.select(
            """SELECT DISTINCT ?m ?p WHERE {
            VALUES ?p { airm:mitigationCategory airm:primaryLifecycleStage airm:otherLifecycleStage airm:primaryActor
                        airm:otherActor airm:primaryAIRMFunction airm:otherAIRMFunction airm:addressesRisk }
            ?m ?p ?x . ?x skos:broaderTransitive* $c } LIMIT 2000""",
            c=iri,
        )
        mitigations = sorted(
            {r["m"].value: (self.term(r["m"]), self.short(r["p"].value)) for r in rows}.values(),
            key=lambda x: natural_key(x[0].value),
        )
        subtree, direct = self.counts()
        return {
            **self.concept_info(iri),
            "schemes": [self.iri_term(s) for s in schemes],
            "chain": chain,
            "tree": tree,
            "mitigations": mitigations,
            "count": subtree.get(iri, 0),
            "direct": direct.get(iri, 0),
        }

    def status(self, iri: str) -> dict:
        """The ADMS status of a record (the navigator's preliminary data) and what its dataset says of its rights."""
        rows = self.select(
            f"""SELECT ?status ?rights WHERE {{ $r <{NS.adms}status> ?status .
                OPTIONAL {{ {{ $r dcterms:rights ?rights }} UNION {{ $r void:inDataset/dcterms:rights ?rights }} }} }}""",
            r=iri,
        )
        if not rows:
            return {}
        status = rows[0]["status"].value
        rights = next((r["rights"].value for r in rows if r["rights"] is not None), "")
        return {"iri": status, "label": self.label(status) or local_name(status), "rights": rights}

    def extras(self, iri: str, kind: str) -> dict:
        if kind == "mitigation":
            return self.mitigation_extras(iri)
        if kind == "document":
            return {"citation": self.citation(iri), "mitigations": self.mitigations_of(iri)}
        if kind in ("person", "organization", "agent"):
            rows = self.select("SELECT DISTINCT ?d WHERE { ?d dcterms:creator $p }", p=iri)
            return {"documents": [self.citation(r["d"].value) for r in rows if isinstance(r["d"], ox.NamedNode)]}
        if kind in CONCEPT_KINDS:
            return self.concept_extras(iri, kind)
        if kind == "scheme":
            tree = self.tree(iri)
            return {"tree": tree, "concepts": sum(1 for top in tree for _ in top.walk())}
        if kind == "risk":
            rows = self.select("SELECT DISTINCT ?m WHERE { ?m airm:addressesRisk $r }", r=iri)
            return {"mitigations": [(self.term(r["m"]), "airm:addressesRisk") for r in rows]}
        if kind == "dataset":
            rows = self.select("SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x void:inDataset $d }", d=iri)
            return {"records": int(rows[0]["n"].value) if rows else 0}
        return {}

    # -- the description ----------------------------------------------------------------------
    def describe(self, iri: str, extras: bool = True) -> Resource | None:
        """What the graph says about `iri`; None when it is not mentioned at all."""
        node = ox.NamedNode(iri)
        closure = self.closure(node)
        incoming, total = self.incoming(node)
        if not closure and not incoming:
            return None
        own = [t for t in closure if t.subject == node]
        types = sorted({t.object.value for t in own if t.predicate == TYPE and isinstance(t.object, ox.NamedNode)})
        kind = self.kind_of(set(types))
        triples = list(closure)
        labelled = set()
        for t in incoming:
            triples.append(t)
            if isinstance(t.subject, ox.NamedNode) and t.subject not in labelled:
                labelled.add(t.subject)
                triples.extend(self.label_triples(t.subject))
        for t in own:
            if isinstance(t.object, ox.NamedNode) and t.predicate != TYPE and t.object not in labelled:
                labelled.add(t.object)
                triples.extend(self.label_triples(t.object))
        triples = list(dict.fromkeys(triples))
        comment = (
            self._first(node, ox.NamedNode(NS.skos + "definition"))
            or self._first(node, ox.NamedNode(NS.rdfs + "comment"))
            or self._first(node, ox.NamedNode(NS.dcterms + "description"))
        )
        resource = Resource(
            iri=iri,
            kind=kind,
            types=[self.iri_term(t) for t in types],
            label=self.label(iri) or local_name(iri),
            outgoing=self.group([(t.predicate, t.object) for t in own if t.predicate != TYPE]),
            incoming=self.group([(t.predicate, t.subject) for t in incoming], SHOWN_PER_PREDICATE),
            triples=triples,
            comment=comment,
        )
        if total > len(incoming):
            resource.extras["incoming_truncated"] = total
        status = self.status(iri)
        if status:
            resource.extras["status"] = status
        if extras:
            resource.extras.update(self.extras(iri, kind))
        return resource

    def graph(self, name: str) -> list[ox.Triple]:
        """Every triple of one named graph (the ontology document, a vocabulary)."""
        return [
            ox.Triple(q.subject, q.predicate, q.object)
            for q in self.store.quads_for_pattern(None, None, None, graph_name=ox.NamedNode(name))
        ]


def describe(store: ox.Store, iri: str, base: str = DEFAULT_BASE) -> Resource | None:
    """One resource, described (see `Describer.describe`)."""
    return Describer(store, base).describe(iri)
