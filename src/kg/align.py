"""Alignment with AIRO, VAIR, DPV and IBM AI Atlas Nexus: the foreign vocabularies AIRM-KG maps to,
where their shipped copies are, the SSSOM mapping sets, and the checks that every IRI a mapping uses
exists.

Offline by design: a foreign IRI "exists" when the shipped copy of its ontology (under
`data/sources/`) describes it with an rdf:type, in that ontology's own namespace. The copies are read
once per process (`defined_terms`). Nothing here fetches anything.

Used by the generators (`kg.generate.extract`, `kg.generate.mappings`), which fail on an unknown
IRI, and by the tests. `kg build` checks the same thing on the graph itself with the SHACL shapes of
`shapes/airm-alignment-shapes.ttl`: a mapping whose subject or object has no type in the graph (that
is, is absent from the extracts in `ontology/imports/`) is a violation.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import yaml
from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from kg.errors import InputError, ReasonerUnavailable
from kg.namespaces import DEFAULT_BASE, KG, NS, PREFIXES
from kg.rdf.sources import collect
from kg.reasoner import reasoner_input

MAPPINGS_DIR = "data/mappings"
TERM_LISTS_DIR = "ontology/imports/term-lists"
ALIGNMENT = "ontology/alignment.ttl"
NEXUS_DIR = "data/sources/risk-atlas-nexus/"
NEXUS_REPO = "https://github.com/IBM/ai-atlas-nexus"

MAPPING = DEFAULT_BASE + "mapping/"  # kg:mapping/{set}/{n}: one mapping record
MAPPING_SET = DEFAULT_BASE + "mappings/"  # kg:mappings/{set}: a mapping set (its mapping_set_id)
CURATORS = KG["agent/airm-kg-curators"]

# Predicates a mapping may use. SKOS ones become the mapping triple itself; the logical ones must be
# written by hand in ontology/alignment.ttl (the generator checks that they are); never
# owl:equivalentClass or owl:sameAs to a foreign term.
SKOS_PREDICATES = frozenset(
    str(p) for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
)
LOGICAL_PREDICATES = frozenset({str(RDFS.subClassOf), str(RDFS.subPropertyOf)})


@dataclass(frozen=True)
class Module:
    """One foreign ontology module: one namespace, the files it is shipped in, the extract it goes to."""

    prefix: str
    namespace: str
    extract: str  # ontology/imports/{extract}-extract.ttl
    files: tuple[str, ...]  # shipped copies, relative to the project root
    kind: str = "rdf"  # "rdf" (an ontology file) or "nexus" (AI Atlas Nexus YAML + schema)


MODULES: tuple[Module, ...] = (
    Module("airo", "https://w3id.org/airo#", "airo", ("data/sources/airo/airo.ttl",)),
    Module("vair", "https://w3id.org/vair#", "vair", ("data/sources/vair/vair.ttl",)),
    Module("dpv", "https://w3id.org/dpv#", "dpv", ("data/sources/dpv/dpv.ttl",)),
    Module("risk", "https://w3id.org/dpv/risk#", "dpv", ("data/sources/dpv/risk.ttl",)),
    Module("ai", "https://w3id.org/dpv/ai#", "dpv", ("data/sources/dpv/ai.ttl",)),
    Module("tech", "https://w3id.org/dpv/tech#", "dpv", ("data/sources/dpv/tech.ttl",)),
    Module("eu-aiact", "https://w3id.org/dpv/legal/eu/aiact#", "dpv", ("data/sources/dpv/eu-aiact.ttl",)),
    Module(
        "nexus",
        "https://w3id.org/ai-atlas-nexus/",
        "nexus",
        (
            NEXUS_DIR + "ai-risk-ontology_schema.ttl",
            NEXUS_DIR + "mit_ai_risk_repository_data.yaml",
            NEXUS_DIR + "nist_ai_rmf_data.yaml",
            NEXUS_DIR + "nist_ai_rmf_actions_data.yaml",
            NEXUS_DIR + "mit_ai_risk_repository_data_controls.yaml",
        ),
        "nexus",
    ),
)
EXTRACTS = ("airo", "vair", "dpv", "nexus")

# The SSSOM curie_map every mapping set may use: the project's prefixes, the foreign modules, and
# the mapping vocabularies. Our NIST vocabularies are defined by kg.generate.nist.
OWN_EXTRA = {
    "kgm": MAPPING,
    "nistrisk": DEFAULT_BASE + "vocab/nist-gai-risk/",
    "nisttask": DEFAULT_BASE + "vocab/nist-ai-actor-task/",
    "nistsub": DEFAULT_BASE + "vocab/nist-ai-rmf-subcategory/",
}
CURIE_MAP: dict[str, str] = {
    **PREFIXES,
    **OWN_EXTRA,
    **{m.prefix: m.namespace for m in MODULES},
    "semapv": NS.semapv,
    "sssom": NS.sssom,
    "pav": NS.pav,
}


def module_of(iri: str) -> Module | None:
    """The foreign module whose namespace `iri` is in (the longest match), if any."""
    best = None
    for m in MODULES:
        if iri.startswith(m.namespace) and len(iri) > len(m.namespace):
            if best is None or len(m.namespace) > len(best.namespace):
                best = m
    return best


def is_own(iri: str) -> bool:
    return iri.startswith(DEFAULT_BASE)


def expand(curie: str, curie_map: dict[str, str], where: str) -> str:
    """A CURIE (or an <IRI>) as an IRI; InputError when its prefix is not in `curie_map`."""
    text = curie.strip()
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    prefix, sep, local = text.partition(":")
    if not sep or prefix not in curie_map or local.startswith("//"):
        raise InputError(f"{where}: {curie!r} is not a CURIE with a prefix of the curie_map")
    return curie_map[prefix] + local


# --- the shipped copies: which IRIs they define ------------------------------------------------


def _rdf_terms(path: Path, namespace: str) -> dict[str, set[str]]:
    """IRI -> its rdf:types, for every typed subject of `path` in `namespace` (fast: Oxigraph)."""
    out: dict[str, set[str]] = {}
    try:
        quads = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
        for q in quads:
            s = q.subject
            if (
                isinstance(s, ox.NamedNode)
                and s.value.startswith(namespace)
                and q.predicate.value == str(RDF.type)
                and isinstance(q.object, ox.NamedNode)
            ):
                out.setdefault(s.value, set()).add(q.object.value)
    except (OSError, SyntaxError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    return out


def nexus_records(root: Path) -> dict[str, dict]:
    """Every Nexus record (`id` -> the YAML mapping) of the Nexus files we ship, with its section."""
    return _nexus_records(str(Path(root).resolve()))


@functools.lru_cache(maxsize=4)
def _nexus_records(root_text: str) -> dict[str, dict]:
    root = Path(root_text)
    out: dict[str, dict] = {}
    for rel in MODULES[-1].files:
        if not rel.endswith(".yaml"):
            continue
        try:
            data = yaml.safe_load((root / rel).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"{rel}: cannot read YAML: {exc}") from exc
        for section, items in data.items():
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and "id" in item:
                    out.setdefault(str(item["id"]), {**item, "_section": section, "_file": rel})
    return out


@functools.lru_cache(maxsize=4)
def _defined(root: str) -> dict[str, frozenset[str]]:
    base = Path(root)
    out: dict[str, frozenset[str]] = {}
    for m in MODULES:
        terms: dict[str, set[str]] = {}
        for rel in m.files:
            if rel.endswith((".ttl",)):
                for iri, types in _rdf_terms(base / rel, m.namespace).items():
                    terms.setdefault(iri, set()).update(types)
        if m.kind == "nexus":
            for ident in nexus_records(base):
                terms.setdefault(m.namespace + ident, set())
        out[m.prefix] = frozenset(terms)
    return out


def defined_terms(root: Path) -> dict[str, frozenset[str]]:
    """Module prefix -> the IRIs its shipped copy defines (typed subjects in its namespace; for
    Nexus also every record id of the shipped YAML, as `nexus:{id}`)."""
    return _defined(str(Path(root).resolve()))


def undefined(root: Path, iris) -> list[str]:
    """The foreign IRIs among `iris` that their shipped ontology does not define (sorted)."""
    known = defined_terms(root)
    missing = set()
    for iri in iris:
        m = module_of(str(iri))
        if m is not None and str(iri) not in known[m.prefix]:
            missing.add(str(iri))
    return sorted(missing)


# --- SSSOM mapping sets ---------------------------------------------------------------------------


@dataclass
class MappingSet:
    name: str  # file name without .sssom.tsv
    path: Path
    meta: dict  # the YAML header
    rows: list[dict] = field(default_factory=list)  # each with "_line"

    @property
    def curie_map(self) -> dict[str, str]:
        return self.meta.get("curie_map") or {}

    def iri(self, curie: str, where: str) -> str:
        return expand(curie, self.curie_map, f"{self.path.name} {where}")


def read_sssom(path: Path) -> MappingSet:
    """An SSSOM/TSV file: the `#` YAML header, then the tab-separated rows (with their line numbers)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    n = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    try:
        meta = yaml.safe_load("\n".join(line[1:] for line in lines[:n])) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: cannot read the YAML header: {exc}") from exc
    reader = csv.DictReader(lines[n:], delimiter="\t")
    rows = []
    for row in reader:
        rows.append({**{k: (v or "").strip() for k, v in row.items() if k is not None}, "_line": n + reader.line_num})
    return MappingSet(path.name.removesuffix(".sssom.tsv"), path, meta, rows)


