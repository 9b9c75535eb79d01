"""ONNX export of the model: one time per model and CPU kind, under the cache directory.

`ensure_onnx_model` traces the transformer to ONNX, fuses it (ONNX Runtime's transformer
optimiser), quantises it to int8 for this CPU's preset if asked, and checks each file
against the PyTorch model on a few probe texts before it is used. Never writes into the
installed model package.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from pathlib import Path
from typing import Iterator

import numpy as np

from embeddings.runners import OnnxRunner, TorchRunner, read_json

__all__ = ["ensure_onnx_model"]

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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


# Kept over sentence-transformers' own ONNX backend (optimum export, export_dynamic_quantized_onnx_model,
# SentenceTransformer(path, backend="onnx", model_kwargs={"file_name": ...})), which is slower on the same
# texts: `bench/embed_throughput.py --n 2000 --interleave --baseline-max-seq-length 128 --configs
# onnx-int8/128,st-onnx-int8/128`, 2,000 ACL titles+abstracts, 128 tokens, AVX-512 VNNI, 2 shared cores,
# median of 3, texts/s wall | per CPU-second:
#   batch 64: this path 31.3 | 93 and 36.5 | 93 (two runs), sentence-transformers 29.8 | 86 and 30.1 | 79
#   batch 32: this path 37.2 | 88, sentence-transformers 32.0 | 81
# i.e. 95 % of the wall rate at best (82 and 86 % in the other runs) and 85-92 % per CPU-second, the steady
# figure on a busy machine: not within 5 %. Cosine to torch fp32/128, mean: 0.9937 here, 0.9929 there;
# 10-NN agreement with it 0.887 against 0.877. Its quantiser runs on the unfused graph (quantising its
# O2-optimised graph fails in ONNX Runtime 1.32 without DefaultTensorType), and optimum pins transformers
# below 4.58.
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
        manifest = read_json(manifest_path)
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
    runner = TorchRunner(model_dir, 256, None)
    return runner.encode(list(_PROBE_TEXTS), batch_size=len(_PROBE_TEXTS))


def _check(onnx_file: Path, model_dir: Path, reference: np.ndarray, kind: str) -> float:
    runner = OnnxRunner(onnx_file, model_dir, 256, None)
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

    config = read_json(model_dir / "config.json")
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

    config = read_json(model_dir / "config.json")
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
