"""Merging sources, judged on ground truth built from the data: `peerscope eval sources`.

Nothing here needs the engine: the Anthology and the arXiv listings are read from their files
and the merge stage (indexer/merge/) runs in memory.

Samples: a share of the listing days, drawn with the seed (every preprint of a chosen day),
against the whole Anthology.

Work merging. Candidate pairs come from authors, not titles (a preprint and each Anthology
work sharing at least two author names, or the one author of both), so the truth does not
depend on the title matcher:

- same title: the folded, punctuation-free titles are equal and half the authors are shared;
- edited / retitled: the titles differ but the abstracts are the same text (at least half of
  the shorter abstract's word 3-grams are in the other) and half the authors are shared;
  "edited" when the titles still share half of all their words (stopwords aside), "retitled"
  otherwise;
- different: the abstracts share less than 15% of their 3-grams (both present) and the
  titles differ, or the titles are equal but no author is shared. "Near-twins" are the
  different pairs by the same people (half the authors shared) whose titles look alike.

Precision is judged on every merge a matcher makes: right when the pair is a true pair or
its abstracts are the same text, wrong when they are different texts, unjudged otherwise.

Author linking. For each true pair (same title, edited or retitled), the Anthology version's
authors, aligned by name with the preprint's, give the true researcher ids. The linker decides
the preprint's authors with those Anthology versions held out of its index, so the answer
cannot be read off them (an author whose only Anthology work is held out should be left
unlinked). Groups:

- pairs: those mentions, namesakes aside;
- namesakes: mentions of a spelling that several people of the Anthology's name file carry
  (yang-liu-icsi, yang-liu-ict, ...; fei-liu-unimelb, fei-liu-utdallas): from the pairs, and from
  300 Anthology works (2016 on) with such an author, held out too and resolved as if they were
  preprints, their own explicit ids the truth; "catch-all" apart: mentions the Anthology left
  under the plain id beside the explicit ones (yang-liu), where it did not decide either;
  "entangled" apart too: mentions whose true id shares two or more co-authors with another id
  of the same spelling anywhere in the Anthology (changye-li-umn and the plain changye-li both
  with Trevor Cohen and Serguei Pakhomov; yang-liu-microsoft and yang-liu-edinburgh both with
  Chenguang Zhu and Michael Zeng): the Anthology files one person's papers under both ids, so
  co-authors cannot tell its two answers apart and a strict id says nothing of the link. The
  namesakes of all kinds are scored together as well ("namesakes, all");
- simulated: the other authors of those held-out works.

"Right" is strict (the same Anthology id) and lenient (also a researcher the Anthology keeps
under a fuller, shorter or differently spaced spelling of the name: tegawende-bissyande and
tegawende-f-bissyande, marco-degemmis and marco-de-gemmis). Probable namesakes: preprint names
whose only Anthology researchers stopped publishing by 2000; a link by name alone counts as wrong.
"""
from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.merge.people import PeopleLinker, PersonIndex, _name_parts
from indexer.merge.text import STOPWORDS, fold, name_key, name_words, title_forms, tokens
from indexer.merge.works import WorkMatcher, _author, _same_person_name, author_overlap

Record = Mapping[str, Any]

SAME_TEXT, OTHER_TEXT = 0.5, 0.15  # abstract 3-gram containment: same text / different text
EDITED = 0.5  # titles sharing at least half of all their words are edited, the others retitled
MIN_ABSTRACT_WORDS = 30
MAX_NAME_POSTINGS = 500  # author names on more Anthology works than this never form a block
NAMESAKE_WORKS = 300
INACTIVE_SINCE = 2000
EXAMPLES = 12

MATCHERS = {
    "title only": {"use_authors": False, "use_years": False, "use_numbers": False, "fuzzy": False},
    "title similarity": {"use_authors": False, "use_years": False, "use_numbers": False},
    "no authors": {"use_authors": False},
    "no numbers": {"use_numbers": False},
    "full": {},
}
LINKERS = {
    "name only": {"name_only": True},
    "no co-authors": {"use_coauthors": False},
    "no topic": {"use_topic": False},
    "no rarity": {"use_rarity": False},
    "no catch-all links": {"catch_all_links": False},
    "full": {},
}


