"""The fitted topics: lookup, assignment of works to topics, persistence."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from indexer.topics.clustering import normalise

FORMAT_VERSION = 1


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
        return normalise(np.asarray(vectors, dtype=np.float32)) @ self._centroids.T

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

