"""A seeded generator of AIRM-KG-shaped data, and the temporary project copies the benchmark builds.

    python -m bench.generate --triples 100000 --seed 8 --out /tmp/airm-100k

writes a project copy (`ontology/`, `shapes/`, `queries/` of the checkout; `data/` generated) that
`kg build --root /tmp/airm-100k` builds. The generated data has the shape of `data/mit-v1.ttl` and
`data/seed.ttl`: source documents with authors (an ordered `bibo:authorList`) and risk headings;
mitigations under those headings (parent/child links in both directions), each with an evidence
quote, classifications into the real SKOS schemes of `ontology/vocab/` (MIT v1 records by the
curator, some second-guessed by the classifier; v2 records published with their reasoning, lifecycle
stage, actor and AI RMF function) and a few left unclassified. It passes the project's SHACL shapes
and the named queries return rows on it.

Two things come from the checkout as they are, because the ontology refers to them: the mapping sets
of `ontology/mappings/` cite NIST AI 600-1 actions, risks and actor tasks defined in
`data/nist-ai-600-1.ttl` (kept, about 5,000 triples) and MIT v1 mitigations by IRI (the first
generated mitigations take those IRIs, so every mapping resolves as it does on the real data).

The size is the number of triples in `data/` (generated plus the kept file); the ontology and
vocabularies add about 10,000 more and the build's inferences about 40% more. The mapping sets cite
all 831 MIT v1 mitigations (mit-v1-to-nexus), so no project is smaller than about 28,000 triples.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

CHECKOUT = Path(__file__).resolve().parents[1]
COPIED = ("ontology", "shapes", "queries")
KEPT_DATA = ("nist-ai-600-1.ttl",)
GENERATED = "generated.ttl"
META = "bench-data.json"

KG = "https://w3id.org/airm-kg/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMES = {
    "v1": f"{KG}vocab/mit-v1-mitigation-taxonomy",
    "v2": f"{KG}vocab/mitigation-taxonomy",
    "stage": f"{KG}vocab/lifecycle-stage",
    "actor": f"{KG}vocab/actor",
    "function": f"{KG}vocab/airm-function",
}
PREFIXES = {
    "airm": "https://w3id.org/airm-kg/ontology#",
    "bibo": "http://purl.org/ontology/bibo/",
    "cmethod": f"{KG}vocab/classification-method/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "prov": "http://www.w3.org/ns/prov#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": SKOS,
    "void": "http://rdfs.org/ns/void#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "kg": KG,
}

# The risk headings documents use; "Value Misalignment" is the default of risk-heading-mitigations.rq.
HEADINGS = (
    "Value Misalignment",
    "Robustness to attack",
    "Misuse",
    "Autonomous AI risks",
    "Privacy and data protection",
    "Bias and fairness",
    "Security of model weights",
    "Transparency and disclosure",
    "Incident response",
    "Third-party oversight",
)
WORDS = (
    "model",
    "system",
    "developer",
    "deployer",
    "evaluation",
    "red team",
    "audit",
    "monitor",
    "incident",
    "risk",
    "assessment",
    "safety",
    "security",
    "training",
    "data",
    "access",
    "disclosure",
    "governance",
    "policy",
    "oversight",
    "capability",
    "threshold",
    "testing",
    "adversarial",
    "robustness",
    "interpretability",
    "alignment",
    "fine-tuning",
    "release",
    "staged",
    "controls",
    "weights",
    "provenance",
    "watermark",
    "content",
    "filter",
    "abuse",
    "reporting",
    "accountability",
    "documentation",
    "benchmark",
    "external",
    "independent",
    "review",
    "board",
    "procedure",
    "response",
    "mitigation",
    "harm",
    "bias",
    "privacy",
    "personal",
    "information",
    "verification",
    "deployment",
    "usage",
    "logging",
    "users",
    "frontier",
    "compute",
    "hazardous",
    "biological",
    "cyber",
    "autonomy",
    "human",
    "feedback",
    "reinforcement",
    "learning",
    "guardrails",
    "refusal",
    "jailbreak",
    "prompt",
    "injection",
    "sandbox",
    "supply",
    "chain",
    "vendor",
    "contract",
    "liability",
    "standard",
    "framework",
)
GIVEN = (
    "Ada",
    "Alan",
    "Grace",
    "Yoshua",
    "Fei",
    "Timnit",
    "Stuart",
    "Joy",
    "Geoffrey",
    "Margaret",
    "Dario",
    "Helen",
    "Iason",
    "Laura",
    "Markus",
    "Neil",
    "Peter",
    "Rishi",
    "Sophia",
    "Zishan",
)
ROLES = (("LifecycleStage", "stage"), ("Actor", "actor"), ("AIRMFunction", "function"))
FAMILY = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Bengio",
    "Li",
    "Gebru",
    "Russell",
    "Buolamwini",
    "Hinton",
    "Mitchell",
    "Amodei",
    "Toner",
    "Gabriel",
    "Weidinger",
    "Anderljung",
    "Thompson",
    "Slattery",
    "Bommasani",
    "Lloyd",
    "Guo",
    "Shi",
    "Xiong",
    "Saeri",
    "Graham",
    "Campos",
    "Avrin",
)


@dataclass
class Vocabulary:
    """What the generated records point to: the concepts of the real schemes, and the IRIs of records
    that the ontology and the kept data cite without describing them (`anchors`: mitigations;
    `documents`: source documents, with the anchors they list as theirs)."""

    concepts: dict[str, list[str]]
    anchors: list[str] = field(default_factory=list)
    documents: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, root: Path) -> Vocabulary:
        store = ox.Store()
        for path in sorted((root / "ontology").rglob("*.ttl")):
            store.load(path=str(path), format=ox.RdfFormat.TURTLE)
        for name in KEPT_DATA:
            store.load(path=str(root / "data" / name), format=ox.RdfFormat.TURTLE)
        concepts = {
            key: sorted(r["c"].value for r in _select(store, f"SELECT ?c WHERE {{ ?c <{SKOS}inScheme> <{scheme}> }}"))
            for key, scheme in SCHEMES.items()
        }
        return cls(
            concepts,
            cls._cited(store, "mitigation"),
            {
                doc: sorted(
                    r["m"].value
                    for r in _select(store, f"SELECT ?m WHERE {{ <{doc}> <{PREFIXES['airm']}documentMitigation> ?m }}")
                )
                for doc in cls._cited(store, "document")
            },
        )

    @staticmethod
    def _cited(store: ox.Store, kind: str) -> list[str]:
        """IRIs under kg:KIND/ that occur in the store but have no rdf:type there."""
        return sorted(
            {
                r["x"].value
                for r in _select(
                    store,
                    f"""
            SELECT DISTINCT ?x WHERE {{ {{ ?s ?p ?x }} UNION {{ ?x ?p ?o }}
              FILTER (isIRI(?x) && STRSTARTS(STR(?x), "{KG}{kind}/"))
              FILTER NOT EXISTS {{ ?x a ?type }} }}""",
                )
            }
        )


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    """The solutions of a SELECT query (pyoxigraph types a result as any of the three kinds)."""
    result = store.query(query)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"expected the solutions of a SELECT query, got {type(result).__name__}")
    return result


def _literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


class Writer:
    """Turtle out, one subject at a time, counting the triples it writes."""

    def __init__(self, out) -> None:
        self.out, self.triples = out, 0
        out.write("".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items()) + "\n")

    def subject(self, iri: str, *pairs: tuple[str, str | list[str]]) -> None:
        lines = []
        for predicate, objects in pairs:
            objects = objects if isinstance(objects, list) else [objects]
            if objects:
                lines.append(f"    {predicate} {' , '.join(objects)}")
                self.triples += len(objects)
        self.out.write(f"<{iri}>\n" + " ;\n".join(lines) + " .\n\n")

    def authors(self, iris: list[str]) -> str:
        """An rdf:List object (2 triples a member), written inline as ( ... )."""
        self.triples += 2 * len(iris)
        return "( " + " ".join(iris) + " )"


class Generator:
    """Documents with their authors, headings, mitigations, evidence and classifications."""

    MITIGATIONS_PER_DOCUMENT = (20, 80)
    HEADINGS_PER_DOCUMENT = (2, 6)

    def __init__(self, vocab: Vocabulary, seed: int) -> None:
        self.vocab, self.rng = vocab, random.Random(seed)
        self.anchors = list(vocab.anchors)
        self.dataset = f"<{KG}dataset/bench-generated>"
        self.agent = f"<{KG}agent/mit-ai-risk-initiative>"
        self.persons: dict[str, tuple[str, str]] = {}
        self.params: dict[str, str] = {}

    def text(self, low: int, high: int) -> str:
        words = self.rng.choices(WORDS, k=self.rng.randint(low, high))
        return (" ".join(words).capitalize() + ".").replace(" .", ".")

    def person(self) -> str:
        given, family = self.rng.choice(GIVEN), self.rng.choice(FAMILY)
        n = self.rng.randrange(1 + len(self.persons) // 10 + 50)
        iri = f"<{KG}person/{family.lower()}-{given.lower()}-{n}>"
        self.persons[iri] = (given, family)
        return iri

    def write(self, target: int, out: Writer) -> None:
        out.subject(
            self.dataset[1:-1],
            ("a", ["void:Dataset", "dcat:Dataset"]),
            ("dcterms:title", '"Generated benchmark data"@en'),
            (
                "dcterms:description",
                '"Seeded synthetic records in the shape of the MIT AI risk '
                'mitigation data, made by bench/generate.py."@en',
            ),
            ("dcterms:license", "<https://creativecommons.org/licenses/by/4.0/>"),
        )
        out.subject(
            self.agent[1:-1],
            ("a", ["prov:Agent", "foaf:Organization"]),
            ("rdfs:label", '"MIT AI Risk Initiative"'),
            ("foaf:name", '"MIT AI Risk Initiative"'),
        )
        for n, (iri, cited) in enumerate(self.vocab.documents.items()):
            self.document(n, out, iri, [m for m in cited if m in self.anchors])
        n = len(self.vocab.documents)
        while out.triples + 6 * len(self.persons) < target or self.anchors:
            self.document(n, out)
            n += 1
        for iri, (given, family) in sorted(self.persons.items()):
            out.subject(
                iri[1:-1],
                ("a", "foaf:Person"),
                ("rdfs:label", _literal(f"{given} {family}")),
                ("foaf:name", _literal(f"{given} {family}")),
                ("foaf:givenName", _literal(given)),
                ("foaf:familyName", _literal(family)),
                ("void:inDataset", self.dataset),
            )

    def document(self, n: int, out: Writer, iri: str | None = None, cited: Sequence[str] = ()) -> None:
        """A document (`iri`, or a new one) with its mitigations: `cited` ones first, then anchors
        still unplaced, then new ones."""
        rng = self.rng
        year = rng.randint(2016, 2026)
        slug = f"gen{n:06d}-{year}"
        doc = f"<{iri or KG + 'document/' + slug}>"
        authors = list(dict.fromkeys(self.person() for _ in range(rng.randint(1, 13))))
        count = max(rng.randint(*self.MITIGATIONS_PER_DOCUMENT), len(cited))
        for m in cited:
            self.anchors.remove(m)
        mitigations = [
            *cited,
            *(
                self.anchors.pop(0) if self.anchors else f"{KG}mitigation/{slug}-{i:03d}"
                for i in range(count - len(cited))
            ),
        ]
        headings = rng.sample(HEADINGS, min(rng.randint(*self.HEADINGS_PER_DOCUMENT), len(mitigations)))
        # The first records are the headings (one per risk the document names); the rest sit under one.
        tops, rest = mitigations[: len(headings)], mitigations[len(headings) :]
        under = {m: rng.randrange(len(headings)) for m in rest}
        children = [[m for m in rest if under[m] == h] for h in range(len(headings))]
        risks = [f"{KG}risk/{slug}-{h}" for h in range(len(headings))]
        for h, heading in enumerate(headings):
            out.subject(
                risks[h],
                ("a", "airm:Risk"),
                ("rdfs:label", _literal(heading)),
                ("dcterms:source", doc),
                ("void:inDataset", self.dataset),
                (
                    "skos:definition",
                    _literal(f"The risk area the document names with the heading '{heading}'.") + "@en",
                ),
                ("airm:addressedBy", [f"<{m}>" for m in [tops[h], *children[h]]]),
            )
            self.mitigation(tops[h], doc, heading, risks[h], out, children=children[h])
        for m in rest:
            h = under[m]
            self.mitigation(m, doc, f"{headings[h]} > {self.text(2, 8).rstrip('.')}", risks[h], out, parent=tops[h])
        out.subject(
            doc[1:-1],
            ("a", "airm:SourceDocument"),
            ("dcterms:title", _literal(self.text(4, 10).rstrip("."))),
            ("dcterms:abstract", _literal(self.text(60, 160))),
            ("dcterms:identifier", _literal(f"doc-{slug}")),
            ("dcterms:issued", f'"{year}"^^xsd:gYear'),
            ("dcterms:creator", authors),
            ("bibo:authorList", out.authors(authors)),
            ("foaf:page", f"<https://example.org/bench/{slug}.pdf>"),
            ("void:inDataset", self.dataset),
            ("airm:documentMitigation", [f"<{m}>" for m in mitigations]),
        )
        if iri is None:
            self.params.setdefault("document", doc[1:-1])

    def mitigation(
        self,
        iri: str,
        doc: str,
        label: str,
        risk: str,
        out: Writer,
        parent: str | None = None,
        children: Sequence[str] = (),
    ) -> None:
        """One record with its evidence quote and classifications: an MIT v1 record (curator,
        sometimes second-guessed by the classifier) or a v2 one (published, with stage, actor and
        function). Headings (`children`) always show their name; 5% of the others show none."""
        rng, local = self.rng, iri.rsplit("/", 1)[1]
        v1 = iri in self.vocab.anchors or rng.random() < 0.5
        evidence = f"{KG}evidence/{local}"
        quote = self.text(15, 120)
        if rng.random() < 0.05:
            quote += " Independent red team exercises probe the model before release."
        out.subject(
            evidence,
            ("a", "airm:EvidenceQuote"),
            ("void:inDataset", self.dataset),
            ("airm:evidenceFor", f"<{iri}>"),
            ("airm:quoteText", _literal(quote)),
            ("airm:quotedFrom", doc),
        )
        pairs: list[tuple[str, str | list[str]]] = [
            ("a", "airm:Mitigation"),
            ("dcterms:identifier", _literal(local)),
            ("void:inDataset", self.dataset),
            ("airm:hasEvidence", f"<{evidence}>"),
            ("airm:sourceDocument", doc),
            ("airm:addressesRisk", f"<{risk}>"),
            ("airm:childMitigation", [f"<{c}>" for c in children]),
        ]
        if parent:
            pairs.append(("airm:parentMitigation", f"<{parent}>"))
        if children or rng.random() < 0.95:
            pairs.append(("rdfs:label", _literal(label)))
        classifications = self.classifications(iri, local, v1, out)
        if classifications:
            pairs += [
                ("airm:hasClassification", [f"<{c}>" for c, _ in classifications]),
                ("airm:mitigationCategory", f"<{classifications[0][1]}>"),
            ]
            if iri not in self.vocab.anchors:
                self.params.setdefault("mitigation", iri)
        if not v1:
            concepts = self.vocab.concepts
            pairs += [(f"airm:primary{kind}", f"<{rng.choice(concepts[key])}>") for kind, key in ROLES]
            if rng.random() < 0.3:
                pairs += [(f"airm:other{kind}", f"<{rng.choice(concepts[key])}>") for kind, key in ROLES]
        out.subject(iri, *pairs)

    def classifications(self, iri: str, local: str, v1: bool, out: Writer) -> list[tuple[str, str]]:
        """(classification IRI, category) pairs, the effective one first; none for 2% of records."""
        rng = self.rng
        if rng.random() < 0.02:
            return []
        scheme = self.vocab.concepts["v1" if v1 else "v2"]
        first = rng.choice(scheme)
        made = [
            (
                f"{KG}classification/{local}/{'curator' if v1 else 'published'}",
                first,
                "cmethod:curator" if v1 else "cmethod:published",
            )
        ]
        if v1 and rng.random() < 0.1:
            made.append(
                (
                    f"{KG}classification/{local}/classifier",
                    rng.choice([c for c in scheme if c != first]),
                    "cmethod:classifier",
                )
            )
        for c_iri, category, method in made:
            out.subject(
                c_iri,
                ("a", "airm:Classification"),
                ("void:inDataset", self.dataset),
                ("prov:wasAttributedTo", self.agent),
                ("airm:category", f"<{category}>"),
                ("airm:classificationMethod", method),
                ("airm:classifies", f"<{iri}>"),
                ("airm:reasoning", _literal(self.text(8, 25))),
                ("dcterms:date", f'"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"^^xsd:date'),
            )
        return [(c, cat) for c, cat, _ in made]


def project_copy(dest: Path, source: Path = CHECKOUT, data: bool = True) -> Path:
    """`dest` as a project: ontology/, shapes/, queries/ of `source`; its data/ too when `data`."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in COPIED:
        shutil.copytree(source / name, dest / name)
    if data:
        shutil.copytree(source / "data", dest / "data", ignore=shutil.ignore_patterns("sources"))
    return dest


