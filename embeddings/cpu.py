"""CPU vector features, and the int8 quantisation preset they call for."""
from __future__ import annotations

import platform

__all__ = ["cpu_flags", "quantization_config_for_cpu", "vector_features"]


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


def vector_features(flags: set[str] | None = None, machine: str | None = None) -> str:
    """The vector instructions int8 inference can use here, in words: "AVX-512 VNNI",
    "AVX-512 (no VNNI)", "AVX2 only" (with or without AVX-VNNI), "arm64" or "none"."""
    flags = cpu_flags() if flags is None else flags
    preset = quantization_config_for_cpu(flags, machine)
    if preset == "avx2":
        return "AVX2 only" + (" (with AVX-VNNI)" if "avx_vnni" in flags else "")
    return {"avx512_vnni": "AVX-512 VNNI", "avx512": "AVX-512 (no VNNI)", "arm64": "arm64"}.get(preset, "none")
