"""The model behind `TextEncoder.encode`: two runners and the pooling they share.

  TorchRunner  the sentence-transformers model as shipped, on PyTorch;
  OnnxRunner   an exported graph (embeddings.export) on ONNX Runtime, with the
               model's own fast tokenizer and pooling read from its folder.
Both give float32 rows of unit length.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["OnnxRunner", "Runner", "TorchRunner", "dims_from_files", "pool", "pooling_config", "read_json"]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def pooling_config(model_dir: Path) -> tuple[str, int | None]:
    """The pooling mode ('mean', 'cls' or 'max') and width the model declares."""
    for entry in read_json(model_dir / "modules.json") or []:
        if entry.get("type", "").endswith("Pooling"):
            cfg = read_json(model_dir / entry.get("path", "") / "config.json")
            dim = cfg.get("word_embedding_dimension")
            if cfg.get("pooling_mode_cls_token"):
                return "cls", dim
            if cfg.get("pooling_mode_max_tokens"):
                return "max", dim
            return "mean", dim
    return "mean", None


def dims_from_files(model_dir: Path) -> int:
    _, dim = pooling_config(model_dir)
    return int(dim or read_json(model_dir / "config.json")["hidden_size"])


class Runner:
    dims: int

    def encode(self, texts: list[str], batch_size: int, show_progress_bar: bool = False) -> np.ndarray:
        raise NotImplementedError


class TorchRunner(Runner):
    """The sentence-transformers model as shipped, on PyTorch."""

    def __init__(self, model_dir: Path, max_seq_length: int, num_threads: int | None):
        import torch
        from sentence_transformers import SentenceTransformer

        if num_threads:
            torch.set_num_threads(int(num_threads))
        self.model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        self.model.max_seq_length = max_seq_length
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dims = int(get_dim())

    def encode(self, texts, batch_size, show_progress_bar=False):
        vecs = self.model.encode(
            texts,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=show_progress_bar,
        )
        return np.asarray(vecs, dtype=np.float32)


class OnnxRunner(Runner):
    """The exported graph on ONNX Runtime, with the model's own fast
    tokenizer and pooling; needs neither torch nor sentence-transformers."""

    def __init__(self, onnx_file: Path, model_dir: Path, max_seq_length: int, num_threads: int | None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        limit = int(read_json(model_dir / "tokenizer_config.json").get("model_max_length") or max_seq_length)
        tok.enable_truncation(max_length=min(int(max_seq_length), limit))
        pad_token = read_json(model_dir / "tokenizer_config.json").get("pad_token") or "[PAD]"
        if isinstance(pad_token, dict):
            pad_token = pad_token.get("content", "[PAD]")
        pad_id = tok.token_to_id(pad_token)
        tok.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad_token)
        self.tokenizer = tok
        self.lowercase = bool(read_json(model_dir / "sentence_bert_config.json").get("do_lower_case"))
        self.pooling, dim = pooling_config(model_dir)

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.inter_op_num_threads = 1
        if num_threads:
            opts.intra_op_num_threads = int(num_threads)
        # no busy-waiting between ops: this machine also runs the search engine
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(onnx_file), opts, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.output_name = self.session.get_outputs()[0].name
        self.dims = int(dim or dims_from_files(model_dir))

    def encode(self, texts, batch_size, show_progress_bar=False):
        out = np.empty((len(texts), self.dims), dtype=np.float32)
        for s in range(0, len(texts), batch_size):
            batch = [t.strip() for t in texts[s : s + batch_size]]
            if self.lowercase:
                batch = [t.lower() for t in batch]
            enc = self.tokenizer.encode_batch(batch)
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.input_names:
                feed["token_type_ids"] = np.array([e.type_ids for e in enc], dtype=np.int64)
            hidden = self.session.run([self.output_name], feed)[0]
            out[s : s + len(batch)] = pool(hidden, mask, self.pooling)
        return out


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Token vectors (batch, tokens, dims) -> one row of unit length per text."""
    m = mask.astype(np.float32)
    if mode == "cls":
        v = hidden[:, 0]
    elif mode == "max":
        v = np.where(m[:, :, None] > 0, hidden, -1e9).max(axis=1)
    else:
        v = np.einsum("bsd,bs->bd", hidden, m) / np.maximum(m.sum(axis=1, keepdims=True), 1e-9)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return (v / np.maximum(norms, 1e-12)).astype(np.float32)