# ------------------------------------------------------------------ loading


def load_published(data_dir: Path) -> list[dict[str, Any]]:
    from indexer.sources.acl import AnthologySource

    source = AnthologySource(data_dir)
    return [r for result in source.iter_collections() for r in result.records]


def load_preprints(arxiv_dir: Path, days: Iterable[Path] | None = None) -> list[dict[str, Any]]:
    from indexer.sources.arxiv import ArxivSource
    from indexer.sources.base import FileTask

    source = ArxivSource(arxiv_dir)
    seen: set[str] = set()
    out = []
    for path in days if days is not None else source.paths():
        for r in source.read_file(FileTask(path, source="arxiv")).records:
            if r["id"] not in seen:  # a paper listed again later is kept from its first day
                seen.add(r["id"])
                out.append(r)
    return out


def default_arxiv_dir(settings) -> Path:
    """The listings beside the Anthology (../shared/data/arxiv-listings), unless settings name one."""
    return Path(getattr(settings, "arxiv_dir", None) or settings.data_dir.parent / "arxiv-listings")


def sample_days(arxiv_dir: Path, share: float, seed: int) -> list[Path]:
    from indexer.sources.arxiv import ArxivSource

    paths = ArxivSource(arxiv_dir).paths()
    return sorted(random.Random(seed).sample(paths, max(1, round(share * len(paths)))))


# ------------------------------------------------------------------ truth


def shingles(text: str | None) -> set[int]:
    words = tokens(text or "")
    if len(words) < MIN_ABSTRACT_WORDS:
        return set()
    return {hash((words[i], words[i + 1], words[i + 2])) for i in range(len(words) - 2)}


def plain_words(title: str) -> set[str]:
    """A title's words without stopwords, as written (no stems, no acronyms spelled out)."""
    return {w for w in tokens(title) if w not in STOPWORDS}


def containment(a: set[int], b: set[int]) -> float | None:
    return len(a & b) / min(len(a), len(b)) if a and b else None


@dataclass
class WorkTruth:
    same_title: set[tuple[str, str]] = field(default_factory=set)
    edited: set[tuple[str, str]] = field(default_factory=set)
    retitled: set[tuple[str, str]] = field(default_factory=set)
    different: set[tuple[str, str]] = field(default_factory=set)
    near_twins: set[tuple[str, str]] = field(default_factory=set)
    unsure: set[tuple[str, str]] = field(default_factory=set)

    @property
    def positives(self) -> set[tuple[str, str]]:
        return self.same_title | self.edited | self.retitled


