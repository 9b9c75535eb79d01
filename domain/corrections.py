"""Owner corrections as data, and how they apply to index documents.

What the accounts store decides about a researcher's document: followers_count, claimed, the
trust score (recomputed with claimed=True), and the owner's active corrections (open to
collaborate, current affiliation, works hidden from or attached to the profile). Works get
their `author_ids` from their own `authors` list minus active hides plus active attaches, so
the profile's works listing (which filters on author_ids) follows the owner while `authors`
keeps the record.

Link corrections (`LinkFix`) say who an author mention is, against the resolver that links
arXiv mentions to researchers (indexer/merge): a link undone (`detach_link`: the mention of
this researcher on that preprint is someone else's), a mention attached (`attach_link`: the
mention kept apart, or given to a researcher of its own, is this researcher), a profile merged
into this one (`merge_profile`: every mention of the other researcher is this researcher). A
build applies them before researchers are aggregated (the merge stage takes `link_fixes()`,
then `rename(records)` moves merged profiles), so counts, works lists, topics and close
collaborators of both profiles follow; the sync job applies them to the live documents it can
change (web/accounts/jobs.py) with `live_authors` and `reconcile_researcher`.

Pure: reading the store is the accounts side's business (web/accounts/overrides.py); a full
build, an incremental update and the sync job all apply the same `Overrides` with these
functions, once per build (`corrections` is a `Corrections`, below):
    overrides = corrections(settings)
    ... researcher_docs(...) -> overrides.researchers(...), work_docs(...) -> overrides.works(...)
or, per document, `apply_overrides(doc, overrides)` / `apply_work_overrides(doc, overrides)`.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.names import full_name, id_slug, initials, split_name, variants
from domain.trust import trust_score

UNSET: Any = object()
WORK_KINDS = ("hide_work", "attach_work")
DETACH, ATTACH, MERGE = "detach_link", "attach_link", "merge_profile"
LINK_KINDS = (DETACH, ATTACH, MERGE)
# The `method` of an author mention's link when a correction decided it.
OWNER_LINK, MERGED_PROFILE, KEPT_APART = "owner correction", "merged profile", "kept apart"
NOT_LINKED = (KEPT_APART, "new researcher")
# Fields of a researcher document that apply_overrides reads or writes.
RESEARCHER_FIELDS = ["id", "orcid", "first_year", "last_year", "venues", "collaborators_count",
                     "current_affiliation", "work_ids", "works_count", "followers_count",
                     "open_to_collaborate", "claimed", "trust"]


@dataclass
class OwnerState:
    """What the store says about one researcher. `restore`/`drop` only matter for a live document."""
    claimed: bool = False
    followers: int = 0
    open_to_collaborate: Any = UNSET
    affiliation: Any = UNSET
    hide: set[str] = field(default_factory=set)
    attach: list[str] = field(default_factory=list)
    restore: set[str] = field(default_factory=set)  # hides undone: put back when the work is theirs
    drop: set[str] = field(default_factory=set)  # attaches undone: take off


@dataclass(frozen=True)
class LinkFix:
    """One active link correction: `kind` (DETACH, ATTACH or MERGE), the researcher corrected,
    `value` (the preprint's work id, or for MERGE the profile merged into this one), the
    author slot (`position`, when known), who (`by`: "the owner" or "an admin"), the day, the
    correction's id, and whether an admin approved it at the owner's request."""

    kind: str
    researcher_id: str
    value: str
    position: int | None = None
    by: str = "the owner"
    at: str = ""
    correction_id: int | None = None
    approved: bool = False

    def evidence(self) -> str:
        who = f"{self.by} on {self.at}" if self.at else self.by
        if self.approved:
            who += " (approved by an admin)"
        if self.kind == DETACH:
            return f"link undone by {who}"
        if self.kind == ATTACH:
            return f"linked by {who}"
        return f"profile {self.value} merged into this one by {who}"

    def corrected(self, **extra: Any) -> dict[str, Any]:
        """What a corrected link records of the correction (in the mention's `link`)."""
        return {"kind": self.kind, "by": self.by, "at": self.at, "correction": self.correction_id, **extra}


def detached_id(slot: dict[str, Any], work_id: str) -> str:
    """The researcher of their own a mention becomes when its link is undone and no build has
    grouped it yet: `arxiv:<slug of the name>~<arXiv id>` (the form of a further person of
    that name; never an Anthology id)."""
    arxiv_id = work_id.removeprefix("arxiv:")
    return f"arxiv:{id_slug(slot.get('name') or '') or 'author'}~{arxiv_id}"


def owner_link(fix: LinkFix, before: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `link` of a mention the owner (or an admin) attached."""
    return {"method": OWNER_LINK, "confidence": None, "evidence": fix.evidence(), "candidate": None,
            "corrected": fix.corrected(before=before)}


def undone_link(fix: LinkFix, before: dict[str, Any] | None) -> dict[str, Any]:
    """The `link` of a mention whose link to `fix.researcher_id` was undone."""
    before = before or {}
    had = str(before.get("evidence") or "").strip()
    out = {"method": KEPT_APART, "confidence": None,
           "evidence": fix.evidence() + (f" (the resolver had: {had})" if had else ""),
           "candidate": fix.researcher_id, "corrected": fix.corrected(before=before)}
    if before.get("candidates"):
        out["candidates"] = list(before["candidates"])
    return out


def merged_link(fix: LinkFix, from_id: str, before: dict[str, Any] | None) -> dict[str, Any]:
    return {"method": MERGED_PROFILE, "confidence": None, "evidence": fix.evidence(), "candidate": None,
            "corrected": fix.corrected(**{"from": from_id, "before": before})}


def _merge_targets(fixes: Iterable[LinkFix]) -> dict[str, LinkFix]:
    """Merged profile id -> the correction that merged it (the newest wins; a chain Y -> X,
    X -> W sends Y to W; a cycle is cut where it closes)."""
    merges: dict[str, LinkFix] = {}
    for fix in fixes:
        if fix.kind == MERGE and fix.value != fix.researcher_id:
            merges[fix.value] = fix
    return merges


def merged_into(fixes: Iterable[LinkFix], rid: str) -> str | None:
    """The profile a merged-away profile `rid` now is (following chains), or None if it was
    not merged into another."""
    target = final_target(_merge_targets(fixes), rid)
    return target if target != rid else None


def final_target(merges: dict[str, LinkFix], rid: str) -> str:
    seen = {rid}
    while rid in merges and merges[rid].researcher_id not in seen:
        rid = merges[rid].researcher_id
        seen.add(rid)
    return rid


@dataclass
class Overrides:
    researchers_state: dict[str, OwnerState] = field(default_factory=dict)
    works_change: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # wid -> {remove, add}
    links: list[LinkFix] = field(default_factory=list)  # active link corrections, oldest first

    @classmethod
    def of(cls, states: dict[str, OwnerState], links: Iterable[LinkFix] = ()) -> Overrides:
        """The overrides of these researchers' states: each work gains or loses the owners
        whose active corrections attach or hide it."""
        out = cls(researchers_state=states, links=list(links))
        for rid, state in states.items():
            for wid in state.hide:
                out.works_change.setdefault(wid, {"remove": set(), "add": set()})["remove"].add(rid)
            for wid in state.attach:
                out.works_change.setdefault(wid, {"remove": set(), "add": set()})["add"].add(rid)
        return out

    def __len__(self) -> int:
        return len(self.researchers_state) + len(self.works_change) + len(self.links)

    def link_fixes(self) -> dict[str, list[LinkFix]]:
        """Preprint work id -> its detach and attach corrections, oldest first (for the merge stage)."""
        out: dict[str, list[LinkFix]] = {}
        for fix in self.links:
            if fix.kind in (DETACH, ATTACH):
                out.setdefault(fix.value, []).append(fix)
        return out

    def rename(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Work records with the mentions of merged profiles given to the profile they were
        merged into (records without such a mention are returned as they are)."""
        merges = _merge_targets(self.links)
        if not merges:
            return records
        out = []
        for record in records:
            if not any(a.get("id") in merges for a in record.get("authors") or ()):
                out.append(record)
                continue
            record = dict(record)
            record["authors"] = [
                {**a, "id": final_target(merges, a["id"]),
                 "link": merged_link(merges[a["id"]], a["id"], a.get("link"))} if a.get("id") in merges else a
                for a in record["authors"]]
            out.append(record)
        return out

    def researchers(self, docs: Iterable[dict]) -> Iterator[dict]:
        for doc in docs:
            yield apply_overrides(doc, self)

    def works(self, docs: Iterable[dict]) -> Iterator[dict]:
        for doc in docs:
            yield apply_work_overrides(doc, self)


class Corrections(Protocol):
    """Where a build gets the owners' corrections: called once per build with its settings.

    The indexer takes one and never knows the store behind it; the composition root (the
    `peerscope` command) hands it the accounts store's loader."""

    def __call__(self, settings: Any, /) -> Overrides: ...


def no_corrections(settings: Any, /) -> Overrides:
    """Corrections of a build without an accounts store: none, every document as its source gives it."""
    return Overrides()


def apply_state(doc: dict[str, Any], s: OwnerState) -> dict[str, Any]:
    """`doc` (a researcher document, full or with RESEARCHER_FIELDS) with the owner state applied."""
    doc["followers_count"] = s.followers
    doc["claimed"] = s.claimed
    if s.open_to_collaborate is not UNSET:
        doc["open_to_collaborate"] = bool(s.open_to_collaborate)
    if s.affiliation is not UNSET:
        doc["current_affiliation"] = s.affiliation or None
    work_ids = [w for w in doc.get("work_ids") or [] if w not in s.hide and w not in s.drop]
    work_ids += [w for w in (*sorted(s.restore - s.hide), *s.attach) if w not in work_ids]
    doc["work_ids"] = work_ids
    doc["works_count"] = len(work_ids)
    doc["trust"] = trust_score(
        orcid=doc.get("orcid"), first_year=doc.get("first_year"), last_year=doc.get("last_year"),
        works_count=len(work_ids), venues_count=len(doc.get("venues") or []),
        collaborators_count=doc.get("collaborators_count") or 0,
        affiliation=doc.get("current_affiliation"), claimed=s.claimed)
    return doc


def apply_overrides(doc: dict[str, Any], overrides: Overrides | None) -> dict[str, Any]:
    """The build's hook for one researcher document (unchanged when the store knows nothing of it)."""
    state = overrides.researchers_state.get(doc["id"]) if overrides else None
    return apply_state(doc, state) if state is not None else doc


def work_author_ids(doc: dict[str, Any], change: dict[str, set[str]] | None) -> list[str]:
    ids = list(dict.fromkeys(a["id"] for a in doc.get("authors") or [] if a.get("id")))
    if not change:
        return ids
    ids = [a for a in ids if a not in change["remove"]]
    return ids + sorted(a for a in change["add"] if a not in ids)


def apply_work_overrides(doc: dict[str, Any], overrides: Overrides | None) -> dict[str, Any]:
    change = overrides.works_change.get(doc["id"]) if overrides else None
    if change:
        doc["author_ids"] = work_author_ids(doc, change)
    return doc


def fold_corrections(state: OwnerState, rows: Iterable[Any], live: bool) -> None:
    """Fold one researcher's correction rows (oldest first; each with kind, value, previous and
    reverted_at) into `state`."""
    first_previous: dict[str, Any] = {}
    for c in rows:
        first_previous.setdefault(c.kind, c.previous)
        active = c.reverted_at is None
        if c.kind == "open_to_collaborate" and active:
            state.open_to_collaborate = bool(c.value)
        elif c.kind == "affiliation" and active:
            state.affiliation = c.value
        elif c.kind == "hide_work":
            (state.hide.add if active else state.restore.add)(c.value)
        elif c.kind == "attach_work":
            if active:
                state.attach.append(c.value)
            else:
                state.drop.add(c.value)
    state.drop -= set(state.attach)
    if live:  # an undone field goes back to the value it had before the first edit
        if state.open_to_collaborate is UNSET and "open_to_collaborate" in first_previous:
            state.open_to_collaborate = bool(first_previous["open_to_collaborate"])
        if state.affiliation is UNSET and "affiliation" in first_previous:
            state.affiliation = first_previous["affiliation"]
    else:  # a build starts from the source document: only active corrections count
        state.restore, state.drop = set(), set()


# ---------------------------------------------------------------- link corrections on live documents

@dataclass(frozen=True)
class LinkRow:
    """A detach or attach correction as the sync job sees it, undone ones too: the fix, whether
    it is active, and what the mention was before it (`previous`: position, id, link)."""

    fix: LinkFix
    active: bool
    previous: dict[str, Any]


def _set_link(slot: dict[str, Any], rid: str, link: dict[str, Any] | None) -> None:
    slot["id"] = rid
    if link:
        slot["link"] = link
    else:
        slot.pop("link", None)


def live_authors(work_id: str, authors: list[dict[str, Any]], rows: Iterable[LinkRow],
                 merges: dict[str, LinkFix]) -> list[dict[str, Any]]:
    """A live work's `authors` as the store's link corrections want them.

    Each slot a correction touched starts again from what the resolver had (the `previous`
    of its oldest correction) and takes the active ones in order, so that running this twice,
    or after an undo, gives the same answer. Then mentions of merged profiles (`merges`:
    active merges by merged id) go to the profile they were merged into, and those of a merge
    since undone go back."""
    out = [dict(a) for a in authors]
    by_position: dict[int, list[LinkRow]] = {}
    for row in rows:
        pos = row.previous.get("position")
        if isinstance(pos, int) and 0 <= pos < len(out):
            by_position.setdefault(pos, []).append(row)
    for pos, slot_rows in by_position.items():
        slot = out[pos]
        first = slot_rows[0].previous
        _set_link(slot, first.get("id") or slot["id"], first.get("link"))
        for row in slot_rows:
            if not row.active:
                continue
            before = slot.get("link")
            if row.fix.kind == DETACH and slot["id"] == row.fix.researcher_id:
                _set_link(slot, detached_id(slot, work_id), undone_link(row.fix, before))
            elif row.fix.kind == ATTACH:
                _set_link(slot, row.fix.researcher_id, owner_link(row.fix, before))
    for slot in out:
        corrected = (slot.get("link") or {}).get("corrected") or {}
        if corrected.get("kind") == MERGE and corrected.get("from") and corrected["from"] not in merges:
            _set_link(slot, corrected["from"], corrected.get("before"))
        if slot["id"] in merges:
            fix = merges[slot["id"]]
            _set_link(slot, final_target(merges, slot["id"]), merged_link(fix, slot["id"], slot.get("link")))
    return out


def author_ids_of(authors: Iterable[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(a["id"] for a in authors if a.get("id")))


def reconcile_researcher(doc: dict[str, Any], touched: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The fields of researcher `doc` (work_ids, works_count, preprints_count, linked_works,
    sources) once the `touched` works (id -> {year, authors}) list their authors as they now
    do. Everything else (collaborators, topics, the profile vector) waits for the next build."""
    rid = doc["id"]
    theirs = {wid for wid, w in touched.items() if any(a.get("id") == rid for a in w.get("authors") or ())}
    work_ids = [w for w in doc.get("work_ids") or [] if w not in touched or w in theirs]
    work_ids += [w for w in sorted(theirs) if w not in work_ids]
    linked = [lw for lw in doc.get("linked_works") or [] if lw.get("work_id") not in touched]
    for wid in sorted(theirs):
        link = next((a.get("link") for a in touched[wid]["authors"] if a.get("id") == rid), None)
        if wid.startswith("arxiv:") and link and link.get("method") not in NOT_LINKED:
            linked.append({"work_id": wid, "method": link.get("method"), "confidence": link.get("confidence"),
                           "evidence": link.get("evidence")})
    preprints = sum(1 for w in work_ids if w.startswith("arxiv:"))
    sources = set(doc.get("sources") or ())
    if preprints:
        sources.add("arxiv")
    years = [touched[w]["year"] for w in theirs if touched[w].get("year")]
    first_year = min([y for y in (doc.get("first_year"), *years) if y], default=None)
    last_year = max([y for y in (doc.get("last_year"), *years) if y], default=None)
    return {"work_ids": work_ids, "works_count": len(work_ids), "preprints_count": preprints,
            "linked_works": linked, "sources": sorted(sources), "first_year": first_year, "last_year": last_year}


def new_researcher(rid: str, touched: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The document of a researcher of their own that a correction gave mentions to and that is
    not in the index yet (its grouping with other mentions of the name waits for the next build)."""
    slot = next(a for w in touched.values() for a in w.get("authors") or () if a.get("id") == rid)
    first, last = split_name(slot.get("name") or "")
    name = full_name(first, last) or slot.get("name") or rid
    doc: dict[str, Any] = {"id": rid, "name": name, "first_name": first, "last_name": last,
                           "initials": initials(first, last), "variants": variants([name]), "orcid": None,
                           "has_orcid": False, "current_affiliation": None, "affiliations": [], "venues": ["arxiv"],
                           "collaborators": [], "collaborator_ids": [], "collaborators_count": 0,
                           "recent_titles": [], "followers_count": 0, "open_to_collaborate": False,
                           "claimed": False, "topics": [], "topic_labels": []}
    doc.update(reconcile_researcher({"id": rid}, touched))
    doc["trust"] = trust_score(orcid=None, first_year=doc["first_year"], last_year=doc["last_year"],
                               works_count=doc["works_count"], venues_count=1, collaborators_count=0,
                               affiliation=None, claimed=False)
    return doc