def mapping_sets(root: Path) -> list[MappingSet]:
    return [read_sssom(p) for p in sorted((root / MAPPINGS_DIR).glob("*.sssom.tsv"))]


def used_iris(root: Path) -> set[str]:
    """Every subject and object IRI of every mapping set (the seeds of the extracts)."""
    out = set()
    for ms in mapping_sets(root):
        for row in ms.rows:
            for col in ("subject_id", "object_id"):
                if row.get(col):
                    out.add(ms.iri(row[col], f"line {row['_line']}"))
    return out


def check_mapping_sets(root: Path, own_terms: set[str] | None = None) -> list[str]:
    """Problems with the mapping sets, one message each: an IRI absent from its shipped ontology, a
    prefix missing from a curie_map, a predicate we do not allow, a confidence outside 0..1, a
    duplicate record id. `own_terms`: the IRIs of our own graphs, to check AIRM-KG IRIs too."""
    problems: list[str] = []
    known = defined_terms(root)
    seen_records: set[str] = set()
    for ms in mapping_sets(root):
        for key in ("mapping_set_id", "license", "curie_map"):
            if not ms.meta.get(key):
                problems.append(f"{ms.path.name}: the header has no {key}")
        expected = MAPPING_SET + ms.name
        if ms.meta.get("mapping_set_id") not in (None, expected):
            problems.append(f"{ms.path.name}: mapping_set_id must be {expected}")
        for prefix, ns in ms.curie_map.items():
            if prefix in CURIE_MAP and CURIE_MAP[prefix] != ns:
                problems.append(f"{ms.path.name}: prefix {prefix} is {ns}, the project's is {CURIE_MAP[prefix]}")
        for row in ms.rows:
            where = f"{ms.path.name} line {row['_line']}"
            try:
                problems += _row_problems(ms, row, where, known, own_terms, seen_records)
            except InputError as exc:
                problems.append(str(exc))
    return problems


