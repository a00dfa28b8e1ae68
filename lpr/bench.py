"""Speed benchmarks: model-only throughput, batch-1 latency, the STN's share, end to end.

    lpr bench --model cn --batch-size 1 64 256

Warm-up runs are excluded; every figure is wall clock on this process's inference threads
(torch or onnxruntime, as `--threads` sets them).
"""

from __future__ import annotations

import resource
import time

import numpy as np
import torch

from .data import to_input
from .pipeline import Recognizer


def _timed(fn, repeats: int) -> list[float]:
    fn()  # warm-up: first-call allocations, oneDNN kernel selection
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def model_throughput(r: Recognizer, batch_size: int, seconds: float = 2.0) -> float:
    """Plates/s of STN + sampling + LPRNet + softmax (the recogniser's backend) on one batch
    size, one look."""
    w, h = r.input_size
    x = to_input(np.random.default_rng(0).integers(0, 255, (batch_size, h, w, 3), dtype=np.uint8))
    fn = lambda: r._look(x)  # noqa: E731
    once = min(_timed(fn, 1))
    times = _timed(fn, max(3, int(seconds / max(once, 1e-4))))
    return batch_size / float(np.median(times))


def latency(r: Recognizer, repeats: int = 300) -> tuple[float, float]:
    """Median and p99 milliseconds to read one preprocessed plate (both nets + decoding), in
    one look: random pixels would all take a second look, which real plates rarely need
    (:func:`end_to_end` measures those)."""
    w, h = r.input_size
    img = np.random.default_rng(0).integers(0, 255, (1, h, w, 3), dtype=np.uint8)
    from .decoding import greedy_decode

    looks, r.second_look = r.second_look, False
    try:
        times = _timed(lambda: greedy_decode(r.probabilities(img), r.alphabet), repeats)
    finally:
        r.second_look = looks
    return float(np.median(times) * 1e3), float(np.percentile(times, 99) * 1e3)


def stn_share(r: Recognizer, batch_size: int = 64, repeats: int = 30) -> float:
    """Fraction of a first look's model time spent in the STN (localisation net and sampling),
    in the recogniser's backend."""
    w, h = r.input_size
    x = to_input(np.random.default_rng(0).integers(0, 255, (batch_size, h, w, 3), dtype=np.uint8))
    if r._sessions is not None:
        stn = lambda: r._rectify(x)  # noqa: E731
    else:
        xt = torch.from_numpy(x)
        stn = lambda: r.stn(xt)  # noqa: E731
    with torch.inference_mode():
        stn_time = float(np.median(_timed(stn, repeats)))
        full = float(np.median(_timed(lambda: r._look(x), repeats)))
    return stn_time / full


def end_to_end(r: Recognizer, paths: list[str], batch_size: int = 64) -> float:
    """Plates/s from image files to text (decode, resize, both nets, CTC decoding)."""
    list(r.read_files(paths[:batch_size], batch_size))  # warm-up
    t = time.perf_counter()
    n = sum(1 for _ in r.read_files(paths, batch_size))
    return n / (time.perf_counter() - t)


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(
    model: str = "cn",
    batch_sizes=(1, 64, 256),
    images: list[str] | None = None,
    backend: str = Recognizer.DEFAULT_BACKEND,
) -> dict:
    """All benchmarks for one model; returns a dict of figures."""
    r = Recognizer.load(model, backend=backend)
    result = {
        "model": model,
        "backend": backend,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "throughput": {b: model_throughput(r, b) for b in batch_sizes},
    }
    result["latency_ms_median"], result["latency_ms_p99"] = latency(r)
    result["stn_share"] = stn_share(r)
    if images:
        result["end_to_end"] = end_to_end(r, images)
    result["peak_memory_mb"] = peak_memory_mb()
    return result


def format_result(res: dict) -> str:
    lines = [f"model {res['model']}, backend {res['backend']}: torch {res['torch']}, {res['threads']} threads"]
    for b, pps in res["throughput"].items():
        lines.append(f"  model only, batch {b:>4}: {pps:8.1f} plates/s")
    lines.append(f"  latency batch 1: median {res['latency_ms_median']:.2f} ms, p99 {res['latency_ms_p99']:.2f} ms")
    lines.append(f"  STN share of model time (batch 64): {res['stn_share']:.1%}")
    if "end_to_end" in res:
        lines.append(f"  end to end (files -> text, batch 64): {res['end_to_end']:.1f} plates/s")
    lines.append(f"  peak memory: {res['peak_memory_mb']:.0f} MB")
    return "\n".join(lines)
