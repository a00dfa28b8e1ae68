"""Accuracy measures and the paired significance test."""

import pytest

from lpr.metrics import edit_distance, mcnemar_p, score, wilson_interval


def test_score_counts_exact_plates_and_character_edits():
    s = score(["ABC123", "AB123", "XYZ"], ["ABC123", "ABC123", "XYZ"])
    assert s["n"] == 3 and s["sequence_accuracy"] == pytest.approx(2 / 3)
    assert s["char_error_rate"] == pytest.approx(1 / 15) and edit_distance("AB123", "ABC123") == 1


def test_mcnemar_is_exact_and_symmetric():
    assert mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(3, 3) == 1.0
    assert mcnemar_p(10, 4) == mcnemar_p(4, 10) == pytest.approx(0.1796, abs=1e-4)
    assert mcnemar_p(12, 0) == pytest.approx(2 / 4096)  # twelve disagreements, all one way


def test_wilson_interval_matches_published_values_and_stays_in_range():
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)  # the textbook case
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)  # zero right still has a width
    low, high = wilson_interval(10, 10)
    assert low == pytest.approx(0.7225, abs=1e-4) and high == 1.0
    low, high = wilson_interval(196, 198)
    assert low < 196 / 198 < high and (round(low, 3), round(high, 3)) == (0.964, 0.997)
    assert wilson_interval(0, 0) == (0.0, 1.0)  # no plates, no knowledge
