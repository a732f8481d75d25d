"""`data/seed.ttl` from the transcription of the navigator's seed pages (seed-records.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, VOID, XSD

from kg.errors import InputError
from kg.generate.common import MIT_AGENT, add_dataset, add_mit_agent, read_yaml
from kg.generate.reference import REFERENCE, load_reference
from kg.generate.vocab import SEEDS
from kg.iris import slug
from kg.namespaces import ACTOR, AIRM, FN, KG, MTAX, NS, STAGE
from kg.records.write import add_authors, add_classification, add_evidence, add_mitigation, add_person, en, new_graph

OUTPUT = "data/seed.ttl"
DATASET = "mitigation-navigator-seeds"
DATASET_TITLE = "MIT AI risk mitigation navigator: seed records"
DATASET_DESCRIPTION = (
    "The mitigation records shown by three record pages of the MIT AI Risk Initiative's AI risk "
    "mitigation navigator, with their source document, transcribed verbatim. The navigator marks this "
    "data as preliminary."
)
# What every seed page says of its data (line 2 of each page in data/sources/seeds/, checked by the
# generator): the data is preliminary and not to be shared or cited, so the dataset claims no licence.
SEED_NOTICE = "Data on this page is preliminary and may change. Please do not share or cite these figures publicly."
RIGHTS = (
    "The MIT AI Risk Initiative's mitigation navigator says on each of these pages: \u201c"
    + SEED_NOTICE
    + "\u201d No licence is given for this data, and AIRM-KG's CC BY 4.0 licence does not cover it."
)
ADMS_STATUS = URIRef(NS.adms + "status")
UNDER_DEVELOPMENT = URIRef(NS.admsstatus + "UnderDevelopment")
# the records of the navigator's data (persons are not: a person is not preliminary)
RECORD_TYPES = {AIRM.Mitigation, AIRM.EvidenceQuote, AIRM.Classification, AIRM.SourceDocument, AIRM.Risk}
HEADING_PATH = " > "  # "A > B" is a record under the heading record named "A"
# (seed-record key, property, vocabulary namespace, reference key)
PRIMARY = (
    ("lifecycle_stage", AIRM.primaryLifecycleStage, STAGE, "lifecycle_stages"),
    ("actor", AIRM.primaryActor, ACTOR, "actors"),
    ("airm_function", AIRM.primaryAIRMFunction, FN, "airm_functions"),
)


@dataclass(frozen=True)
class Ctx:
    g: Graph
    ref: dict
    codes: dict  # v2 code -> reference entry
    doc: URIRef
    doc_id: str
    dataset: URIRef


def build(root: Path) -> dict[str, Graph]:
    pages = sorted((root / SEEDS).parent.glob("*.txt"))
    for page in pages:
        lines = page.read_text(encoding="utf-8").splitlines()
        if SEED_NOTICE not in lines[:5]:
            raise InputError(f"{page}: the page no longer says {SEED_NOTICE!r}: check kg.generate.seeds.RIGHTS")
    return {OUTPUT: mark_preliminary(seed_graph(read_yaml(root / SEEDS), load_reference(root)))}


def mark_preliminary(g: Graph) -> Graph:
    """The dataset and each of its records: ADMS status UnderDevelopment; the dataset: the source's
    words as dcterms:rights, and no licence."""
    dataset = KG[f"dataset/{DATASET}"]
    g.remove((dataset, DCTERMS.license, None))
    g.add((dataset, DCTERMS.rights, en(RIGHTS)))
    g.bind("adms", NS.adms)
    g.bind("admsstatus", NS.admsstatus)
    records = {r for r in g.subjects(VOID.inDataset, dataset) if set(g.objects(r, RDF.type)) & RECORD_TYPES}
    for record in [dataset, *sorted(records, key=str)]:
        g.add((record, ADMS_STATUS, UNDER_DEVELOPMENT))
    g.add((UNDER_DEVELOPMENT, RDFS.label, en("Under development")))
    g.add((UNDER_DEVELOPMENT, RDFS.isDefinedBy, URIRef(NS.admsstatus)))
    return g


def seed_graph(seeds: dict, ref: dict) -> Graph:
    g = new_graph()
    add_mit_agent(g)
    dataset = add_dataset(g, DATASET, DATASET_TITLE, DATASET_DESCRIPTION)
    doc = add_document(g, seeds["document"], dataset)
    ctx = Ctx(g, ref, {e["code"]: e for e in ref["taxonomy"]}, doc, seeds["document"]["id"], dataset)
    for page in seeds["pages"]:
        add_own_record(ctx, page)
    records = index_records(seeds)
    for rec in records.values():
        add_listed_record(ctx, rec)
    add_hierarchy(ctx, records)
    add_risks(ctx, seeds["document"].get("risk_headings", []), records)
    return g


def add_document(g: Graph, d: dict, dataset: URIRef) -> URIRef:
    """The document the pages show; authors "Family, Given" in page order."""
    doc = KG[f"document/{d['id']}"]
    g.add((doc, RDF.type, AIRM.SourceDocument))
    g.add((doc, DCTERMS.title, Literal(d["title"])))
    g.add((doc, DCTERMS.abstract, Literal(d["abstract"])))
    g.add((doc, DCTERMS.issued, Literal(str(d["year"]), datatype=XSD.gYear)))
    g.add((doc, VOID.inDataset, dataset))
    add_authors(g, doc, [add_person(g, dataset, a["family"], a["given"]) for a in d["authors"]])
    return doc


def own_id(ctx: Ctx, page: dict) -> str:
    """The page's own record keeps the page id: `{document}-{page id}`."""
    return f"{ctx.doc_id}-{page['page']}"


