"""Batch evaluation of a model over a labelled plate dataset: accuracy, errors, speed.

``plates_per_second`` is end to end (file decode, resize, both networks, CTC decoding),
wall clock, measured after one warm-up batch. Unreadable files count as wrong.

Published labels are sometimes wrong (the crop shows another plate, or no plate). A table of
labels we judged doubtful by eye (``data/doubtful_labels.csv`` in a checkout) is reported
beside the accuracy, never silently dropped from it: the headline figure counts every plate.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np

from . import calibration
from .data import ImageError, check_labels, load_image, read_source, resize
from .decoding import beam_search, decode, greedy_decode
from .metrics import score, wilson_interval
from .pipeline import Recognizer

CONFIDENT_ERROR = 0.9  # errors read at least this sure are listed apart: often wrong labels
DOUBTFUL_LABELS = Path(__file__).resolve().parent.parent / "data" / "doubtful_labels.csv"


def read_doubtful_labels(path: str | Path = DOUBTFUL_LABELS) -> dict[tuple[str, str, str], str]:
    """{(source folder, file name, label): what the image shows} from a doubtful-labels table.

    Keyed by folder, file *and* label, so a user's own ``uz/…jpg`` is never mistaken for one
    of ours. A missing table (an installed package, not a checkout) is an empty one.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {(r["source"], r["file"], r["label"]): r["shows"] for r in csv.DictReader(f)}


def _doubtful_of(samples, doubtful: dict[tuple[str, str, str], str]) -> list[str | None]:
    """What each sample's image shows instead of its label, or None when its label is trusted."""
    return [doubtful.get((Path(s.path).parent.name, Path(s.path).name, s.text)) for s in samples]


def trusted_accuracy(result: dict) -> str:
    """'91.30% right of the other 540': the accuracy over plates whose labels we trust."""
    return (
        f"{result['sequence_accuracy_trusted']:.2%} right of the other {result['n'] - len(result['doubtful_labels'])}"
    )


