"""One work, several versions: which preprint is which published paper.

`WorkMatcher(published).match(preprints)` pairs each preprint with at most one published work
(and each published work with at most one preprint), from three kinds of evidence:

- titles: equal once folded, TeX-free and punctuation-insensitive (`text.title_key`), also
  after a prefix is split off ("TeamX at SemEval-2025 Task 3: ...", "mHC: ..."); else close by
  IDF-weighted word overlap, found by blocking on the preprint's rarest title words;
- authors: the share of the shorter author list found in the other (folded full names, last
  name with first initial, or one name's words contained in the other's);
- years: a preprint appears within a year of its published version; later only as a late
  upload of the same title by the same people.

Near-twins are kept apart: titles whose numbers differ ("SemEval-2025" against "SemEval-2026",
"Fourth" against "Fifth Shared Task") are different papers, and so are two system papers of
different events; a prefix-free preprint whose own text names another edition of the event is
not that edition's paper.

Pure code: records in, `WorkMatch`es out. No engine, no I/O.
"""
from __future__ import annotations

import copy
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from indexer.merge.text import TitleForms, fold, name_key, name_words, title_forms

Record = Mapping[str, Any]

MAX_BLOCK_DF = 2000  # words in more published titles than this never form a block
BLOCK_WORDS = 4  # rarest title words of a preprint used for blocking
RARE_DF = 25  # one shared word this rare is enough to compare two titles
MIN_SIMILARITY = 0.45  # below this two different titles are never the same paper


@dataclass(frozen=True)
class Signals:
    """What one preprint/published pair has in common."""

    exact: str | None  # "title" | "title without prefix" | "title without subtitle" | None
    similarity: float  # IDF-weighted word overlap of the titles, 0..1
    authors_shared: int
    author_overlap: float  # shared / shorter author list
    shared_names: tuple[str, ...]
    years: tuple[int, int]  # (preprint, published)
    numbers: str  # "agree" | "one-sided" | "conflict"
    event_conflict: str | None  # why the preprint names another edition, if it does
    names_differ: bool  # two different system or team names before the colon
    contained: bool  # every content word of one title is in the other
    venue: str  # "named" | "other" | "": what the preprint's comment says of the published venue
    authors_counts: tuple[int, int]  # authors of the preprint, of the published version


@dataclass(frozen=True)
class WorkMatch:
    """A preprint and its published version, with the evidence and a confidence."""

    preprint_id: str
    published_id: str
    method: str  # "same title" | "same title without prefix" | "same title without subtitle" | "edited title"
    confidence: float
    evidence: str
    signals: Signals = field(compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "confidence": self.confidence, "evidence": self.evidence}


# ------------------------------------------------------------------ authors


@dataclass(frozen=True)
class _Author:
    shown: str
    key: str  # folded full name without separators
    last_initial: str
    words: frozenset[str]


def _author(slot: Mapping[str, Any]) -> _Author:
    name = slot.get("name") or f"{slot.get('first', '')} {slot.get('last', '')}".strip()
    first, last = slot.get("first") or "", slot.get("last") or ""
    words = name_words(name)
    if not last and words:
        last, first = words[-1], " ".join(words[:-1])
    first_words = name_words(first)
    initial = first_words[0][0] if first_words else ""
    return _Author(name, name_key(name), f"{name_key(last)} {initial}".strip(), frozenset(words))


def _same_person_name(a: _Author, b: _Author) -> bool:
    if a.key == b.key or (a.last_initial == b.last_initial and " " in a.last_initial):
        return True
    # "Gebrearegawi Gebremariam" and "Gebrearegawi Gebremariam Gidey"; "Muhammad Hazim Al Farouq"
    small, big = (a.words, b.words) if len(a.words) <= len(b.words) else (b.words, a.words)
    return len(small) >= 2 and small <= big


def author_overlap(xs: Sequence[_Author], ys: Sequence[_Author]) -> tuple[int, float, tuple[str, ...]]:
    """(shared, shared / shorter list, names shared) with each author used once."""
    if not xs or not ys:
        return 0, 0.0, ()
    used: set[int] = set()
    shared: list[str] = []
    for a in xs:
        for j, b in enumerate(ys):
            if j not in used and _same_person_name(a, b):
                used.add(j)
                shared.append(a.shown)
                break
    return len(shared), len(shared) / min(len(xs), len(ys)), tuple(shared)


# ------------------------------------------------------------------ numbers, events, venues