class Judge:
    """Ground truth for work merging over one sample (see the module docstring)."""

    def __init__(self, published: Sequence[Record], preprints: Sequence[Record]):
        self.pub = {r["id"]: r for r in published if not r.get("hidden")}
        self.pre = {r["id"]: r for r in preprints}
        self._shingles: dict[str, set[int]] = {}
        self._authors: dict[str, tuple] = {}
        self.truth = self._build()

    def abstract(self, rid: str) -> set[int]:
        if rid not in self._shingles:
            record = self.pre.get(rid) or self.pub[rid]
            self._shingles[rid] = shingles(record.get("abstract"))
        return self._shingles[rid]

    def authors(self, rid: str) -> tuple:
        if rid not in self._authors:
            record = self.pre.get(rid) or self.pub[rid]
            self._authors[rid] = tuple(_author(a) for a in record["authors"])
        return self._authors[rid]

    def _build(self) -> WorkTruth:
        truth = WorkTruth()
        by_name: dict[str, list[str]] = defaultdict(list)
        by_title: dict[str, list[str]] = defaultdict(list)
        for rid, r in self.pub.items():
            for key in {name_key(a["as_written"]) for a in r["authors"]} | {name_key(a["name"]) for a in r["authors"]}:
                by_name[key].append(rid)
            by_title[title_forms(r["title"]).key].append(rid)
        for x, pre in self.pre.items():
            hits: Counter = Counter()
            for key in {name_key(a["name"]) for a in pre["authors"]}:
                works = by_name.get(key, ())
                if len(works) <= MAX_NAME_POSTINGS:
                    hits.update(set(works))
            single = len(pre["authors"]) == 1
            candidates = {a for a, n in hits.items() if n >= 2 or (n >= 1 and (single or len(self.pub[a]["authors"]) == 1))}
            key = title_forms(pre["title"]).key
            for a in candidates:
                self._label(truth, x, a, key)
            for a in by_title.get(key, ()):  # same title, other people
                if a not in candidates and author_overlap(self.authors(x), self.authors(a))[0] == 0:
                    truth.different.add((x, a))
        return truth

    def _label(self, truth: WorkTruth, x: str, a: str, key: str) -> None:
        overlap = author_overlap(self.authors(x), self.authors(a))[1]
        if overlap < 0.5:
            return
        pub_forms, pre_forms = title_forms(self.pub[a]["title"]), title_forms(self.pre[x]["title"])
        if key == pub_forms.key:
            truth.same_title.add((x, a))
            return
        c = containment(self.abstract(x), self.abstract(a))
        if c is None:
            truth.unsure.add((x, a))
        elif c >= SAME_TEXT:
            words_x, words_a = plain_words(self.pre[x]["title"]), plain_words(self.pub[a]["title"])
            shared = len(words_x & words_a) / max(1, len(words_x | words_a))
            (truth.edited if shared >= EDITED else truth.retitled).add((x, a))
        elif c < OTHER_TEXT:
            truth.different.add((x, a))
            body_same = {pre_forms.key, pre_forms.body_key} & {pub_forms.key, pub_forms.body_key} - {None}
            words = len(pre_forms.words & pub_forms.words) / max(1, min(len(pre_forms.words), len(pub_forms.words)))
            if body_same or words >= 0.5:
                truth.near_twins.add((x, a))
        else:
            truth.unsure.add((x, a))

    def judge(self, x: str, a: str) -> str:
        """"right" | "wrong" | "unjudged" for a merge a matcher made."""
        t = self.truth
        if (x, a) in t.positives:
            return "right"
        if (x, a) in t.different:
            return "wrong"
        c = containment(self.abstract(x), self.abstract(a))
        if c is None:
            return "unjudged"
        return "right" if c >= SAME_TEXT else "wrong" if c < OTHER_TEXT else "unjudged"


