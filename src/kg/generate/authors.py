"""Reading the v1 documents' author strings ("Given Family, Given Family, ...") into persons and
organisations. Every name that the default rule would read wrongly is in a table below."""

from __future__ import annotations

from dataclasses import dataclass

from kg.errors import InputError


@dataclass(frozen=True)
class Author:
    """A person (family name, maybe a given name) or an organisation (`organization` set)."""

    family: str | None = None
    given: str | None = None
    organization: str | None = None


# Author strings that name an organisation, not a person.
ORGANIZATIONS = frozenset({"Future of Life Institute", "UK Government", "EU AI Office"})

# Whole author strings that cannot be split on ", ".
AUTHOR_OVERRIDES: dict[str, tuple[Author, ...]] = {
    # California SB 1047: the author and three coauthors, named by office and family name only.
    # Honorifics ("Senator", "Senators") are dropped; given names are not invented.
    "Senator Wiener, Coauthors: Senators Roth, Rubio, and Stern": (
        Author("Wiener"),
        Author("Roth"),
        Author("Rubio"),
        Author("Stern"),
    ),
}

# Family names of more than one word; otherwise the last word is the family name and the words
# before it the given name(s) ("Chinasa T. Okolo" -> Okolo, "Chinasa T."; "Kwan Yee Ng" -> Ng).
COMPOUND_FAMILY_NAMES = {
    "Sophia Lloyd George": "Lloyd George",
    "Ayrton San Joaquin": "San Joaquin",
    "José Ramón López Portillo": "López Portillo",  # Spanish double surname
    "Raquel Pezoa Rivera": "Pezoa Rivera",  # Spanish double surname
    # Brazilian naming: indexed as "de Carvalho, André Carlos Ponce de Leon Ferreira".
    "André Carlos Ponce de Leon Ferreira de Carvalho": "de Carvalho",
}


def parse_authors(text: str, where: str) -> list[Author]:
    """The authors of one document, in order; `where` names the input for error messages."""
    text = " ".join(text.split())
    if text in AUTHOR_OVERRIDES:
        return list(AUTHOR_OVERRIDES[text])
    return [parse_name(name, where) for name in text.split(", ")]


def parse_name(name: str, where: str) -> Author:
    """One "Given Family" name; a lone word is a family name (e.g. "Barrett")."""
    if name in ORGANIZATIONS:
        return Author(organization=name)
    if not name or any(mark in name for mark in (":", " and ", ";")):
        raise InputError(f"{where}: cannot read the author {name!r}; add it to kg.generate.authors")
    family = COMPOUND_FAMILY_NAMES.get(name) or name.rsplit(" ", 1)[-1]
    given = name[: -len(family)].strip() or None
    return Author(family=family, given=given)
