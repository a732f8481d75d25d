"""What an import changes: each valid row compared with the current data column group by column group
(`plan`), and the new import file written from the entries (`assemble`), keeping what earlier
imports of the same source said about the groups that did not change."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, VOID

from kg.curate.checks import Context
from kg.curate.mapping import Mapper, add_classifier, add_curator, add_import_dataset
from kg.curate.read import Sheet
from kg.curate.report import Entry
from kg.curate.rows import Author
from kg.iris import document_iri, fuller_spelling, mitigation_iri
from kg.namespaces import AIRM
from kg.pipeline import overlay
from kg.records.columns import GROUPS
from kg.records.write import new_graph, set_person_name

RECORD_TYPES = (AIRM.Mitigation, AIRM.SourceDocument, AIRM.EvidenceQuote, AIRM.Classification)
CORE = (RDF.type, DCTERMS.identifier, VOID.inDataset, PROV.wasGeneratedBy)


def plan(ctx: Context, sheets: dict[str, Sheet], valid: dict[str, dict], rejected: dict[str, dict]) -> list[Entry]:
    entries: list[Entry] = []
    for kind, rdf_type, iri_of, current in (
        ("documents", AIRM.SourceDocument, document_iri, ctx.current_d),
        ("mitigations", AIRM.Mitigation, mitigation_iri, ctx.current_m),
    ):
        sheet = sheets.get(kind)
        label = sheet.label if sheet else ""
        own = ctx.own_records(rdf_type)
        marked = {r for r, _ in overlay.markers(ctx.own_prev)}
        seen: set = set()
        for rid, (number, cells) in valid[kind].items():
            iri = iri_of(rid)
            seen.add(iri)
            cur = current.get(rid)
            e = Entry(kind, rid, iri, number, label, cells, outside=iri in ctx.outside_typed)
            if cur is None:
                e.status, e.changed = "added", list(GROUPS[kind])
            else:
                e.changed = [g for g, cols in GROUPS[kind].items() if any(cells[c] != cur[c] for c in cols)]
                e.status = "changed" if e.changed else "unchanged"
            entries.append(e)
        for rid, number in rejected[kind].items():
            iri = iri_of(rid)
            if iri in own or iri in marked:
                seen.add(iri)
                entries.append(
                    Entry(
                        kind,
                        rid,
                        iri,
                        number,
                        label,
                        None,
                        "kept",
                        outside=iri in ctx.outside_typed,
                    )
                )
        prefix = str(iri_of(""))
        for iri in sorted((own | {r for r in marked if str(r).startswith(prefix)}) - seen):
            rid = str(iri)[len(prefix) :]
            status = "removed" if sheet is not None else "kept"
            entries.append(Entry(kind, rid, iri, None, "", None, status, outside=iri in ctx.outside_typed))
    return entries


def assemble(ctx: Context, entries: list[Entry], mapper: Mapper, source: str, curator_name: str) -> Graph:
    g = new_graph()
    g.bind("curation", overlay.CURATION)
    prev = ctx.own_prev
    marks = overlay.markers(prev)
    authors: list[Author] = []
    for e in entries:
        if e.status != "removed":
            authors += _record(g, e, mapper, prev, marks)
    if not len(g):
        return g
    # Authors this file names and nobody else describes.
    for author in authors:
        if (
            author.iri not in ctx.outside_typed
            and (author.iri, RDF.type, None) not in g
            and (author.iri, RDF.type, None) not in prev
        ):
            mapper.add_author(g, author)
    _spellings(g, ctx, authors, prev)
    # The dataset and agents, then whatever else the records point to that only the previous
    # version of this file described (earlier imports, their files and releases, persons).
    if mapper.dataset not in ctx.outside_typed:
        add_import_dataset(g, mapper.dataset, source)
    used = set(g.objects())
    if mapper.curator in used and mapper.curator not in ctx.outside_typed:
        add_curator(g, mapper.curator, curator_name)
    if mapper.classifier in used and mapper.classifier not in ctx.outside_typed:
        add_classifier(g, mapper.classifier)
    record_nodes = {s for t in RECORD_TYPES for s in prev.subjects(RDF.type, t)}
    while True:
        wanted = {
            o
            for o in g.objects()
            if isinstance(o, URIRef)
            and o not in ctx.outside_typed
            and (o, None, None) not in g
            and (o, None, None) in prev
            and o not in record_nodes
        }
        if not wanted:
            return g
        for node in wanted:
            _carry(g, set(prev.triples((node, None, None))))


def _record(g: Graph, e: Entry, mapper: Mapper, prev: Graph, marks: list[tuple[URIRef, str]]) -> list[Author]:
    """One entry's record into `g`: its changed groups from its cells, the others carried from the
    previous version of the file; the authors the new groups name."""
    authors: list[Author] = []
    emit = mapper.mitigation_group if e.kind == "mitigations" else mapper.document_group

    def new(grp: str) -> None:
        if e.cells is None:  # only an entry read from a row adds or changes groups
            raise ValueError(f"{e.kind} {e.id}: the {grp} group changes without a row")
        authors.extend(emit(g, e.cells, grp) or [])

    group_names = list(GROUPS[e.kind])
    if e.outside:
        prev_groups = {grp for r, grp in marks if r == e.iri}
        for grp in group_names:
            if grp in e.changed:
                new(grp)
                g.add(overlay.marker(e.iri, grp))
            elif grp in prev_groups:
                _carry(g, overlay.group_triples(prev, e.iri, grp))
                g.add(overlay.marker(e.iri, grp))
    elif e.status == "added":
        (mapper.mitigation_core if e.kind == "mitigations" else mapper.document_core)(g, e.id)
        for grp in group_names:
            new(grp)
    else:
        _carry(g, {t for p in CORE for t in prev.triples((e.iri, p, None))})
        for grp in group_names:
            if grp in e.changed:
                new(grp)
            else:
                _carry(g, overlay.group_triples(prev, e.iri, grp))
    if e.changed and e.status == "changed":
        if mapper.activity is not None:  # as Mapper._generated: no activity, no provenance to name
            g.add((e.iri, PROV.wasInfluencedBy, mapper.activity))
    elif (e.iri, None, None) in g:
        _carry(g, set(prev.triples((e.iri, PROV.wasInfluencedBy, None))))
    return authors


def _spellings(g: Graph, ctx: Context, authors: list[Author], prev: Graph) -> None:
    """Authors another file describes, spelt differently here (the same `kg.iris.person_key`): the
    fuller spelling becomes the name (the overlay's "person" field, so the other file's name gives way)
    and the other one a skos:altLabel. What the previous version of this file said about the persons
    it still names is kept."""
    done = set()
    for author in authors:
        known = ctx.names.get(author.iri)
        if author.iri not in ctx.outside_typed or known is None or known == author.name or author.iri in done:
            continue
        done.add(author.iri)
        if not author.organization and fuller_spelling(known, author.name) == author.name:
            set_person_name(g, author.iri, author.family, author.given or None)
            g.add(overlay.marker(author.iri, "person"))
            g.add((author.iri, SKOS.altLabel, Literal(known)))
        else:
            g.add((author.iri, SKOS.altLabel, Literal(author.name)))
    for agent in set(g.objects(None, DCTERMS.creator)) - done:
        if isinstance(agent, URIRef) and agent in ctx.outside_typed:
            _carry(g, set(prev.triples((agent, SKOS.altLabel, None))))
            if overlay.marker(agent, "person") in prev:
                _carry(g, overlay.group_triples(prev, agent, "person") | {overlay.marker(agent, "person")})


def _carry(g: Graph, triples) -> None:
    """Copy triples of the previous version of the file (author lists come whole with their group)."""
    for t in triples:
        g.add(t)
