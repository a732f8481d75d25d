"""Charts drawn on the server as SVG (no JavaScript, nothing fetched): a bar chart of a facet's
counts and a heat map of a matrix. Every bar and cell is a link (to the filtered explorer) with a
`<title>` naming what it counts; each chart has a title and a description for assistive
technology, and the pages show the same numbers as text (the facet lists, a table)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

BAR_HEIGHT = 18
GAP = 4
LABEL_WIDTH = 190
WIDTH = 480


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    href: str
    selected: bool = False


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def bars(bars_: list[Bar], title: str, ident: str) -> Markup:
    """A horizontal bar chart; one `<a>` per bar."""
    top = max((b.count for b in bars_), default=0) or 1
    height = len(bars_) * (BAR_HEIGHT + GAP) + GAP
    span = WIDTH - LABEL_WIDTH - 50
    out = [
        f'<svg class="chart bars" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(", ".join(f"{b.label}: {b.count}" for b in bars_))}</desc>',
    ]
    for i, b in enumerate(bars_):
        y = GAP + i * (BAR_HEIGHT + GAP)
        w = max(1.0, span * b.count / top) if b.count else 0
        cls = "bar selected" if b.selected else "bar"
        out.append(
            f'<a href="{escape(b.href)}" class="{cls}"><title>{escape(b.label)}: {b.count}</title>'
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 5}" text-anchor="end">{escape(_clip(b.label, 28))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{w:.1f}" height="{BAR_HEIGHT}" rx="2"/>'
            f'<text x="{LABEL_WIDTH + w + 4:.1f}" y="{y + BAR_HEIGHT - 5}" class="n">{b.count}</text></a>'
        )
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class Axis:
    value: str
    label: str


def heatmap(
    rows: list[Axis], columns: list[Axis], cells: dict[tuple[str, str], int], href, title: str, ident: str
) -> Markup:
    """A grid of cells shaded by count; `href(row, column)` is each cell's link. Empty cells (the
    gaps) are drawn outlined with no number, so they show."""
    cell_w, cell_h, left, head = 64, 22, 210, 70
    width, height = left + cell_w * len(columns) + 70, head + cell_h * len(rows) + 4  # room for the last label
    top = max(cells.values(), default=0) or 1
    out = [
        f'<svg class="chart heatmap" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{len(rows)} rows by {len(columns)} columns; the table below gives every count.</desc>',
    ]
    for j, c in enumerate(columns):
        x = left + j * cell_w + cell_w / 2
        out.append(
            f'<text x="{x:.0f}" y="{head - 6}" transform="rotate(-35 {x:.0f} {head - 6})" class="col">'
            f"{escape(_clip(c.label, 16))}</text>"
        )
    for i, r in enumerate(rows):
        y = head + i * cell_h
        out.append(f'<text x="{left - 6}" y="{y + cell_h - 7}" text-anchor="end">{escape(_clip(r.label, 31))}</text>')
        for j, c in enumerate(columns):
            n = cells.get((r.value, c.value), 0)
            x = left + j * cell_w
            # a presentation attribute, not a style: the pages' Content-Security-Policy allows no inline style
            shade = f' fill-opacity="{0.12 + 0.78 * n / top:.2f}"' if n else ""
            cls = "cell" if n else "cell gap"
            out.append(
                f'<a href="{escape(href(r, c))}"><title>{escape(r.label)} × {escape(c.label)}: {n}</title>'
                f'<rect class="{cls}" x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}"{shade}/>'
                + (
                    f'<text x="{x + cell_w / 2:.0f}" y="{y + cell_h - 7}" text-anchor="middle" class="n">{n}</text>'
                    if n
                    else ""
                )
                + "</a>"
            )
    out.append("</svg>")
    return Markup("".join(out))
