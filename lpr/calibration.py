"""Plate confidence that means what it says, and the threshold to act on it.

The raw plate confidence (product of per-character confidences, see
:func:`lpr.decoding.identity_odds`) ranks readings well
but is over-confident on real plates from other cameras. A two-parameter logistic map of its
logarithm (Platt scaling), fitted on real validation plates, turns it into the probability
that the reading is right. It is stored in ``lprnet.pt`` and applied by the Recognizer.
Where the fitted map would not lower the calibration error (a model whose raw confidence is
already calibrated on those plates), the raw confidence is kept: ``{"method": "identity"}``.
"""

from __future__ import annotations

import numpy as np

FLOOR = 1e-9  # log(0) guard: an empty reading has confidence 0
IDENTITY = "identity"  # the method of a calibration that keeps the raw confidence


def _features(confidence) -> np.ndarray:
    return np.log(np.maximum(np.asarray(confidence, dtype=np.float64), FLOOR))


def fit(confidence, correct, l2: float = 1e-3, iterations: int = 50) -> dict:
    """Fit ``p(correct) = sigmoid(a * log(confidence) + b)`` by Newton's method.

    The small L2 term keeps the fit finite when every plate is right (or wrong).
    """
    x, y = _features(confidence), np.asarray(correct, dtype=np.float64)
    X = np.stack([x, np.ones_like(x)], axis=1)
    w = np.array([1.0, 0.0])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(X @ w)))
        grad = X.T @ (p - y) + l2 * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + l2 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return {"method": "platt-log", "a": float(w[0]), "b": float(w[1])}


def apply(confidence, calibration: dict | None):
    """Calibrated confidence (same shape); unchanged when there is no calibration."""
    if not calibration or calibration.get("method") == IDENTITY:
        return confidence
    z = calibration["a"] * _features(confidence) + calibration["b"]
    out = 1 / (1 + np.exp(-z))
    return float(out) if np.ndim(confidence) == 0 else out


def expected_calibration_error(confidence, correct, bins: int = 15) -> float:
    """ECE: the plate-weighted gap between confidence and accuracy over equal-width bins."""
    c, y = np.asarray(confidence, dtype=np.float64), np.asarray(correct, dtype=np.float64)
    which = np.minimum((c * bins).astype(int), bins - 1)
    gap = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            gap += m.sum() * abs(c[m].mean() - y[m].mean())
    return float(gap / max(len(c), 1))


def reject_threshold(confidence, correct, precision: float = 0.995) -> tuple[float, float]:
    """The lowest confidence threshold whose accepted readings are >= ``precision`` correct.

    Returns (threshold, coverage): readings with confidence >= threshold are accepted, and
    coverage is the share of plates accepted. (1.0, 0.0) when no threshold reaches it.
    """
    c, y = np.asarray(confidence, dtype=np.float64), np.asarray(correct, dtype=bool)
    order = np.argsort(-c, kind="stable")
    hits = np.cumsum(y[order])
    accepted = np.arange(1, len(c) + 1)
    ok = hits / accepted >= precision
    # Cut only between distinct confidences: ties are accepted or rejected together.
    distinct = np.append(c[order][1:] < c[order][:-1], True)
    valid = np.flatnonzero(ok & distinct)
    if not len(valid):
        return 1.0, 0.0
    k = valid[-1]
    return float(c[order][k]), float((k + 1) / len(c))


def cross_validated(confidence, correct, folds: int = 2, seed: int = 0) -> np.ndarray:
    """Calibrated confidences where each plate's map was fitted without it (honest ECE)."""
    c, y = np.asarray(confidence, dtype=np.float64), np.asarray(correct, dtype=bool)
    fold = np.random.default_rng(seed).permutation(len(c)) % folds
    out = np.empty_like(c)
    for f in range(folds):
        held = fold == f
        out[held] = apply(c[held], fit(c[~held], y[~held]))
    return out


