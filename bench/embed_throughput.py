"""Raw embedding throughput on real Anthology texts, and agreement with fp32.

    python bench/embed_throughput.py                      # configured backend, n=1500
    python bench/embed_throughput.py --backend onnx-int8 --max-seq-length 128
    python bench/embed_throughput.py --matrix             # the usual set of configs
    # the project's int8 path against sentence-transformers' own (needs optimum[onnxruntime]):
    python bench/embed_throughput.py --n 2000 --interleave --baseline-max-seq-length 128 --configs onnx-int8/128,st-onnx-int8/128

Prints the CPU's vector features, texts/s (median of --repeats runs, model load
excluded), the estimated time for the whole corpus (~104k texts), and the
cosine between each config's vectors and torch fp32 vectors of the same texts
(max_seq_length 256 unless --baseline-max-seq-length), computed in the same
run. No cache is used for timing.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from domain.text import work_text  # noqa: E402
from embeddings import TextEncoder, cpu_flags, quantization_config_for_cpu  # noqa: E402
from embeddings.cpu import vector_features  # noqa: E402
from peerscope.config import load_settings, use_local_models  # noqa: E402

CORPUS_TEXTS = 104_000  # works to embed for the whole Anthology


def read_corpus(data_dir: Path, n: int, seed: int = 0, abstracts_only: bool = False) -> list[str]:
    """A seeded sample of work texts (title + abstract, or title alone) from
    the Anthology XML, with the corpus' own share of abstracts."""
    return [work_text(t, a) for t, a in read_papers(data_dir, n, seed, abstracts_only)]


def read_papers(data_dir: Path, n: int, seed: int = 0, abstracts_only: bool = False) -> list[tuple[str, str]]:
    """A seeded sample of (title, abstract) pairs; abstract may be ''."""
    from lxml import etree

    files = sorted((data_dir / "xml").glob("*.xml"))
    if not files:
        raise SystemExit(f"no Anthology XML under {data_dir / 'xml'}")
    papers: list[tuple[str, str]] = []
    for f in files:
        for _, paper in etree.iterparse(str(f), tag="paper"):
            title_el = paper.find("title")
            if title_el is not None:
                title = "".join(title_el.itertext())
                abs_el = paper.find("abstract")
                abstract = "".join(abs_el.itertext()) if abs_el is not None else ""
                if title.strip() and (abstract.strip() or not abstracts_only):
                    papers.append((title, abstract))
            paper.clear()
    rng = random.Random(seed)
    return rng.sample(papers, min(n, len(papers)))


def title_to_abstract_retrieval(emb: TextEncoder, papers: list[tuple[str, str]]) -> tuple[float, float]:
    """A small relevance check that truncation can hurt: each title is a
    query, the abstracts (without titles) of the sample are the documents.
    Returns (recall@1, MRR@10) of finding the paper's own abstract."""
    pairs = [(t, a) for t, a in papers if a.strip()]
    q = emb.encode([work_text(t) for t, _ in pairs])
    d = emb.encode([work_text(None, a) for _, a in pairs])
    sims = q @ d.T
    own = np.diag(sims)
    rank = (sims > own[:, None]).sum(axis=1)  # 0 = own abstract ranked first
    mrr = float(np.mean(np.where(rank < 10, 1.0 / (rank + 1), 0.0)))
    return float(np.mean(rank == 0)), mrr


ST_BACKENDS = ("st-onnx-int8",)  # sentence-transformers' own ONNX path, for comparison


class SentenceTransformersOnnx:
    """sentence-transformers' own ONNX backend: the model exported by optimum, quantised by
    `export_dynamic_quantized_onnx_model` for this CPU's preset, run by `SentenceTransformer(path,
    backend="onnx", model_kwargs={"file_name": ...})` with the ONNX Runtime session options of
    the project's runner. Exported once into a copy of the model folder under the cache
    directory. Needs optimum[onnxruntime]; measured against `TextEncoder` on the same texts.
    (Quantising the graph `export_optimized_onnx_model` makes, O2, fails in ONNX Runtime 1.32's
    quantiser for want of a default tensor type, which its config does not pass.)"""

    def __init__(self, model_path, backend, max_seq_length, batch_size, cache_dir, num_threads=None):
        self.model_path, self.backend = Path(model_path), backend
        self.max_seq_length, self.batch_size, self.num_threads = max_seq_length, batch_size, num_threads
        ident = TextEncoder(model_path).model_id
        base = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "peerscope-embeddings"
        self.folder = base / "models" / (re.sub(r"[^A-Za-z0-9_.-]+", "-", ident) + "-sentence-transformers")
        self.model = None
        self.effective_backend = backend

    def _load(self, file_name=None):
        from sentence_transformers import SentenceTransformer

        kwargs = {"file_name": file_name} if file_name else {}
        return SentenceTransformer(str(self.folder), backend="onnx", device="cpu", local_files_only=True,
                                   model_kwargs={**kwargs, "provider": "CPUExecutionProvider",
                                                 "session_options": self._session_options()})

    def _session_options(self):
        import onnxruntime as ort

        opts = ort.SessionOptions()  # as embeddings.runners.OnnxRunner sets them
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.inter_op_num_threads = 1
        if self.num_threads:
            opts.intra_op_num_threads = int(self.num_threads)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return opts

    def load(self):
        use_local_models()
        from sentence_transformers.backend import export_dynamic_quantized_onnx_model

        preset = quantization_config_for_cpu()
        if preset is None:
            raise SystemExit("this CPU has no int8 preset")
        target = f"onnx/model_qint8_{preset}.onnx"
        if not (self.folder / "config.json").exists():
            shutil.copytree(self.model_path, self.folder, dirs_exist_ok=True)
        if not (self.folder / target).exists():
            model = self._load()  # exports to ONNX (optimum) when the folder has no onnx/model.onnx
            if not (self.folder / "onnx" / "model.onnx").exists():
                model.save_pretrained(str(self.folder))
            export_dynamic_quantized_onnx_model(model, preset, str(self.folder), file_suffix=f"qint8_{preset}")
        self.model = self._load(target)
        self.model.max_seq_length = self.max_seq_length
        self.effective_backend = f"{self.backend} ({preset})"
        return self.model

    def encode(self, texts):
        model = self.model or self.load()
        vecs = model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                            normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    def close(self):
        self.model = None