def listed_id(ctx: Ctx, name: str) -> str:
    return f"{ctx.doc_id}-{slug(name)}"


def add_own_record(ctx: Ctx, page: dict) -> None:
    rec, code = page["record"], str(page["record"]["code"])
    check_parent(ctx, page, code)
    local_id = own_id(ctx, page)
    m = add_mitigation(ctx.g, local_id, ctx.doc, ctx.dataset, rec.get("name"))
    ctx.g.add((m, DCTERMS.identifier, Literal(page["page"])))
    add_evidence(ctx.g, m, local_id, rec["evidence"], ctx.doc, ctx.dataset)
    c = add_classification(ctx.g, m, local_id, "published", MTAX[code], MIT_AGENT, ctx.dataset)
    ctx.g.add((c, AIRM.reasoning, Literal(rec["reasoning"])))
    for key, prop, ns, ref_key in PRIMARY:
        ctx.g.add((m, prop, vocab_term(ctx, rec[key], ns, ref_key)))


def check_parent(ctx: Ctx, page: dict, code: str) -> None:
    """ "Also in X" must name the parent of the own record's code."""
    entry = ctx.codes.get(code)
    parent = ctx.codes.get(entry["parent"]) if entry and entry["parent"] else None
    if parent is None or parent["name"] != page["also_in"]:
        raise InputError(
            f"{SEEDS}: page {page['page']}: 'Also in {page['also_in']}' is not the parent of {code} in {REFERENCE}"
        )


def vocab_term(ctx: Ctx, shown: dict, ns, ref_key: str) -> URIRef:
    """The stage/actor/function concept a page shows; its definition must match the reference."""
    for item in ctx.ref[ref_key]:
        if item["label"] == shown["label"]:
            if item["description"] != shown["description"]:
                raise InputError(f"{REFERENCE}: {shown['label']!r} is described differently on the seed pages")
            return ns[slug(item["label"])]
    raise InputError(f"{SEEDS}: {shown['label']!r} is not one of the {ref_key} of {REFERENCE}")


def index_records(seeds: dict) -> dict[str, dict]:
    """Name -> record; every listed name must have one record and every record must be listed."""
    records: dict[str, dict] = {}
    for rec in seeds["records"]:
        if records.setdefault(rec["name"], rec) is not rec:
            raise InputError(f"{SEEDS}: two records named {rec['name']!r}")
    listed = {name for page in seeds["pages"] for name in page["listed"]}
    if listed != set(records):
        raise InputError(
            f"{SEEDS}: listed but without a record: {sorted(listed - set(records))}; "
            f"records listed on no page: {sorted(set(records) - listed)}"
        )
    return records


def add_listed_record(ctx: Ctx, rec: dict) -> None:
    code = str(rec["code"])
    if code not in ctx.codes or ctx.codes[code]["name"] != rec["category"]:
        raise InputError(f"{SEEDS}: {rec['name']!r}: '{code} {rec['category']}' is not a code of {REFERENCE}")
    local_id = listed_id(ctx, rec["name"])
    m = add_mitigation(ctx.g, local_id, ctx.doc, ctx.dataset, rec["name"])
    if rec.get("evidence"):
        add_evidence(ctx.g, m, local_id, rec["evidence"], ctx.doc, ctx.dataset)
    add_classification(ctx.g, m, local_id, "published", MTAX[code], MIT_AGENT, ctx.dataset)


def add_hierarchy(ctx: Ctx, records: dict[str, dict]) -> None:
    """ "A > B" sits under the record named "A" (parentMitigation / childMitigation)."""
    for name in records:
        if HEADING_PATH not in name:
            continue
        parent = name.rsplit(HEADING_PATH, 1)[0]
        if parent not in records:
            raise InputError(f"{SEEDS}: {name!r} sits under {parent!r}, which is not a record")
        child_iri, parent_iri = (KG[f"mitigation/{listed_id(ctx, n)}"] for n in (name, parent))
        ctx.g.add((child_iri, AIRM.parentMitigation, parent_iri))
        ctx.g.add((parent_iri, AIRM.childMitigation, child_iri))


def add_risks(ctx: Ctx, headings: list[str], records: dict[str, dict]) -> None:
    """A heading naming a risk area of the document: the heading record and the records under it
    address that risk."""
    for heading in headings:
        if heading not in records:
            raise InputError(f"{SEEDS}: the risk heading {heading!r} is not a record")
        risk = add_risk(ctx, heading)
        for name in records:
            if name == heading or name.startswith(heading + HEADING_PATH):
                m = KG[f"mitigation/{listed_id(ctx, name)}"]
                ctx.g.add((m, AIRM.addressesRisk, risk))
                ctx.g.add((risk, AIRM.addressedBy, m))


def add_risk(ctx: Ctx, heading: str) -> URIRef:
    risk = KG[f"risk/{ctx.doc_id}-{slug(heading)}"]
    ctx.g.add((risk, RDF.type, AIRM.Risk))
    ctx.g.add((risk, RDFS.label, Literal(heading)))
    ctx.g.add((risk, SKOS.definition, en(f"The risk area the document names with the heading '{heading}'.")))
    ctx.g.add((risk, DCTERMS.source, ctx.doc))
    ctx.g.add((risk, VOID.inDataset, ctx.dataset))
    return risk
