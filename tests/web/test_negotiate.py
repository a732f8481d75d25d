"""Accept negotiation (pure functions): one table of headers and what they get."""

from __future__ import annotations

import pytest

from kg.errors import NotAcceptable
from kg.web import representations as reps
from kg.web.negotiate import choose, parse_accept

RESULTS = [
    ("json", ["application/sparql-results+json", "application/json"]),
    ("xml", ["application/sparql-results+xml", "application/xml"]),
    ("csv", ["text/csv"]),
    ("tsv", ["text/tab-separated-values"]),
    ("html", ["text/html"]),
]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SPARQLWRAPPER_JSON = "application/sparql-results+json,application/json,text/javascript,application/javascript"


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, "json"),  # no header: anything, server's first
        ("", "json"),
        ("*/*", "json"),  # curl
        ("*", "json"),  # sloppy clients
        (BROWSER, "html"),  # a browser
        (SPARQLWRAPPER_JSON, "json"),
        ("application/sparql-results+xml", "xml"),
        ("application/rdf+xml, application/sparql-results+xml", "xml"),  # rdflib SPARQLStore
        ("text/csv", "csv"),
        ("TEXT/CSV", "csv"),  # case-insensitive
        ("text/tab-separated-values; charset=utf-8", "tsv"),  # parameters other than q ignored
        ("text/csv;q=0.5, text/tab-separated-values", "tsv"),  # q-values
        ("text/csv, text/tab-separated-values", "csv"),  # tie: the client's order
        ("text/*", "csv"),  # type wildcard: server's order
        ("text/*;q=0.3, text/html", "html"),
        ("*/*;q=0.1, text/csv;q=0.2", "csv"),  # explicit beats wildcard
        ("text/html;q=0, */*", "json"),  # q=0: not acceptable
        ("application/json", "json"),
        ("application/xml", "xml"),
        ("image/png", None),  # 406
        ("text/csv;q=0", None),
        ("text/csv;q=abc", None),  # a broken range is ignored
        ("*/html", None),  # not a media range
    ],
)
def test_choose(accept, expected):
    assert choose(accept, RESULTS) == expected


def test_the_most_specific_range_sets_the_quality():
    # text/csv is excluded by its own range even though text/* would accept it
    assert choose("text/csv;q=0, text/*", RESULTS) == "tsv"


def test_parse_accept_keeps_order_and_quality():
    ranges = parse_accept("text/html;q=0.8, application/json")
    assert [(r.type, r.subtype, r.q, r.order) for r in ranges] == [
        ("text", "html", 0.8, 0),
        ("application", "json", 1.0, 1),
    ]


GRAPH_AND_HTML = (*reps.GRAPH, reps.HTML)
RESULTS_AND_HTML = (*reps.RESULTS, reps.HTML)


@pytest.mark.parametrize(
    "offers, accept, formats, expected",
    [
        (RESULTS_AND_HTML, "*/*", ["csv"], "csv"),  # ?format= wins over Accept
        (RESULTS_AND_HTML, "text/csv", ["json"], "json"),
        (RESULTS_AND_HTML, None, ["text/tab-separated-values"], "tsv"),  # a media type as format
        (RESULTS_AND_HTML, None, ["srj"], "json"),  # a suffix
        (RESULTS_AND_HTML, None, ["tsv", "text/tab-separated-values"], "tsv"),  # SPARQLWrapper repeats it
        (RESULTS_AND_HTML, None, [""], "json"),  # empty: Accept decides
        (RESULTS_AND_HTML, None, ["html"], "html"),
        (GRAPH_AND_HTML, None, ["json"], "jsonld"),  # SPARQLWrapper JSON for CONSTRUCT
        (GRAPH_AND_HTML, None, ["xml"], "rdfxml"),
        (GRAPH_AND_HTML, None, ["rdf+xml", "application/rdf+xml"], "rdfxml"),
        (GRAPH_AND_HTML, None, ["n3"], "turtle"),
        (GRAPH_AND_HTML, None, ["nt"], "ntriples"),
        (GRAPH_AND_HTML, "*/*", [], "turtle"),
        (GRAPH_AND_HTML, "application/rdf+xml, application/sparql-results+xml", [], "rdfxml"),
        (GRAPH_AND_HTML, "application/ld+json", [], "jsonld"),
        (GRAPH_AND_HTML, "text/plain", [], "ntriples"),
        (GRAPH_AND_HTML, BROWSER, [], "html"),
    ],
)
def test_representation_choice(offers, accept, formats, expected):
    assert reps.choose(offers, accept, formats).name == expected


@pytest.mark.parametrize(
    "offers, accept, formats",
    [
        (RESULTS_AND_HTML, None, ["turtle"]),
        (GRAPH_AND_HTML, None, ["csv"]),
        (GRAPH_AND_HTML, "text/csv", []),
    ],
)
def test_nothing_acceptable(offers, accept, formats):
    with pytest.raises(NotAcceptable):
        reps.choose(offers, accept, formats)