def make_encoder(texts, model_path, backend, msl, batch_size, threads, cache_dir, processes=1):
    """The encoder for one config, loaded and warmed up; (encoder, load seconds)."""
    if backend in ST_BACKENDS:
        emb = SentenceTransformersOnnx(model_path, backend, msl, batch_size, cache_dir, threads)
    else:
        emb = TextEncoder(model_path, backend=backend, max_seq_length=msl, batch_size=batch_size,
                          cache_dir=cache_dir, num_threads=threads, processes=processes)
    t0 = time.perf_counter()
    emb.load()
    emb.encode(texts[: max(16, 8 * batch_size * processes)] if processes > 1 else texts[:16])  # warm-up
    return emb, time.perf_counter() - t0


def timed_run(emb, texts):
    """One run: (wall-clock texts/s, texts per CPU-second of this process, vectors)."""
    t, c = time.perf_counter(), time.process_time()
    vecs = emb.encode(texts)
    return len(texts) / (time.perf_counter() - t), len(texts) / max(time.process_time() - c, 1e-9), vecs


def run_config(texts, model_path, backend, msl, batch_size, threads, repeats, cache_dir, processes=1):
    """Median wall-clock texts/s over `repeats` runs (model load and a warm-up
    excluded), and each run's texts per CPU-second (steadier on a busy machine)."""
    emb, load_s = make_encoder(texts, model_path, backend, msl, batch_size, threads, cache_dir, processes)
    rates, cpu_rates, vecs = [], [], None
    for _ in range(repeats):
        rate, cpu_rate, vecs = timed_run(emb, texts)
        rates.append(rate)
        cpu_rates.append(cpu_rate)
    # worker processes' CPU time is not ours to see: no per-CPU figure then
    cpu_rates = cpu_rates if processes == 1 else [float("nan")]
    return emb, statistics.median(rates), rates, cpu_rates, load_s, vecs


def run_interleaved(texts, configs, model_path, batch_size, threads, repeats, cache_dir):
    """Every config loaded first, then run in turn, `repeats` rounds, so that a busy
    machine slows all of them alike; the same results as run_config, per config."""
    loaded = [make_encoder(texts, model_path, b, msl, batch_size, threads, cache_dir) for b, msl in configs]
    runs: list[list[tuple[float, float]]] = [[] for _ in configs]
    vecs: list = [None] * len(configs)
    for _ in range(repeats):
        for i, (emb, _) in enumerate(loaded):
            rate, cpu_rate, vecs[i] = timed_run(emb, texts)
            runs[i].append((rate, cpu_rate))
    return [(emb, statistics.median(r for r, _ in rs), [r for r, _ in rs], [c for _, c in rs], load_s, v)
            for (emb, load_s), rs, v in zip(loaded, runs, vecs)]


def neighbour_overlap(a: np.ndarray, b: np.ndarray, k: int = 10) -> float:
    """Mean share of each text's k nearest neighbours (within the sample)
    that two sets of vectors agree on: what 'similar work' would notice."""
    def knn(v):
        sims = v @ v.T
        np.fill_diagonal(sims, -np.inf)
        return np.argpartition(-sims, k, axis=1)[:, :k]
    na, nb = knn(a), knn(b)
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(na, nb)]))


