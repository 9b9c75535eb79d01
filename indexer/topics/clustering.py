"""Spherical k-means for topics: cosine space, pure numpy, bounded memory,
deterministic for a given seed."""
from __future__ import annotations

import math

import numpy as np


def default_k(n: int) -> int:
    """Number of clusters for n works: about sqrt(n)/2, i.e. ~160 for the
    whole Anthology (~104k works), ~27 for 3,000, capped at 200 and at n/5 so
    small samples still get clusters of a sensible size."""
    if n <= 0:
        return 0
    k = int(round(0.5 * math.sqrt(n)))
    return max(1, min(k, 200, n // 5 if n >= 10 else 1))


def normalise(x: np.ndarray) -> np.ndarray:
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
        centroids = normalise(sums).astype(np.float32)
        if obj - prev_obj < tol and not empty.size:
            break
        prev_obj = obj
    return centroids
