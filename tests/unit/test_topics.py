"""Topics from clusters of work vectors, named by their distinctive phrases."""
from __future__ import annotations

import numpy as np
import pytest

from domain.names import slugify
from indexer.topics import TopicModel, default_k, fit_topics

pytestmark = pytest.mark.unit

# Three research areas; every text also carries generic paper boilerplate
# that must never become a label.
AREAS = {
    "machine translation": [
        "Neural machine translation for low-resource language pairs",
        "We propose a novel approach to machine translation with back-translation and show strong results",
        "Document-level machine translation with context-aware decoders",
        "Evaluating machine translation output with human judgements",
    ],
    "sentiment analysis": [
        "Aspect-based sentiment analysis of product reviews",
        "We present a new method for sentiment analysis of tweets and show results on three datasets",
        "Multilingual sentiment analysis with lexicons",
        "Sentiment analysis of financial news headlines",
    ],
    "named entity recognition": [
        "Named entity recognition in clinical notes",
        "We propose a novel approach to nested named entity recognition and show results",
        "Cross-lingual named entity recognition with transfer learning",
        "Named entity recognition for historical newspapers",
    ],
}


def synthetic(n_per_area: int = 30, dims: int = 24, seed: int = 7):
    """Texts and vectors where each area is a tight cone around its own centre."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(AREAS), dims))
    texts, vectors, areas = [], [], []
    for a, (area, examples) in enumerate(AREAS.items()):
        for i in range(n_per_area):
            texts.append(examples[i % len(examples)])
            vectors.append(centres[a] + 0.25 * rng.normal(size=dims))
            areas.append(area)
    return texts, np.asarray(vectors, dtype=np.float32), areas


def test_labels_are_the_distinctive_phrases_of_each_cluster():
    texts, vectors, _ = synthetic()
    model = fit_topics(texts, vectors, k=3)
    labels = sorted(t.label for t in model.topics)
    assert labels == ["Machine Translation", "Named Entity Recognition", "Sentiment Analysis"]
    for topic in model.topics:
        assert topic.id == slugify(topic.label)
        assert topic.size == 30
        assert topic.terms[0] == topic.label.lower()
        # boilerplate words never become terms
        for term in topic.terms:
            assert not {"propose", "novel", "approach", "show", "results", "we"} & set(term.split())


def test_assignment_follows_the_nearest_centroid():
    texts, vectors, areas = synthetic()
    model = fit_topics(texts, vectors, k=3)
    assigned = model.assign(vectors, top_n=1)
    for topic_ids, area in zip(assigned, areas):
        assert model.label_of(topic_ids[0]).lower() == area


def test_a_work_between_two_topics_carries_both():
    texts, vectors, _ = synthetic()
    model = fit_topics(texts, vectors, k=3)
    a, b = model.centroids[0], model.centroids[1]
    between = (a + b) / 2
    far = model.centroids[2]
    got = model.assign(np.stack([between, far]), top_n=3, min_sim=0.1)
    assert set(got[0]) == {model.topics[0].id, model.topics[1].id}
    assert got[1] == [model.topics[2].id]


def test_min_sim_can_leave_a_work_without_topics():
    texts, vectors, _ = synthetic()
    model = fit_topics(texts, vectors, k=3)
    opposite = -model.centroids.sum(axis=0)
    assert model.assign(opposite[None, :], min_sim=0.5) == [[]]


def test_the_same_seed_fits_the_same_model():
    texts, vectors, _ = synthetic(n_per_area=40)
    one = fit_topics(texts, vectors, seed=3)
    two = fit_topics(texts, vectors, seed=3)
    assert [(t.id, t.label, t.size, t.terms) for t in one.topics] == [
        (t.id, t.label, t.size, t.terms) for t in two.topics
    ]
    np.testing.assert_array_equal(one.centroids, two.centroids)


def test_labels_are_unique_when_one_area_splits_into_several_clusters():
    texts, vectors, _ = synthetic(n_per_area=40)
    model = fit_topics(texts, vectors, k=6)
    ids = [t.id for t in model.topics]
    assert len(ids) == len(set(ids))
    assert all(t.label and not t.label.isdigit() for t in model.topics)


def test_acronyms_keep_their_case():
    rng = np.random.default_rng(0)
    texts = ["Probing BERT representations for syntax"] * 20 + ["Speech recognition for children"] * 20
    centres = rng.normal(size=(2, 16))
    vectors = np.concatenate([centres[0] + 0.1 * rng.normal(size=(20, 16)), centres[1] + 0.1 * rng.normal(size=(20, 16))])
    model = fit_topics(texts, vectors, k=2)
    joined = " | ".join(t.label for t in model.topics)
    assert "BERT" in joined
    assert "Speech Recognition" in joined


def test_save_and_load_round_trip(tmp_path):
    texts, vectors, _ = synthetic()
    model = fit_topics(texts, vectors, k=3)
    model.save(tmp_path / "topics")
    loaded = TopicModel.load(tmp_path / "topics")
    assert [(t.id, t.label, t.size, t.terms) for t in loaded.topics] == [
        (t.id, t.label, t.size, t.terms) for t in model.topics
    ]
    assert loaded.assign(vectors) == model.assign(vectors)


def test_k_scales_with_the_number_of_works():
    assert default_k(0) == 0
    assert default_k(5) == 1
    assert 20 <= default_k(3000) <= 35
    assert 100 <= default_k(104_000) <= 200
    assert default_k(10_000_000) == 200


def test_no_works_fit_no_topic_identical_works_one_and_unequal_inputs_raise():
    assert len(fit_topics([], np.zeros((0, 8)))) == 0
    model = fit_topics(["Machine translation"] * 3, np.ones((3, 8)))
    assert len(model) == 1
    assert model.assign(np.ones((1, 8))) == [[model.topics[0].id]]
    with pytest.raises(ValueError):
        fit_topics(["one text"], np.ones((2, 8)))


def test_fewer_distinct_works_than_clusters_gives_no_empty_topics():
    rng = np.random.default_rng(0)
    vectors = np.repeat(rng.normal(size=(2, 8)), 10, axis=0)
    texts = ["Machine translation of news"] * 10 + ["Speech recognition for children"] * 10
    model = fit_topics(texts, vectors, k=5)
    assert sorted((t.label, t.size) for t in model.topics) == [("Machine Translation", 10), ("Speech Recognition", 10)]
