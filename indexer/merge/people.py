"""One person across sources: which arXiv author is which Anthology researcher.

`PersonIndex(published)` learns the Anthology's people from its records (ids are already
resolved there): every spelling of each person, their co-authors' names, and the words of
their works. `PeopleLinker(index).link(preprint)` then decides, for every author name of an
arXiv record, whether it is one of those people, from:

- the name: the same name once folded (case, accents, spaces, hyphens, dots ignored), or a
  known variant of it; a name that drops a middle name or initial counts only with more
  evidence;
- co-authors in common: the other names on the preprint that are also among the person's
  co-authors;
- topical closeness: the preprint's title and abstract words against the person's works
  (IDF-weighted cosine of word counts; no embeddings needed);
- how rare the name is: the number of people the name's parts predict (a name whose first and
  last parts are both common is likely to name someone else);
- namesakes: when several Anthology people share the name, only co-authors decide, and only
  when they single one out; otherwise the author is nobody's (never merged blindly).

Every decision carries its method, a confidence and a sentence of evidence. Authors not
linked become researchers of their own (`ArxivPeople`): mentions of one name are grouped by
co-authors they share, and a rare name keeps all its mentions together. Their ids start with
`arxiv:` (Anthology ids never hold a colon) and are fixed by the first preprint of the group.

Pure code: records in, decisions out.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain import names
from indexer.merge.text import content_words, name_key, name_words

Record = Mapping[str, Any]

ARXIV_PERSON_PREFIX = "arxiv:"
LINK_THRESHOLD = 0.8  # confidence from which a mention is linked
EXACT, SHORTENED = "exact", "shortened"  # the form of a name that matched
KEPT_APART, NEW_RESEARCHER = "kept apart", "new researcher"


@dataclass(frozen=True)
class Link:
    """The decision for one author slot of a preprint."""

    position: int
    name: str
    person_id: str | None  # an Anthology id, or None: the author is a researcher of their own
    method: str  # "published version" | "co-authors" | "name and topic" | "namesake, co-authors" | "not linked"
    confidence: float
    evidence: str
    candidates: tuple[str, ...] = ()  # Anthology people the name could have been
    shared: tuple[str, ...] = ()  # co-author names in common with the chosen person
    candidate: str | None = None  # not linked: the Anthology researcher it was kept apart from
    candidate_confidence: float = 0.0  # ... and the confidence it was that researcher
    corrected: Mapping[str, Any] | None = None  # decided by a link correction (domain.corrections)

    def to_dict(self) -> dict[str, Any]:
        """The slot's `link` in the work document: linked (method, confidence, evidence), kept
        apart from a namesake ("kept apart", the confidence it is someone else, candidate) or a
        name no Anthology researcher carries ("new researcher")."""
        if self.person_id is not None:
            out = {"method": self.method, "confidence": self.confidence, "evidence": self.evidence,
                   "candidate": None}
        elif self.candidates:
            out = {"method": KEPT_APART, "confidence": round(1 - self.candidate_confidence, 3),
                   "evidence": self.evidence, "candidate": self.candidate or self.candidates[0]}
        else:
            out = {"method": NEW_RESEARCHER, "confidence": None, "evidence": self.evidence, "candidate": None}
        if len(self.candidates) > 1:
            out["candidates"] = list(self.candidates)
        if self.corrected is not None:  # the owner's (or an admin's) word, not a measure
            out["confidence"] = None
            out["corrected"] = dict(self.corrected)
        return out


def loose_key(name: str) -> str | None:
    """First and last word only: "Timothy J. O'Donnell" -> "timothyodonnell" (None if the
    name has no middle part to drop)."""
    words = name_words(name)
    if len(words) < 3:
        return None
    return name_key(f"{words[0]} {words[-1]}")


def _name_parts(slot: Mapping[str, Any]) -> tuple[str, str]:
    """(first word of the first name, last name), folded: the parts name rarity is built from."""
    first, last = slot.get("first") or "", slot.get("last") or ""
    words = name_words(first)
    if not last:
        all_words = name_words(slot.get("name") or "")
        return (all_words[0] if len(all_words) > 1 else ""), (all_words[-1] if all_words else "")
    return (words[0] if words else ""), name_key(last)


# ------------------------------------------------------------------ the Anthology's people


@dataclass
class _Person:
    names: set[str] = field(default_factory=set)  # name keys
    spellings: set[str] = field(default_factory=set)  # names as written
    shown: str = ""
    works: list[int] = field(default_factory=list)  # rows in PersonIndex.works
    coauthors: Counter = field(default_factory=Counter)  # co-author name key -> papers together
    coauthor_shown: dict[str, str] = field(default_factory=dict)


class PersonIndex:
    """The Anthology's people, learnt from its work records (`exclude`: work ids held out)."""

    def __init__(self, published: Iterable[Record], known_variants: Mapping[str, Sequence[str]] | None = None,
                 exclude: Iterable[str] = ()) -> None:
        skip = set(exclude)
        self.people: dict[str, _Person] = {}
        self.works: list[Record] = []
        self.by_name: dict[str, set[str]] = defaultdict(set)
        self.by_loose: dict[str, set[str]] = defaultdict(set)
        self._word_df: Counter = Counter()
        self._work_words: dict[int, frozenset[str]] = {}
        self.first_parts: Counter = Counter()  # distinct names per first-name word
        self.last_parts: Counter = Counter()  # distinct names per last name
        self._seen_names: set[str] = set()
        for record in published:
            if record.get("hidden") or record["id"] in skip:
                continue
            row = len(self.works)
            self.works.append(record)
            slots = record["authors"]
            keys = [name_key(a["as_written"] or a["name"]) for a in slots]
            for i, slot in enumerate(slots):
                person = self.people.get(slot["id"])
                if person is None:
                    person = self.people[slot["id"]] = _Person(shown=slot["name"])
                for spelled in (slot["name"], slot["as_written"]):
                    self._add_name(slot["id"], person, spelled, slot)
                person.works.append(row)
                for j, other in enumerate(slots):
                    if j != i and keys[j] != keys[i]:
                        person.coauthors[keys[j]] += 1
                        person.coauthor_shown.setdefault(keys[j], other["name"])
        for pid, spellings in (known_variants or {}).items():
            if pid in self.people:
                for spelled in spellings:
                    self._add_name(pid, self.people[pid], spelled, None)
        self.distinct_names = max(len(self._seen_names), 1)

    def _add_name(self, pid: str, person: _Person, spelled: str, slot: Mapping[str, Any] | None) -> None:
        key = name_key(spelled)
        if not key:
            return
        person.names.add(key)
        person.spellings.add(spelled)
        self.by_name[key].add(pid)
        loose = loose_key(spelled)
        if loose:
            self.by_loose[loose].add(pid)
        if slot is not None:
            self.count_name(key, *_name_parts(slot))

    def coauthor_count(self, pid: str) -> int:
        return len(self.people[pid].coauthors)

    def count_name(self, key: str, first: str, last: str) -> None:
        """Count a distinct name for the rarity estimate (each name once, whatever its source)."""
        if key in self._seen_names:
            return
        self._seen_names.add(key)
        if first:
            self.first_parts[first] += 1
        if last:
            self.last_parts[last] += 1

    def expected_people(self, first: str, last: str) -> float:
        """How many people the name's parts predict: (names with this first word) x (names with
        this last name) / names. ~0.01 for "Shengding Hu", ~10 for "Wei Wang"."""
        n = max(self.distinct_names, len(self._seen_names), 1)
        return max(self.first_parts.get(first, 0), 1) * max(self.last_parts.get(last, 0), 1) / n

    # -- words of works, for topical closeness (worked out for candidates only)

    def work_words(self, row: int) -> frozenset[str]:
        words = self._work_words.get(row)
        if words is None:
            record = self.works[row]
            words = self._work_words[row] = content_words(f"{record['title']} {record.get('abstract') or ''}")
        return words

    def idf(self, word: str) -> float:
        return self._idf.get(word, self._idf_default)

    def prepare_idf(self, texts: Iterable[frozenset[str]] = ()) -> None:
        """IDF over the titles of all works (cheap: title words only) and any extra texts."""
        df: Counter = Counter()
        n = 0
        for record in self.works:
            df.update(content_words(record["title"]))
            n += 1
        for words in texts:
            df.update(words)
            n += 1
        self._idf = {w: math.log((n + 1) / (c + 1)) for w, c in df.items()}
        self._idf_default = math.log(n + 1)


