"""The vocabularies a spreadsheet's cells name: taxonomy codes (v2 `1.1.3`, MIT v1 `v1:3.1`),
lifecycle stages, actors and AI RMF functions, read from a store holding ontology/vocab/."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.iris import slug
from kg.namespaces import DEFAULT_BASE
from kg.sparql.execute import solutions

V1_PREFIX = "v1:"
SCHEMES = {
    "v2": "vocab/mitigation-taxonomy",
    "v1": "vocab/mit-v1-mitigation-taxonomy",
    "stage": "vocab/lifecycle-stage",
    "actor": "vocab/actor",
    "function": "vocab/airm-function",
}
WHAT = {"stage": "lifecycle stage", "actor": "actor", "function": "AI RMF function"}
CONCEPTS = """
SELECT DISTINCT ?c ?scheme ?notation ?label WHERE {
  ?c <http://www.w3.org/2004/02/skos/core#inScheme> ?scheme .
  OPTIONAL { ?c <http://www.w3.org/2004/02/skos/core#notation> ?notation }
  OPTIONAL { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }
}"""


@dataclass
class Vocab:
    base: str = DEFAULT_BASE
    codes: dict[str, str] = field(default_factory=dict)  # "1.1.3" / "v1:3.1" -> IRI
    code_of: dict[str, str] = field(default_factory=dict)  # IRI -> code
    names: dict[str, str] = field(default_factory=dict)  # code -> name ("" when unknown)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> {slug(label): IRI}
    label_of: dict[str, str] = field(default_factory=dict)  # IRI -> prefLabel

    # --- taxonomy codes ---

    def parse_code(self, cell: str) -> str | None:
        """The canonical code of a cell ("1.1.3", "mtax:1.1.3", "1.1.3 Capability Modification",
        "v1:3.1", "v1tax:3.1"), or None when it names no concept."""
        text = " ".join(cell.split())
        m = re.match(r"^(v1tax:|v1:|mtax:)?\s*(\d+(?:\.\d+)*)\.?(?:\s+(.*))?$", text, re.IGNORECASE)
        if not m:
            return None
        prefix = (m.group(1) or "").lower()
        code = (V1_PREFIX if prefix.startswith("v1") else "") + m.group(2)
        if code not in self.codes:
            return None
        name = m.group(3)
        if name and slug(name) != slug(self.names.get(code) or ""):
            return None
        return code

    def code_iri(self, code: str) -> str:
        return self.codes[code]

    def show_code(self, iri: str) -> str:
        """ "1.1.3 Capability Modification" for a concept IRI (the IRI when it is no known code)."""
        code = self.code_of.get(iri)
        if code is None:
            return f"<{iri}>"
        name = self.names.get(code)
        return f"{code} {name}" if name else code

    # --- stages, actors, functions ---

    def parse_label(self, kind: str, cell: str) -> str | None:
        """The canonical prefLabel a cell names (case, spacing and punctuation ignored)."""
        iri = self.labels.get(kind, {}).get(slug(cell))
        return self.label_of[iri] if iri else None

    def label_iri(self, kind: str, label: str) -> str:
        return self.labels[kind][slug(label)]

    def known_labels(self, kind: str) -> list[str]:
        return sorted(self.label_of[i] for i in self.labels.get(kind, {}).values())


def load(store: ox.Store, base: str = DEFAULT_BASE) -> Vocab:
    v = Vocab(base=base)
    schemes = {base + path: kind for kind, path in SCHEMES.items()}
    for row in solutions(store.query(CONCEPTS, use_default_graph_as_union=True)):
        kind = schemes.get(row["scheme"].value)
        if kind is None:
            continue
        iri = row["c"].value
        notation = row["notation"].value if row["notation"] is not None else None
        label = row["label"].value if row["label"] is not None else None
        if kind in ("v2", "v1"):
            if notation is None:
                continue
            code = (V1_PREFIX if kind == "v1" else "") + notation
            v.codes[code], v.code_of[iri] = iri, code
            v.names[code] = label or v.names.get(code, "")
        elif label is not None:
            v.labels.setdefault(kind, {})[slug(label)] = iri
            v.label_of[iri] = label
    return v
