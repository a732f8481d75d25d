"""Minting the IRIs of AIRM-KG's instances (docs/model.md, "Instance IRIs"): slugs, and the IRI of
each kind of record, shared by the generators (`kg generate`) and the curation commands (`kg import`)."""

from __future__ import annotations

import re
import unicodedata

from rdflib import URIRef

from kg.namespaces import KG

# Letters NFKD does not decompose into an ASCII base letter.
_ASCII_FOLD = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L", "đ": "d"})


def slug(text: str) -> str:
    """Lower-case ASCII; every run of anything else becomes one '-' (docs/model.md)."""
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def mitigation_iri(local_id: str) -> URIRef:
    """`kg:mitigation/{id}`: the record's identifier kept as its local name."""
    return KG[f"mitigation/{local_id}"]


def evidence_iri(local_id: str) -> URIRef:
    """`kg:evidence/{mitigation id}`."""
    return KG[f"evidence/{local_id}"]


def classification_iri(local_id: str, method: str) -> URIRef:
    """`kg:classification/{mitigation id}/{method}`."""
    return KG[f"classification/{local_id}/{method}"]


def person_key(family: str, given: str | None = None) -> str:
    """A person's identity (docs/model.md, "Persons"): the family name, then the given names, Unicode-
    normalised (NFKD), accent-folded, case-folded, every run of spaces, hyphens and punctuation one '-'.
    "Gipiškis, Rokas" and "Rokas Gipiskis", "van Soest" and "Van Soest", "Jean-Marc" and "Jean Marc" are
    one person; "R." and "Rokas" are not (an initial is not a name)."""
    return slug(f"{family} {given or ''}")


def person_iri(family: str, given: str | None = None) -> URIRef:
    """`kg:person/{person_key}`; `kg:person/{family}` for a family name alone."""
    return KG["person/" + person_key(family, given)]


def fuller_spelling(known: str, other: str) -> str:
    """Of two spellings of one name, the one to keep as the name: the one with more letters outside
    ASCII (diacritics: "Gipiškis" over "Gipiskis"), then the one not written in capitals throughout
    or in lower case throughout ("John Smith" over "JOHN SMITH" and "john smith"); `known` on a tie
    ("van Soest" and "Van Soest")."""

    def weight(text: str) -> tuple[int, int]:
        words = [w for w in text.split() if sum(c.isalpha() for c in w) > 1]
        flat = sum(w.isupper() for w in words) + (len(words) if text.islower() else 0)
        return sum(not c.isascii() for c in text if c.isalpha()), -flat

    return other if weight(other) > weight(known) else known


def organization_iri(name: str) -> URIRef:
    """`kg:organization/{slug}`."""
    return KG["organization/" + slug(name)]


def document_iri(source_id: str) -> URIRef:
    """`kg:document/{id}`: the source id without its "doc-" prefix, spaces as '-' (dots kept)."""
    return KG["document/" + source_id.removeprefix("doc-").replace(" ", "-")]


def derivation_iri(local_id: str, kind: str, value: str) -> URIRef:
    """`kg:derivation/{mitigation id}/{stage|actor}/{value's local name}`: one derived fact."""
    return KG[f"derivation/{local_id}/{kind}/{value}"]
