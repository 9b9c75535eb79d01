"""Index documents: `work_document(record)` and researcher documents via `Aggregator`.

Field names follow mappings/works-v1.json and mappings/researchers-v1.json exactly (both are
`dynamic: strict`). topics, topic_labels, embedding and content_hash are added by later stages.

The aggregator sees each work once and keeps per-person running totals only (counts, year
ranges, ids, a 10-title heap), so memory grows with people and co-author pairs, not with the
text of the corpus.
"""
from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from domain.collaborators import rank
from domain.names import full_name, initials, variants
from domain.trust import trust_score

RECENT_TITLES = 10
MAX_COLLABORATORS = 100
# A work with more authors adds no co-author pairs: one arXiv preprint lists 3,303 authors
# (about 11 million pairs), and such a list says nothing about who works with whom.
MAX_PAIR_AUTHORS = 1000  # listed in full detail; collaborator_ids stays complete
_SPACES = re.compile(r"\s+")


def _norm(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip()


MERGED_FIELDS = ("sources", "version_ids", "versions", "field_sources", "merge", "arxiv_id", "categories",
                 "category_labels")


def work_document(record: Mapping[str, Any]) -> dict[str, Any]:
    """The works-index document for one validated work record."""
    authors = [{"id": a["id"], "name": a["name"], "orcid": a.get("orcid"),
                "affiliation": a.get("affiliation"), **({"link": a["link"]} if a.get("link") else {})}
               for a in record["authors"]]
    abstract = record.get("abstract")
    # Versions and preprint facts, set by the merge stage (indexer/merge) when a build reads them.
    merged = {k: record[k] for k in MERGED_FIELDS if record.get(k) is not None}
    return {**merged,
        "id": record["id"],
        "collection_id": record["collection_id"],
        "volume_id": record["volume_id"],
        "title": record["title"],
        "abstract": abstract,
        "year": record["year"],
        "month": record.get("month"),
        "type": record["type"],
        "venue_ids": list(record.get("venue_ids") or []),
        "venue_names": list(record.get("venue_names") or []),
        "booktitle": record.get("booktitle"),
        "publisher": record.get("publisher"),
        "address": record.get("address"),
        "doi": record.get("doi"),
        "pages": record.get("pages"),
        "bibkey": record.get("bibkey"),
        "url": record["url"],
        "authors": authors,
        "author_ids": list(dict.fromkeys(a["id"] for a in authors)),
        "affiliations": list(dict.fromkeys(a["affiliation"] for a in authors if a["affiliation"])),
        # A one-line "abstract" (e.g. "Demo.") gives search and embeddings nothing to work with.
        "has_abstract": len(abstract or "") > 50,
        "hidden": bool(record.get("hidden")),
    }


# Co-author edges are the bulk of memory (~millions of pairs), so each one is a single int:
# count << 24 | first_year << 12 | last_year (years fit 12 bits).
def _pack(count: int, first: int, last: int) -> int:
    return (count << 24) | (first << 12) | last


def _unpack(value: int) -> tuple[int, int, int]:
    return value >> 24, (value >> 12) & 0xFFF, value & 0xFFF


class _Person:
    __slots__ = ("names", "spellings", "orcid", "affiliations", "work_ids", "first_year",
                 "last_year", "venues", "collab", "recent")

    def __init__(self) -> None:
        self.names: dict[tuple[str, str], int] = {}  # display (first, last) -> times seen
        self.spellings: dict[str, None] = {}  # ordered set of names as written on papers
        self.orcid: str | None = None
        self.affiliations: dict[str, list[Any]] = {}  # folded -> [shown, first, last, count]
        self.work_ids: list[str] = []
        self.first_year = self.last_year = 0
        self.venues: set[str] = set()
        self.collab: dict[str, int] = {}
        self.recent: list[tuple[int, str, str]] = []  # min-heap of (year, work id, title)

    def display(self) -> tuple[str, str]:
        return max(self.names.items(), key=lambda kv: kv[1])[0]


class Aggregator:
    """Folds work records into researcher documents: `add(work)` per work, then `researchers()`."""

    def __init__(self, known_variants: Mapping[str, Sequence[str]] | None = None,
                 max_collaborators: int = MAX_COLLABORATORS) -> None:
        self.known_variants = known_variants or {}
        self.max_collaborators = max_collaborators
        self._people: dict[str, _Person] = {}
        self._ids: dict[str, str] = {}  # interning: one string object per person id
        self._names: dict[str, str] = {}  # display names worked out so far (cleared by `add`)

    def __len__(self) -> int:
        return len(self._people)

    def add(self, work: Mapping[str, Any]) -> None:
        """Account one validated work record. Hidden (removed/retracted) works are not counted."""
        if work.get("hidden"):
            return
        self._names.clear()  # a new spelling may change who is shown how
        year, wid, title = work["year"], work["id"], work["title"]
        slots: dict[str, Mapping[str, Any]] = {}
        for author in work["authors"]:  # someone listed twice on a paper counts once
            slots.setdefault(self._ids.setdefault(author["id"], author["id"]), author)
        for pid, author in slots.items():
            person = self._people.get(pid) or self._people.setdefault(pid, _Person())
            key = (author["first"], author["last"])
            person.names[key] = person.names.get(key, 0) + 1
            person.spellings[author["as_written"]] = None
            person.orcid = person.orcid or author.get("orcid")
            person.work_ids.append(wid)
            person.first_year = min(person.first_year or year, year)
            person.last_year = max(person.last_year, year)
            person.venues.update(work.get("venue_ids") or ())
            self._add_affiliation(person, author.get("affiliation"), year)
            heapq.heappush(person.recent, (year, wid, title))
            if len(person.recent) > RECENT_TITLES:
                heapq.heappop(person.recent)
            for other in slots if len(slots) <= MAX_PAIR_AUTHORS else ():
                if other != pid:
                    old = person.collab.get(other)
                    if old is None:
                        person.collab[other] = _pack(1, year, year)
                    else:
                        count, first, last = _unpack(old)
                        person.collab[other] = _pack(count + 1, min(first, year), max(last, year))

    @staticmethod
    def _add_affiliation(person: _Person, affiliation: str | None, year: int) -> None:
        shown = _norm(affiliation)
        if not shown:
            return
        entry = person.affiliations.get(shown.casefold())
        if entry is None:
            person.affiliations[shown.casefold()] = [shown, year, year, 1]
        else:
            entry[1], entry[2], entry[3] = min(entry[1], year), max(entry[2], year), entry[3] + 1

    def researchers(self) -> Iterator[dict[str, Any]]:
        """One researcher document per person, in first-seen order."""
        for pid, person in self._people.items():
            yield self._document(pid, person)

    def researcher(self, pid: str) -> dict[str, Any] | None:
        person = self._people.get(pid)
        return self._document(pid, person) if person else None

    def _document(self, pid: str, p: _Person) -> dict[str, Any]:
        first, last = p.display()
        name = self._name_of(pid)
        affiliations = sorted(p.affiliations.values(), key=lambda e: (e[1], e[2], e[0]))
        current = max(affiliations, key=lambda e: (e[2], e[3]))[0] if affiliations else None
        collaborators = sorted(
            ((other, *_unpack(v)) for other, v in p.collab.items()),
            key=lambda c: rank(c[1], c[3], c[0]),
        )
        doc = {
            "id": pid,
            "name": name,
            "first_name": first,
            "last_name": last,
            "initials": initials(first, last),
            "variants": variants([name, *(full_name(f, la) for f, la in p.names), *p.spellings,
                                  *self.known_variants.get(pid, ())]),
            "orcid": p.orcid,
            "has_orcid": p.orcid is not None,
            "current_affiliation": current,
            "affiliations": [{"name": e[0], "first_year": e[1], "last_year": e[2]}
                             for e in affiliations],
            "works_count": len(p.work_ids),
            "first_year": p.first_year,
            "last_year": p.last_year,
            "venues": sorted(p.venues),
            "collaborators": [
                {"id": other, "name": self._name_of(other), "count": count,
                 "first_year": fy, "last_year": ly}
                for other, count, fy, ly in collaborators[: self.max_collaborators]
            ],
            "collaborator_ids": [c[0] for c in collaborators],
            "collaborators_count": len(collaborators),
            "work_ids": list(p.work_ids),
            "recent_titles": [t for _, _, t in sorted(p.recent, reverse=True)],
            "followers_count": 0,
            "open_to_collaborate": False,
            "claimed": False,
        }
        doc["trust"] = trust_score(
            orcid=p.orcid, first_year=p.first_year, last_year=p.last_year,
            works_count=doc["works_count"], venues_count=len(p.venues),
            collaborators_count=doc["collaborators_count"], affiliation=current, claimed=False,
        )
        return doc

    def _name_of(self, pid: str) -> str:
        """A person's display name, worked out once: each is shown in every co-author's list."""
        name = self._names.get(pid)
        if name is None:
            name = self._names[pid] = full_name(*self._people[pid].display())
        return name
