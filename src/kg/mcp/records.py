"""The records the tools return, read from the release's store through `kg.describe.Describer` (the
same descriptions the pages show): a mitigation with everything about it, a document, the concepts
of a vocabulary. Each says "not found" with what to try instead."""

from __future__ import annotations

import re

import pyoxigraph as ox

from kg.describe import Describer, Term, literal_value
from kg.errors import InputError
from kg.mcp.models import (
    Citation,
    Classification,
    Concept,
    Concepts,
    Dataset,
    Document,
    DocumentRecord,
    Evidence,
    Mitigation,
    Ref,
    Role,
)
from kg.namespaces import NS

ID = re.compile(r"[A-Za-z0-9._~\-]{1,200}")
UNDER_DEVELOPMENT = "http://purl.org/adms/status/UnderDevelopment"
ROLES = (("stage", "LifecycleStage"), ("actor", "Actor"), ("function", "AIRMFunction"))


def ref(term: Term) -> Ref:
    return Ref(iri=term.value, label=term.label, code=term.code)


def iri_of(d: Describer, given: str, kind: str) -> str:
    """The IRI of a record given as its id (`A0086_Future_of_Life_Institute2024`), its IRI, or `kg:kind/id`."""
    text = given.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    if text.startswith(("http://", "https://")):
        return text
    if text.startswith("kg:"):
        return d.base + text[3:]
    if text.startswith(f"{kind}/"):
        text = text[len(kind) + 1 :]
    if not ID.fullmatch(text):
        raise InputError(f"{given!r} is neither a {kind} id (letters, digits, . _ ~ -) nor an IRI")
    return f"{d.base}{kind}/{text}"


def first(d: Describer, node: ox.NamedNode | ox.BlankNode, predicate: str) -> str:
    values = d.objects(node, predicate)
    return literal_value(values[0]) if values else ""


def concept(d: Describer, iri: str) -> Concept:
    subtree, direct = d.counts()
    info = d.concept_info(iri)
    term = info["concept"]
    return Concept(
        iri=iri,
        label=term.label,
        code=term.code,
        definition=info["definition"],
        broader=[b.value for b in info["broader"]],
        mitigations=subtree.get(iri, 0),
        direct=direct.get(iri, 0),
    )


def dataset(d: Describer, iri: str) -> Dataset:
    node = ox.NamedNode(iri)
    status = d.objects(node, NS.adms + "status")
    return Dataset(
        iri=iri,
        label=d.label(iri),
        license=first(d, node, NS.dcterms + "license"),
        status=literal_value(status[0]) if status else "",
        rights=first(d, node, NS.dcterms + "rights"),
    )


def datasets_of(d: Describer, node: ox.NamedNode) -> list[Dataset]:
    return [dataset(d, o.value) for o in d.objects(node, NS.void + "inDataset") if isinstance(o, ox.NamedNode)]


def document(d: Describer, iri: str) -> Document:
    c = d.citation(iri)
    return Document(
        iri=iri,
        label=d.label(iri),
        id=iri.rsplit("/", 1)[-1],  # what get_document takes
        title=c["title"],
        authors=[ref(a) for a in c["authors"]],
        year=c["year"],
        abstract=c["abstract"],
        doi=c["doi"],
        page=c["page"],
    )


def get_document(d: Describer, given: str) -> DocumentRecord:
    iri = iri_of(d, given, "document")
    if not is_a(d, iri, "SourceDocument"):
        raise InputError(f"no source document {given!r} in this release; the `documents` resource lists them")
    doc = document(d, iri)
    mitigations = [
        Ref(iri=m["mitigation"].value, label=m["mitigation"].label, code=m["code"]) for m in d.mitigations_of(iri)
    ]
    return DocumentRecord(**doc.model_dump(), mitigations=mitigations, datasets=datasets_of(d, ox.NamedNode(iri)))


def is_a(d: Describer, iri: str, cls: str) -> bool:
    quads = d.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(NS.rdf + "type"), ox.NamedNode(d.ns + cls))
    return next(iter(quads), None) is not None