def _row_problems(ms: MappingSet, row: dict, where: str, known, own_terms, seen: set[str]) -> list[str]:
    out = []
    record = ms.iri(row.get("record_id", ""), "record_id")
    if not record.startswith(f"{MAPPING}{ms.name}/"):
        out.append(f"{where}: record_id {row.get('record_id')!r} is not kgm:{ms.name}/N")
    if record in seen:
        out.append(f"{where}: record_id {row.get('record_id')!r} is used twice")
    seen.add(record)
    predicate = ms.iri(row.get("predicate_id", ""), "predicate_id")
    if predicate not in SKOS_PREDICATES | LOGICAL_PREDICATES:
        out.append(
            f"{where}: predicate {row.get('predicate_id')!r} is not a SKOS mapping property, "
            "rdfs:subClassOf or rdfs:subPropertyOf"
        )
    for col in ("subject_id", "object_id"):
        iri = ms.iri(row.get(col, ""), col)
        m = module_of(iri)
        if m is not None:
            if iri not in known[m.prefix]:
                out.append(
                    f"{where}: {col} {row[col]} does not exist in the shipped {m.prefix} "
                    f"ontology ({', '.join(m.files[:1])})"
                )
        elif is_own(iri):
            if own_terms is not None and iri not in own_terms:
                out.append(f"{where}: {col} {row[col]} is not described in ontology/ or data/")
        else:
            out.append(f"{where}: {col} {row[col]} is in no namespace AIRM-KG ships")
    try:
        confidence = float(row.get("confidence", ""))
        if not 0.0 <= confidence <= 1.0:
            raise ValueError
    except ValueError:
        out.append(f"{where}: confidence {row.get('confidence')!r} is not a number from 0 to 1")
    if not row.get("mapping_justification", "").startswith("semapv:"):
        out.append(f"{where}: mapping_justification must be a semapv: term")
    for col in ("author_id", "mapping_date"):
        if not row.get(col):
            out.append(f"{where}: no {col}")
    return out