def score_matches(judge: Judge, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    pairs = set(pairs)
    by_pre = defaultdict(set)
    for x, a in pairs:
        by_pre[x].add(a)
    t = judge.truth
    true_partners = defaultdict(set)
    for x, a in t.positives:
        true_partners[x].add(a)

    def recall(truth: set[tuple[str, str]]) -> tuple[float, int]:
        # a preprint counts as found when it is merged with any of its true versions
        pre = {x for x, _ in truth}
        found = sum(1 for x in pre if by_pre[x] & true_partners[x])
        return (found / len(pre) if pre else 0.0), len(pre)

    verdicts = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for x, a in sorted(pairs):
        verdict = judge.judge(x, a)
        verdicts[verdict] += 1
        if verdict == "wrong":
            examples["wrong"].append(f"{x} {judge.pre[x]['title'][:70]!r} ~ {a} {judge.pub[a]['title'][:70]!r}")
    for x, a in sorted(t.edited | t.retitled):
        if not by_pre[x] & true_partners[x]:
            examples["missed"].append(f"{x} {judge.pre[x]['title'][:70]!r} ~ {a} {judge.pub[a]['title'][:70]!r}")
    judged = verdicts["right"] + verdicts["wrong"]
    out = {"merges": len(pairs), "right": verdicts["right"], "wrong": verdicts["wrong"],
           "unjudged": verdicts["unjudged"], "precision": verdicts["right"] / judged if judged else 0.0}
    for name in ("same_title", "edited", "retitled"):
        out[f"recall {name}"], out[f"n {name}"] = recall(getattr(t, name))
    out["near-twins merged"] = len(pairs & t.near_twins)
    out["n near-twins"] = len(t.near_twins)
    out["examples"] = {k: v[:EXAMPLES] for k, v in examples.items()}
    return out


# ------------------------------------------------------------------ people truth


def aligned_ids(pre: Record, pub: Record) -> dict[int, tuple[str, str]]:
    """Preprint author position -> (Anthology id, name on the Anthology version)."""
    xs = [_author(a) for a in pre["authors"]]
    ys = [_author(a) for a in pub["authors"]]
    used: set[int] = set()
    out = {}
    for i, a in enumerate(xs):
        for j, b in enumerate(ys):
            if j not in used and _same_person_name(a, b):
                used.add(j)
                out[i] = (pub["authors"][j]["id"], pub["authors"][j]["as_written"])
                break
    return out


def spelling(name: str) -> str:
    """A name as written, only case, accents and spacing ignored ("Fei Liu" == "fei  liu")."""
    return " ".join(fold(name).split())


def namesake_spellings(variants: Mapping[str, Sequence[str]]) -> dict[str, set[str]]:
    """Spellings that several people of the Anthology's name file carry (e.g. "Fei Liu":
    fei-liu-unimelb, fei-liu-utdallas): namesakes the Anthology itself declares apart."""
    ids: dict[str, set[str]] = defaultdict(set)
    for pid, spellings in variants.items():
        for name in spellings:
            ids[spelling(name)].add(pid)
    return {k: v for k, v in ids.items() if len(v) > 1}


ENTANGLED_SHARED = 2  # co-authors two ids of one spelling share when the Anthology files one person under both


def entangled_ids(published: Sequence[Record], namesake_keys: Mapping[str, set[str]]) -> set[str]:
    """Ids of a namesake spelling that share ENTANGLED_SHARED or more co-authors with another id of
    that spelling over the whole Anthology (the truth's own data, not the linker's index)."""
    wanted = set().union(*namesake_keys.values()) if namesake_keys else set()
    coauthors: dict[str, set[str]] = defaultdict(set)
    for record in published:
        keys = [name_key(a["as_written"] or a["name"]) for a in record["authors"]]
        for slot, key in zip(record["authors"], keys):
            if slot["id"] in wanted:
                coauthors[slot["id"]].update(k for k in keys if k and k != key)
    out: set[str] = set()
    for ids in namesake_keys.values():
        ids = sorted(ids)
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                if len(coauthors[a] & coauthors[b]) >= ENTANGLED_SHARED:
                    out.update((a, b))
    return out


def known_variants(data_dir: Path) -> dict[str, tuple[str, ...]]:
    from indexer.sources.acl import AnthologySource

    return AnthologySource(data_dir).people.known_variants()


def as_preprint(record: Record) -> dict[str, Any]:
    """An Anthology work dressed as a preprint: names only, ids gone."""
    return {"id": f"held-out:{record['id']}", "title": record["title"], "abstract": record.get("abstract"),
            "year": record["year"], "categories": [], "comment": None,
            "authors": [{"name": a["as_written"] or a["name"], "first": a["first"], "last": a["last"],
                         "id": f"arxiv-name:{name_key(a['as_written'])}", "as_written": a["as_written"]}
                        for a in record["authors"]]}


def _variant(name_a: str, names_b: Iterable[str]) -> bool:
    """Whether two spellings are one name written more or less fully ("Marco Degemmis",
    "Marco de Gemmis"; "Caren Han", "Soyeon Caren Han")."""
    wa = set(name_words(name_a))
    for nb in names_b:
        if name_key(nb) == name_key(name_a):
            return True
        wb = set(name_words(nb))
        small, big = sorted((wa, wb), key=len)
        if len(small) >= 2 and small <= big:
            return True
        la, lb = name_words(name_a), name_words(nb)
        if la and lb and la[-1] == lb[-1] and la[0] == lb[0]:
            return True
    return False


@dataclass
class PeopleTruth:
    mentions: list[tuple[str, int, str, str]]  # (preprint id, position, true id, name there)
    namesake_works: list[str]  # Anthology work ids resolved as preprints
    held_out: set[str]


def people_truth(judge: Judge, published: Sequence[Record], shared: Mapping[str, set[str]], seed: int
                 ) -> tuple[PeopleTruth, list[dict]]:
    mentions = []
    held_out = set()
    pub = judge.pub
    for x, a in sorted(judge.truth.same_title | judge.truth.edited | judge.truth.retitled):
        held_out.add(a)
        for pos, (pid, shown) in aligned_ids(judge.pre[x], pub[a]).items():
            mentions.append((x, pos, pid, shown))
    pool = sorted(r["id"] for r in published if r["year"] >= 2016 and r["id"] not in held_out
                  and any(spelling(s["as_written"]) in shared for s in r["authors"]))
    chosen = random.Random(seed).sample(pool, min(NAMESAKE_WORKS, len(pool)))
    pseudo = []
    for wid in chosen:
        held_out.add(wid)
        record = pub[wid]
        pseudo.append(as_preprint(record))
        for pos, s in enumerate(record["authors"]):
            mentions.append((f"held-out:{wid}", pos, s["id"], s["as_written"]))
    return PeopleTruth(mentions, chosen, held_out), pseudo


def score_links(links: Mapping[str, list], truth: PeopleTruth, index: PersonIndex,
                namesake_keys: Mapping[str, set[str]], inactive: Mapping[str, list[tuple[int, int]]],
                entangled: set[str] = frozenset()) -> dict[str, Any]:
    c: Counter = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for x, pos, true_id, shown in truth.mentions:
        link = links[x][pos]
        linkable = true_id in index.people
        homonyms = namesake_keys.get(spelling(shown)) or namesake_keys.get(spelling(link.name))
        if homonyms:
            # the plain id beside explicit ones (yang-liu beside yang-liu-icsi) is where the
            # Anthology leaves papers it did not assign: no truth for those
            group = "catch-all" if any(o.startswith(true_id + "-") for o in homonyms) else \
                "entangled" if true_id in entangled else "namesakes"
        else:
            group = "simulated" if x.startswith("held-out:") else "pairs"
        pred = link.person_id
        strict = pred is not None and pred == true_id
        lenient = strict or (pred is not None and _variant(shown, index.people[pred].spellings))
        for g in (group, "namesakes, all") if group in ("namesakes", "entangled") else (group,):
            c[g, "mentions"] += 1
            c[g, "linkable"] += linkable or lenient
            c[g, "links"] += pred is not None
            c[g, "right"] += strict
            c[g, "right lenient"] += lenient
        if pred is not None and not strict and len(examples[group]) < EXAMPLES:
            examples[group].append(f"{x} #{pos} {link.name!r}: linked to {pred} ({link.method}, "
                                   f"{link.confidence}), true {true_id} ({shown!r}); {link.evidence}")
    out: dict[str, Any] = {}
    for group in ("pairs", "namesakes", "entangled", "namesakes, all", "catch-all", "simulated"):
        links_made, linkable = c[group, "links"], c[group, "linkable"]
        out[group] = {
            "mentions": c[group, "mentions"], "links": links_made,
            "precision": c[group, "right"] / links_made if links_made else 0.0,
            "precision lenient": c[group, "right lenient"] / links_made if links_made else 0.0,
            "recall": c[group, "right"] / linkable if linkable else 0.0,
            "recall lenient": c[group, "right lenient"] / linkable if linkable else 0.0,
            "examples": examples[group],
        }
    made = by_name = 0
    for x, positions in inactive.items():
        for pos, _ in positions:
            link = links[x][pos]
            made += link.person_id is not None
            by_name += link.person_id is not None and link.method in ("name and topic", "name")
    out["probable namesakes"] = {"mentions": sum(len(v) for v in inactive.values()), "links": made,
                                 "links by name alone": by_name}
    return out


def inactive_mentions(preprints: Sequence[Record], index: PersonIndex, published: Sequence[Record]
                      ) -> dict[str, list[tuple[int, int]]]:
    """Preprint author slots whose name only Anthology people inactive since INACTIVE_SINCE carry."""
    last = {}
    for r in published:
        for s in r["authors"]:
            last[s["id"]] = max(last.get(s["id"], 0), r["year"])
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for p in preprints:
        for pos, a in enumerate(p["authors"]):
            ids = index.by_name.get(name_key(a["name"]))
            if ids and all(last.get(i, 0) <= INACTIVE_SINCE for i in ids):
                out[p["id"]].append((pos, max(last.get(i, 0) for i in ids)))
    return out


# ------------------------------------------------------------------ run


def run(data_dir: Path, arxiv_dir: Path, seeds: Sequence[int] = (0, 1), share: float = 0.5,
        published: Sequence[Record] | None = None, preprints: Sequence[Record] | None = None,
        log=print) -> dict[str, Any]:
    started = time.monotonic()
    published = list(published) if published is not None else load_published(data_dir)
    everything = list(preprints) if preprints is not None else load_preprints(arxiv_dir)
    log(f"read {len(published)} Anthology works, {len(everything)} preprints ({time.monotonic() - started:.0f} s)")
    t0 = time.monotonic()
    base = WorkMatcher(published)
    variants = known_variants(data_dir)
    namesake_keys = namesake_spellings(variants)
    entangled = entangled_ids(published, namesake_keys)
    log(f"work index ({time.monotonic() - t0:.0f} s)")
    results: dict[Any, Any] = {}
    for seed in seeds:
        t0 = time.monotonic()
        days = {p.name for p in sample_days(arxiv_dir, share, seed)}
        sample = [p for p in everything if p["source"] in days]
        judge = Judge(published, sample)
        t = judge.truth
        log(f"seed {seed}: {len(days)} listing days, {len(sample)} preprints; truth: "
            f"{len(t.same_title)} same title, {len(t.edited)} edited, {len(t.retitled)} retitled, "
            f"{len(t.near_twins)} near-twins, {len(t.different)} different, {len(t.unsure)} unsure "
            f"({time.monotonic() - t0:.0f} s)")
        works = {}
        for name, options in MATCHERS.items():
            t1 = time.monotonic()
            matcher = base.with_options(**{**dict.fromkeys(("use_authors", "use_years", "use_numbers", "fuzzy"), True),
                                           **options})
            pairs = [(m.preprint_id, m.published_id) for m in matcher.match(sample)]
            works[name] = score_matches(judge, pairs)
            log(f"  works, {name}: {works[name]['merges']} merges, precision {works[name]['precision']:.3f} "
                f"({time.monotonic() - t1:.0f} s)")
        truth, pseudo = people_truth(judge, published, namesake_keys, seed)
        index = PersonIndex(published, variants, exclude=truth.held_out)
        linked = [*sample, *pseudo]
        for p in linked:
            for a in p["authors"]:
                index.count_name(name_key(a["name"]), *_name_parts(a))
        inactive = inactive_mentions(sample, index, published)
        people = {}
        needed = {x for x, *_ in truth.mentions} | set(inactive)
        for name, options in LINKERS.items():
            t1 = time.monotonic()
            linker = PeopleLinker(index, **options)
            # without co-authors nothing is learnt from other preprints: only those judged are linked
            alone = options.get("name_only") or options.get("use_coauthors") is False
            links = linker.link_all([p for p in linked if p["id"] in needed] if alone else linked)
            people[name] = score_links(links, truth, index, namesake_keys, inactive, entangled)
            log(f"  people, {name}: pairs precision {people[name]['pairs']['precision']:.3f}, namesakes "
                f"precision {people[name]['namesakes']['precision']:.3f} ({time.monotonic() - t1:.0f} s)")
        results[seed] = {"days": len(days), "preprints": len(sample),
                         "truth": {k: len(getattr(t, k)) for k in ("same_title", "edited", "retitled",
                                                                   "near_twins", "different", "unsure")},
                         "people truth": {"mentions": len(truth.mentions), "namesake works": len(truth.namesake_works)},
                         "works": works, "people": people}
    results["seconds"] = round(time.monotonic() - started)
    return results
