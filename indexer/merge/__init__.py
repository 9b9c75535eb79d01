"""The merge stage: records of several sources -> one work per paper, one id per person.

Runs between reading and aggregation. `merge_sources(published, preprints)` takes the
Anthology's work records (author ids resolved) and arXiv's (provisional author ids) and
returns the records to index:

- a preprint matched to a published work (works.py) is folded into it: the work keeps the
  Anthology id and metadata, gains the preprint as a second version (`versions`,
  `version_ids`, `sources`, `field_sources`, `merge`) and the preprint's arXiv facts;
- every other preprint is a work of its own (`arxiv:<arXiv id>`) whose authors are linked to
  Anthology researchers where the evidence says so (people.py), else to researchers of their
  own (`arxiv:<name>`); each slot says how (`authors[].link`);
- link corrections (`fixes`, from the owners and admins: domain/corrections.py) overrule the
  resolver before researchers of their own are formed: a link undone makes the mention one
  of them (grouped with the other mentions of the name), a mention attached is the
  researcher's and leaves the researcher of their own it would have been;
- `links` lists, per Anthology researcher, the preprints linked to them with the evidence
  (the researcher document's `linked_works`).

The fields are those of the merged work contract (mappings/works-v1.json, researchers-v1.json).

Pure: lists of dicts in, lists of dicts out.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.corrections import ATTACH, DETACH, OWNER_LINK, LinkFix
from indexer.merge.people import NEW_RESEARCHER, ArxivPeople, Link, PeopleLinker, PersonIndex, _name_parts
from indexer.merge.text import name_key
from indexer.merge.works import WorkMatch, WorkMatcher

Record = Mapping[str, Any]

ACL, ARXIV = "acl", "arxiv"
# Fields of a merged work and the version each comes from (the published one, where it has it).
FIELDS = ("title", "abstract", "authors", "year", "venue", "type", "url", "doi")
ARXIV_FIELDS = ("arxiv_id", "listed", "categories", "category_labels", "comment")


def source_of(record: Record) -> str:
    """"arxiv" for records of the arXiv reader (ids `arxiv:...`), "acl" for the Anthology's
    (a merged work keeps its Anthology id, so it is the Anthology's)."""
    return ARXIV if str(record.get("id", "")).startswith("arxiv:") else ACL


def version(record: Record) -> dict[str, Any]:
    """One version of a work, as listed in `versions`."""
    src = source_of(record)
    names = record.get("venue_names") or []
    out = {"source": src, "id": record["id"], "year": record["year"],
           "venue": (names[0] if names else record.get("booktitle")) or ("arXiv" if src == ARXIV else None),
           "type": record["type"], "url": record["url"], "doi": record.get("doi"),
           "listed": record.get("listed") if src == ARXIV else None}
    if src == ARXIV:
        out["arxiv_id"] = record.get("arxiv_id")
    return out


@dataclass
class MergeResult:
    records: list[dict[str, Any]]  # works to index, in input order (published first)
    matches: list[WorkMatch]
    links: dict[str, list[dict[str, Any]]]  # Anthology researcher id -> preprints linked to them
    report: dict[str, Any] = field(default_factory=dict)


def merged_record(pub: Record, pre: Record, match: WorkMatch) -> dict[str, Any]:
    """The published work with the preprint as its second version."""
    out = dict(pub)
    out["versions"] = [version(pub), version(pre)]
    out["version_ids"] = [pub["id"], pre["id"]]
    out["sources"] = [ACL, ARXIV]
    field_sources = dict.fromkeys(FIELDS, ACL)
    if not pub.get("abstract") and pre.get("abstract"):
        out["abstract"] = pre["abstract"]
        field_sources["abstract"] = ARXIV
    # a DOI names one version: the published one's stays the work's (or none); the arXiv DOI
    # is listed with the preprint's version, and the arXiv id goes into citations as `eprint`
    out["field_sources"] = field_sources
    out["merge"] = match.to_dict()
    for name in ARXIV_FIELDS:
        out[name] = pre.get(name)
    return out


def single_record(record: Record) -> dict[str, Any]:
    """A work with one version."""
    out = dict(record)
    src = source_of(record)
    out["versions"] = [version(record)]
    out["version_ids"] = [record["id"]]
    out["sources"] = [src]
    out["field_sources"] = dict.fromkeys(FIELDS, src)
    return out


def _slot(slot: Mapping[str, Any], pid: str, shown: Mapping[str, tuple[str, str]], link: dict[str, Any]
          ) -> dict[str, Any]:
    out = dict(slot)
    out["id"] = pid
    if pid in shown:  # an Anthology researcher: shown under their own name
        out["first"], out["last"] = shown[pid]
        out["name"] = f"{out['first']} {out['last']}".strip()
    out["link"] = link
    return out


def merge_sources(published: Sequence[Record], preprints: Sequence[Record],
                  known_variants: Mapping[str, Sequence[str]] | None = None,
                  matcher: WorkMatcher | None = None,
                  fixes: Mapping[str, Sequence[LinkFix]] | None = None) -> MergeResult:
    """Fold preprints into their published versions and resolve preprint authors (`fixes`:
    preprint work id -> its link corrections, oldest first)."""
    matcher = matcher or WorkMatcher(published)
    matches = matcher.match(preprints)
    pre_by_id = {p["id"]: p for p in preprints}
    merged_into = {m.published_id: m for m in matches}
    absorbed = {m.preprint_id for m in matches}

    records: list[dict[str, Any]] = []
    for pub in published:
        m = merged_into.get(pub["id"])
        records.append(merged_record(pub, pre_by_id[m.preprint_id], m) if m else single_record(pub))

    alone = [p for p in preprints if p["id"] not in absorbed]
    index = PersonIndex(published, known_variants)
    for p in preprints:
        for a in p["authors"]:
            index.count_name(name_key(a["name"]), *_name_parts(a))
    decided = PeopleLinker(index).link_all(alone)
    corrected = 0
    for wid, work_fixes in (fixes or {}).items():
        if wid in decided:
            decided[wid], n = corrected_links(pre_by_id[wid], decided[wid], work_fixes, index)
            corrected += n
    shown = {pid: _display(index, pid) for pid in {lk.person_id for ls in decided.values() for lk in ls}
             if pid in index.people}

    newcomers = ArxivPeople(index)
    for p in alone:
        for lk in decided[p["id"]]:
            if lk.person_id is None:
                newcomers.add(p, lk.position)
    assigned = newcomers.assign()

    links: dict[str, list[dict[str, Any]]] = defaultdict(list)
    methods: Counter = Counter()
    for p in alone:
        rec = single_record(p)
        slots = []
        for slot, lk in zip(p["authors"], decided[p["id"]]):
            info = lk.to_dict()
            if lk.person_id is not None:
                slots.append(_slot(slot, lk.person_id, shown, info))
                links[lk.person_id].append({"work_id": p["id"], "method": lk.method, "confidence": lk.confidence,
                                            "evidence": lk.evidence, "as_written": slot["as_written"]})
            else:
                pid, how = assigned[(p.get("arxiv_id") or p["id"], lk.position)]
                info["grouped"] = how
                if info["method"] == NEW_RESEARCHER:
                    info["evidence"] = f"{info['evidence']}; {how}"
                slots.append(_slot(slot, pid, {}, info))
            methods[lk.method] += 1
        rec["authors"] = slots
        records.append(rec)

    report = {
        "published": len(published), "preprints": len(preprints), "merged": len(matches),
        "merged by": dict(Counter(m.method for m in matches)),
        "preprint works": len(alone), "author slots by decision": dict(methods),
        "researchers linked to preprints": len(links),
        "researchers of their own": len({pid for pid, _ in assigned.values()}),
        "author slots corrected": corrected,
    }
    return MergeResult(records, matches, dict(links), report)


def _attach_position(preprint: Record, links: list[Link], fix: LinkFix, index: PersonIndex) -> int | None:
    """The slot an attach correction means: the one it names when its name is still there, else
    the one kept apart from the researcher, else one whose name is among theirs."""
    slots = preprint["authors"]
    if fix.position is not None and 0 <= fix.position < len(slots):
        return fix.position
    for lk in links:
        if lk.person_id is None and (fix.researcher_id in lk.candidates or lk.candidate == fix.researcher_id):
            return lk.position
    person = index.people.get(fix.researcher_id)
    if person is not None:
        for lk in links:
            if lk.person_id is None and name_key(slots[lk.position]["name"]) in person.names:
                return lk.position
    return None


def corrected_links(preprint: Record, links: list[Link], fixes: Sequence[LinkFix], index: PersonIndex
                    ) -> tuple[list[Link], int]:
    """The resolver's decisions for one preprint with its link corrections applied in order;
    returns them and how many corrections took effect."""
    out, applied = list(links), 0
    for fix in fixes:
        rid = fix.researcher_id
        if fix.kind == DETACH:
            pos = next((lk.position for lk in out if lk.person_id == rid), None)
            if pos is None:
                continue
            old = out[pos]
            had = f" (the resolver had: {old.evidence})" if old.evidence else ""
            out[pos] = Link(pos, old.name, None, "not linked", 0.0, fix.evidence() + had,
                            old.candidates or (rid,), candidate=rid, candidate_confidence=0.0,
                            corrected=fix.corrected(before=old.to_dict()))
        elif fix.kind == ATTACH:
            pos = _attach_position(preprint, out, fix, index)
            if pos is None:
                continue
            for i, lk in enumerate(out):  # a person appears once on a paper: the correction wins
                if i != pos and lk.person_id == rid:
                    out[i] = Link(i, lk.name, None, "not linked", 0.0, f"{rid} is another author of this paper "
                                  f"({fix.evidence()})", lk.candidates, candidate=rid)
            old = out[pos]
            out[pos] = Link(pos, old.name, rid, OWNER_LINK, 1.0, fix.evidence(), old.candidates,
                            corrected=fix.corrected(before=old.to_dict()))
        else:
            continue
        applied += 1
    return out, applied


def _display(index: PersonIndex, pid: str) -> tuple[str, str]:
    """The (first, last) an Anthology researcher is shown under: their most used spelling."""
    person = index.people[pid]
    counts: Counter = Counter()
    for row in person.works:
        for a in index.works[row]["authors"]:
            if a["id"] == pid:
                counts[(a["first"], a["last"])] += 1
    return counts.most_common(1)[0][0] if counts else ("", person.shown)


def all_ids(records: Iterable[Record]) -> dict[str, str]:
    """Every version id -> the id of the work that holds it (for `GET /api/works/<version id>`)."""
    return {vid: r["id"] for r in records for vid in r.get("version_ids") or (r["id"],)}
