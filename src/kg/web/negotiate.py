"""HTTP content negotiation: which offered representation an `Accept` header prefers (RFC 9110 §12.5.1).

Pure functions over strings, so that the rules can be read from one table test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int  # position in the header: earlier wins a tie

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")

    def matches(self, media_type: str) -> bool:
        kind, _, sub = media_type.lower().partition("/")
        return self.type in ("*", kind) and self.subtype in ("*", sub)


def _q(params: list[str]) -> float | None:
    """The q parameter (1 when absent); None when it is not a number in [0, 1]."""
    for p in params:
        key, _, value = p.partition("=")
        if key.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return None
            return q if 0 <= q <= 1 else None
    return 1.0


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; no header (or an empty one) accepts anything."""
    if header is None or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges = []
    for order, part in enumerate(header.split(",")):
        media, *params = part.split(";")
        media = media.strip().lower()
        media = "*/*" if media == "*" else media
        kind, slash, sub = media.partition("/")
        q = _q(params)
        if slash and kind and sub and q is not None and not (kind == "*" and sub != "*"):
            ranges.append(MediaRange(kind, sub, q, order))
    return ranges


def score(media_types: Sequence[str], ranges: Sequence[MediaRange]) -> tuple[float, int, int]:
    """(q, specificity, -order) for the best of an offer's media types; q is set by the most
    specific range that matches each type. (0, ...) when nothing matches."""
    best = (0.0, -1, 0)
    for media_type in media_types:
        matching = [r for r in ranges if r.matches(media_type)]
        if matching:
            r = max(matching, key=lambda r: (r.specificity, -r.order))
            best = max(best, (r.q, r.specificity, -r.order))
    return best


def choose(accept: str | None, offers: Sequence[tuple[str, Sequence[str]]]) -> str | None:
    """The key of the preferred offer, or None when none is acceptable (HTTP 406).

    `offers` are (key, media types) in the server's order of preference. Ranking: higher q, then
    a more specific match (an exact type beats `*/*`), then the client's order, then the server's."""
    ranges = parse_accept(accept)
    ranked = []
    for index, (key, media_types) in enumerate(offers):
        q, specificity, order = score(media_types, ranges)
        if q > 0:
            ranked.append(((q, specificity, order, -index), key))
    return max(ranked)[1] if ranked else None


def parameter(header: str | None, media_type: str, name: str) -> str | None:
    """The value of parameter `name` on the range for exactly `media_type` in an Accept header
    (`profile` on `application/ld+json`), quotes removed; None when absent."""
    for part in (header or "").split(","):
        media, *params = part.split(";")
        if media.strip().lower() != media_type:
            continue
        for p in params:
            key, _, value = p.partition("=")
            if key.strip().lower() == name:
                return value.strip().strip('"')
    return None