def own_terms(root: Path, skip: tuple[str, ...] = ("ontology/mappings/", "ontology/imports/")) -> set[str]:
    """The typed subjects of our committed graphs under ontology/ and data/ (not the mapping graphs
    or extracts): what an AIRM-KG IRI of a mapping must be."""
    out: set[str] = set()
    for src in collect(root):
        if src.rel.startswith(skip):
            continue
        for q in ox.parse(path=str(src.path), format=ox.RdfFormat.TURTLE):
            if q.predicate.value == str(RDF.type) and isinstance(q.subject, ox.NamedNode):
                out.add(q.subject.value)
    return out


def literal_double(value: str, where: str = "") -> Literal:
    """An SSSOM score (confidence, similarity) as an xsd:double literal."""
    try:
        return Literal(float(value), datatype=XSD.double)
    except ValueError:
        raise InputError(f"{where}: {value!r} is not a number") from None


# --- what HermiT infers with the alignment loaded ---------------------------------------------------


def reasoner_inferences(
    graph, classes: list[str], individuals: list[str], java: str = "java", timeout: float = 300.0
) -> dict:
    """Run HermiT (owlready2, in a child process like kg.reasoner) over `graph` and return
    {"consistent": bool, "superclasses": {class: [named superclasses]},
     "types": {individual: [named types]}} with everything HermiT entails, not only what is asserted."""
    import json
    import shutil
    import subprocess
    import sys
    import tempfile

    if shutil.which(java) is None:
        raise ReasonerUnavailable(f"Java ('{java}') not found: HermiT needs a JRE")
    with tempfile.TemporaryDirectory(prefix="kg-align-") as tmp:
        path = Path(tmp) / "input.nt"
        reasoner_input(graph).serialize(path, format="nt", encoding="utf-8")
        request = Path(tmp) / "request.json"
        request.write_text(json.dumps({"classes": classes, "individuals": individuals}), encoding="utf-8")
        cmd = [sys.executable, "-m", "kg.align", str(path), str(request), java]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise ReasonerUnavailable(f"HermiT did not finish within {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise ReasonerUnavailable(f"the reasoner failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _inference_worker(path: str, request: str, java: str) -> dict:
    import json

    import owlready2

    owlready2.JAVA_EXE = java
    wanted = json.loads(Path(request).read_text(encoding="utf-8"))
    world = owlready2.World()
    world.get_ontology(Path(path).as_uri()).load(format="ntriples")
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0, ignore_unsupported_datatypes=True)
    except owlready2.OwlReadyInconsistentOntologyError:
        return {"consistent": False, "superclasses": {}, "types": {}}

    def named(entities) -> list[str]:
        return sorted({e.iri for e in entities if hasattr(e, "iri") and e is not owlready2.Thing})

    superclasses: dict[str, list[str] | None] = {}
    types: dict[str, list[str] | None] = {}
    out = {"consistent": True, "superclasses": superclasses, "types": types}
    for iri in wanted["classes"]:
        cls = world[iri]
        superclasses[iri] = named(cls.ancestors(include_self=False)) if isinstance(cls, owlready2.ThingClass) else None
    for iri in wanted["individuals"]:
        ind = world[iri]
        types[iri] = named(ind.INDIRECT_is_a) if ind is not None and hasattr(ind, "INDIRECT_is_a") else None
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(_inference_worker(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "java")))
