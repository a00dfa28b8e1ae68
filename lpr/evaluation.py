"""Batch evaluation of a model over a labelled plate dataset: accuracy, errors, speed.

``plates_per_second`` is end to end (file decode, resize, both networks, CTC decoding),
wall clock, measured after one warm-up batch. Unreadable files count as wrong.
"""

from __future__ import annotations

import time
from pathlib import Path

from .data import check_labels, read_source
from .metrics import score
from .pipeline import Recognizer


def evaluate_model(recognizer: Recognizer, data: str | Path, batch_size: int = 64, progress: bool = False) -> dict:
    """Read every plate of ``data`` and compare with its label.

    Returns a dict with at least ``n``, ``sequence_accuracy``, ``char_error_rate``,
    ``plates_per_second``, ``failed`` (unreadable files) and ``errors`` (one dict per wrong
    reading: ``path``, ``expected``, ``predicted``, ``confidence``).
    """
    from tqdm import tqdm

    samples = read_source(data)
    _, problems = check_labels(samples, recognizer.alphabet)  # such labels simply count as wrong
    paths = samples  # Samples, not paths: raw CCPD images are read through their plate box
    # Warm-up: first-call allocations and thread-pool start are not what users wait for.
    list(recognizer.read_files(paths[:batch_size], batch_size))
    start = time.perf_counter()
    readings = list(
        tqdm(
            recognizer.read_files(paths, batch_size), total=len(paths), unit="plate", disable=not progress, leave=False
        )
    )
    elapsed = time.perf_counter() - start
    expected = [s.text for s in samples]
    predicted = [r.text for r in readings]
    result = score(predicted, expected)
    result.update(
        {
            "plates_per_second": len(paths) / elapsed if elapsed > 0 else 0.0,
            "batch_size": batch_size,
            "failed": [{"path": r.path, "reason": r.error} for r in readings if r.error],
            "label_problems": problems,
            "errors": [
                {"path": r.path, "expected": e, "predicted": r.text, "confidence": round(r.confidence, 4)}
                for r, e in zip(readings, expected)
                if r.text != e
            ],
        }
    )
    return result


def summary(result: dict, model: str, data: str) -> str:
    """A short human-readable report of :func:`evaluate_model`'s result."""
    fmt = result.get("format")
    lines = [
        f"model {model} on {data}" + (f" (readings constrained to format {fmt})" if fmt else ""),
        f"  plates               {result['n']}",
        f"  sequence accuracy    {result['sequence_accuracy']:.2%}",
        f"  char error rate      {result['char_error_rate']:.4f}",
        f"  plates/second        {result['plates_per_second']:.1f} (end to end, batch {result['batch_size']})",
        f"  unreadable files     {len(result['failed'])}",
    ]
    if result["label_problems"]:
        lines.append(f"  labels outside the alphabet: {len(result['label_problems'])} (counted as wrong)")
    errors = result["errors"]
    if errors:
        lines.append(f"  errors ({len(errors)}, lowest confidence first, up to 20):")
        for e in sorted(errors, key=lambda e: e["confidence"])[:20]:
            lines.append(
                f"    {e['path']}\texpected {e['expected']}\tread {e['predicted'] or '∅'}\t{e['confidence']:.3f}"
            )
    return "\n".join(lines)