def evaluate_model(
    recognizer: Recognizer,
    data: str | Path,
    batch_size: int = 64,
    progress: bool = False,
    doubtful: dict[tuple[str, str, str], str] | None = None,
) -> dict:
    """Read every plate of ``data`` and compare with its label.

    Returns a dict with at least ``n``, ``sequence_accuracy`` (and its 95% Wilson interval
    ``sequence_accuracy_ci95``, ``[low, high]``), ``char_error_rate``, ``plates_per_second``,
    ``failed`` (unreadable files) and ``errors`` (one dict per wrong reading: ``path``,
    ``expected``, ``predicted``, ``confidence``). Plates listed in
    ``doubtful`` (default: :func:`read_doubtful_labels`) are also listed under
    ``doubtful_labels``, and ``sequence_accuracy_trusted`` is the accuracy over the others.
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
    confidence = np.array([r.confidence for r in readings])
    correct = np.array([p == e for p, e in zip(predicted, expected)])
    result["sequence_accuracy_ci95"] = list(wilson_interval(int(correct.sum()), len(correct)))
    shows = _doubtful_of(samples, read_doubtful_labels() if doubtful is None else doubtful)
    trusted = np.array([s is None for s in shows], bool)
    result["confidences"] = [round(float(c), 6) for c in confidence]
    result["ece"] = calibration.expected_calibration_error(confidence, correct) if len(correct) else 0.0
    cal = recognizer.calibration
    if cal and "threshold" in cal:
        accepted = confidence >= cal["threshold"]
        result["threshold"] = {
            "threshold": cal["threshold"],
            "coverage": float(accepted.mean()) if len(accepted) else 0.0,
            "precision": float(correct[accepted].mean()) if accepted.any() else 1.0,
        }
    result.update(
        {
            "plates_per_second": len(paths) / elapsed if elapsed > 0 else 0.0,
            "batch_size": batch_size,
            "failed": [{"path": r.path, "reason": r.error} for r in readings if r.error],
            "label_problems": problems,
            "doubtful_labels": [
                {"path": r.path, "expected": e, "shows": w, "predicted": r.text}
                for r, e, w in zip(readings, expected, shows)
                if w is not None
            ],
            "sequence_accuracy_trusted": float(correct[trusted].mean()) if trusted.any() else 0.0,
            "errors": [
                {
                    "path": r.path,
                    "expected": e,
                    "predicted": r.text,
                    "confidence": round(r.confidence, 4),
                    "char_confidences": [round(c, 4) for c in r.char_confidences],
                    **({"doubtful_label": w} if w is not None else {}),
                }
                for r, e, w in zip(readings, expected, shows)
                if r.text != e
            ],
        }
    )
    return result


def compare_decoders(recognizer: Recognizer, data: str | Path, batch_size: int = 64) -> dict:
    """Sequence accuracy of greedy, beam-search and format-constrained decoding on ``data``."""
    samples = read_source(data)
    images, texts = [], []
    for s in samples:
        try:
            images.append(resize(load_image(s.path, s.box), recognizer.input_size))
            texts.append(s.text)
        except ImageError:
            continue
    if not images:
        return {}
    probs = np.concatenate(
        [recognizer.probabilities(np.stack(images[i : i + batch_size])) for i in range(0, len(images), batch_size)]
    )
    a = recognizer.alphabet
    readings = {
        "greedy": [r.text for r in greedy_decode(probs, a)],
        "beam": [(beam_search(p, a, top_k=1) or [("", 0.0)])[0][0] for p in probs],
    }
    if recognizer.plate_format is not None:
        readings["constrained"] = [r.text for r in decode(probs, a, plate_format=recognizer.plate_format)]
    return {k: float(np.mean([p == t for p, t in zip(v, texts)])) for k, v in readings.items()}


def summary(result: dict, model: str, data: str) -> str:
    """A short human-readable report of :func:`evaluate_model`'s result."""
    fmt = result.get("format")
    lines = [
        f"model {model} on {data}" + (f" (readings constrained to format {fmt})" if fmt else ""),
        f"  plates               {result['n']}",
        f"  sequence accuracy    {result['sequence_accuracy']:.2%}" + accuracy_interval(result),
        f"  char error rate      {result['char_error_rate']:.4f}",
        f"  plates/second        {result['plates_per_second']:.1f} (end to end, batch {result['batch_size']})",
        f"  unreadable files     {len(result['failed'])}",
        f"  calibration error    {result['ece']:.4f} (ECE, 15 bins)",
    ]
    if "threshold" in result:
        t = result["threshold"]
        lines.append(
            f"  at threshold {t['threshold']:.3f}  accepts {t['coverage']:.1%} of plates, {t['precision']:.2%} of them right"
        )
    if "decoders" in result:
        lines.append("  decoders             " + ", ".join(f"{k} {v:.2%}" for k, v in result["decoders"].items()))
    if result["label_problems"]:
        lines.append(f"  labels outside the alphabet: {len(result['label_problems'])} (counted as wrong)")
    if result.get("doubtful_labels"):
        n = len(result["doubtful_labels"])
        lines.append(
            f"  doubtful labels      {n} plate(s) whose image does not show its label (counted above as labelled); "
            + trusted_accuracy(result)
        )
    errors = sorted(result["errors"], key=lambda e: e["confidence"])
    if errors:
        lines.append(f"  errors ({len(errors)}, lowest confidence first, up to 20):")
        lines += [error_line(e) for e in errors[:20]]
    # A model that disagrees with a label while sure of itself has most often read a wrong label
    # (another plate, a typo): the errors worth checking first when cleaning a dataset.
    confident = [e for e in reversed(errors[20:]) if e["confidence"] >= CONFIDENT_ERROR][:10]
    if confident:
        lines.append(
            f"  confident errors (confidence ≥ {CONFIDENT_ERROR}, highest first, up to 10; check their labels):"
        )
        lines += [error_line(e) for e in confident]
    return "\n".join(lines)


def interval_text(result: dict) -> str:
    """A result's 95% interval of sequence accuracy, e.g. ``96.4-99.7%``."""
    lo, hi = result["sequence_accuracy_ci95"]
    return f"{lo:.1%}-{hi:.1%}".replace("%-", "-")


def accuracy_interval(result: dict) -> str:
    """`` (95% interval a-b%)`` for a result that carries one (older JSON files do not)."""
    return f" (95% interval {interval_text(result)})" if "sequence_accuracy_ci95" in result else ""


def error_line(e: dict) -> str:
    doubt = f"\t(label doubtful: image shows {e['doubtful_label']})" if "doubtful_label" in e else ""
    return f"    {e['path']}\texpected {e['expected']}\tread {e['predicted'] or '∅'}\t{e['confidence']:.3f}{doubt}"
