"""The tools' answers as typed models: their JSON schemas are the tools' output schemas, and every
record carries its IRI (which dereferences to its page: the address to cite)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Ref(BaseModel):
    """A resource of the graph: its IRI, its label, and its code when it is a concept."""

    iri: str
    label: str = ""
    code: str = Field(default="", description="skos:notation of a concept (e.g. 1.1), empty otherwise")


class Concept(Ref):
    definition: str = ""
    broader: list[str] = Field(default_factory=list, description="IRIs of the broader concepts")
    mitigations: int = Field(default=0, description="mitigations linked to this concept or any concept below it")
    direct: int = Field(default=0, description="mitigations linked to exactly this concept")


class Dataset(Ref):
    license: str = ""
    status: str = Field(default="", description="adms:status; UnderDevelopment marks preliminary data")
    rights: str = Field(default="", description="dcterms:rights in the source's words")


class Document(Ref):
    id: str = Field(default="", description="what get_document takes")
    title: str = ""
    authors: list[Ref] = Field(default_factory=list, description="in the order of the document")
    year: str = ""
    abstract: str = ""
    doi: str = ""
    page: str = Field(default="", description="the document's own web page (foaf:page)")


class DocumentRecord(Document):
    mitigations: list[Ref] = Field(default_factory=list, description="the mitigations extracted from it")
    datasets: list[Dataset] = Field(default_factory=list)


class Classification(BaseModel):
    iri: str
    categories: list[Concept]
    method: list[Ref] = Field(description="curator, published, classifier or derived (kg.classification-method)")
    attributed_to: list[Ref] = Field(default_factory=list, description="prov:wasAttributedTo")
    reasoning: str = ""
    date: str = ""
    derived_from: list[str] = Field(default_factory=list, description="prov:wasDerivedFrom (a derived one's mapping)")
    confidence: str = ""


class Evidence(BaseModel):
    iri: str
    quote: str
    quoted_from: list[str] = Field(default_factory=list, description="IRIs of the documents quoted")


class Role(BaseModel):
    """A lifecycle stage, actor or AI RMF function of a mitigation."""

    dimension: str = Field(description="stage, actor or function")
    rank: str = Field(description="primary, other, or derived (made by the project from a mapping)")
    concept: Ref


class Citation(BaseModel):
    url: str = Field(description="the record's IRI: it dereferences to its page")
    text: str


class Mitigation(Ref):
    id: str = Field(default="", description="what get_mitigation takes (the record id)")
    name: str = Field(default="", description="the record's name as in the source, heading path included")
    categories: list[Concept] = Field(
        default_factory=list, description="effective categories (airm:mitigationCategory)"
    )
    classifications: list[Classification] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    risks: list[Ref] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    parents: list[Ref] = Field(default_factory=list)
    children: list[Ref] = Field(default_factory=list)
    additional_information: str = ""
    datasets: list[Dataset] = Field(default_factory=list)
    preliminary: bool = Field(
        default=False, description="true when its dataset is preliminary: do not share or cite it"
    )
    cite: Citation


class Concepts(BaseModel):
    scheme: Ref
    concepts: list[Concept]


class Cell(BaseModel):
    a: Ref
    b: Ref | None = None
    mitigations: int


class Coverage(BaseModel):
    dim_a: str
    dim_b: str | None
    cells: list[Cell] = Field(description="one per pair of values with at least one mitigation, most first")


class Hit(Ref):
    """One mitigation found: `id` is what get_mitigation takes."""

    id: str = ""
    score: float = Field(default=0.0, description="BM25 relevance, higher first (0 without a text query)")
    snippet: str = Field(default="", description="the matching text, the matched words in **bold**")
    categories: list[Ref] = Field(default_factory=list)
    document: Ref | None = None
    year: int | None = None


class FacetValue(BaseModel):
    value: str = Field(description="what a filter of this facet takes (an IRI; a year's digits)")
    label: str = ""
    code: str = ""
    count: int


class Search(BaseModel):
    total: int = Field(description="mitigations matching, over all pages")
    results: list[Hit]
    facets: dict[str, list[FacetValue]] = Field(
        default_factory=dict, description="per facet, its values over all matches, with counts"
    )


class SparqlResult(BaseModel):
    kind: str = Field(description="solutions, boolean or graph")
    variables: list[str] = Field(default_factory=list)
    rows: list[dict[str, str | None]] = Field(
        default_factory=list, description="one per solution: variable -> IRI or lexical value (None: unbound)"
    )
    boolean: bool | None = None
    turtle: str = Field(default="", description="the graph of a CONSTRUCT or DESCRIBE, in N-Triples")
    count: int = Field(description="solutions or triples (1 for a boolean)")
    cached: bool = False
