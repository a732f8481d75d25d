"""`kg diff OLD NEW`: what changed between two releases, for people and as RDF.

Compared are the facts a curator edits (the spreadsheet's fields), per resource:
  mitigation      name, source document, parent, effective category, stages, actors, functions,
                  additional information, risks addressed
  evidence        the quoted text (shown under its mitigation)
  classification  category, method, reasoning, who made it (shown under its mitigation)
  document        title, year, date, web page, DOI, abstract, identifier, the ordered author list
Provenance (prov:wasGeneratedBy ...), inferred triples and vocabularies are not compared.

As RDF the changes use the Changeset vocabulary (http://purl.org/vocab/changeset/schema#): one
cs:ChangeSet per resource that changed, with cs:subjectOfChange, cs:changeReason ("added
mitigation", "changed classification", ...) and reified rdf:Statements under cs:removal and
cs:addition; a prov:Entity `kg:diff/{old}/{new}` (prov:wasDerivedFrom both releases) has them as
dcterms:hasPart. Releases are named by version (kg:release/{version}), else by id.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyoxigraph as ox

from kg.config import Settings, from_env
from kg.namespaces import DEFAULT_BASE, NS, PREFIXES, bind_all
from kg.records import table
from kg.records import vocab as vocabulary
from kg.release import directory as releases
from kg.release import stamp
from kg.sparql.execute import solutions

AUTHORS = NS.bibo + "authorList"  # compared as the ordered list of names

KINDS = {
    NS.airm + "Mitigation": (
        "mitigation",
        (
            NS.rdfs + "label",
            NS.airm + "sourceDocument",
            NS.airm + "parentMitigation",
            NS.airm + "mitigationCategory",
            NS.airm + "primaryLifecycleStage",
            NS.airm + "otherLifecycleStage",
            NS.airm + "primaryActor",
            NS.airm + "otherActor",
            NS.airm + "primaryAIRMFunction",
            NS.airm + "otherAIRMFunction",
            NS.airm + "additionalInformation",
            NS.airm + "addressesRisk",
        ),
    ),
    NS.airm + "EvidenceQuote": ("evidence", (NS.airm + "quoteText",)),
    NS.airm + "Classification": (
        "classification",
        (NS.airm + "category", NS.airm + "classificationMethod", NS.airm + "reasoning", NS.prov + "wasAttributedTo"),
    ),
    NS.airm + "SourceDocument": (
        "document",
        (
            NS.dcterms + "title",
            NS.dcterms + "issued",
            NS.dcterms + "date",
            NS.foaf + "page",
            NS.bibo + "doi",
            NS.dcterms + "abstract",
            NS.dcterms + "identifier",
        ),
    ),
}
NAMES = {
    NS.rdfs + "label": "name",
    NS.airm + "sourceDocument": "source document",
    NS.airm + "parentMitigation": "parent",
    NS.airm + "mitigationCategory": "category",
    NS.airm + "primaryLifecycleStage": "lifecycle stage",
    NS.airm + "otherLifecycleStage": "other lifecycle stages",
    NS.airm + "primaryActor": "actor",
    NS.airm + "otherActor": "other actors",
    NS.airm + "primaryAIRMFunction": "AI RMF function",
    NS.airm + "otherAIRMFunction": "other AI RMF functions",
    NS.airm + "additionalInformation": "additional information",
    NS.airm + "addressesRisk": "risks",
    NS.airm + "quoteText": "evidence",
    NS.airm + "category": "category",
    NS.airm + "classificationMethod": "method",
    NS.airm + "reasoning": "reasoning",
    NS.prov + "wasAttributedTo": "made by",
    NS.dcterms + "title": "title",
    NS.dcterms + "issued": "year",
    NS.dcterms + "date": "date",
    NS.foaf + "page": "web page",
    NS.bibo + "doi": "DOI",
    NS.dcterms + "abstract": "abstract",
    NS.dcterms + "identifier": "identifier",
    AUTHORS: "authors",
}


def _facts_query(type_iri: str, props) -> str:
    values = " ".join(f"<{p}>" for p in props)
    return f"SELECT DISTINCT ?s ?p ?o WHERE {{ ?s a <{type_iri}> ; ?p ?o . VALUES ?p {{ {values} }} }}"


OWNERS = f"""SELECT DISTINCT ?x ?m WHERE {{
  {{ ?x <{NS.airm}classifies> ?m }} UNION {{ ?x <{NS.airm}evidenceFor> ?m }} UNION {{ ?m <{NS.airm}hasEvidence> ?x }}
}}"""


def _rows(store: ox.Store, query: str) -> ox.QuerySolutions:
    """The solutions of a SELECT query over the union of the store's graphs."""
    return solutions(store.query(query, use_default_graph_as_union=True))


