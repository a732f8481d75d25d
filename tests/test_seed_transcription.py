"""data/sources/seeds/seed-records.yaml transcribes the seed pages faithfully."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import ROOT

SEEDS = ROOT / "data" / "sources" / "seeds"
DATA = yaml.safe_load((SEEDS / "seed-records.yaml").read_text(encoding="utf-8"))
RECORDS = {r["name"]: r for r in DATA["records"]}
PAGES = DATA["pages"]
CODE_LINE = re.compile(r"\d+(?:\.\d+)* ")  # a listed record's code opens its line
AUTHOR_LINE = re.compile(r"(.+; .+) \((\d{4})\)")  # "Family, Given; ... (Year)"
NOT_PAGE_TEXT = {"page", "file", "code"}  # our keys; a listed record's code is checked below


def text_of(page: dict) -> str:
    return (SEEDS / page["file"]).read_text(encoding="utf-8")


def leaves(obj, skip=frozenset()):
    """Every string value below `obj`, except under the keys in `skip`."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key not in skip:
                yield from leaves(value, skip)
    elif isinstance(obj, list):
        for value in obj:
            yield from leaves(value, skip)
    elif isinstance(obj, str):
        yield obj


def page_ids(page):
    return page["page"]


def test_every_seed_page_is_transcribed():
    assert sorted(p["file"] for p in PAGES) == sorted(p.name for p in SEEDS.glob("*.txt"))
    for page in PAGES:
        assert page["file"].split("_", 1)[1] == page["page"] + ".txt"


@pytest.mark.parametrize("page", PAGES, ids=page_ids)
def test_every_string_appears_verbatim_on_its_page(page):
    text = text_of(page)
    strings = list(leaves(page, NOT_PAGE_TEXT)) + list(leaves(DATA["document"], {"id"}))
    for name in page["listed"]:
        strings += leaves(RECORDS[name], NOT_PAGE_TEXT)
    missing = [s for s in strings if s not in text]
    assert not missing, f"not verbatim on {page['file']}: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=page_ids)
def test_page_layout_lines(page):
    """Line 3 the category description, line 4 "Also in ...", the last six the stage, actor and
    function of the page's own record with their definitions."""
    lines = text_of(page).split("\n")
    assert lines[2] == page["category_description"]
    assert lines[3] == f"Also in {page['also_in']}"
    rec = page["record"]
    expected = [rec[k][f] for k in ("lifecycle_stage", "actor", "airm_function") for f in ("label", "description")]
    assert lines[-6:] == expected
    assert lines[lines.index("Reasoning") + 1] == rec["reasoning"]
    evidence_line = 5 if "name" in rec else 4
    assert lines[evidence_line] == rec["evidence"]
    if "name" in rec:
        assert lines[4] == rec["name"]


@pytest.mark.parametrize("page", PAGES, ids=page_ids)
def test_every_listed_code_is_transcribed(page):
    """Each "code category" line ends one listed record and starts the next (or the title)."""
    lines = text_of(page).split("\n")
    coded = [line for line in lines if CODE_LINE.match(line)]
    listed = [RECORDS[name] for name in page["listed"]]
    following = page["listed"][1:] + [DATA["document"]["title"]]
    assert len(coded) == len(listed)
    for line, rec, nxt in zip(coded, listed, following):
        assert line == f"{rec['code']} {rec['category']}{nxt}"


@pytest.mark.parametrize("page", PAGES, ids=page_ids)
def test_author_list_order_equals_the_page(page):
    found = [m for line in text_of(page).split("\n") if (m := AUTHOR_LINE.fullmatch(line))]
    assert len(found) == 1
    shown = found[0].group(1).split("; ")
    doc = DATA["document"]
    assert [f"{a['family']}, {a['given']}" for a in doc["authors"]] == shown
    assert str(doc["year"]) == found[0].group(2)


def test_every_record_is_listed_and_every_listed_name_has_a_record():
    listed = {name for page in PAGES for name in page["listed"]}
    assert listed == set(RECORDS)
    assert len(RECORDS) == len(DATA["records"])
