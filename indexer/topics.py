"""Topics derived from the corpus itself.

Work embeddings are clustered with spherical k-means (cosine space, pure
numpy, deterministic for a given seed) and every cluster is named after its
most distinctive phrases, found with a class-based TF-IDF over the titles and
abstracts of its works (uni-, bi- and trigrams, stopwords removed, phrases
preferred over single words). A work then carries the 1-3 topics whose
centroids are closest to its embedding.

    model = fit_topics(texts, vectors)          # texts[i] describes vectors[i]
    model.topics[0].label                       # "Machine Translation"
    model.assign(vectors)                       # [["machine-translation", ...], ...]
    model.save(path); TopicModel.load(path)
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

__all__ = ["Topic", "TopicModel", "fit_topics", "default_k", "slugify"]

FORMAT_VERSION = 1

# ---------------------------------------------------------------------------
# Text side: tokens, phrases, stopwords
# ---------------------------------------------------------------------------

# English function words plus the boilerplate of paper abstracts. A stopword
# never appears in a phrase and breaks phrases apart, so "we propose a novel
# approach to machine translation" yields only "machine translation".
_STOPWORDS = frozenset(
    """
    a about above across after again against all almost along already also although always am among an and
    another any anyone anything are around as at away be became because become becomes been before being
    below between both but by can cannot could did do does doing done down due during each either else
    enough especially etc even ever every few for from further furthermore given had has have having he
    hence her here hers him his how however i if in into is it its itself just least less let like made
    mainly make makes many may me might more moreover most mostly much must my namely near nearly neither
    never nevertheless no nor not now of off often on once one ones only onto or other others otherwise
    our ours out over own per perhaps quite rather really same several shall she should since so some
    something sometimes somewhat still such than that the their theirs them themselves then there thereby
    therefore these they this those though three through thus to together too toward towards two under
    unlike until up upon us use used uses using very via was we well were what whatever when whenever
    where whereas whether which while who whole whom whose why will with within without would yet you
    your yours
    abstract paper papers article work works study studies propose proposes proposed present presents
    presented describe describes described introduce introduces introduced show shows shown showed
    demonstrate demonstrates demonstrated report reports reported investigate investigates investigated
    explore explores explored discuss discusses discussed address addresses addressed focus focuses
    focused aim aims consider considers considered examine examines examined evaluate evaluates
    outperform outperforms outperformed achieve achieves achieved obtain obtains obtained improve
    improves improved provide provides provided allow allows allowed enable enables enabled require
    requires required perform performs performed apply applies applied compare compares compared
    find finds found develop develops developed based new novel different various existing recent
    current previous prior first second third finally also results result experiments experimental
    experiment approach approaches method methods technique techniques way ways number numbers set sets
    large small high low good better best significant significantly state-of-the-art art well-known
    effective effectively efficient important paper's author authors able including include includes
    included particular particularly specific general generally respectively several e.g i.e et al
    furthermore additionally problem problems issue issues case cases part parts order terms term
    type types form forms kind kinds use useful usually within whole often towards toward
    proceedings workshop conference volume edited editors
    improving exploring leveraging revisiting rethinking enhancing boosting investigating
    analyzing analysing evaluating comparing combining incorporating applying utilizing employing
    introducing towards beyond via
    de la le les des du un une et en pour par sur dans avec au aux ce cet cette ces qui que ou est sont nous
    notre nos il elle ils elles se sa son ses leur leurs pas plus tres entre comme mais aussi ainsi donc
    presentons proposons presente propose cet article travail etude approche methode resultats
    el los las del y con para una al lo como es sus este esta estos entre sobre o u em um uma os
    der die das und ist von mit fur zu den dem im ein eine auf
    """.split()
)

# A word (letters first, inner hyphens kept: "low-resource", "gpt-3") or a
# clause boundary. Apostrophes split words, so "model's" ends in a lone "s",
# which like every single letter breaks phrases.
_TOKEN_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*|[.,;:!?()\[\]{}\"]")
_BREAKS = _STOPWORDS | frozenset(".,;:!?()[]{}\"") | frozenset("abcdefghijklmnopqrstuvwxyz")


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-"})


def _fold(text: str) -> str:
    """Strip accents so that 'naïve' and 'naive' count as one word."""
    if text.isascii():
        return text
    text = text.translate(_QUOTES)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _phrases(text: str) -> set[str]:
    """The distinct uni-, bi- and trigrams of a text, lowercase, stopword-free.

    N-grams never cross a stopword, a single letter or punctuation that ends
    a clause, so they are mostly noun phrases.
    """
    out: set[str] = set()
    add = out.add
    breaks = _BREAKS
    p1 = p2 = ""
    for tok in _TOKEN_RE.findall(_fold(text).lower()):
        if tok in breaks:
            p1 = p2 = ""
            continue
        add(tok)
        if p1:
            bigram = p1 + " " + tok
            add(bigram)
            if p2:
                add(p2 + " " + bigram)
        p2, p1 = p1, tok
    return out


def slugify(label: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", _fold(label).lower()).strip("-")
    return slug or "topic"


def _display(phrase: str, docs: Sequence[str]) -> str:
    """Title-case a lowercase phrase, keeping the surface form of acronyms and
    CamelCase names (BERT, WordNet, COVID-19) as they appear in the texts."""
    words = phrase.split()
    surface: dict[str, Counter] = {w: Counter() for w in words}
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    for doc in docs:
        for m in pattern.finditer(_fold(doc)):
            form = m.group(0)
            key = form.lower()
            if key in surface:
                surface[key][form] += 1
    out = []
    for w in words:
        forms = surface[w]
        # A form with capitals beyond the first letter used in most mentions
        # is a name or acronym: keep it. Otherwise title-case the word.
        special = [(c, f) for f, c in forms.items() if any(ch.isupper() for ch in f[1:])]
        total = sum(forms.values())
        if special:
            c, f = max(special)
            if c * 2 >= total:
                out.append(f)
                continue
        out.append("-".join(p[:1].upper() + p[1:] for p in w.split("-")))
    return " ".join(out)


# ---------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------


@dataclass
class Topic:
    id: str
    label: str
    size: int
    terms: list[str]
    centroid: np.ndarray = field(repr=False)


@dataclass
class TopicModel:
    topics: list[Topic]
    seed: int = 0
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_id = {t.id: t for t in self.topics}
        if self.topics:
            self._centroids = np.stack([t.centroid for t in self.topics]).astype(np.float32)
        else:
            self._centroids = np.zeros((0, 0), dtype=np.float32)

    # -- lookup --------------------------------------------------------------
    @property
    def centroids(self) -> np.ndarray:
        return self._centroids

    def __len__(self) -> int:
        return len(self.topics)

    def get(self, topic_id: str) -> Topic | None:
        return self._by_id.get(topic_id)

    def label_of(self, topic_id: str) -> str:
        topic = self._by_id.get(topic_id)
        return topic.label if topic else topic_id

    def labels(self, topic_ids: Iterable[str]) -> list[str]:
        return [self.label_of(t) for t in topic_ids]

    # -- assignment ----------------------------------------------------------
    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine similarity of each vector to each topic centroid, shape (n, k)."""
        return _normalise(np.asarray(vectors, dtype=np.float32)) @ self._centroids.T

    def assign(
        self,
        vectors: np.ndarray,
        top_n: int = 2,
        min_sim: float = 0.25,
        margin: float = 0.08,
    ) -> list[list[str]]:
        """Topic ids for each vector, best first.

        The nearest topic is always given (when at least `min_sim` close); up
        to `top_n` - 1 more (at most 3 in all) when they are also at least
        `min_sim` close and within `margin` of the best one, so a work sits in
        a second topic only when it really lies between the two.
        """
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim == 1:
            vectors = vectors[None, :]
        n = vectors.shape[0]
        if n == 0 or not self.topics:
            return [[] for _ in range(n)]
        top_n = max(1, min(int(top_n), 3, len(self.topics)))
        ids = np.array([t.id for t in self.topics], dtype=object)
        out: list[list[str]] = []
        for start in range(0, n, 8192):
            sims = self.similarities(vectors[start : start + 8192])
            if top_n == 1:
                idx = sims.argmax(axis=1)[:, None]
            else:
                idx = np.argpartition(-sims, top_n - 1, axis=1)[:, :top_n]
            picked = np.take_along_axis(sims, idx, axis=1)
            order = np.argsort(-picked, axis=1, kind="stable")
            idx = np.take_along_axis(idx, order, axis=1)
            picked = np.take_along_axis(picked, order, axis=1)
            keep = (picked >= min_sim) & (picked >= picked[:, :1] - margin)
            keep[:, 0] = picked[:, 0] >= min_sim
            names = ids[idx]
            out.extend(row[mask].tolist() for row, mask in zip(names, keep))
        return out

    # -- persistence ---------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write topics.json and centroids.npy into `directory`."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        doc = {
            "format": FORMAT_VERSION,
            "seed": self.seed,
            "meta": self.meta,
            "topics": [
                {"id": t.id, "label": t.label, "size": t.size, "terms": t.terms} for t in self.topics
            ],
        }
        tmp_json = directory / "topics.json.tmp"
        tmp_npy = directory / "centroids.tmp.npy"
        tmp_json.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        np.save(tmp_npy, self._centroids)
        tmp_npy.replace(directory / "centroids.npy")
        tmp_json.replace(directory / "topics.json")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "TopicModel":
        directory = Path(directory)
        doc = json.loads((directory / "topics.json").read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported topic model format {doc.get('format')!r} in {directory}")
        centroids = np.load(directory / "centroids.npy")
        if centroids.shape[0] != len(doc["topics"]):
            raise ValueError(f"{directory}: {len(doc['topics'])} topics but {centroids.shape[0]} centroids")
        topics = [
            Topic(id=t["id"], label=t["label"], size=int(t["size"]), terms=list(t["terms"]), centroid=c)
            for t, c in zip(doc["topics"], centroids)
        ]
        return cls(topics=topics, seed=int(doc.get("seed", 0)), meta=dict(doc.get("meta", {})))


# ---------------------------------------------------------------------------
# Clustering
# ---------------------------------------------------------------------------


def default_k(n: int) -> int:
    """Number of clusters for n works: about sqrt(n)/2, i.e. ~160 for the
    whole Anthology (~104k works), ~27 for 3,000, capped at 200 and at n/5 so
    small samples still get clusters of a sensible size."""
    if n <= 0:
        return 0
    k = int(round(0.5 * math.sqrt(n)))
    return max(1, min(k, 200, n // 5 if n >= 10 else 1))


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


def _nearest(
    x: np.ndarray, centroids: np.ndarray, chunk: int = 8192, sums: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Index of and similarity to the nearest centroid, in bounded memory.
    When `sums` is given, also adds each vector into its cluster's row."""
    n = x.shape[0]
    k = centroids.shape[0]
    labels = np.empty(n, dtype=np.int64)
    best = np.empty(n, dtype=np.float32)
    for s in range(0, n, chunk):
        block = x[s : s + chunk]
        sims = block @ centroids.T
        lab = sims.argmax(axis=1)
        labels[s : s + chunk] = lab
        best[s : s + chunk] = sims[np.arange(sims.shape[0]), lab]
        if sums is not None:
            order = np.argsort(lab, kind="stable")
            sorted_lab = lab[order]
            starts = np.flatnonzero(np.r_[True, sorted_lab[1:] != sorted_lab[:-1]])
            sums[sorted_lab[starts]] += np.add.reduceat(block[order], starts, axis=0)
    return labels, best


def _kmeans_pp(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++ seeding in cosine distance: each new centre is the
    best of a few candidates drawn with probability proportional to the
    squared distance to the nearest centre so far."""
    n = x.shape[0]
    trials = 2 + int(math.log(max(k, 2)))
    centroids = np.empty((k, x.shape[1]), dtype=np.float32)
    centroids[0] = x[rng.integers(n)]
    pot = np.square(np.maximum(1.0 - x @ centroids[0], 0.0))
    for i in range(1, k):
        total = float(pot.sum())
        if total <= 0:
            cand = rng.integers(n, size=1)
        else:
            cand = rng.choice(n, size=trials, p=pot / total)
        cand_pot = np.minimum(pot[None, :], np.square(np.maximum(1.0 - x[cand] @ x.T, 0.0)))
        best = int(cand_pot.sum(axis=1).argmin())
        centroids[i] = x[cand[best]]
        pot = cand_pot[best]
    return centroids


def spherical_kmeans(
    x: np.ndarray,
    k: int,
    seed: int = 0,
    max_iter: int = 40,
    tol: float = 1e-4,
    init_sample: int | None = None,
    fit_sample: int | None = None,
    refine_iter: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster unit vectors by cosine similarity; returns (centroids, labels).

    Greedy k-means++ seeding on `init_sample` points (default 20 per cluster,
    at least 3,000), Lloyd iterations to convergence on `fit_sample` points
    (default 200 per cluster, at least 30,000), then `refine_iter` full passes
    over all points. Every pass is one (chunk x k) product at a time, so
    memory stays bounded. Empty clusters are re-seeded with the points worst
    served by their centroid. Deterministic for a given seed.
    """
    rng = np.random.default_rng(seed)
    n, d = x.shape
    k = max(1, min(k, n))
    init_sample = max(3000, 20 * k) if init_sample is None else init_sample
    fit_sample = max(30000, 200 * k) if fit_sample is None else fit_sample
    seed_pts = x if n <= init_sample else x[np.sort(rng.choice(n, init_sample, replace=False))]
    centroids = _kmeans_pp(seed_pts, k, rng)
    if n > fit_sample:
        fit_pts = x[np.sort(rng.choice(n, fit_sample, replace=False))]
        centroids = _lloyd(fit_pts, centroids, max_iter, tol)
        centroids = _lloyd(x, centroids, refine_iter, tol)
    else:
        centroids = _lloyd(x, centroids, max_iter, tol)
    labels, _ = _nearest(x, centroids)
    return centroids, labels


def _lloyd(x: np.ndarray, centroids: np.ndarray, max_iter: int, tol: float) -> np.ndarray:
    k, d = centroids.shape
    prev_obj = -np.inf
    for _ in range(max_iter):
        sums = np.zeros((k, d), dtype=np.float32)
        labels, best = _nearest(x, centroids, sums=sums)
        obj = float(best.mean())
        counts = np.bincount(labels, minlength=k)
        empty = np.flatnonzero(counts == 0)
        if empty.size:
            worst = np.argsort(best, kind="stable")[: empty.size]
            sums[empty] = x[worst]
        centroids = _normalise(sums).astype(np.float32)
        if obj - prev_obj < tol and not empty.size:
            break
        prev_obj = obj
    return centroids


# ---------------------------------------------------------------------------
# Labelling
# ---------------------------------------------------------------------------


def _ctfidf(
    cluster_docs: list[list[int]],
    doc_phrases: dict[int, set[str]],
    min_df: int,
) -> list[list[tuple[str, float, int]]]:
    """Class-based TF-IDF: for each cluster, phrases scored by
    p(phrase | cluster) * log(1 + mean cluster size / docs containing phrase),
    with bi- and trigrams boosted so 'machine translation' beats 'translation'."""
    per_cluster: list[Counter] = []
    overall: Counter = Counter()
    for docs in cluster_docs:
        c: Counter = Counter()
        for i in docs:
            c.update(doc_phrases[i])  # Counter.update of an iterable runs in C
            overall.update(doc_phrases[i])
        per_cluster.append(c)
    n_clusters = max(1, sum(1 for d in cluster_docs if d))
    avg = sum(len(d) for d in cluster_docs) / n_clusters
    boost = {1: 1.0, 2: 1.6, 3: 1.8}
    out: list[list[tuple[str, float, int]]] = []
    for docs, counts in zip(cluster_docs, per_cluster):
        size = max(1, len(docs))
        floor = max(2, min_df, math.ceil(0.04 * size))  # a label term must be shared by several works
        scored = []
        for phrase, cnt in counts.items():
            if cnt < floor:
                continue
            f = overall[phrase]
            ngram = phrase.count(" ") + 1
            score = (cnt / size) * math.log(1.0 + avg / f) * boost[ngram]
            scored.append((phrase, score, cnt))
        scored.sort(key=lambda ps: (-ps[1], ps[0]))
        out.append(scored[:60])
    return out


def _pick_terms(scored: list[tuple[str, float, int]], n_terms: int = 8) -> list[str]:
    """Top phrases without redundancy. Of two phrases where one contains the
    other, the longer one is kept only when it occurs in most of the works the
    shorter one does ('named entity recognition' replaces 'named entity', but
    'aspect-based sentiment analysis' does not replace 'sentiment analysis')."""
    chosen: list[tuple[str, float, int]] = []
    for phrase, score, cnt in scored:
        words = phrase.split()
        clash = False
        for i, (other, oscore, ocnt) in enumerate(chosen):
            owords = other.split()
            if len(words) == len(owords) and all(map(_same_word, words, owords)):
                clash = True  # 'summaries' after 'summarization', 'dialogue system' after 'dialogue systems'
                break
            if _contains(owords, words):
                clash = True  # a longer chosen phrase already says it
                break
            if _contains(words, owords):
                if cnt >= 0.6 * ocnt:
                    chosen[i] = (phrase, max(score, oscore), cnt)
                clash = True
                break
            if _overlaps(words, owords):
                clash = True  # a fragment of a longer phrase ('neural machine' next to 'machine translation')
                break
        if not clash:
            chosen.append((phrase, score, cnt))
        if len(chosen) >= n_terms:
            break
    seen: set[str] = set()
    terms = []
    for phrase, _, _ in chosen:  # replacements may have created duplicates
        if phrase not in seen:
            seen.add(phrase)
            terms.append(phrase)
    return terms


def _same_word(a: str, b: str) -> bool:
    """Crude stemming: inflections and derivations of one word
    (grammar/grammars, dialog/dialogue, summaries/summarization)."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 3:
        return True
    common = 0
    for x, y in zip(a, b):
        if x != y:
            break
        common += 1
    return common >= 6 and common >= 0.75 * len(short)


def _overlaps(a: list[str], b: list[str]) -> bool:
    """True when the end of one phrase is the start of the other."""
    for k in range(1, min(len(a), len(b))):
        if a[-k:] == b[:k] or b[-k:] == a[:k]:
            return True
    return False


def _contains(longer: list[str], shorter: list[str]) -> bool:
    m = len(shorter)
    if m >= len(longer):
        return False
    return any(longer[i : i + m] == shorter for i in range(len(longer) - m + 1))


def _make_labels(
    terms_per_cluster: list[list[str]], docs_per_cluster: list[list[str]], sizes: Sequence[int]
) -> list[str]:
    """One label per cluster: its top phrase, plus the second when the top one
    is a single word or already names a bigger cluster. Unique across clusters."""
    first_owner: dict[str, int] = {}
    order = sorted(range(len(terms_per_cluster)), key=lambda c: (-sizes[c], c))
    raw: list[list[str]] = [[] for _ in terms_per_cluster]
    for c in order:
        terms = terms_per_cluster[c]
        if not terms:
            continue
        parts = [terms[0]]
        if len(terms) > 1 and (" " not in terms[0] or terms[0] in first_owner):
            parts.append(terms[1])
        first_owner.setdefault(terms[0], c)
        raw[c] = parts
    labels: list[str] = []
    used: set[str] = set()
    for c, parts in enumerate(raw):
        if not parts:
            label = "Miscellaneous"
        else:
            label = " & ".join(_display(p, docs_per_cluster[c]) for p in parts)
        labels.append(label)
    # disambiguate anything still equal, biggest cluster keeps the plain label
    final = [""] * len(labels)
    for c in order:
        label = labels[c]
        candidate = label
        extra = iter(terms_per_cluster[c][len(raw[c]) :])
        while slugify(candidate) in used:
            nxt = next(extra, None)
            if nxt is None:
                i = 2
                while slugify(f"{label} {i}") in used:
                    i += 1
                candidate = f"{label} {i}"
                break
            candidate = f"{label} & {_display(nxt, docs_per_cluster[c])}"
        used.add(slugify(candidate))
        final[c] = candidate
    return final


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def fit_topics(
    texts: Sequence[str],
    vectors: np.ndarray,
    k: int | None = None,
    seed: int = 0,
    max_docs_per_cluster: int = 150,
    n_terms: int = 8,
) -> TopicModel:
    """Cluster `vectors` (one row per text, any scale: they are normalised)
    and name each cluster from `texts`.

    k defaults to `default_k(n)`. Labelling reads at most
    `max_docs_per_cluster` works per cluster, those nearest its centroid, which
    keeps the whole corpus well under a minute and in bounded memory.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(texts):
        raise ValueError(f"need one vector per text: {len(texts)} texts, vectors of shape {vectors.shape}")
    n = len(texts)
    if n == 0:
        return TopicModel(topics=[], seed=seed, meta={"n": 0, "k": 0})
    x = _normalise(vectors)
    k = default_k(n) if k is None else max(1, min(int(k), n))
    centroids, labels = spherical_kmeans(x, k, seed=seed)

    # drop clusters that ended up empty, keep the others' order stable
    sizes = np.bincount(labels, minlength=centroids.shape[0])
    keep = np.flatnonzero(sizes > 0)
    centroids = centroids[keep]
    sizes = sizes[keep]
    remap = np.full(k, -1, dtype=np.int64)
    remap[keep] = np.arange(keep.size)
    labels = remap[labels]

    # the works each cluster is labelled from: those nearest its centroid
    sims = np.einsum("ij,ij->i", x, centroids[labels])
    cluster_docs: list[list[int]] = []
    order = np.lexsort((np.arange(n), -sims, labels))
    bounds = np.searchsorted(labels[order], np.arange(keep.size + 1))
    for c in range(keep.size):
        members = order[bounds[c] : bounds[c + 1]][:max_docs_per_cluster]
        cluster_docs.append(members.tolist())
    needed = sorted({i for docs in cluster_docs for i in docs})
    doc_phrases: dict[int, set[str]] = {i: _phrases(texts[i]) for i in needed}
    min_df = 2
    scored = _ctfidf(cluster_docs, doc_phrases, min_df)
    terms = [_pick_terms(s, n_terms) for s in scored]
    raw_docs = [[texts[i] for i in docs[:60]] for docs in cluster_docs]
    names = _make_labels(terms, raw_docs, sizes.tolist())

    topics = [
        Topic(id=slugify(name), label=name, size=int(size), terms=t, centroid=c)
        for name, size, t, c in zip(names, sizes, terms, centroids)
    ]
    topics.sort(key=lambda t: (-t.size, t.id))
    return TopicModel(topics=topics, seed=seed, meta={"n": n, "k": len(topics), "requested_k": k})
