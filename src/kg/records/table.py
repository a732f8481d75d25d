"""The graph as the source database's spreadsheet: one canonical row per mitigation and per
document, read from a store (a release, or the project's data before a build).

"Canonical" means the exact text `kg export` writes and the importer compares against: codes as
`1.1.3` (v2) or `v1:3.1` (MIT v1), stages/actors/functions by their preferred label, lists sorted
and joined with ", ", authors as "Surname, Given; Surname, Given", text with its line ends unified
and surrounding blanks dropped.

How the graph maps to the columns (docs/curation.md):
  human_classification  the curator classification's code, else the published one's (the source's
                        own classification, e.g. the navigator pages)
  llm_classification    the classifier classification's code
  llm_reasoning         the classifier's reasoning, else the reasoning of the human/published one
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from kg.namespaces import DEFAULT_BASE, NS
from kg.records.columns import DOCUMENT_COLUMNS, MITIGATION_COLUMNS
from kg.records.vocab import Vocab

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

MITIGATION_FACTS = """
SELECT DISTINCT ?m ?p ?o WHERE {
  ?m a <%(airm)sMitigation> ; ?p ?o .
  VALUES ?p { <%(label)s> <%(airm)sadditionalInformation> <%(airm)ssourceDocument> <%(airm)sparentMitigation>
              <%(airm)sprimaryLifecycleStage> <%(airm)sotherLifecycleStage> <%(airm)sprimaryActor>
              <%(airm)sotherActor> <%(airm)sprimaryAIRMFunction> <%(airm)sotherAIRMFunction> }
}""" % {"airm": NS.airm, "label": RDFS_LABEL}
EVIDENCE = """
SELECT DISTINCT ?m ?e ?text WHERE { ?m a <%(airm)sMitigation> ; <%(airm)shasEvidence> ?e . ?e <%(airm)squoteText> ?text }
""" % {"airm": NS.airm}
CLASSIFICATIONS = """
SELECT DISTINCT ?m ?c ?method ?category ?reasoning WHERE {
  ?c <%(airm)sclassifies> ?m ; <%(airm)sclassificationMethod> ?method ; <%(airm)scategory> ?category .
  OPTIONAL { ?c <%(airm)sreasoning> ?reasoning }
}""" % {"airm": NS.airm}
DOCUMENT_FACTS = """
SELECT DISTINCT ?d ?p ?o WHERE {
  ?d a <%(airm)sSourceDocument> ; ?p ?o .
  VALUES ?p { <%(dct)sidentifier> <%(dct)stitle> <%(dct)sissued> <%(foaf)spage> <%(bibo)sdoi> <%(dct)sabstract>
              <%(bibo)sauthorList> }
}""" % {"airm": NS.airm, "dct": NS.dcterms, "foaf": NS.foaf, "bibo": NS.bibo}
LIST_NODES = f"SELECT DISTINCT ?n ?first ?rest WHERE {{ ?n <{NS.rdf}first> ?first ; <{NS.rdf}rest> ?rest }}"
AGENTS = f"""
SELECT DISTINCT ?a ?p ?o WHERE {{
  ?d <{NS.bibo}authorList> ?list . ?list <{NS.rdf}rest>*/<{NS.rdf}first> ?a . ?a ?p ?o .
  VALUES ?p {{ <{NS.foaf}familyName> <{NS.foaf}givenName> <{NS.foaf}name> <{RDFS_LABEL}> }}
}}"""

_PROPS = {
    RDFS_LABEL: "Mitigation_Name",
    NS.airm + "additionalInformation": "Additional Information",
    NS.airm + "primaryLifecycleStage": "AILifecycle_Primary",
    NS.airm + "otherLifecycleStage": "AILifecycle_Other",
    NS.airm + "primaryActor": "AIActor_Primary",
    NS.airm + "otherActor": "AIActor_Other",
    NS.airm + "primaryAIRMFunction": "AIRM_Primary",
    NS.airm + "otherAIRMFunction": "AIRM_Other",
}
_LABELLED = {
    "AILifecycle_Primary",
    "AILifecycle_Other",
    "AIActor_Primary",
    "AIActor_Other",
    "AIRM_Primary",
    "AIRM_Other",
}
_MULTI = {"AILifecycle_Other", "AIActor_Other", "AIRM_Other"}


def clean(text: str | None) -> str:
    """Cell text as compared and written: unified line ends, no surrounding blanks."""
    if text is None:
        return ""
    return str(text).replace("\r\n", "\n").replace("\r", "\n").strip()


def join(items) -> str:
    return ", ".join(sorted({i for i in items if i}))


def local(iri: str, prefix: str) -> str | None:
    return iri[len(prefix) :] if iri.startswith(prefix) else None


def _query(store: ox.Store, text: str):
    return store.query(text, use_default_graph_as_union=True)


def document_ids(store: ox.Store, base: str = DEFAULT_BASE) -> dict[str, str]:
    """Document IRI -> its SourceID (dcterms:identifier, else the IRI's local name)."""
    out: dict[str, str] = {}
    for row in _query(store, DOCUMENT_FACTS):
        d = row["d"].value
        if row["p"].value == NS.dcterms + "identifier":
            out[d] = row["o"].value
        else:
            out.setdefault(d, local(d, base + "document/") or d)
    return out


def mitigation_rows(
    store: ox.Store, vocab: Vocab, base: str = DEFAULT_BASE, doc_ids: dict[str, str] | None = None
) -> dict[str, dict[str, str]]:
    """Mitigation_ID -> canonical row, for every mitigation in `store`."""
    prefix = base + "mitigation/"
    doc_ids = doc_ids if doc_ids is not None else document_ids(store, base)
    values: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for row in _query(store, MITIGATION_FACTS):
        m, p, o = row["m"].value, row["p"].value, row["o"].value
        if local(m, prefix) is None:
            continue
        if p == NS.airm + "sourceDocument":
            values[m]["Source"].add(doc_ids.get(o, o))
        elif p == NS.airm + "parentMitigation":
            values[m]["Parent"].add(local(o, prefix) or o)
        else:
            column = _PROPS[p]
            values[m][column].add(vocab.label_of.get(o, o) if column in _LABELLED else clean(o))
    for row in _query(store, EVIDENCE):
        values[row["m"].value]["_evidence"].add((row["e"].value, clean(row["text"].value)))
    classes: dict[str, dict[str, tuple]] = defaultdict(dict)
    for row in _query(store, CLASSIFICATIONS):
        method = row["method"].value.rsplit("/", 1)[-1]
        reasoning = clean(row["reasoning"].value) if row["reasoning"] is not None else ""
        code = vocab.code_of.get(row["category"].value, row["category"].value)
        classes[row["m"].value][method] = (code, reasoning)
    # every mitigation, even one with none of the facts above
    for row in _query(store, f"SELECT DISTINCT ?m WHERE {{ ?m a <{NS.airm}Mitigation> }}"):
        if local(row["m"].value, prefix) is not None:
            values[row["m"].value]
    children: dict[str, set] = defaultdict(set)
    for m, v in values.items():
        for parent in v.get("Parent", ()):
            children[parent].add(local(m, prefix))
    out = {}
    for m, v in values.items():
        mid = local(m, prefix)
        if mid is None:  # evidence of a mitigation outside `base` (EVIDENCE does not filter): not a row
            continue
        out[mid] = _mitigation_row(mid, v, children.get(mid, set()), classes.get(m, {}))
    return out


def _mitigation_row(mid: str, v: dict[str, set], children: set, c: dict[str, tuple]) -> dict[str, str]:
    """One canonical row from a mitigation's facts (`v`), its children's IDs and its classifications."""
    row = dict.fromkeys(MITIGATION_COLUMNS, "")
    row["Mitigation_ID"] = mid
    for column in (
        "Mitigation_Name",
        "Additional Information",
        "Source",
        "Parent",
        "AILifecycle_Primary",
        "AIActor_Primary",
        "AIRM_Primary",
    ):
        row[column] = sorted(v.get(column, ()))[0] if v.get(column) else ""
    for column in _MULTI:
        row[column] = join(v.get(column, ()))
    evidence = sorted(v.get("_evidence", ()))
    row["Definition"] = evidence[0][1] if evidence else ""
    row["Children"] = join(children)
    human = c.get("curator") or c.get("published")
    llm = c.get("classifier")
    row["human_classification"] = human[0] if human else ""
    row["llm_classification"] = llm[0] if llm else ""
    row["llm_reasoning"] = llm[1] if llm and llm[1] else (human[1] if human else "")
    return row


def document_rows(store: ox.Store, base: str = DEFAULT_BASE) -> dict[str, dict[str, str]]:
    """SourceID -> canonical row, for every source document in `store`."""
    facts: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in _query(store, DOCUMENT_FACTS):
        facts[row["d"].value][row["p"].value].append(row["o"])
    nodes = {row["n"]: (row["first"], row["rest"]) for row in _query(store, LIST_NODES)}
    agents: dict[str, dict[str, str]] = defaultdict(dict)
    for row in _query(store, AGENTS):
        agents[row["a"].value][row["p"].value] = row["o"].value
    out = {}
    for d, f in facts.items():
        ids = [o.value for o in f.get(NS.dcterms + "identifier", [])]
        sid = ids[0] if ids else (local(d, base + "document/") or d)
        row = dict.fromkeys(DOCUMENT_COLUMNS, "")
        row["SourceID"] = sid
        row["Title"] = _first(f, NS.dcterms + "title")
        row["Year"] = _first(f, NS.dcterms + "issued")[:4]
        row["URL"] = _first(f, NS.foaf + "page")
        row["DOI"] = _first(f, NS.bibo + "doi")
        row["Abstract"] = _first(f, NS.dcterms + "abstract")
        heads = f.get(NS.bibo + "authorList", [])
        authors = [author_text(agents.get(a.value, {})) for a in walk(heads[0], nodes)] if heads else []
        row["Author list"] = "; ".join(authors)
        row["First author"] = authors[0] if authors else ""
        out[sid] = row
    return out


def _first(facts: dict, prop: str) -> str:
    values = sorted(clean(o.value) for o in facts.get(prop, []))
    return values[0] if values else ""


def walk(head, nodes: dict) -> list:
    out, seen = [], set()
    while head in nodes and head not in seen:
        seen.add(head)
        first, head = nodes[head]
        out.append(first)
    return out


def author_text(agent: dict[str, str]) -> str:
    """ "Surname, Given" for a person, "Surname" when only that is known, the name of an organisation."""
    family = agent.get(NS.foaf + "familyName")
    if family:
        given = agent.get(NS.foaf + "givenName")
        return f"{family}, {given}" if given else family
    return agent.get(NS.foaf + "name") or agent.get(RDFS_LABEL) or ""