def _unbase(term, base: str):
    if isinstance(term, ox.NamedNode) and base != DEFAULT_BASE and term.value.startswith(base):
        return ox.NamedNode(DEFAULT_BASE + term.value[len(base) :])
    return term


FactObject = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple  # the object of a compared fact


@dataclass
class Snapshot:
    """The compared facts of one release."""

    facts: dict[str, dict[str, set]]
    kinds: dict[str, str]
    owners: dict[str, str]
    vocab: vocabulary.Vocab
    labels: dict[str, str]


def snapshot(store: ox.Store, base: str = DEFAULT_BASE) -> Snapshot:
    facts: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    kinds: dict[str, str] = {}
    for type_iri, (kind, props) in KINDS.items():
        for row in _rows(store, f"SELECT DISTINCT ?s WHERE {{ ?s a <{type_iri}> }}"):
            if isinstance(row["s"], ox.NamedNode):
                kinds[_unbase(row["s"], base).value] = kind
        for row in _rows(store, _facts_query(type_iri, props)):
            if isinstance(row["s"], ox.NamedNode):
                facts[_unbase(row["s"], base).value][row["p"].value].add(_unbase(row["o"], base))
    _authors(store, base, facts)
    owners = {}
    for row in _rows(store, OWNERS):
        owners[_unbase(row["x"], base).value] = _unbase(row["m"], base).value
    vocab = vocabulary.load(store, base)
    vocab = _unbased_vocab(vocab, base)
    labels = {
        s: next(iter(sorted(o.value for o in f[NS.rdfs + "label"])))
        for s, f in facts.items()
        if f.get(NS.rdfs + "label")
    }
    for s, f in facts.items():
        if f.get(NS.dcterms + "title"):
            labels[s] = sorted(o.value for o in f[NS.dcterms + "title"])[0]
    return Snapshot(facts, kinds, owners, vocab, labels)


def _authors(store: ox.Store, base: str, facts) -> None:
    nodes = {row["n"]: (row["first"], row["rest"]) for row in _rows(store, table.LIST_NODES)}
    agents: dict[str, dict[str, str]] = defaultdict(dict)
    for row in _rows(store, table.AGENTS):
        agents[row["a"].value][row["p"].value] = row["o"].value
    query = f"SELECT DISTINCT ?d ?head WHERE {{ ?d a <{NS.airm}SourceDocument> ; <{AUTHORS}> ?head }}"
    for row in _rows(store, query):
        names = [table.author_text(agents.get(a.value, {})) for a in table.walk(row["head"], nodes)]
        facts[_unbase(row["d"], base).value][AUTHORS].add(ox.Literal("; ".join(names)))


def _unbased_vocab(vocab: vocabulary.Vocab, base: str) -> vocabulary.Vocab:
    if base == DEFAULT_BASE:
        return vocab
    move = lambda iri: DEFAULT_BASE + iri[len(base) :] if iri.startswith(base) else iri
    vocab.code_of = {move(k): v for k, v in vocab.code_of.items()}
    vocab.label_of = {move(k): v for k, v in vocab.label_of.items()}
    return vocab


@dataclass
class Change:
    kind: str  # mitigation, evidence, classification, document
    subject: str
    status: str  # added, removed, changed
    owner: str | None = None  # the mitigation of an evidence quote or classification
    removed: list[tuple[str, FactObject]] = field(default_factory=list)  # (predicate IRI, object)
    added: list[tuple[str, FactObject]] = field(default_factory=list)


