"""Accuracy measures shared by training-time validation and batch evaluation."""

from __future__ import annotations

import math


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def score(predicted: list[str], expected: list[str]) -> dict:
    """Sequence accuracy (exact plate matches) and character error rate (edits / characters)."""
    n = len(expected)
    correct = sum(p == e for p, e in zip(predicted, expected))
    edits = sum(edit_distance(p, e) for p, e in zip(predicted, expected))
    chars = sum(len(e) for e in expected)
    return {
        "n": n,
        "sequence_accuracy": correct / n if n else 0.0,
        "char_error_rate": edits / chars if chars else 0.0,
    }


def mcnemar_p(right_only_in_a: int, right_only_in_b: int) -> float:
    """Two-sided exact McNemar test of two models read on the same plates.

    Only plates exactly one model gets right say anything about which is better; under "no
    difference" each is a fair coin. Returns the p-value (1.0 when they never disagree).
    """
    n = right_only_in_a + right_only_in_b
    tail = sum(math.comb(n, k) for k in range(min(right_only_in_a, right_only_in_b) + 1))
    return min(1.0, 2 * tail / 2**n)


def wilson_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% (``z`` = 1.96) Wilson score interval of an accuracy measured as ``correct`` of ``n``.

    Validation splits of a few hundred plates are small: 98.99% of 198 plates is 2 errors, and
    the interval (96.4-99.7%) says how far a new sample of the same plates may land. Wilson's
    interval, unlike the textbook normal one, stays inside [0, 1] and is sensible at 0 or n.
    """
    if n <= 0:
        return 0.0, 1.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
