"""Owner corrections as data, and how they apply to index documents.

What the accounts store decides about a researcher's document: followers_count, claimed, the
trust score (recomputed with claimed=True), and the owner's active corrections (open to
collaborate, current affiliation, works hidden from or attached to the profile). Works get
their `author_ids` from their own `authors` list minus active hides plus active attaches, so
the profile's works listing (which filters on author_ids) follows the owner while `authors`
keeps the record.

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

from domain.trust import trust_score

UNSET: Any = object()
WORK_KINDS = ("hide_work", "attach_work")
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


@dataclass
class Overrides:
    researchers_state: dict[str, OwnerState] = field(default_factory=dict)
    works_change: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # wid -> {remove, add}

    @classmethod
    def of(cls, states: dict[str, OwnerState]) -> Overrides:
        """The overrides of these researchers' states: each work gains or loses the owners
        whose active corrections attach or hide it."""
        out = cls(researchers_state=states)
        for rid, state in states.items():
            for wid in state.hide:
                out.works_change.setdefault(wid, {"remove": set(), "add": set()})["remove"].add(rid)
            for wid in state.attach:
                out.works_change.setdefault(wid, {"remove": set(), "add": set()})["add"].add(rid)
        return out

    def __len__(self) -> int:
        return len(self.researchers_state) + len(self.works_change)

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