@dataclass
class Diff:
    old: releases.Release
    new: releases.Release
    changes: list[Change]
    old_snapshot: Snapshot
    new_snapshot: Snapshot

    @property
    def old_name(self) -> str:
        return stamp.label(self.old)

    @property
    def new_name(self) -> str:
        return stamp.label(self.new)

    def of(self, kind: str, status: str | None = None) -> list[Change]:
        return [c for c in self.changes if c.kind == kind and (status is None or c.status == status)]

    # --- for people ---

    def show(self, term, snap: Snapshot | None = None) -> str:
        snap = snap or self.new_snapshot
        if isinstance(term, ox.Literal):
            text = " ".join(term.value.split())
            return json.dumps(text[:97] + "..." if len(text) > 100 else text, ensure_ascii=False)
        iri = term.value if isinstance(term, ox.NamedNode) else str(term)
        for s in (snap, self.old_snapshot, self.new_snapshot):
            if iri in s.vocab.code_of:
                return s.vocab.show_code(iri)
            if iri in s.vocab.label_of:
                return s.vocab.label_of[iri]
        return short(iri)

    def summary(self) -> str:
        parts = []
        for kind in ("mitigation", "classification", "evidence", "document"):
            counts = {s: len(self.of(kind, s)) for s in ("added", "changed", "removed")}
            if any(counts.values()):
                parts.append(f"{kind}s: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
        return "; ".join(parts) or "no changes"

    def lines(self) -> list[str]:
        out = [f"Changes from {self.old_name} ({self.old.id}) to {self.new_name} ({self.new.id}): {self.summary()}"]
        for block in self.blocks():
            out.append("")
            out.append(block["title"])
            out += [f"    {line}" for line in block["lines"]]
        return out

    def blocks(self) -> list[dict]:
        """One block per mitigation or document that changed: a title and its lines."""
        under: dict[str, list[Change]] = defaultdict(list)
        for c in self.changes:
            if c.kind in ("evidence", "classification"):
                under[c.owner or c.subject].append(c)
        heads = {c.subject: c for c in self.changes if c.kind in ("mitigation", "document")}
        out = []
        for subject in sorted(set(heads) | set(under)):
            head = heads.get(subject)
            kind = head.kind if head else "mitigation"
            status = head.status if head else "changed"
            snap = self.old_snapshot if status == "removed" else self.new_snapshot
            name = snap.labels.get(subject) or self.old_snapshot.labels.get(subject, "")
            title = f"{status} {kind} {local_id(subject)}" + (f" {self.show(ox.Literal(name))}" if name else "")
            lines = []
            if head and status == "changed":
                lines += self._field_lines(head)
            elif head and status == "added":
                lines += [
                    f"{NAMES.get(p, short(p))}: {self.show(o)}"
                    for p, o in head.added
                    if p in (NS.airm + "mitigationCategory", NS.airm + "sourceDocument", NS.dcterms + "issued")
                ]
            for c in sorted(under.get(subject, []), key=lambda c: c.subject):
                if status in ("added", "removed"):
                    continue
                what = "classification" if c.kind == "classification" else "evidence"
                method = c.subject.rsplit("/", 1)[-1] if c.kind == "classification" else ""
                label = f"{what} ({method})" if method else what
                if c.status == "changed":
                    lines += [f"{label}: {line}" for line in self._field_lines(c)]
                else:
                    facts = c.added if c.status == "added" else c.removed
                    shown = "; ".join(
                        f"{NAMES.get(p, short(p))} {self.show(o)}"
                        for p, o in facts
                        if p not in (NS.airm + "classificationMethod",)
                    )
                    lines.append(f"{label} {c.status}: {shown}")
            out.append({"subject": subject, "kind": kind, "status": status, "title": title, "lines": lines})
        return out

    def _field_lines(self, c: Change) -> list[str]:
        props = sorted({p for p, _ in c.removed} | {p for p, _ in c.added}, key=lambda p: NAMES.get(p, p))
        out = []
        for p in props:
            old = ", ".join(sorted(self.show(o, self.old_snapshot) for q, o in c.removed if q == p)) or "(none)"
            new = ", ".join(sorted(self.show(o) for q, o in c.added if q == p)) or "(none)"
            out.append(f"{NAMES.get(p, short(p))}: {old} -> {new}")
        return out

    # --- for machines ---

    def as_dict(self) -> dict:
        return {
            "old": {"id": self.old.id, "version": self.old.manifest.get("version")},
            "new": {"id": self.new.id, "version": self.new.manifest.get("version")},
            "summary": self.summary(),
            "changes": [
                {
                    "kind": c.kind,
                    "subject": c.subject,
                    "status": c.status,
                    "mitigation": c.owner,
                    "removed": [[p, str(o)] for p, o in c.removed],
                    "added": [[p, str(o)] for p, o in c.added],
                }
                for c in self.changes
            ],
        }

    def triples(self, now: datetime | None = None) -> list[ox.Triple]:
        base = self.new.manifest.get("base_iri", DEFAULT_BASE)
        rel = lambda name: ox.NamedNode(stamp.release_iri(name, base))
        move = lambda iri: (
            ox.NamedNode(base + iri[len(DEFAULT_BASE) :]) if iri.startswith(DEFAULT_BASE) else ox.NamedNode(iri)
        )
        n = lambda iri: ox.NamedNode(iri)
        doc = move(f"{DEFAULT_BASE}diff/{self.old_name}/{self.new_name}")
        issued = ox.Literal(
            (now or datetime.now(UTC)).isoformat(timespec="seconds"),
            datatype=n("http://www.w3.org/2001/XMLSchema#dateTime"),
        )
        out = [
            ox.Triple(doc, n(NS.rdf + "type"), n(NS.prov + "Entity")),
            ox.Triple(doc, n(NS.rdfs + "label"), ox.Literal(f"Changes from {self.old_name} to {self.new_name}")),
            ox.Triple(doc, n(NS.prov + "wasDerivedFrom"), rel(self.old_name)),
            ox.Triple(doc, n(NS.prov + "wasDerivedFrom"), rel(self.new_name)),
            ox.Triple(doc, n(NS.dcterms + "description"), ox.Literal(self.summary())),
        ]
        for c in self.changes:
            cs = ox.BlankNode()
            out += [
                ox.Triple(doc, n(NS.dcterms + "hasPart"), cs),
                ox.Triple(cs, n(NS.rdf + "type"), n(NS.cs + "ChangeSet")),
                ox.Triple(cs, n(NS.cs + "subjectOfChange"), move(c.subject)),
                ox.Triple(cs, n(NS.cs + "changeReason"), ox.Literal(f"{c.status} {c.kind}")),
                ox.Triple(cs, n(NS.cs + "createdDate"), issued),
            ]
            for which, facts in (("removal", c.removed), ("addition", c.added)):
                for p, o in facts:
                    st = ox.BlankNode()
                    obj = move(o.value) if isinstance(o, ox.NamedNode) else o
                    out += [
                        ox.Triple(cs, n(NS.cs + which), st),
                        ox.Triple(st, n(NS.rdf + "type"), n(NS.rdf + "Statement")),
                        ox.Triple(st, n(NS.rdf + "subject"), move(c.subject)),
                        ox.Triple(st, n(NS.rdf + "predicate"), n(p)),
                        ox.Triple(st, n(NS.rdf + "object"), obj),
                    ]
        return out

    def turtle(self) -> bytes:
        """The changes as Turtle (rdflib's longturtle: statements nest under their change set)."""
        from rdflib import Graph

        g = Graph()
        bind_all(g)
        g.bind("cs", NS.cs)
        g.parse(data=ox.serialize(self.triples(), format=ox.RdfFormat.N_TRIPLES), format="nt")
        return g.serialize(format="longturtle", encoding="utf-8")


def short(iri: str) -> str:
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and prefix != "kg":
            return f"{prefix}:{iri[len(ns) :]}"
    if iri.startswith(DEFAULT_BASE):
        return "kg:" + iri[len(DEFAULT_BASE) :]
    return f"<{iri}>"


def local_id(iri: str) -> str:
    for kind in ("mitigation/", "document/", "classification/", "evidence/"):
        if iri.startswith(DEFAULT_BASE + kind):
            return iri[len(DEFAULT_BASE + kind) :]
    return short(iri)


def compare(old: Snapshot, new: Snapshot) -> list[Change]:
    changes = []
    for subject in sorted(set(old.kinds) | set(new.kinds)):
        kind = new.kinds[subject] if subject in new.kinds else old.kinds[subject]
        before = {(p, o) for p, os_ in old.facts.get(subject, {}).items() for o in os_}
        after = {(p, o) for p, os_ in new.facts.get(subject, {}).items() for o in os_}
        if subject not in old.kinds:
            status = "added"
        elif subject not in new.kinds:
            status = "removed"
        elif before != after:
            status = "changed"
        else:
            continue
        key = lambda po: (po[0], str(po[1]))
        changes.append(
            Change(
                kind,
                subject,
                status,
                new.owners.get(subject) or old.owners.get(subject),
                sorted(before - after, key=key),
                sorted(after - before, key=key),
            )
        )
    return changes


def diff(
    old: str | releases.Release, new: str | releases.Release = "current", settings: Settings | None = None
) -> Diff:
    """Compare two releases, each given as a Release, a version, a release id or "current"."""
    settings = settings or from_env()
    old_rel = old if isinstance(old, releases.Release) else stamp.resolve(settings, old)
    new_rel = new if isinstance(new, releases.Release) else stamp.resolve(settings, new)
    snaps = [snapshot(r.open_store(), r.manifest.get("base_iri", DEFAULT_BASE)) for r in (old_rel, new_rel)]
    return Diff(old_rel, new_rel, compare(*snaps), *snaps)
