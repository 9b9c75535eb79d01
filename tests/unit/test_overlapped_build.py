"""The parts of a build whose steps overlap: the background embedder, the streamed bulk writer,
the topic sample and the countdown that says when a researcher's document can be written."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from indexer import write
from indexer.stages import BackgroundEmbedder, Countdown, topic_sample
from indexer.topics.clustering import default_k
from indexer.write import BulkStream

pytestmark = pytest.mark.unit


class FakeEncoder:
    """encode_cached: one row per text, its length in the first column; remembers what it saw."""

    dims = 4

    def __init__(self, delay: float = 0.0):
        self.calls: list[list[str]] = []
        self.delay = delay
        self.texts_encoded = 0

    def encode_cached(self, texts):
        time.sleep(self.delay)
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        out[:, 0] = [len(t) for t in texts]
        return out


def test_the_background_embedder_gives_vectors_in_order_and_drops_prefetches_not_begun():
    encoder = FakeEncoder(delay=0.05)
    embedder = BackgroundEmbedder(encoder, chunk=2)
    try:
        embedder.prefetch(["a", "bb", "ccc", "dddd", "eeeee", "ffffff"])  # three calls of two texts
        time.sleep(0.02)  # the first has begun
        embedder.stop_prefetch()
        vectors = embedder.submit(["xyz", "q"]).result()
    finally:
        embedder.close()
    assert vectors[:, 0].tolist() == [3.0, 1.0]
    assert encoder.calls[0] == ["a", "bb"] and encoder.calls[-1] == ["xyz", "q"]
    assert len(encoder.calls) < 4  # a prefetch not begun was cancelled
    assert embedder.busy_s > 0


def test_a_failed_prefetch_is_raised_when_prefetching_stops():
    class Broken(FakeEncoder):
        def encode_cached(self, texts):
            raise RuntimeError("no model")

    embedder = BackgroundEmbedder(Broken())
    try:
        embedder.prefetch(["a"])
        time.sleep(0.05)
        with pytest.raises(RuntimeError, match="no model"):
            embedder.stop_prefetch()
    finally:
        embedder.close()


def test_the_topic_sample_is_fixed_sorted_and_a_part_of_a_large_corpus():
    assert topic_sample(500).tolist() == list(range(500))  # a small build is its own sample
    big = topic_sample(100_000)
    assert big.tolist() == sorted(set(big.tolist())) == topic_sample(100_000).tolist()
    assert len(big) == max(2000, 50 * default_k(100_000)) < 100_000 // 5


def test_a_researcher_is_complete_when_the_last_of_their_visible_works_is_done():
    records = [
        {"authors": [{"id": "a"}, {"id": "b"}]},
        {"authors": [{"id": "b"}, {"id": "b"}]},  # listed twice on one paper: one work
        {"authors": [{"id": "c"}], "hidden": True},  # not in c's document
        {"authors": [{"id": "a"}, {"id": "c"}]},
    ]
    countdown = Countdown(records)
    assert countdown.done(0, 1) == []
    assert countdown.done(1, 3) == ["b"]
    assert countdown.done(3, 4) == ["a", "c"]


def test_the_bulk_stream_writes_in_the_background_what_is_put(monkeypatch):
    seen: list[str] = []
    started = threading.Event()

    def fake_bulk(client, index, docs, on_reject, on_done=None, diff=None):
        started.set()
        n = 0
        for doc in docs:
            seen.append(doc["id"])
            n += 1
        return n

    monkeypatch.setattr(write, "bulk_index", fake_bulk)
    stream = BulkStream(None, "idx", on_reject=lambda *a: None,
                        transform=lambda docs: ({**d, "id": d["id"].upper()} for d in docs), max_queued=2)
    for i in "abcde":
        stream.put({"id": i})
    assert started.wait(5)
    assert stream.close() == 5
    assert seen == ["A", "B", "C", "D", "E"]


def test_an_engine_error_in_the_bulk_stream_reaches_the_producer(monkeypatch):
    def failing_bulk(client, index, docs, on_reject, on_done=None, diff=None):
        next(iter(docs))
        raise ConnectionError("engine gone")

    monkeypatch.setattr(write, "bulk_index", failing_bulk)
    stream = BulkStream(None, "idx", on_reject=lambda *a: None, max_queued=1)
    with pytest.raises(ConnectionError, match="engine gone"):
        for i in range(1000):  # the queue is full as soon as the writer stops taking
            stream.put({"id": str(i)})
        stream.close()


def test_aborting_a_bulk_stream_does_not_wait_for_a_full_queue(monkeypatch):
    release = threading.Event()

    def slow_bulk(client, index, docs, on_reject, on_done=None, diff=None):
        for _ in docs:
            release.wait(0.05)
        return 0

    monkeypatch.setattr(write, "bulk_index", slow_bulk)
    stream = BulkStream(None, "idx", on_reject=lambda *a: None, max_queued=2)
    for i in range(3):
        stream.put({"id": str(i)})
    t = time.perf_counter()
    stream.abort()
    assert time.perf_counter() - t < 5
