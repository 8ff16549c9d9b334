"""What a result was measured on: written into every file under benchmarks/results/.

A speed figure means nothing without the machine: CPU model and flags, cores this
process may use, memory, Python, TensorFlow's version and build, and whether oneDNN
(TensorFlow's x86 kernel library, on by default unless TF_ENABLE_ONEDNN_OPTS=0) was on.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

VECTOR_FLAGS = ("avx", "avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_bf16", "amx_tile")


def _cpuinfo() -> dict:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {"model": platform.processor() or "unknown", "flags": []}
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = fields.get("flags", "").split()
    return {"model": fields.get("model name", "unknown"), "flags": [flag for flag in VECTOR_FLAGS if flag in flags]}


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def machine() -> dict:
    """The machine and software a benchmark ran on."""
    import sweep

    tf = sweep.import_tensorflow()
    cpu = _cpuinfo()
    info = {
        "cpu_model": cpu["model"],
        "cpu_flags": cpu["flags"],
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cores_total": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }
    from tensorflow.python.util import _pywrap_util_port

    build = dict(tf.sysconfig.get_build_info())
    info["tensorflow"] = {
        "version": tf.__version__,
        "build": {key: build[key] for key in sorted(build) if isinstance(build[key], (str, bool, int))},
        "onednn_built": bool(_pywrap_util_port.IsMklEnabled()),
        "onednn_enabled": bool(_pywrap_util_port.IsMklEnabled())
        and os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") not in ("0", "false", "False"),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads() or "default (all cores)",
    }
    return info


def write_result(path: Path, results: dict) -> None:
    """Write a benchmark's results with the machine, the command and the date beside them."""
    payload = {
        "benchmark": Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else "unknown",
        "command": " ".join(["python", "-m", f"benchmarks.{Path(sys.argv[0]).stem}", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        **results,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=_plain) + "\n")


def _plain(value):
    """NumPy scalars and arrays as JSON numbers and lists (a benchmark's statistics are often NumPy's)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