# ------------------------------------------------------------------ linking


def _norm(a: Counter, idf) -> float:
    return math.sqrt(sum((idf(w) * c) ** 2 for w, c in a.items()))


def _cosine(a: Counter, b: Counter, idf, norm_b: float) -> float:
    """IDF-weighted cosine of two word counts; `norm_b` is `_norm(b, idf)`, worked out once per
    profile (a profile meets many preprints)."""
    if not a or not b:
        return 0.0
    dot = sum(idf(w) ** 2 * c * b[w] for w, c in a.items() if w in b)
    if dot == 0:
        return 0.0
    return dot / (_norm(a, idf) * norm_b)


def _list(names: Sequence[str], limit: int = 3) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


class PeopleLinker:
    """Decides who each author of a preprint is. `use_coauthors`, `use_topic` and `use_rarity`
    switch single signals off for the evaluation; `name_only` is the naive baseline (a name
    one Anthology person has is that person)."""

    def __init__(self, index: PersonIndex, *, use_coauthors: bool = True, use_topic: bool = True,
                 use_rarity: bool = True, name_only: bool = False, threshold: float = LINK_THRESHOLD,
                 catch_all_links: bool = True) -> None:
        self.index = index
        self.catch_all_links = catch_all_links
        self.use_coauthors, self.use_topic, self.use_rarity = use_coauthors, use_topic, use_rarity
        self.name_only = name_only
        self.threshold = threshold
        self._profiles: dict[str, tuple[Counter, float]] = {}
        # Co-authors each person gained on preprints already linked to them (`link_all`).
        self.extra_coauthors: dict[str, Counter] = defaultdict(Counter)
        self.extra_shown: dict[str, str] = {}
        if not hasattr(index, "_idf"):
            index.prepare_idf()

    def link_all(self, preprints: Sequence[Record], rounds: int = 2) -> dict[str, list[Link]]:
        """Links of every preprint. After the first round, the co-authors of firmly linked
        preprints join their person's co-authors, and the names still unlinked are decided
        again with them: someone linked on one preprint meets their co-authors of another."""
        out = {p["id"]: self.link(p) for p in preprints}
        for _ in range(rounds - 1):
            if not self.use_coauthors or self.name_only:
                break
            self._learn_coauthors(preprints, out)
            changed = 0
            for p in preprints:
                old = out[p["id"]]
                if not any(lk.person_id is None and lk.candidates for lk in old):
                    continue
                new = self.link(p)
                merged = [n if (o.person_id is None and n.person_id is not None) else o for o, n in zip(old, new)]
                merged = _one_slot_each(merged)
                changed += sum(1 for o, n in zip(old, merged) if o.person_id != n.person_id)
                out[p["id"]] = merged
            if not changed:
                break
        return out

    def _learn_coauthors(self, preprints: Sequence[Record], links: Mapping[str, list[Link]]) -> None:
        self.extra_coauthors.clear()
        for p in preprints:
            keys = [name_key(a["name"]) for a in p["authors"]]
            for lk in links[p["id"]]:
                if lk.person_id is None or lk.confidence < 0.9 or lk.method == "name and topic":
                    continue
                for i, a in enumerate(p["authors"]):
                    if i != lk.position and keys[i] and keys[i] != keys[lk.position]:
                        self.extra_coauthors[lk.person_id][keys[i]] += 1
                        self.extra_shown.setdefault(keys[i], a["name"])

    def profile(self, pid: str) -> tuple[Counter, float]:
        """The words of a person's recent works, and their norm for `_cosine`."""
        prof = self._profiles.get(pid)
        if prof is None:
            words: Counter = Counter()
            for row in self.index.people[pid].works[-40:]:  # the most recent works say most
                words.update(self.index.work_words(row))
            prof = self._profiles[pid] = (words, _norm(words, self.index.idf))
        return prof

    def candidates(self, name: str) -> tuple[list[str], str]:
        """Anthology people this name may be, and which form of it matched: EXACT or SHORTENED
        (first and last word only, which counts against the link: LOOSE). A name written family
        name first ("Chua Tat-Seng") is not tried reversed: measured, it cost precision
        (docs/EVALUATION.md)."""
        ids = self.index.by_name.get(name_key(name))
        if ids:
            return sorted(ids), EXACT
        loose = loose_key(name)
        ids = self.index.by_loose.get(loose) if loose else None
        return (sorted(ids), SHORTENED) if ids else ([], EXACT)

    def link(self, preprint: Record) -> list[Link]:
        slots = preprint["authors"]
        keys = [name_key(a["name"]) for a in slots]
        words: Counter | None = None
        links: list[Link] = []
        for pos, slot in enumerate(slots):
            name = slot["name"]
            ids, form = self.candidates(name)
            loose = form != EXACT
            if not ids:
                links.append(Link(pos, name, None, "not linked", 0.0, "no Anthology researcher has this name"))
                continue
            if self.name_only:
                if len(ids) == 1 and not loose:
                    links.append(Link(pos, name, ids[0], "name", 0.5, "the one Anthology researcher of this name"))
                else:
                    links.append(Link(pos, name, None, "not linked", 0.0, "several Anthology researchers have this name",
                                      tuple(ids)))
                continue
            others = {k for i, k in enumerate(keys) if i != pos and k and k != keys[pos]}
            if words is None and self.use_topic:
                words = Counter(content_words(f"{preprint['title']} {preprint.get('abstract') or ''}"))
            scored = [{**self._score(pid, others, words, slot, loose, len(ids)), "form": form} for pid in ids]
            links.append(self._decide(pos, name, scored, ids, preprint))
        return _one_slot_each(links)

    def _score(self, pid: str, others: set[str], words: Counter | None, slot: Mapping[str, Any],
               loose: bool, namesakes: int) -> dict[str, Any]:
        person = self.index.people[pid]
        extra = self.extra_coauthors.get(pid, {})
        shared_keys = sorted(others & (person.coauthors.keys() | extra.keys()),
                             key=lambda k: (-person.coauthors.get(k, 0), -extra.get(k, 0), k)) \
            if self.use_coauthors else []
        first, last = _name_parts(slot)
        expected = self.index.expected_people(first, last) if self.use_rarity else None
        topic = None
        if self.use_topic and words and self._topic_matters(len(shared_keys), expected, loose):
            profile, norm = self.profile(pid)
            topic = _cosine(words, profile, self.index.idf, norm)
        shown = [person.coauthor_shown.get(k) or self.extra_shown.get(k, k) for k in shared_keys]
        on_arxiv = sum(1 for k in shared_keys if k not in person.coauthors)
        return {"pid": pid, "shared": shown, "shared_keys": shared_keys, "on_arxiv": on_arxiv, "topic": topic,
                "expected": expected, "loose": loose, "namesakes": namesakes}

    # The confidence is a logistic of the evidence, weights set by hand and checked by
    # `peerscope eval sources`: each shared co-author counts most, then how rare the name
    # is, then topical closeness, a Computation and Language preprint a little.
    BASE, PER_COAUTHOR, TOPIC, TOPIC_NEUTRAL, RARITY, RARITY_NEUTRAL, CL, LOOSE = (
        -1.5, 2.6, 6.0, 0.12, 1.2, 0.3, 0.7, 1.5)
    TOPIC_MAX = 0.6  # topical similarity to a person's works hardly goes above this
    NAMESAKE_MARGIN = 1.5  # the chosen namesake's co-author evidence against the next one's
    CATCH_ALL = 0.5
    NAMESAKE_MIN_SHARED = 1

    def _z(self, k: int, expected: float | None, loose: bool, cl: bool) -> float:
        z = self.BASE + self.PER_COAUTHOR * min(k, 3)
        if expected is not None:
            z -= self.RARITY * math.log10(max(expected, 1e-3) / self.RARITY_NEUTRAL)
        return z + (self.CL if cl else 0.0) - (self.LOOSE if loose else 0.0)

    def _topic_matters(self, k: int, expected: float | None, loose: bool) -> bool:
        """Whether topical closeness could change the decision (it is the costly signal)."""
        cut = math.log(self.threshold / (1 - self.threshold))
        low = self._z(k, expected, loose, False) - self.TOPIC * self.TOPIC_NEUTRAL
        high = self._z(k, expected, loose, True) + self.TOPIC * (self.TOPIC_MAX - self.TOPIC_NEUTRAL)
        return low < cut <= high

    def _confidence(self, s: dict[str, Any], categories: Sequence[str]) -> float:
        z = self._z(len(s["shared"]), s["expected"], s["loose"], "cs.CL" in categories)
        if s["topic"] is not None:
            z += self.TOPIC * (s["topic"] - self.TOPIC_NEUTRAL)
        return round(_sigmoid(z), 3)

    def _decide(self, pos: int, name: str, scored: list[dict[str, Any]], ids: list[str], preprint: Record) -> Link:
        cats = preprint.get("categories") or ()
        for s in scored:
            s["confidence"] = self._confidence(s, cats)
        if len(scored) > 1:
            # Namesakes: the co-authors must single one out. Shared co-authors count relative
            # to how many co-authors each has, and half for a catch-all record (the Anthology's
            # plain "yang-liu" beside "yang-liu-icsi" holds papers of several people, so it
            # shares some co-authors with everyone of the name).
            # Only co-authors that tell the namesakes apart count: one who also wrote with another
            # of them (a catch-all record aside, which shares co-authors with everyone) says
            # nothing about which of the two this is.
            catch_all = {s["pid"] for s in scored if any(o.startswith(s["pid"] + "-") for o in ids)}
            for s in scored:
                others = set().union(*(self._neighbours(o["pid"]) for o in scored
                                       if o is not s and o["pid"] not in catch_all))
                s["telling"] = [k for k in s["shared_keys"] if k not in others]
                s["specific"] = len(s["telling"]) / math.sqrt(max(self.index.coauthor_count(s["pid"]), 1))
                if s["pid"] in catch_all:  # yang-liu beside yang-liu-icsi ...
                    s["specific"] *= self.CATCH_ALL
            scored.sort(key=lambda s: (s["specific"], s["confidence"], s["pid"]), reverse=True)
            best, runner = scored[0], scored[1]
            if best["pid"] in catch_all and not self.catch_all_links:
                why = (f"the co-authors point to {best['pid']}, the record of the papers the Anthology has not "
                       "assigned, which holds several people")
            elif len(best["telling"]) >= self.NAMESAKE_MIN_SHARED \
                    and best["specific"] >= self.NAMESAKE_MARGIN * runner["specific"] \
                    and best["confidence"] >= self.threshold:
                return Link(pos, name, best["pid"], "namesake, co-authors", best["confidence"],
                            f"{len(ids)} Anthology researchers have this name; linked to {best['pid']} by "
                            f"{self._shared_text(best)}{self._form_text(best)}", tuple(ids), tuple(best["shared"]))
            else:
                why = "no co-author singles one out"
            return Link(pos, name, None, "not linked", 0.0,
                        f"{len(ids)} Anthology researchers have this name ({_list(ids)}) and {why}", tuple(ids),
                        candidate=best["pid"], candidate_confidence=best["confidence"] if best["shared"] else 0.0)
        best = scored[0]
        if best["confidence"] >= self.threshold:
            if best["shared"]:
                return Link(pos, name, best["pid"], "co-authors", best["confidence"],
                            f"linked by {self._shared_text(best)}{self._form_text(best)}", tuple(ids),
                            tuple(best["shared"]))
            return Link(pos, name, best["pid"], "name and topic", best["confidence"],
                        f"linked by {self._rarity_text(best)}{self._topic_text(best)}{self._form_text(best)}",
                        tuple(ids))
        return Link(pos, name, None, "not linked", 0.0,
                    f"the name matches {best['pid']} in the Anthology, but {self._against_text(best, self.threshold)}",
                    tuple(ids),
                    candidate=best["pid"], candidate_confidence=best["confidence"])

    def _neighbours(self, pid: str) -> set[str]:
        """Co-author name keys of a person: in the Anthology and on preprints linked to them."""
        return self.index.people[pid].coauthors.keys() | self.extra_coauthors.get(pid, {}).keys()

    @staticmethod
    def _shared_text(s: dict[str, Any]) -> str:
        k = len(s["shared"])
        where = ""
        if s.get("on_arxiv"):
            where = " (on other preprints)" if s["on_arxiv"] == k else f" ({s['on_arxiv']} of them on other preprints)"
        return f"{k} shared co-author{'s' if k != 1 else ''}{where}: {_list(s['shared'])}"

    @staticmethod
    def _form_text(s: dict[str, Any]) -> str:
        return " (a shortened form of the name)" if s.get("form") == SHORTENED else ""

    @staticmethod
    def _rarity_text(s: dict[str, Any]) -> str:
        if s["expected"] is None:
            return "the name"
        return f"a rare name (about {s['expected']:.2g} people expected to share it)" if s["expected"] < 1 else \
            f"the name (about {s['expected']:.2g} people expected to share it)"

    @staticmethod
    def _topic_text(s: dict[str, Any]) -> str:
        return f" and close topics (similarity {s['topic']:.2f} to their works)" if s["topic"] is not None else ""

    @staticmethod
    def _against_text(s: dict[str, Any], threshold: float) -> str:
        """Why the evidence fell short: what there was of it, and the link's confidence beside
        the one needed (the kept-apart link's own `confidence` is that it is someone else)."""
        k = len(s["shared"])
        parts = [f"only {k} shared co-author{'s' if k != 1 else ''} ({_list(s['shared'])})" if k
                 else "no co-author in common"]
        if s["expected"] is not None and s["expected"] >= 1:
            parts.append(f"the name is common (about {s['expected']:.2g} people expected to share it)")
        if s["topic"] is not None:
            parts.append(f"topic similarity {s['topic']:.2f} to their works")
        if s.get("form") == SHORTENED:
            parts.append("only a shortened form of the name matches")
        short = math.floor(s["confidence"] * 100) / 100  # 0.797 reads 0.79 beside the 0.80 needed
        return ", ".join(parts) + f": confidence they are one person {short:.2f}, {threshold:.2f} needed"


