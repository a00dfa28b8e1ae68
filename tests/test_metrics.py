"""Accuracy measures and the paired significance test."""

import pytest

from lpr.metrics import edit_distance, mcnemar_p, score


def test_score_counts_exact_plates_and_character_edits():
    s = score(["ABC123", "AB123", "XYZ"], ["ABC123", "ABC123", "XYZ"])
    assert s["n"] == 3 and s["sequence_accuracy"] == pytest.approx(2 / 3)
    assert s["char_error_rate"] == pytest.approx(1 / 15) and edit_distance("AB123", "ABC123") == 1


def test_mcnemar_is_exact_and_symmetric():
    assert mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(3, 3) == 1.0
    assert mcnemar_p(10, 4) == mcnemar_p(4, 10) == pytest.approx(0.1796, abs=1e-4)
    assert mcnemar_p(12, 0) == pytest.approx(2 / 4096)  # twelve disagreements, all one way
