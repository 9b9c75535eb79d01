"""Raw embedding throughput on real Anthology texts, and agreement with fp32.

    python bench/embed_throughput.py                      # configured backend, n=1500
    python bench/embed_throughput.py --backend onnx-int8 --max-seq-length 128
    python bench/embed_throughput.py --matrix             # the usual set of configs

Prints texts/s (median of --repeats runs, model load excluded), the estimated
time for the whole corpus (~104k texts), and the cosine between each config's
vectors and torch fp32 / max_seq_length 256 vectors of the same texts,
computed in the same run. No cache is used for timing.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from indexer.embed import Embedder, cpu_flags, quantization_config_for_cpu, work_text  # noqa: E402
from peerscope.config import load_settings  # noqa: E402

CORPUS_TEXTS = 104_000  # works to embed for the whole Anthology


def read_corpus(data_dir: Path, n: int, seed: int = 0, abstracts_only: bool = False) -> list[str]:
    """A seeded sample of work texts (title + abstract, or title alone) from
    the Anthology XML, with the corpus' own share of abstracts."""
    from lxml import etree

    files = sorted((data_dir / "xml").glob("*.xml"))
    if not files:
        raise SystemExit(f"no Anthology XML under {data_dir / 'xml'}")
    texts: list[str] = []
    for f in files:
        for _, paper in etree.iterparse(str(f), tag="paper"):
            title_el = paper.find("title")
            if title_el is not None:
                title = "".join(title_el.itertext())
                abs_el = paper.find("abstract")
                abstract = "".join(abs_el.itertext()) if abs_el is not None else ""
                if title.strip() and (abstract.strip() or not abstracts_only):
                    texts.append(work_text(title, abstract))
            paper.clear()
    rng = random.Random(seed)
    return rng.sample(texts, min(n, len(texts)))


def run_config(texts, model_path, backend, msl, batch_size, threads, repeats, cache_dir):
    emb = Embedder(model_path, backend=backend, max_seq_length=msl, batch_size=batch_size,
                   cache_dir=cache_dir, num_threads=threads)
    t0 = time.perf_counter()
    emb.load()
    emb.encode(texts[:16])  # warm-up
    load_s = time.perf_counter() - t0
    rates, vecs = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        vecs = emb.encode(texts)
        rates.append(len(texts) / (time.perf_counter() - t))
    return emb, statistics.median(rates), rates, load_s, vecs


def main(argv=None) -> int:
    s = load_settings()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1500, help="number of corpus texts (default 1500)")
    ap.add_argument("--backend", default=s.embed_backend, choices=["torch", "onnx", "onnx-int8"])
    ap.add_argument("--max-seq-length", type=int, default=s.embed_max_seq_length)
    ap.add_argument("--batch-size", type=int, default=s.embed_batch_size)
    ap.add_argument("--threads", type=int, default=None, help="torch / onnxruntime intra-op threads")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--abstracts-only", action="store_true", help="only works that have an abstract")
    ap.add_argument("--matrix", action="store_true",
                    help="run torch/256, onnx/256, onnx-int8/256, onnx-int8/128, torch/128")
    ap.add_argument("--no-baseline", action="store_true", help="skip the fp32/256 agreement check")
    ap.add_argument("--model", default=s.model)
    ap.add_argument("--cache-dir", default=None, help="where ONNX exports live (default: the configured cache)")
    args = ap.parse_args(argv)

    cache_dir = Path(args.cache_dir) if args.cache_dir else s.embedding_cache_dir
    flags = cpu_flags()
    shown = sorted(f for f in flags if f.startswith(("avx", "amx")) or f in ("fma", "f16c"))
    import torch

    print(f"cpu: {platform.machine()}, {os.cpu_count()} cpus, torch threads {torch.get_num_threads()}, "
          f"flags {' '.join(shown) or '-'}; int8 preset: {quantization_config_for_cpu(flags)}")
    t = time.perf_counter()
    texts = read_corpus(s.data_dir, args.n, args.seed, args.abstracts_only)
    with_abs = sum(1 for x in texts if len(x) > 300)
    print(f"corpus sample: {len(texts)} texts (~{with_abs} with abstracts) read in {time.perf_counter() - t:.1f}s; "
          f"mean {statistics.mean(map(len, texts)):.0f} chars")

    configs = [(args.backend, args.max_seq_length)]
    if args.matrix:
        configs = [("torch", 256), ("onnx", 256), ("onnx-int8", 256), ("onnx-int8", 128), ("torch", 128)]

    baseline = None
    if not args.no_baseline:
        emb, rate, rates, load_s, baseline = run_config(texts, args.model, "torch", 256, args.batch_size,
                                                        args.threads, 1, cache_dir)
        if ("torch", 256) in configs:
            baseline_rate = rate
        print(f"baseline torch fp32/256: {rate:.1f} texts/s (1 run)")

    print(f"{'backend':24} {'msl':>4} {'batch':>5} {'texts/s':>8} {'runs':>22} {'corpus':>8} "
          f"{'cos mean':>8} {'cos p1':>7} {'cos min':>7}")
    for backend, msl in configs:
        emb, rate, rates, load_s, vecs = run_config(texts, args.model, backend, msl, args.batch_size,
                                                    args.threads, args.repeats, cache_dir)
        cos = "" if baseline is None else np.einsum("ij,ij->i", vecs, baseline)
        cos_txt = "" if baseline is None else f"{cos.mean():8.4f} {np.percentile(cos, 1):7.4f} {cos.min():7.4f}"
        runs = "/".join(f"{r:.0f}" for r in rates)
        est = CORPUS_TEXTS / rate / 60
        print(f"{emb.effective_backend:24} {msl:>4} {args.batch_size:>5} {rate:8.1f} {runs:>22} "
              f"{est:6.1f}m {cos_txt}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
