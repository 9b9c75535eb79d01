"""Naming clusters: class-based TF-IDF over their works' phrases, the top
phrases picked without redundancy, displayed with the texts' own casing, and
one unique label per cluster."""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Sequence

from domain.names import slugify
from indexer.topics.phrases import fold


def _display(phrase: str, docs: Sequence[str]) -> str:
    """Title-case a lowercase phrase, keeping the surface form of acronyms and
    CamelCase names (BERT, WordNet, COVID-19) as they appear in the texts."""
    words = phrase.split()
    surface: dict[str, Counter] = {w: Counter() for w in words}
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    for doc in docs:
        for m in pattern.finditer(fold(doc)):
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


def ctfidf(
    cluster_docs: list[list[int]],
    doc_phrases: dict[int, set[str]],
    min_df: int,
) -> list[list[tuple[str, float, int]]]:
    """Class-based TF-IDF: for each cluster, phrases scored by
    p(phrase | cluster) * log(1 + mean cluster size / docs containing phrase),
    with bi- and trigrams boosted so 'machine translation' beats 'translation'."""
    # Counters, not CountVectorizer(analyzer=phrases): same terms and scores on 71 clusters of 20k ACL
    # works, but 2.4-2.5 against 1.4 CPU s (it sorts the vocabulary) and no shorter
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


def pick_terms(scored: list[tuple[str, float, int]], n_terms: int = 8) -> list[str]:
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


def make_labels(
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

