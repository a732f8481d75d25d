"""What the search index holds of each mitigation, read from a release's store (docs/explorer.md).

One `Entry` per mitigation: the text of its fields (name, definition, evidence, additional
information, reasoning, category names, document title and authors), its facet values with their
labels, and its row in `kg export --format csv`'s columns. A facet value is *derived* when the
graph holds it only as a derived fact (a `cmethod:derived` classification, `airm:derivedLifecycleStage`,
`airm:derivedActor`); the code reads those properties when present and works without them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.namespaces import DEFAULT_BASE, NS
from kg.records import table
from kg.records import vocab as vocabulary

FACETS = ("category", "stage", "actor", "function", "document", "year", "method", "risk", "dataset")
DERIVED_METHOD = NS.cmethod + "derived"

_A = NS.airm
BASICS = f"""
SELECT ?m ?p ?o WHERE {{
  ?m a <{_A}Mitigation> ; ?p ?o .
  VALUES ?p {{ <{NS.rdfs}label> <{NS.dcterms}identifier> <{NS.void}inDataset> <{_A}sourceDocument>
              <{_A}mitigationCategory> <{_A}addressesRisk> <{_A}additionalInformation>
              <{_A}lifecycleStage> <{_A}primaryLifecycleStage> <{_A}otherLifecycleStage> <{_A}derivedLifecycleStage>
              <{_A}actor> <{_A}primaryActor> <{_A}otherActor> <{_A}derivedActor>
              <{_A}airmFunction> <{_A}primaryAIRMFunction> <{_A}otherAIRMFunction> }}
}}"""
MITIGATIONS = f"SELECT DISTINCT ?m WHERE {{ ?m a <{_A}Mitigation> }}"
EVIDENCE = f"SELECT ?m ?text WHERE {{ ?m a <{_A}Mitigation> ; <{_A}hasEvidence>/<{_A}quoteText> ?text }}"
CLASSIFICATIONS = f"""
SELECT ?m ?method ?category ?reasoning WHERE {{
  ?c <{_A}classifies> ?m ; <{_A}classificationMethod> ?method .
  OPTIONAL {{ ?c <{_A}category> ?category }} OPTIONAL {{ ?c <{_A}reasoning> ?reasoning }}
}}"""
BROADER = f"SELECT ?c ?b WHERE {{ ?c <{NS.skos}broader> ?b }}"
LABELS = f"""
SELECT ?s ?p ?o WHERE {{
  ?s ?p ?o . VALUES ?p {{ <{NS.skos}prefLabel> <{NS.skos}notation> <{NS.rdfs}label> <{NS.dcterms}title> }}
}}"""
DOCUMENTS = f"""
SELECT ?d ?issued WHERE {{ ?d a <{_A}SourceDocument> . OPTIONAL {{ ?d <{NS.dcterms}issued> ?issued }} }}"""

# property -> (facet, derived?) for the properties read as facet values directly
_DIRECT = {
    _A + "lifecycleStage": ("stage", False),
    _A + "primaryLifecycleStage": ("stage", False),
    _A + "otherLifecycleStage": ("stage", False),
    _A + "derivedLifecycleStage": ("stage", True),
    _A + "actor": ("actor", False),
    _A + "primaryActor": ("actor", False),
    _A + "otherActor": ("actor", False),
    _A + "derivedActor": ("actor", True),
    _A + "airmFunction": ("function", False),
    _A + "primaryAIRMFunction": ("function", False),
    _A + "otherAIRMFunction": ("function", False),
    _A + "sourceDocument": ("document", False),
    _A + "addressesRisk": ("risk", False),
    NS.void + "inDataset": ("dataset", False),
}
# the super-properties `kg build` materialises: a value only under one of these and a derived
# sub-property is derived; one only under the super-property (no sub-property known) is asserted
_SUPER = {_A + "lifecycleStage", _A + "actor", _A + "airmFunction"}


@dataclass
class Entry:
    iri: str
    id: str = ""
    label: str = ""
    fields: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # facet -> value -> derived? (False wins: a value the graph also asserts is not derived)
    facets: dict[str, dict[str, bool]] = field(default_factory=lambda: defaultdict(dict))
    direct: set[tuple[str, str]] = field(default_factory=set)  # (facet, value) not reached via skos:broader
    row: dict[str, str] = field(default_factory=dict)

    def add(self, facet: str, value: str, derived: bool, direct: bool = True) -> None:
        self.facets[facet][value] = self.facets[facet].get(value, True) and derived
        if direct:
            self.direct.add((facet, value))


@dataclass
class Facts:
    entries: dict[str, Entry]
    labels: dict[str, str]  # IRI (or year) -> label
    codes: dict[str, str]  # concept IRI -> notation


def _q(store: ox.Store, text: str):
    return store.query(text, use_default_graph_as_union=True)


def read(store: ox.Store, base: str = DEFAULT_BASE) -> Facts:
    """Every mitigation of `store` as an Entry."""
    labels, codes = _labels(store)
    entries = {row["m"].value: Entry(row["m"].value) for row in _q(store, MITIGATIONS)}
    effective: list[tuple[str, str]] = []
    subs: dict[tuple[str, str, str], bool] = {}  # (m, facet, value) -> seen under a sub-property
    for row in _q(store, BASICS):
        m, p, o = row["m"].value, row["p"].value, row["o"]
        e = entries.setdefault(m, Entry(m))
        if p == NS.rdfs + "label":
            e.label = e.label or o.value
        elif p == NS.dcterms + "identifier":
            e.id = e.id or o.value
        elif p == _A + "additionalInformation":
            e.fields["information"].append(o.value)
        elif p == _A + "mitigationCategory":
            effective.append((m, o.value))  # derived or not as its classifications are (below)
        elif p in _SUPER:
            subs.setdefault((m, _DIRECT[p][0], o.value), False)
        else:
            facet, derived = _DIRECT[p]
            subs[(m, facet, o.value)] = True
            e.add(facet, o.value, derived)
    for (m, facet, value), under_sub in subs.items():
        if not under_sub:  # only the super-property: asserted directly, or through a sub-property we do not know
            entries[m].add(facet, value, False)
    for row in _q(store, EVIDENCE):
        entries[row["m"].value].fields["evidence"].append(row["text"].value)
    for row in _q(store, CLASSIFICATIONS):
        classified = entries.get(row["m"].value)
        if classified is None:
            continue
        derived = row["method"].value == DERIVED_METHOD
        classified.add("method", row["method"].value, derived)
        if row["category"] is not None:
            classified.add("category", row["category"].value, derived)
        if row["reasoning"] is not None:
            classified.fields["reasoning"].append(row["reasoning"].value)
    for m, category in effective:  # the effective category is derived when only derived classifications name it
        if category not in entries[m].facets.get("category", {}):
            entries[m].add("category", category, False)
    _years(store, entries, labels)
    _ancestors(store, entries)
    _rows(store, entries, base, labels, codes)
    return Facts(entries, labels, codes)


def _labels(store: ox.Store) -> tuple[dict[str, str], dict[str, str]]:
    labels: dict[str, str] = {}
    codes: dict[str, str] = {}
    rank = {NS.skos + "prefLabel": 0, NS.dcterms + "title": 1, NS.rdfs + "label": 2}
    best: dict[str, tuple[int, str]] = {}
    for row in _q(store, LABELS):
        s, p, o = row["s"].value, row["p"].value, row["o"]
        if p == NS.skos + "notation":
            codes[s] = min(codes.get(s, o.value), o.value)
            continue
        lang = getattr(o, "language", None)
        key = (rank[p] * 2 + (0 if lang in (None, "en") else 1), o.value)
        if s not in best or key < best[s]:
            best[s] = key
    labels.update({s: v for s, (_, v) in best.items()})
    return labels, codes


def _years(store: ox.Store, entries: dict[str, Entry], labels: dict[str, str]) -> None:
    years = {row["d"].value: row["issued"].value[:4] for row in _q(store, DOCUMENTS) if row["issued"] is not None}
    for e in entries.values():
        for doc in list(e.facets.get("document", {})):
            if doc in years:
                e.add("year", years[doc], False)
                labels.setdefault(years[doc], years[doc])


def _ancestors(store: ox.Store, entries: dict[str, Entry]) -> None:
    """Categories and risks include their broader concepts, so a filter selects a subtree."""
    broader: dict[str, set[str]] = defaultdict(set)
    for row in _q(store, BROADER):
        broader[row["c"].value].add(row["b"].value)

    def up(c: str) -> set[str]:
        seen: set[str] = set()
        todo = list(broader.get(c, ()))
        while todo:
            b = todo.pop()
            if b not in seen:
                seen.add(b)
                todo.extend(broader.get(b, ()))
        return seen

    for e in entries.values():
        for facet in ("category", "risk"):
            for value, derived in list(e.facets.get(facet, {}).items()):
                for b in up(value):
                    e.add(facet, b, derived, direct=False)


def _rows(store: ox.Store, entries: dict[str, Entry], base: str, labels: dict[str, str], codes: dict[str, str]):
    """The CSV row (kg export's columns) and the text of the category and document fields."""
    vocab = vocabulary.load(store, base)
    docs = table.document_rows(store, base)
    doc_ids = table.document_ids(store, base)
    rows = table.mitigation_rows(store, vocab, base, doc_ids)
    by_iri = {base + "mitigation/" + k: r for k, r in rows.items()}
    for e in entries.values():
        e.row = by_iri.get(e.iri, {})
        e.id = e.id or e.row.get("Mitigation_ID") or e.iri.rsplit("/", 1)[-1]
        if e.row.get("Definition"):
            e.fields["definition"].append(e.row["Definition"])
            e.fields["evidence"] = [t for t in e.fields["evidence"] if t != e.row["Definition"]]
        e.fields["name"].append(e.label)
        for c in sorted(e.facets.get("category", {})):
            e.fields["category"].append(" ".join(x for x in (codes.get(c, ""), labels.get(c, "")) if x))
        for d in sorted(e.facets.get("document", {})):
            doc = docs.get(doc_ids.get(d, ""), {})
            e.fields["document"] += [labels.get(d, ""), doc.get("Author list", ""), doc.get("SourceID", "")]