_VERSION = re.compile(r"v?\d+$")
_EVENT = re.compile(r"([a-z][a-z\-]{2,})[\s\-]*(20\d\d|\d\d)\b")
# Venues a comment may name ("Accepted to NAACL 2025 Findings"), as Anthology venue ids.
_VENUE_WORDS = {"acl": "acl", "emnlp": "emnlp", "naacl": "naacl", "eacl": "eacl", "aacl": "aacl",
                "coling": "coling", "lrec": "lrec", "tacl": "tacl", "conll": "conll", "semeval": "semeval",
                "wmt": "wmt", "findings": "findings", "iwslt": "iwslt", "inlg": "inlg", "sigdial": "sigdial",
                "bea": "bea", "arabicnlp": "arabicnlp", "nlp4dh": "nlp4dh", "bionlp": "bionlp",
                "ranlp": "ranlp", "starsem": "starsem", "blackboxnlp": "blackboxnlp", "gem": "gem",
                "woah": "woah", "trustnlp": "trustnlp", "repl4nlp": "repl4nlp", "loresmt": "loresmt",
                "nodalida": "nodalida", "ijcnlp": "ijcnlp", "babylm": "babylm", "mrl": "mrl", "wassa": "wassa"}
_VENUE_IN_COMMENT = re.compile(r"\b(" + "|".join(_VENUE_WORDS) + r")\b[^0-9.;]{0,40}?\b(20\d\d)\b")


def _numbers(a: frozenset[int], b: frozenset[int]) -> str:
    if a == b:
        return "agree"
    if not a or not b or a < b or b < a:
        return "one-sided"
    return "conflict"


def event_years(text: str) -> dict[str, set[int]]:
    """Event names with the years written after them: "SemEval-2026 Task 3" -> {"semeval": {26}}."""
    found: dict[str, set[int]] = defaultdict(set)
    for word, year in _EVENT.findall(fold(text)):
        n = int(year)
        found[word.strip("-")].add(n - 2000 if n >= 2000 else n)
    return found


def named_venues(comment: str | None) -> set[tuple[str, int]]:
    """(venue id, year) pairs a comment names: "Accepted to NAACL 2025" -> {("naacl", 2025)}."""
    if not comment:
        return set()
    return {(_VENUE_WORDS[v], int(y)) for v, y in _VENUE_IN_COMMENT.findall(fold(comment))}


def _event_conflict(pre: Record, pub_forms: TitleForms, pre_forms: TitleForms) -> str | None:
    """The published title is a system paper of one edition ("X at SemEval-2025 Task 3:");
    a preprint without that prefix whose own text names only other editions is another paper."""
    if not pub_forms.system_prefix or pre_forms.system_prefix or not pub_forms.prefix:
        return None
    wanted = event_years(pub_forms.prefix)
    if not wanted:
        return None
    said = event_years(" ".join(filter(None, (pre.get("title"), pre.get("abstract"), pre.get("comment")))))
    for event, years in wanted.items():
        if said.get(event) and not said[event] & years:
            other = "/".join(str(2000 + y) for y in sorted(said[event]))
            return f"the preprint names {event} {other}, the published paper {'/'.join(str(2000 + y) for y in sorted(years))}"
    return None


def _team(prefix: str) -> str:
    return re.split(r"@|\s+at\s+", fold(prefix), maxsplit=1)[0].strip()


def _prefixes_disagree(a: TitleForms, b: TitleForms) -> bool:
    """Two system papers ("A at E1:", "B at E2:") of different teams, or two named systems
    ("TimeR⁴:", "Plan of Knowledge:") that are not one the other."""
    if a.system_prefix and b.system_prefix and a.prefix and b.prefix:
        return _team(a.prefix) != _team(b.prefix)
    if a.head_key and b.head_key:
        return _VERSION.sub("", a.head_key) != _VERSION.sub("", b.head_key)  # "BLiSS 1.0" is "BLiSS"
    return False


def _venue_said(pre: Record, pub: Record) -> str:
    """"named" when the preprint's comment names the published venue and year, "other" when it
    names venues of other years only, "" when it names none."""
    said = named_venues(pre.get("comment"))
    if not said:
        return ""
    year = pub["year"]
    venues = set(pub.get("venue_ids") or ())
    collection = str(pub.get("collection_id") or "").rsplit(".", 1)[-1]  # 2025.naacl -> naacl
    volume = str(pub.get("volume_id") or "")
    venues |= {collection, *(volume.split("-") if collection == "findings" or "findings" in volume else ())}
    if any(y == year and v in venues for v, y in said):
        return "named"
    return "other" if all(y != year for _, y in said) else ""


# ------------------------------------------------------------------ matcher