def generate(dest: Path, triples: int, seed: int = 8, source: Path = CHECKOUT) -> dict:
    """Make the project copy `dest` with about `triples` triples of data; return its metadata
    (also written to dest/bench-data.json): seed, target, triples written, query parameters."""
    project_copy(dest, source, data=False)
    (dest / "data").mkdir()
    for name in KEPT_DATA:
        shutil.copyfile(source / "data" / name, dest / "data" / name)
    store = ox.Store()
    for name in KEPT_DATA:
        store.load(path=str(dest / "data" / name), format=ox.RdfFormat.TURTLE)
    kept = len(store)
    gen = Generator(Vocabulary.read(dest), seed)
    with (dest / "data" / GENERATED).open("w", encoding="utf-8") as f:
        out = Writer(f)
        gen.write(max(triples - kept, 0), out)
    meta = {
        "seed": seed,
        "target_triples": triples,
        "data_triples": kept + out.triples,
        "generated_triples": out.triples,
        "kept_files": list(KEPT_DATA),
        "params": gen.params,
    }
    (dest / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    p.add_argument("--triples", type=int, required=True, help="data triples to generate (about)")
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--out", type=Path, required=True, help="the project copy to write (replaced)")
    args = p.parse_args(argv)
    print(json.dumps(generate(args.out, args.triples, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
