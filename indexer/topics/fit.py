"""fit_topics: cluster work vectors and name every cluster from its texts."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from domain.names import slugify
from indexer.topics.clustering import default_k, normalise, spherical_kmeans
from indexer.topics.labels import ctfidf, make_labels, pick_terms
from indexer.topics.model import Topic, TopicModel
from indexer.topics.phrases import phrases


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
    x = normalise(vectors)
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
    doc_phrases: dict[int, set[str]] = {i: phrases(texts[i]) for i in needed}
    min_df = 2
    scored = ctfidf(cluster_docs, doc_phrases, min_df)
    terms = [pick_terms(s, n_terms) for s in scored]
    raw_docs = [[texts[i] for i in docs[:60]] for docs in cluster_docs]
    names = make_labels(terms, raw_docs, sizes.tolist())

    # labels are ASCII (built from folded phrases): their slugs are the ids earlier builds gave them
    topics = [
        Topic(id=slugify(name), label=name, size=int(size), terms=t, centroid=c)
        for name, size, t, c in zip(names, sizes, terms, centroids)
    ]
    topics.sort(key=lambda t: (-t.size, t.id))
    return TopicModel(topics=topics, seed=seed, meta={"n": n, "k": len(topics), "requested_k": k})