def held_out_threshold(confidence, correct, precision: float = 0.995, rounds: int = 20, fit_map: bool = True) -> dict:
    """What the reject threshold does on plates it was not chosen on.

    The map (unless ``fit_map`` is False: raw confidences) and threshold are fitted on a random
    half of the plates and applied to the other half, ``rounds`` times each way. On a few
    hundred plates one error moves precision by a fifth of a point, so this is the figure to
    expect on new plates of the same cameras.
    """
    c, y = np.asarray(confidence, dtype=np.float64), np.asarray(correct, dtype=bool)
    precisions, coverages = [], []
    for seed in range(rounds):
        fold = np.random.default_rng(seed).permutation(len(c)) % 2
        for held in (fold == 0, fold == 1):
            cal = fit(c[~held], y[~held]) if fit_map else None
            threshold, _ = reject_threshold(apply(c[~held], cal), y[~held], precision)
            accepted = apply(c[held], cal) >= threshold
            coverages.append(accepted.mean())
            precisions.append(y[held][accepted].mean() if accepted.any() else 1.0)
    return {
        "precision": float(np.mean(precisions)),
        "precision_min": float(np.min(precisions)),
        "coverage": float(np.mean(coverages)),
        "coverage_min": float(np.min(coverages)),
        "rounds": rounds,
    }


def choose_map(confidence, correct) -> dict:
    """The Platt map fitted on these plates, or the identity where its cross-validated
    calibration error is no lower than the raw confidence's; with both errors."""
    c, y = np.asarray(confidence, dtype=np.float64), np.asarray(correct, dtype=bool)
    ece_raw = expected_calibration_error(c, y)
    ece_map = expected_calibration_error(cross_validated(c, y), y)
    chosen = fit(c, y) if ece_map < ece_raw else {"method": IDENTITY}
    return {**chosen, "ece_before": ece_raw, "ece_map": ece_map, "ece_after": min(ece_raw, ece_map)}


def calibrate_model(model_dir, data: list[str], precision: float = 0.995, progress: bool = False) -> dict:
    """Fit the confidence calibration of a model on real labelled plates and store it in its
    ``lprnet.pt``. Returns the report (ECE before/after, reject threshold and coverage).

    The ECE after calibration is cross-validated (each plate's map fitted without it), so it
    is not flattered by fitting and scoring on the same plates. A map that does not lower it
    is not kept (method ``identity``: the raw confidence is the calibrated one).
    """
    from pathlib import Path

    from .checkpoints import LPRNET_FILE, atomic_save, read_checkpoint
    from .data import read_source
    from .pipeline import Recognizer, resolve_model_dir

    model_dir = resolve_model_dir(model_dir)
    recognizer = Recognizer.load(model_dir, calibrated=False)
    confidence, correct = [], []
    for spec in data:
        samples = read_source(spec)
        for reading, sample in zip(recognizer.read_files(samples), samples):
            confidence.append(reading.confidence)
            correct.append(reading.text == sample.text)
    c, y = np.asarray(confidence), np.asarray(correct)
    calibration = choose_map(c, y)
    threshold, coverage = reject_threshold(apply(c, calibration), y, precision)
    calibration.update(
        fitted_on=[str(d) for d in data],
        plates=int(len(c)),
        accuracy=float(y.mean()),
        precision=precision,
        threshold=threshold,
        coverage=coverage,
        held_out=held_out_threshold(c, y, precision, fit_map=calibration["method"] != IDENTITY),
        format=recognizer.plate_format.name if recognizer.plate_format else None,
    )
    path = Path(model_dir) / LPRNET_FILE
    ckpt = read_checkpoint(path, "lpr.lprnet")
    ckpt["calibration"] = calibration
    atomic_save(ckpt, path)
    from .export import restamp_exported

    restamp_exported(model_dir)  # exported graphs carry the calibration too
    return calibration