@dataclass
class _Published:
    record: Record
    forms: TitleForms
    _authors: tuple[_Author, ...] | None = None

    @property
    def authors(self) -> tuple[_Author, ...]:  # worked out for compared works only
        if self._authors is None:
            self._authors = tuple(_author(a) for a in self.record["authors"])
        return self._authors


class WorkMatcher:
    """An index of published works that preprints are matched against.

    `use_authors`, `use_years`, `use_numbers` and `fuzzy` switch single signals off, for the
    evaluation of each signal on its own; the product uses all of them."""

    def __init__(self, published: Iterable[Record], *, use_authors: bool = True, use_years: bool = True,
                 use_numbers: bool = True, fuzzy: bool = True) -> None:
        self.use_authors, self.use_years, self.use_numbers, self.fuzzy = use_authors, use_years, use_numbers, fuzzy
        self._works: list[_Published] = []
        self._by_key: dict[str, list[int]] = defaultdict(list)
        self._postings: dict[tuple[int, str], list[int]] = defaultdict(list)
        self._df: dict[str, int] = defaultdict(int)
        for record in published:
            if record.get("hidden"):
                continue
            forms = title_forms(record["title"])
            i = len(self._works)
            self._works.append(_Published(record, forms))
            for key in {forms.key, forms.body_key, forms.main_key} - {None}:
                self._by_key[key].append(i)
            for word in forms.words | forms.body_words:
                self._df[word] += 1
                self._postings[(record["year"], word)].append(i)
        self._n = max(len(self._works), 1)
        self._idf_cache: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._works)

    def with_options(self, **options: bool) -> WorkMatcher:
        """The same index with other signals switched on or off (for the evaluation)."""
        other = copy.copy(self)
        for name, value in options.items():
            if not hasattr(self, name):
                raise TypeError(f"no option {name!r}")
            setattr(other, name, value)
        return other

    def _idf(self, word: str) -> float:
        idf = self._idf_cache.get(word)
        if idf is None:
            idf = self._idf_cache[word] = max(math.log((self._n + 1) / (self._df.get(word, 0) + 1)), 1e-6)
        return idf

    def _similarity(self, a: frozenset[str], b: frozenset[str]) -> float:
        union = a | b
        if not union:
            return 0.0
        return sum(self._idf(w) for w in a & b) / sum(self._idf(w) for w in union)

    def candidates(self, preprint: Record, forms: TitleForms) -> set[int]:
        found: set[int] = set()
        for key in {forms.key, forms.body_key, forms.main_key} - {None}:
            found.update(self._by_key.get(key, ()))
        if not self.fuzzy:
            return found
        words = sorted((w for w in forms.words | forms.body_words if 0 < self._df.get(w, 0) <= MAX_BLOCK_DF),
                       key=lambda w: self._df[w])[:BLOCK_WORDS]
        hits: dict[int, int] = defaultdict(int)
        rare: set[int] = set()
        year = preprint["year"]
        for word in words:
            for y in (year - 1, year, year + 1):
                for i in self._postings.get((y, word), ()):
                    hits[i] += 1
                    if self._df[word] <= RARE_DF:
                        rare.add(i)
        need = min(2, len(words))
        found.update(i for i, n in hits.items() if n >= need or i in rare)
        return found

    def signals(self, preprint: Record, forms: TitleForms, authors: Sequence[_Author], pub: _Published,
                floor: float = 0.0) -> Signals | None:
        """The pair's signals; None when the titles are less alike than `floor`."""
        p = pub.forms
        names_differ = _prefixes_disagree(forms, p)
        exact = None
        if forms.key == p.key:
            exact = "title"
        elif {forms.key, forms.body_key} & {p.key, p.body_key} - {None} and not (
                names_differ and forms.system_prefix and p.system_prefix):
            exact = "title without prefix"
        elif forms.key == p.main_key or p.key == forms.main_key:
            exact = "title without subtitle"
        similarity = 1.0 if exact else max(self._similarity(forms.words, p.words),
                                           self._similarity(forms.body_words, p.body_words))
        if similarity < floor:
            return None
        small, big = sorted((forms.words, p.words), key=len)
        contained = len(small) >= 4 and small <= big and len(big) - len(small) <= 2
        shared, overlap, names = author_overlap(authors, pub.authors)
        return Signals(exact, similarity, shared, overlap, names, (preprint["year"], pub.record["year"]),
                       _numbers(forms.numbers, p.numbers), _event_conflict(preprint, p, forms),
                       names_differ, contained, _venue_said(preprint, pub.record),
                       (len(authors), len(pub.authors)))

    def decide(self, s: Signals) -> tuple[str, float] | None:
        """(method, confidence) when the evidence says the two are one work, else None.

        Same title: some author in common, within a year (or later, as a late upload by the same
        people). Same title once a prefix is set aside: half the authors. Edited title: most
        authors (at least two, or the one author of both), titles alike in most of their words,
        no two different names before the colon, no number only one of them has, and a preprint
        not posted after the published year unless one title holds the other."""
        if self.use_numbers and (s.numbers == "conflict" or s.event_conflict):
            return None
        pre_year, pub_year = s.years
        in_window = pub_year - 1 <= pre_year <= pub_year + 1
        overlap = s.author_overlap if self.use_authors else 1.0
        if s.exact == "title":
            if self.use_years and not in_window and not (pre_year > pub_year and overlap >= 0.5):
                return None  # a late upload must be the same people's paper
            if overlap >= 0.34 or (self.use_authors and s.authors_shared >= 2):
                return "same title", round(min(0.999, 0.9 + 0.1 * overlap), 3)
            return None
        if self.use_years and not in_window:
            return None
        one_sided = self.use_numbers and s.numbers == "one-sided"
        if s.exact:
            if overlap >= (0.67 if one_sided or s.names_differ else 0.5):
                return f"same {s.exact}", round(min(0.99, 0.85 + 0.14 * overlap), 3)
            return None
        if not self.fuzzy:
            return None
        if self.use_numbers and one_sided:
            return None
        sim = s.similarity
        if self.use_authors:
            if s.names_differ or s.venue == "other":
                return None
            enough_people = s.authors_shared >= 2 or s.authors_counts == (1, 1) and s.authors_shared == 1
            if not enough_people:
                return None
            need_sim = 0.55 if s.venue == "named" or s.contained else 0.7
            need_overlap = 0.67 if sim < 0.85 else 0.5
            if sim < need_sim or overlap < need_overlap:
                return None
            if (self.use_years and pre_year > pub_year and sim < 0.85 and s.venue != "named"
                    and not (s.contained and sim >= 0.8)):
                return None  # retitled and posted after publication: an extension, most often
        elif sim < 0.7:
            return None
        confidence = 1 / (1 + math.exp(-(8 * (sim - 0.55) + 6 * (overlap - 0.5) + (1 if s.venue == "named" else 0))))
        return "edited title", round(min(0.98, confidence), 3)

    def evidence(self, method: str, s: Signals) -> str:
        names = ", ".join(s.shared_names[:3]) + (" ..." if len(s.shared_names) > 3 else "")
        title = {"same title": "same title", "same title without prefix": "same title once a prefix is set aside",
                 "same title without subtitle": "same title once a subtitle is set aside",
                 "edited title": f"titles {round(100 * s.similarity)}% alike"}[method]
        return (f"{title}; {s.authors_shared} shared author{'s' if s.authors_shared != 1 else ''}"
                f"{': ' + names if names else ''}; preprint {s.years[0]}, published {s.years[1]}")

    def scored(self, preprint: Record) -> list[tuple[_Published, Signals, str, float]]:
        """Every published work this preprint could be, with its signals, best first."""
        forms = title_forms(preprint["title"])
        authors = tuple(_author(a) for a in preprint["authors"])
        out = []
        floor = MIN_SIMILARITY if self.fuzzy else 1.0
        for i in self.candidates(preprint, forms):
            pub = self._works[i]
            s = self.signals(preprint, forms, authors, pub, floor)
            if s is None:
                continue
            decision = self.decide(s)
            if decision is not None:
                out.append((pub, s, *decision))
        rank = {"same title": 2, "same title without prefix": 1, "same title without subtitle": 1, "edited title": 0}
        out.sort(key=lambda t: (rank[t[2]], t[3], t[1].similarity, t[0].record["id"]), reverse=True)
        return out

    def match(self, preprints: Iterable[Record]) -> list[WorkMatch]:
        """One-to-one pairs, the strongest first: a published work keeps its best preprint."""
        proposals = []
        for preprint in preprints:
            for pub, s, method, confidence in self.scored(preprint):
                proposals.append((method != "edited title", confidence, s.similarity, preprint["id"],
                                  pub.record["id"], method, s))
        proposals.sort(key=lambda p: (p[0], p[1], p[2], p[3], p[4]), reverse=True)
        taken_pre: set[str] = set()
        taken_pub: set[str] = set()
        matches = []
        for _, confidence, _, pre_id, pub_id, method, s in proposals:
            if pre_id in taken_pre or pub_id in taken_pub:
                continue
            taken_pre.add(pre_id)
            taken_pub.add(pub_id)
            matches.append(WorkMatch(pre_id, pub_id, method, confidence, self.evidence(method, s), s))
        return sorted(matches, key=lambda m: m.preprint_id)
