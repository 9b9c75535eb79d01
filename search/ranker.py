"""A learned ranking model, stored with the index build it ranks, applied per request.

The model is fitted offline (`peerscope eval train-collaborators`, with scikit-learn) and
kept as plain JSON in the `_meta` of the physical index it belongs to, so it travels with
that build (a copy of the index keeps it, a new build starts without one) and every web
process reads it from the engine. Two kinds:

- "trees": gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier), each
  tree as parallel arrays of its nodes; the score is the raw log-odds
  baseline + sum of the leaves reached;
- "logistic": logistic regression over standardised features (a missing value is taken
  at its reference value).

`contributions` says how much each feature moved a candidate's score: the score minus
the score with that feature set to its reference value (the median over the training
rows), the same for both kinds. The reasons a recommendation shows come from these.
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from opensearchpy import OpenSearch

from peerscope.config import Settings

META_KEY = "rankers"  # _meta[META_KEY][name] = the model's dict
CACHE_SECONDS = 60.0  # how long a process trusts the alias -> index -> model it read


@dataclass
class Ranker:
    kind: str  # "trees" | "logistic"
    features: list[str]
    reference: list[float]  # per feature: the value "nothing special" (training median)
    params: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    _forest: "_Forest | None" = field(default=None, init=False, repr=False, compare=False)

    def scores(self, X: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """Raw scores (log-odds), higher is better; one per row of X (rows: candidates,
        columns: `features`)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.features):
            raise ValueError(f"expected rows of {len(self.features)} features, got {X.shape}")
        if self.kind == "logistic":  # an unknown value counts as the reference value
            X = np.where(np.isnan(X), np.asarray(self.reference, dtype=np.float64), X)
            mean, scale = np.asarray(self.params["mean"]), np.asarray(self.params["scale"])
            return ((X - mean) / scale) @ np.asarray(self.params["coef"]) + float(self.params["intercept"])
        if self.kind == "trees":
            if self._forest is None:
                self._forest = _Forest(self.params["trees"])
            return float(self.params["baseline"]) + self._forest.values(X).sum(axis=1)
        raise ValueError(f"unknown ranker kind {self.kind!r}")

    def contributions(self, X: np.ndarray | Sequence[Sequence[float]],
                      groups: Sequence[Sequence[int]] | None = None) -> np.ndarray:
        """(rows x groups): score(x) - score(x with the features of the group at their
        reference values); a group per feature when `groups` is None."""
        X = np.asarray(X, dtype=np.float64)
        groups = [[j] for j in range(X.shape[1])] if groups is None else [list(g) for g in groups]
        n, g = len(X), len(groups)
        base = self.scores(X)
        probes = np.repeat(X, g, axis=0)
        reference = np.asarray(self.reference, dtype=np.float64)
        for k, cols in enumerate(groups):
            probes[k::g, cols] = reference[cols]
        return base[:, None] - self.scores(probes).reshape(n, g)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "features": list(self.features), "reference": list(self.reference),
                "params": self.params, "meta": self.meta}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Ranker":
        return cls(kind=data["kind"], features=list(data["features"]), reference=list(data["reference"]),
                   params=dict(data["params"]), meta=dict(data.get("meta") or {}))


class _Forest:
    """All trees' nodes in flat arrays, walked together: one step moves every row down every
    tree at once (a tree at a time cost a millisecond per ten trees for 150 candidates)."""

    def __init__(self, trees: Sequence[Mapping[str, list]]):
        sizes = [len(t["feature"]) for t in trees]
        self.roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

        def flat(key: str, dtype, shift: bool = False) -> np.ndarray:
            parts = [np.asarray(t[key], dtype=dtype) + (root if shift else 0) for t, root in zip(trees, self.roots)]
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        self.feature, self.threshold = flat("feature", np.int64), flat("threshold", np.float64)
        self.left, self.right = flat("left", np.int64, shift=True), flat("right", np.int64, shift=True)
        self.missing_left, self.leaf = flat("missing_left", bool), flat("leaf", bool)
        self.value = flat("value", np.float64)

    def values(self, X: np.ndarray) -> np.ndarray:
        """(rows x trees): the leaf value each row reaches in each tree. Left when
        x <= threshold; a missing value goes where the tree learned to send it."""
        node = np.broadcast_to(self.roots, (len(X), len(self.roots))).copy()
        rows = np.arange(len(X))[:, None]
        while True:
            leaf = self.leaf[node]
            if leaf.all():
                return self.value[node]
            x = X[rows, self.feature[node]]
            go_left = np.where(np.isnan(x), self.missing_left[node], x <= self.threshold[node])
            node = np.where(leaf, node, np.where(go_left, self.left[node], self.right[node]))


# ---- stored with the index -------------------------------------------------------------

_cache: dict[tuple[str, str, str], tuple[float, Ranker | None]] = {}


def _physical(client: OpenSearch, alias: str) -> str | None:
    if not client.indices.exists_alias(name=alias):
        return None
    names = sorted(client.indices.get_alias(name=alias))
    return names[-1] if names else None


def store(client: OpenSearch, settings: Settings, index: str, name: str, ranker: Ranker) -> str:
    """Keep `ranker` under `name` in the `_meta` of the physical index behind the alias
    `index` ("researchers"), beside the keys already there; returns that index."""
    physical = _physical(client, settings.alias(index))
    if physical is None:
        raise LookupError(f"no index behind {settings.alias(index)}")
    meta = client.indices.get_mapping(index=physical)[physical]["mappings"].get("_meta") or {}
    meta = {**meta, META_KEY: {**(meta.get(META_KEY) or {}), name: ranker.to_dict()}}
    client.indices.put_mapping(index=physical, body={"_meta": meta})
    _cache.clear()
    return physical


def load(client: OpenSearch, settings: Settings, index: str, name: str) -> Ranker | None:
    """The ranker stored under `name` with the index behind the alias `index`, or None;
    read from the engine at most once a minute per process."""
    key = (settings.opensearch_url, settings.alias(index), name)
    now = time.monotonic()
    hit = _cache.get(key)
    if hit and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    ranker = None
    physical = _physical(client, settings.alias(index))
    if physical is not None:
        meta = client.indices.get_mapping(index=physical)[physical]["mappings"].get("_meta") or {}
        stored = (meta.get(META_KEY) or {}).get(name)
        ranker = Ranker.from_dict(stored) if stored else None
    _cache[key] = (now, ranker)
    return ranker
