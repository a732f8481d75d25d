"""`data/nist-ai-600-1.ttl`: the 212 suggested actions of NIST AI 600-1 (the Generative AI Profile of
the NIST AI RMF), as copied into IBM AI Atlas Nexus, imported as mitigations of their source
document, with their risks, AI actor tasks, AI RMF function and subcategory.

- Each action is `kg:mitigation/NIST.AI.600-1_{id}` (`GV-1.2-002`, kept as dcterms:identifier and
  as the record's name, which is all the source gives as a name); its text is its evidence quote.
  The document `kg:document/NIST.AI.600-1` is described once, in data/mit-v1.ttl; here it is only
  referred to.
- Its function is our own concept (GV -> fn:govern, MP -> fn:map, MS -> fn:measure,
  MG -> fn:manage), as airm:primaryAIRMFunction.
- Its subcategory (GV-1.2) is a concept of the scheme `kg:vocab/nist-ai-rmf-subcategory`, narrower
  than its category (GV-1); their names are not in the sources, so they are marked airm:NameUnknown.
- The 12 GAI risks are airm:RiskCategory concepts of `kg:vocab/nist-gai-risk`, addressed through
  airm:addressesRisk, as the raw CSV extraction says (`kg.generate.nist_risks`: the YAML lost two risks
  and 70 actions' risks; the CSV's spelling variants are resolved by a table); the AI actor tasks are airm:AIActorTask concepts of `kg:vocab/nist-ai-actor-task`
  (the source's spelling variants "third-party entities" and "End Users" are one concept each with
  the variant as skos:hiddenLabel).

The MIT AI Risk Mitigation Database v1 holds 203 controls citing NIST AI 600-1 (A0xxx_NIST2024). They
are MIT's extraction of the same actions; `match_v1_controls` pairs them by their text and the pairs
are the mapping set data/mappings/mit-v1-to-nist-ai-600-1.sssom.tsv (skos:exactMatch, justified by
lexical similarity). The records are never merged. `kg generate` writes that mapping set (`texts`);
`python -m kg.generate.nist` prints it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, SKOS, VOID

from kg import align
from kg.errors import InputError
from kg.generate import nist_risks
from kg.generate.common import NEXUS_CONTROLS, NEXUS_NIST, NEXUS_NIST_ACTIONS, NEXUS_REPO, read_yaml
from kg.generate.skos import add_concept, add_scheme
from kg.iris import document_iri, slug
from kg.namespaces import AIRM, FN, KG
from kg.records.write import add_evidence, add_mitigation, en, new_graph

ACTIONS, NIST, CONTROLS = NEXUS_NIST_ACTIONS, NEXUS_NIST, NEXUS_CONTROLS
OUTPUT = "data/nist-ai-600-1.ttl"
MATCHES = "data/mappings/mit-v1-to-nist-ai-600-1.sssom.tsv"

DOC_ID = "NIST.AI.600-1"
TAXONOMY = "nist-ai-rmf"
RISK_PREFIX = "nist-"
NISTRISK = Namespace(align.OWN_EXTRA["nistrisk"])
NISTTASK = Namespace(align.OWN_EXTRA["nisttask"])
NISTSUB = Namespace(align.OWN_EXTRA["nistsub"])
FUNCTIONS = {
    "GV": ("Govern", FN.govern),
    "MP": ("Map", FN.map),
    "MS": ("Measure", FN.measure),
    "MG": ("Manage", FN.manage),
}
ACTION_ID = re.compile(r"^(GV|MP|MS|MG)-(\d+)\.(\d+)-(\d{3})$")
NIST_PDF = URIRef("https://nvlpubs.nist.gov/nistpubs/ai/NIST.AI.600-1.pdf")
NIST_AI_RMF = URIRef("https://www.nist.gov/itl/ai-risk-management-framework")
APACHE = URIRef("https://www.apache.org/licenses/LICENSE-2.0")

DATASET = KG["dataset/nist-ai-600-1"]
DATASET_TITLE = "NIST AI 600-1 suggested actions"
DATASET_DESCRIPTION = (
    "The suggested actions of NIST AI 600-1, Artificial Intelligence Risk Management Framework: "
    "Generative Artificial Intelligence Profile (2024), with the generative AI risks and AI actor tasks "
    "NIST names for each, as published in IBM AI Atlas Nexus, imported as mitigations of that document."
)
RIGHTS = (
    "NIST AI 600-1 is a work of the US Government, not subject to copyright in the United States "
    "(17 U.S.C. 105). The records come from IBM AI Atlas Nexus (Apache License 2.0)."
)


def mitigation_id(action_id: str) -> str:
    return f"{DOC_ID}_{action_id}"


def mitigation_iri(action_id: str) -> URIRef:
    return KG[f"mitigation/{mitigation_id(action_id)}"]


def risk_iri(nexus_id: str) -> URIRef:
    return NISTRISK[nexus_id.removeprefix(RISK_PREFIX)]


def task_iri(label: str) -> URIRef:
    return NISTTASK[slug(label)]


def subcategory(action_id: str) -> tuple[str, str]:
    """`GV-1.2-002` -> (category `GV-1`, subcategory `GV-1.2`)."""
    m = ACTION_ID.match(action_id)
    if m is None:  # check() refused any other form
        raise InputError(f"{ACTIONS}: {action_id!r} is not an action id of the form GV-1.2-001")
    return f"{m.group(1)}-{m.group(2)}", f"{m.group(1)}-{m.group(2)}.{m.group(3)}"


@dataclass(frozen=True)
class Sources:
    actions: list[dict]
    risks: list[dict]
    action_risks: dict[str, list[str]]  # action id -> Nexus risk ids, from the raw CSV


def read_sources(root: Path) -> Sources:
    actions = read_yaml(root / ACTIONS)["actions"]
    nist = read_yaml(root / NIST)
    risks = [e for e in nist["entries"] if e.get("type") == "Risk"]
    check(actions, risks, nist)
    return Sources(actions, risks, nist_risks.action_risks(root, actions, risks))


def check(actions: list[dict], risks: list[dict], nist: dict) -> None:
    """Fail on anything a decision would be needed for: an unknown id form, another document, a risk
    that is not listed, the two files disagreeing about which action addresses which risk."""
    if [d["id"] for d in nist["documents"]] != [DOC_ID]:
        raise InputError(f"{NIST}: expected the one document {DOC_ID}")
    seen = set()
    risk_ids = {r["id"] for r in risks}
    by_risk: dict[str, set[str]] = {r: set() for r in risk_ids}
    for a in actions:
        where = f"{ACTIONS}: action {a.get('id')!r}"
        if not ACTION_ID.match(str(a.get("id", ""))) or a["id"] in seen:
            raise InputError(f"{where}: not an action id of the form GV-1.2-001, or listed twice")
        seen.add(a["id"])
        if a.get("hasDocumentation") != [DOC_ID] or a.get("isDefinedByTaxonomy") != TAXONOMY:
            raise InputError(f"{where}: cites {a.get('hasDocumentation')}, not {DOC_ID} alone")
        if not str(a.get("description") or "").strip():
            raise InputError(f"{where}: no text")
        for r in a.get("hasRelatedRisk") or []:
            if r not in risk_ids:
                raise InputError(f"{where}: unknown risk {r!r}")
            by_risk[r].add(a["id"])
    for r in risks:
        if set(r.get("hasRelatedAction") or []) != by_risk[r["id"]]:
            raise InputError(f"{NIST}: the actions of {r['id']} differ from those that name it in {ACTIONS}")


def build(root: Path) -> dict[str, Graph]:
    return {OUTPUT: nist_graph(read_sources(root))}


def nist_graph(src: Sources) -> Graph:
    g = new_graph()
    g.bind("nistrisk", NISTRISK)
    g.bind("nisttask", NISTTASK)
    g.bind("nistsub", NISTSUB)
    add_dataset(g)
    add_risks(g, src.risks)
    tasks = add_tasks(g, src.actions)
    add_subcategories(g, src.actions)
    doc = document_iri(DOC_ID)
    for a in src.actions:
        add_action(g, a, doc, tasks, src.action_risks[a["id"]])
    return g


def add_dataset(g: Graph) -> None:
    for t in (VOID.Dataset, DCAT.Dataset):
        g.add((DATASET, RDF.type, t))
    g.add((DATASET, DCTERMS.title, en(DATASET_TITLE)))
    g.add((DATASET, DCTERMS.description, en(DATASET_DESCRIPTION)))
    g.add((DATASET, DCTERMS.license, APACHE))
    g.add((DATASET, DCTERMS.rights, en(RIGHTS)))
    g.add((DATASET, DCTERMS.source, NIST_PDF))
    g.add((DATASET, PROV.wasDerivedFrom, NEXUS_REPO))


def add_risks(g: Graph, risks: list[dict]) -> None:
    scheme = add_scheme(
        g,
        NISTRISK,
        "NIST AI 600-1 generative AI risks",
        "The twelve risks that are unique to or exacerbated by generative AI, as NIST AI 600-1 lists them "
        "and as IBM AI Atlas Nexus publishes them.",
        [NIST_PDF, NEXUS_REPO],
        APACHE,
    )
    g.add((scheme, DCTERMS.identifier, Literal(TAXONOMY)))
    for r in risks:
        iri = add_concept(
            g,
            scheme,
            risk_iri(r["id"]),
            AIRM.RiskCategory,
            label=" ".join(r["name"].split()),
            definition=" ".join(str(r["description"]).split()),
        )
        g.add((iri, DCTERMS.identifier, Literal(r["id"])))


def add_tasks(g: Graph, actions: list[dict]) -> dict[str, URIRef]:
    """One concept per slug of the task names; the most frequent spelling is the label (the first seen
    on a tie), the others are hidden labels."""
    scheme = add_scheme(
        g,
        NISTTASK,
        "NIST AI RMF AI actor tasks",
        "The categories of AI actor tasks of the NIST AI Risk Management Framework (Appendix A) that NIST AI "
        "600-1 names for its suggested actions.",
        [NIST_AI_RMF, NIST_PDF],
        APACHE,
    )
    spellings: dict[str, list[str]] = {}
    uses: dict[str, int] = {}
    for a in actions:
        for t in a.get("hasAiActorTask") or []:
            names = spellings.setdefault(slug(t), [])
            uses[t] = uses.get(t, 0) + 1
            if t not in names:
                names.append(t)
    by_name = {}
    for key, names in spellings.items():
        names = sorted(names, key=lambda n: -uses[n])
        iri = add_concept(
            g,
            scheme,
            NISTTASK[key],
            AIRM.AIActorTask,
            label=names[0],
            definition=f"The AI actor task '{names[0]}' that NIST AI 600-1 names for suggested "
            "actions (NIST AI RMF, Appendix A).",
        )
        for other in names[1:]:
            g.add((iri, SKOS.hiddenLabel, en(other)))
            g.add((iri, SKOS.editorialNote, en(f"The source also spells it {other!r}.")))
        for n in names:
            by_name[n] = iri
    return by_name


def add_subcategories(g: Graph, actions: list[dict]) -> None:
    scheme = add_scheme(
        g,
        NISTSUB,
        "NIST AI RMF categories and subcategories",
        "The categories (GV-1) and subcategories (GV-1.2) of the NIST AI RMF Core under which NIST AI 600-1 "
        "lists its suggested actions, identified by their codes. Their names are not in the sources AIRM-KG "
        "imports, so none is given.",
        [NIST_AI_RMF, NIST_PDF],
        APACHE,
    )
    counts: dict[str, int] = {}
    for a in actions:
        counts[subcategory(a["id"])[1]] = counts.get(subcategory(a["id"])[1], 0) + 1
    for code in sorted({subcategory(a["id"])[0] for a in actions}, key=code_key):
        name = FUNCTIONS[code[:2]][0]
        iri = add_concept(
            g,
            scheme,
            NISTSUB[code],
            AIRM.AIRMFCategory,
            label=None,
            notation=code,
            definition=f"Category {code} of the NIST AI RMF Core, in its {name} function.",
        )
        g.add((iri, AIRM.nameStatus, AIRM.NameUnknown))
    for code in sorted(counts, key=code_key):
        name = FUNCTIONS[code[:2]][0]
        iri = add_concept(
            g,
            scheme,
            NISTSUB[code],
            AIRM.AIRMFCategory,
            label=None,
            notation=code,
            broader=NISTSUB[code.split(".")[0]],
            definition=f"Subcategory {code} of the NIST AI RMF Core, in its {name} function; "
            f"NIST AI 600-1 lists {counts[code]} suggested action"
            f"{'s' if counts[code] > 1 else ''} under it.",
        )
        g.add((iri, AIRM.nameStatus, AIRM.NameUnknown))


def code_key(code: str) -> tuple:
    fn, _, rest = code.partition("-")
    return (list(FUNCTIONS).index(fn), *[int(p) for p in rest.split(".")])


def add_action(g: Graph, a: dict, doc: URIRef, tasks: dict[str, URIRef], risks: list[str]) -> None:
    local = mitigation_id(a["id"])
    m = add_mitigation(g, local, doc, DATASET, a["name"] if str(a.get("name") or "").strip() else None)
    g.add((m, DCTERMS.identifier, Literal(a["id"])))
    add_evidence(g, m, local, str(a["description"]).strip(), doc, DATASET)
    g.add((m, AIRM.primaryAIRMFunction, FUNCTIONS[a["id"][:2]][1]))
    g.add((m, AIRM.airmfSubcategory, NISTSUB[subcategory(a["id"])[1]]))
    for r in risks:
        g.add((m, AIRM.addressesRisk, risk_iri(r)))
    for t in a.get("hasAiActorTask") or []:
        g.add((m, AIRM.aiActorTask, tasks[t]))


# --- the MIT v1 controls that are the same actions -----------------------------------------------

SIMILARITY = "difflib.SequenceMatcher ratio of the texts, lower-cased, with everything but letters and digits removed"
THRESHOLD = 0.6  # the best candidate must score at least this ...
MARGIN = 0.2  # ... and beat the second best by this much


@dataclass(frozen=True)
class Match:
    control: str  # v1 control id (A0414_NIST2024)
    action: str  # NIST action id (GV-1.3-001)
    score: float
    runner_up: float | None  # the second best score (None when the texts are identical)


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", " ".join(str(text).split()).lower())


def _strip_tasks(text: str) -> str:
    """Some v1 texts end with the actor tasks in parentheses ("... (AI Deployment, TEVV)")."""
    return re.sub(r"\s*\((?:[A-Z][\w\- ]*,\s*)*[A-Z][\w\- ]*\)\.?\s*$", "", str(text).strip())


def match_v1_controls(root: Path) -> list[Match]:
    """Each v1 control citing NIST AI 600-1 paired with the NIST action whose text is most similar;
    InputError when a control has no clear best action or two controls get the same action."""
    actions = read_yaml(root / ACTIONS)["actions"]
    controls = [c for c in read_yaml(root / CONTROLS)["controls"] if c.get("hasDocumentation") == [DOC_ID]]
    texts = {a["id"]: _letters(a["description"]) for a in actions}
    exact: dict[str, list[str]] = {}
    for aid, text in texts.items():
        exact.setdefault(text, []).append(aid)
    out: list[Match] = []
    taken: dict[str, str] = {}  # action -> the control matched to it
    for c in controls:
        mine = _letters(_strip_tasks(c.get("description") or ""))
        if len(exact.get(mine, [])) == 1:  # the same text: no need to compare with every action
            best, aid, second = 1.0, exact[mine][0], 0.0
        else:
            scores = sorted(
                ((difflib.SequenceMatcher(None, mine, t, autojunk=False).ratio(), aid) for aid, t in texts.items()),
                reverse=True,
            )
            (best, aid), (second, _) = scores[0], scores[1]
        if best < THRESHOLD or best - second < MARGIN:
            raise InputError(
                f"{CONTROLS}: {c['id']} has no clear NIST action (best {aid} {best:.2f}, second {second:.2f})"
            )
        if aid in taken:
            raise InputError(f"{CONTROLS}: {c['id']} and {taken[aid]} both match {aid}")
        taken[aid] = c["id"]
        out.append(Match(c["id"], aid, round(best, 4), round(second, 4) if second else None))
    return sorted(out, key=lambda m: m.control)


MATCH_COLUMNS = (
    "record_id",
    "subject_id",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "confidence",
    "similarity_score",
    "similarity_measure",
    "author_id",
    "mapping_date",
    "comment",
)


def texts(root: Path) -> dict[str, str]:
    """{output path: its text}: the mapping set this module writes (`kg generate`)."""
    return {MATCHES: matches_tsv(root)}


def matches_tsv(root: Path, date: str = "2026-11-23") -> str:
    """The mapping set of `match_v1_controls` as SSSOM/TSV (what data/mappings holds)."""
    head = [
        "# curie_map:",
        "#   kg: https://w3id.org/airm-kg/",
        "#   kgm: https://w3id.org/airm-kg/mapping/",
        "#   semapv: https://w3id.org/semapv/vocab/",
        "#   skos: http://www.w3.org/2004/02/skos/core#",
        "# mapping_set_id: https://w3id.org/airm-kg/mappings/mit-v1-to-nist-ai-600-1",
        f"# mapping_set_version: '{date}'",
        "# mapping_set_title: MIT v1 mitigations citing NIST AI 600-1 to the NIST AI 600-1 suggested actions",
        "# mapping_set_description: The 203 controls of the MIT AI Risk Mitigation Database v1 that cite NIST",
        "#   AI 600-1 are MIT's extraction of its suggested actions. Each is paired with the action whose text",
        f"#   is most similar ({SIMILARITY}; the v1 text without a trailing list of actor tasks),",
        f"#   accepted when the score is at least {THRESHOLD} and beats the second best by {MARGIN}, and every",
        "#   pair was read. The two records stay separate resources.",
        "# license: https://creativecommons.org/licenses/by/4.0/",
        "# creator_id:",
        "#   - kg:agent/airm-kg-curators",
        "# mapping_tool: kg.generate.nist.match_v1_controls",
        "# subject_source: kg:dataset/mit-mitigation-database-v1",
        "# object_source: kg:dataset/nist-ai-600-1",
    ]
    lines = head + ["\t".join(MATCH_COLUMNS)]
    lines += ["\t".join(_match_row(n, m, date)) for n, m in enumerate(match_v1_controls(root), 1)]
    return "\n".join(lines) + "\n"


def _match_row(n: int, m, date: str) -> list[str]:
    """The SSSOM row of the n-th pair of `match_v1_controls`."""
    confidence = "1.0" if m.runner_up is None else "0.95"
    if m.runner_up is None:
        comment = "texts identical up to case, spacing and punctuation"
    else:
        comment = (
            f"texts differ in wording added or lost by one of the extractions; read and confirmed "
            f"as the same action (second best candidate scores {m.runner_up:.2f})"
        )
    return [
        f"kgm:mit-v1-to-nist-ai-600-1/{n:03d}",
        f"kg:mitigation/{m.control}",
        "skos:exactMatch",
        f"kg:mitigation/{mitigation_id(m.action)}",
        m.action,
        "semapv:LexicalSimilarityThresholdMatching",
        confidence,
        f"{m.score:.4f}",
        "difflib.SequenceMatcher.ratio",
        "kg:agent/airm-kg-curators",
        date,
        comment,
    ]


if __name__ == "__main__":  # python -m kg.generate.nist > data/mappings/mit-v1-to-nist-ai-600-1.sssom.tsv
    sys.stdout.write(matches_tsv(Path.cwd(), dt.date(2026, 11, 23).isoformat()))