def classification(d: Describer, node) -> Classification:
    return Classification(
        iri=node.value,
        categories=[concept(d, o.value) for o in d.objects(node, d.ns + "category")],
        method=[ref(d.term(o)) for o in d.objects(node, d.ns + "classificationMethod")],
        attributed_to=[ref(d.term(o)) for o in d.objects(node, NS.prov + "wasAttributedTo")],
        reasoning=first(d, node, d.ns + "reasoning"),
        date=first(d, node, NS.dcterms + "date"),
        derived_from=[o.value for o in d.objects(node, NS.prov + "wasDerivedFrom")],
        confidence=first(d, node, NS.sssom + "confidence"),
    )


def roles(d: Describer, node: ox.NamedNode) -> list[Role]:
    out = []
    for dimension, prop in ROLES:
        for rank, name in (("primary", f"primary{prop}"), ("other", f"other{prop}"), ("derived", f"derived{prop}")):
            for o in d.objects(node, d.ns + name):
                out.append(Role(dimension=dimension, rank=rank, concept=ref(d.term(o))))
    return out


def get_mitigation(d: Describer, given: str) -> Mitigation:
    """The whole record of a mitigation, given its id or IRI."""
    iri = iri_of(d, given, "mitigation")
    if not is_a(d, iri, "Mitigation"):
        raise InputError(f"no mitigation {given!r} in this release; search_mitigations finds mitigations and their ids")
    node, ns = ox.NamedNode(iri), d.ns
    name = first(d, node, NS.rdfs + "label")
    documents = [document(d, o.value) for o in d.objects(node, ns + "sourceDocument")]
    datasets = datasets_of(d, node)
    preliminary = any(x.status == UNDER_DEVELOPMENT for x in datasets)
    return Mitigation(
        iri=iri,
        label=d.label(iri),
        id=iri.rsplit("/", 1)[-1],  # what get_mitigation takes
        name=name,
        categories=[concept(d, o.value) for o in d.objects(node, ns + "mitigationCategory")],
        classifications=[classification(d, c) for c in d.objects(node, ns + "hasClassification")],
        evidence=[
            Evidence(
                iri=e.value,
                quote=first(d, e, ns + "quoteText"),
                quoted_from=[q.value for q in d.objects(e, ns + "quotedFrom")],
            )
            for e in d.objects(node, ns + "hasEvidence")
        ],
        roles=roles(d, node),
        risks=[ref(d.term(o)) for o in d.objects(node, ns + "addressesRisk")],
        documents=documents,
        parents=[ref(d.term(o)) for o in d.objects(node, ns + "parentMitigation")],
        children=[ref(d.term(o)) for o in d.objects(node, ns + "childMitigation")],
        additional_information=first(d, node, ns + "additionalInformation"),
        datasets=datasets,
        preliminary=preliminary,
        cite=Citation(url=iri, text=citation_text(name or d.label(iri), documents, iri, preliminary)),
    )


def citation_text(name: str, documents: list[Document], iri: str, preliminary: bool) -> str:
    if preliminary:
        return f"{name}: preliminary data of its source, not to be shared or cited (see `datasets`). {iri}"
    sources = "; ".join(
        f"{', '.join(a.label for a in doc.authors) or 'unknown authors'} ({doc.year or 'n.d.'}), {doc.title or doc.iri}"
        for doc in documents
    )
    return f"“{name}”. In: {sources or 'no source document'}. AIRM-KG, {iri}"


def scheme_iri(d: Describer, given: str) -> str:
    schemes = {t.value: t for t in d.schemes()}
    text = given.strip().strip("<>")
    iri = text if text.startswith(("http://", "https://")) else f"{d.base}vocab/{text}"
    if iri not in schemes:
        names = ", ".join(sorted(s.rsplit("/", 1)[-1] for s in schemes if s.startswith(d.base + "vocab/")))
        raise InputError(f"no vocabulary {given!r}; known: {names}")
    return iri


def list_concepts(d: Describer, given: str) -> Concepts:
    iri = scheme_iri(d, given)
    concepts = [concept(d, node.term.value) for top in d.tree(iri) for node in top.walk()]
    return Concepts(scheme=ref(d.iri_term(iri)), concepts=concepts)