def main(argv=None) -> int:
    s = load_settings()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1500, help="number of corpus texts (default 1500)")
    ap.add_argument("--backend", default=s.embed_backend, choices=["torch", "onnx", "onnx-int8", *ST_BACKENDS])
    ap.add_argument("--max-seq-length", type=int, default=s.embed_max_seq_length)
    ap.add_argument("--batch-size", type=int, default=s.embed_batch_size)
    ap.add_argument("--threads", type=int, default=None, help="torch / onnxruntime intra-op threads")
    ap.add_argument("--processes", type=int, default=1,
                    help="worker processes for the model (each with --threads threads, default 1)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--abstracts-only", action="store_true", help="only works that have an abstract")
    ap.add_argument("--matrix", action="store_true",
                    help="run torch/256, onnx/256, onnx-int8/256, onnx-int8/128, torch/128")
    ap.add_argument("--no-baseline", action="store_true", help="skip the torch fp32 agreement check")
    ap.add_argument("--baseline-max-seq-length", type=int, default=256,
                    help="max_seq_length of the torch fp32 vectors the configs are compared with (default 256)")
    ap.add_argument("--interleave", action="store_true",
                    help="load every config first, then time them in turn (fairer on a busy machine)")
    ap.add_argument("--retrieval", action="store_true",
                    help="also score title -> own abstract retrieval (recall@1, MRR@10) per config")
    ap.add_argument("--configs", default=None,
                    help="comma-separated backend/max_seq_length pairs, e.g. onnx-int8/256,onnx-int8/128; "
                         "st-onnx-int8/128 runs sentence-transformers' own int8 ONNX path")
    ap.add_argument("--model", default=s.model)
    ap.add_argument("--cache-dir", default=None, help="where ONNX exports live (default: the configured cache)")
    args = ap.parse_args(argv)

    cache_dir = Path(args.cache_dir) if args.cache_dir else s.embedding_cache_dir
    flags = cpu_flags()
    shown = sorted(f for f in flags if f.startswith(("avx", "amx")) or f in ("fma", "f16c"))
    import torch

    try:
        load1 = f", load average {os.getloadavg()[0]:.1f}"
    except OSError:
        load1 = ""
    print(f"cpu: {platform.machine()}, {os.cpu_count()} cpus, torch threads {torch.get_num_threads()}, "
          f"flags {' '.join(shown) or '-'}; int8 preset: {quantization_config_for_cpu(flags)}{load1}")
    print(f"vector features: {vector_features(flags)}")
    t = time.perf_counter()
    papers = read_papers(s.data_dir, args.n, args.seed, args.abstracts_only)
    texts = [work_text(t, a) for t, a in papers]
    with_abs = sum(1 for _, a in papers if a.strip())
    print(f"corpus sample: {len(texts)} texts ({with_abs} with abstracts) read in {time.perf_counter() - t:.1f}s; "
          f"mean {statistics.mean(map(len, texts)):.0f} chars")

    configs = [(args.backend, args.max_seq_length)]
    if args.matrix:
        configs = [("torch", 256), ("onnx", 256), ("onnx-int8", 256), ("onnx-int8", 128), ("torch", 128)]
    if args.configs:
        configs = [(c.split("/")[0], int(c.split("/")[1])) for c in args.configs.split(",")]

    baseline = None
    if not args.no_baseline:
        bmsl = args.baseline_max_seq_length
        _, rate, _, cpu_rates, _, baseline = run_config(texts, args.model, "torch", bmsl, args.batch_size,
                                                        args.threads, 1, cache_dir)
        print(f"baseline torch fp32/{bmsl}: {rate:.1f} texts/s wall, {cpu_rates[0]:.1f} texts per CPU-second (1 run)")

    print(f"{'backend':20} {'msl':>4} {'batch':>5} {'texts/s':>8} {'runs':>16} {'per-cpu-s':>9} {'cpu runs':>16} "
          f"{'corpus':>7} {'load':>6} {'cos mean':>8} {'cos p1':>7} {'cos min':>7} {'nn@10':>6}")
    if args.interleave:
        results = iter(run_interleaved(texts, configs, args.model, args.batch_size, args.threads, args.repeats,
                                       cache_dir))
    for backend, msl in configs:
        if args.interleave:
            emb, rate, rates, cpu_rates, load_s, vecs = next(results)
        else:
            emb, rate, rates, cpu_rates, load_s, vecs = run_config(texts, args.model, backend, msl, args.batch_size,
                                                                  args.threads, args.repeats, cache_dir,
                                                                  args.processes)
        if baseline is None:
            cos_txt = ""
        else:
            cos = np.einsum("ij,ij->i", vecs, baseline)
            cos_txt = (f"{cos.mean():8.4f} {np.percentile(cos, 1):7.4f} {cos.min():7.4f} "
                       f"{neighbour_overlap(vecs, baseline):6.3f}")
        runs = "/".join(f"{r:.0f}" for r in rates)
        cpu_runs = "/".join(f"{r:.0f}" for r in cpu_rates)
        cpu_rate = max(cpu_rates)
        est = CORPUS_TEXTS / rate / 60
        if args.retrieval:
            r1, mrr = title_to_abstract_retrieval(emb, papers)
            cos_txt += f"  title->abstract R@1 {r1:.3f} MRR@10 {mrr:.3f}"
        emb.close()
        name = emb.effective_backend + (f" x{args.processes}p" if args.processes > 1 else "")
        print(f"{name:20} {msl:>4} {args.batch_size:>5} {rate:8.1f} {runs:>16} {cpu_rate:9.1f} {cpu_runs:>16} "
              f"{est:6.1f}m {load_s:5.1f}s {cos_txt}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
