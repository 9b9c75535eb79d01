"""Ranking metrics: pure functions over a ranked list of keys and the relevant keys.

Binary relevance takes a set of keys; graded relevance (nDCG) a mapping key -> gain.
Every metric is cut at `k` and returns 0.0 when nothing is relevant or nothing ranked,
so averages over queries stay defined.
"""
from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence


def _dedup(ranked: Iterable[Hashable]) -> list[Hashable]:
    """The ranking without repeats (a repeated key counts at its first rank only)."""
    return list(dict.fromkeys(ranked))


def recall_at(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int = 10) -> float:
    """Share of the relevant keys found in the top `k`."""
    if not relevant:
        return 0.0
    found = sum(1 for key in _dedup(ranked)[:k] if key in relevant)
    return found / len(relevant)


def precision_at(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int = 10) -> float:
    """Share of the top `k` slots holding a relevant key (missing slots count as misses)."""
    if k <= 0:
        return 0.0
    return sum(1 for key in _dedup(ranked)[:k] if key in relevant) / k


def reciprocal_rank(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int | None = None) -> float:
    """1 / rank of the first relevant key (ranks from 1), 0 if none in the top `k`."""
    for rank, key in enumerate(_dedup(ranked)[:k] if k else _dedup(ranked), start=1):
        if key in relevant:
            return 1.0 / rank
    return 0.0


def success_at(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int = 1) -> float:
    """1.0 when a relevant key is in the top `k`, else 0.0."""
    return 1.0 if any(key in relevant for key in _dedup(ranked)[:k]) else 0.0


def dcg_at(ranked: Sequence[Hashable], gains: Mapping[Hashable, float], k: int = 10) -> float:
    """Discounted cumulative gain, gain / log2(rank + 1)."""
    return sum(gains.get(key, 0.0) / math.log2(rank + 1)
               for rank, key in enumerate(_dedup(ranked)[:k], start=1))


def ndcg_at(ranked: Sequence[Hashable], gains: Mapping[Hashable, float] | Collection[Hashable],
            k: int = 10) -> float:
    """DCG normalised by the best possible ordering of the judged keys.

    `gains` is a mapping key -> gain, or a collection of keys (each gain 1).
    """
    if not isinstance(gains, Mapping):
        gains = {key: 1.0 for key in gains}
    gains = {key: float(g) for key, g in gains.items() if g > 0}
    ideal = sum(g / math.log2(rank + 1)
                for rank, g in enumerate(sorted(gains.values(), reverse=True)[:k], start=1))
    if ideal == 0:
        return 0.0
    return dcg_at(ranked, gains, k) / ideal


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; 0.0 for no values."""
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def paired_difference(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Mean of a - b over paired queries and the half-width of its 95 % interval
    (1.96 standard errors of the mean difference); (0, 0) for fewer than two pairs."""
    if len(a) != len(b):
        raise ValueError("paired scores must have the same length")
    diffs = [x - y for x, y in zip(a, b)]
    if len(diffs) < 2:
        return (diffs[0] if diffs else 0.0), 0.0
    m = sum(diffs) / len(diffs)
    var = sum((d - m) ** 2 for d in diffs) / (len(diffs) - 1)
    return m, 1.96 * math.sqrt(var / len(diffs))


def ratio(a: float, b: float) -> float:
    """a / b, or 0.0 when b is 0 (a product's figure over its better single signal)."""
    return a / b if b else 0.0