def _one_slot_each(links: list[Link]) -> list[Link]:
    """A person appears once on a paper: if two slots chose the same person, the weaker one
    is not linked."""
    best: dict[str, Link] = {}
    for link in links:
        if link.person_id and (link.person_id not in best or link.confidence > best[link.person_id].confidence):
            best[link.person_id] = link
    out = []
    for link in links:
        if link.person_id and best[link.person_id] is not link:
            link = Link(link.position, link.name, None, "not linked", 0.0,
                        f"{link.person_id} is already another author of this paper", link.candidates,
                        candidate=link.person_id, candidate_confidence=link.confidence)
        out.append(link)
    return out


# ------------------------------------------------------------------ researchers of their own

RARE_NAME = 0.5  # a name whose parts predict fewer people than this keeps all its mentions together


def _slug(name: str) -> str:
    return names.id_slug(name)


class ArxivPeople:
    """Researchers for the authors no Anthology researcher was linked to.

    Mentions of one name (folded) form one researcher when they share co-authors, directly or
    through other mentions; a rare name keeps all its mentions together. Each researcher's id
    is `arxiv:<slug of the name>` for the group holding the name's first preprint and
    `arxiv:<slug>~<first preprint of the group>` for the others, so ids never collide with
    Anthology ids (which hold no colon) and stay put as later listings add mentions."""

    def __init__(self, index: PersonIndex | None = None) -> None:
        self.index = index
        self._mentions: dict[str, list[tuple[str, int, str, frozenset[str], tuple[str, str]]]] = defaultdict(list)

    def add(self, preprint: Record, position: int) -> None:
        slots = preprint["authors"]
        name = slots[position]["name"]
        key = name_key(name)
        others = frozenset(name_key(a["name"]) for i, a in enumerate(slots) if i != position) - {key, ""}
        arxiv_id = preprint.get("arxiv_id") or preprint["id"]
        self._mentions[key].append((arxiv_id, position, name, others, _name_parts(slots[position])))

    def assign(self) -> dict[tuple[str, int], tuple[str, str]]:
        """(arXiv id, position) -> (researcher id, how the mention was grouped)."""
        out: dict[tuple[str, int], tuple[str, str]] = {}
        for key, mentions in self._mentions.items():
            mentions.sort(key=lambda m: (_order(m[0]), m[1]))
            first, last = mentions[0][4]
            rare = self.index is not None and self.index.expected_people(first, last) < RARE_NAME
            groups = [list(range(len(mentions)))] if rare else _co_author_groups([m[3] for m in mentions])
            groups.sort(key=lambda g: min(g))
            slug = _slug(mentions[0][2]) or key
            for n, group in enumerate(groups):
                anchor = mentions[min(group)][0]
                pid = f"{ARXIV_PERSON_PREFIX}{slug}" if n == 0 else f"{ARXIV_PERSON_PREFIX}{slug}~{anchor}"
                if len(mentions) == 1:
                    how = "one preprint so far"
                elif rare:
                    how = f"a rare name: its {len(mentions)} preprints are one researcher"
                elif len(groups) == 1:
                    how = f"{len(mentions)} preprints of this name linked by shared co-authors"
                else:
                    how = (f"{len(group)} of the {len(mentions)} preprints of this common name, linked by "
                           f"shared co-authors (the others are {len(groups) - 1} other researcher"
                           f"{'s' if len(groups) > 2 else ''})")
                for i in group:
                    out[(mentions[i][0], mentions[i][1])] = (pid, how)
        return out


def _order(arxiv_id: str) -> tuple:
    """New-style ids sort by time as they are; old-style ids (hep-th/9901001) come first."""
    return (1, arxiv_id) if "/" not in arxiv_id else (0, arxiv_id)


def _co_author_groups(coauthors: Sequence[frozenset[str]]) -> list[list[int]]:
    """Connected groups of mentions, two mentions joined when they share a co-author."""
    parent = list(range(len(coauthors)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[str, int] = {}
    for i, keys in enumerate(coauthors):
        for k in keys:
            j = first_with.setdefault(k, i)
            if j != i:
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(coauthors)):
        groups[find(i)].append(i)
    return list(groups.values())
