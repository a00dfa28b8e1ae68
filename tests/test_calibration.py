"""Confidence calibration, ECE and the reject threshold."""

import shutil

import numpy as np
import pytest
import torch

from lpr import calibration as cal
from lpr.cli import main


def overconfident(n=4000, seed=0):
    """Raw confidences whose true probability of being right is sigmoid(3 log conf + 1), well
    below the confidence itself (over-confident), as a real network's often is."""
    rng = np.random.default_rng(seed)
    conf = rng.uniform(0.3, 1.0, n)
    return conf, rng.random(n) < 1 / (1 + np.exp(-(3 * np.log(conf) + 1)))


def test_calibration_removes_overconfidence():
    conf, correct = overconfident()
    before = cal.expected_calibration_error(conf, correct)
    after = cal.expected_calibration_error(cal.cross_validated(conf, correct), correct)
    assert before > 0.1 and after < 0.03
    fitted = cal.fit(conf, correct)
    assert fitted["a"] == pytest.approx(3, abs=0.6) and fitted["b"] == pytest.approx(1, abs=0.3)


def test_calibration_keeps_the_order_of_readings():
    conf, correct = overconfident()
    mapped = cal.apply(conf, cal.fit(conf, correct))
    assert np.array_equal(np.argsort(conf), np.argsort(mapped))
    assert cal.apply(0.5, None) == 0.5


def test_a_map_that_would_not_lower_the_error_is_not_kept():
    conf, correct = overconfident()
    assert cal.choose_map(conf, correct)["method"] == "platt-log"
    # Raw confidences that already mean what they say: the map could only add error.
    rng = np.random.default_rng(1)
    honest = rng.uniform(0.3, 1.0, 4000)
    chosen = cal.choose_map(honest, rng.random(4000) < honest)
    assert chosen["method"] == cal.IDENTITY and chosen["ece_after"] == chosen["ece_before"] < chosen["ece_map"]
    assert cal.apply(0.7, chosen) == 0.7 and np.array_equal(cal.apply(honest, chosen), honest)


def test_reject_threshold_reaches_the_precision_with_the_most_plates():
    conf = np.array([0.99, 0.98, 0.97, 0.9, 0.8, 0.7])
    correct = np.array([True, True, True, True, False, True])
    assert cal.reject_threshold(conf, correct, precision=1.0) == (0.9, pytest.approx(4 / 6))
    assert cal.reject_threshold(conf, correct, precision=0.8) == (0.7, 1.0)
    assert cal.reject_threshold(conf, ~correct, precision=1.0) == (1.0, 0.0)


def test_held_out_threshold_measures_precision_on_plates_it_was_not_chosen_on():
    conf, correct = overconfident(n=2000)
    held = cal.held_out_threshold(conf, correct, precision=0.9, rounds=5)
    assert 0.85 < held["precision"] < 0.95 and held["precision_min"] <= held["precision"]
    assert 0 < held["coverage_min"] <= held["coverage"] < 1
    # a confidence that says nothing cannot reach the precision on either half
    blind = cal.held_out_threshold(np.full(200, 0.5), np.arange(200) % 2 == 0, precision=0.9, rounds=2)
    assert blind["coverage"] == 0.0


def test_calibrate_stores_the_map_and_predict_uses_it(tiny_run, tiny_dataset, tmp_path, capsys):
    from lpr.pipeline import Recognizer

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    raw = Recognizer.load(run).read(str(tiny_dataset.parent / "ccpd_0004.jpg")).confidence
    with pytest.raises(ValueError, match="no stored reject threshold"):  # not calibrated yet
        Recognizer.load(run, min_confidence="model")
    assert main(["calibrate", "--model", str(run), "--data", str(tiny_dataset)]) == 0
    assert "expected calibration error" in capsys.readouterr().out
    stored = torch.load(run / "lprnet.pt", weights_only=True)["calibration"]
    assert {"method", "threshold", "coverage", "ece_before", "ece_after"} <= set(stored)
    r = Recognizer.load(run)
    assert r.read(str(tiny_dataset.parent / "ccpd_0004.jpg")).confidence == pytest.approx(cal.apply(raw, stored))
    assert Recognizer.load(run, calibrated=False).read(str(tiny_dataset.parent / "ccpd_0004.jpg")).confidence == raw


def test_min_confidence_marks_readings_accepted_or_rejected(tiny_run, tiny_dataset, tmp_path, capsys):
    from lpr.pipeline import Recognizer

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    image = str(tiny_dataset.parent / "ccpd_0004.jpg")
    assert Recognizer.load(run).read(image).accepted is None  # no threshold asked for
    assert main(["predict", image, "--model", str(run), "--min-confidence", "model"]) == 2
    assert "lpr calibrate" in capsys.readouterr().err

    assert main(["calibrate", "--model", str(run), "--data", str(tiny_dataset)]) == 0
    threshold = torch.load(run / "lprnet.pt", weights_only=True)["calibration"]["threshold"]
    r = Recognizer.load(run, min_confidence="model")
    assert r.min_confidence == threshold
    reading = r.read(image)
    assert reading.accepted == (reading.confidence >= threshold and reading.format_matched is not False)
    r.set_format("none")  # (this tiny model's readings need not fit cn's shapes; that rule is tested in test_cli)
    reading = r.read(image)
    r.set_min_confidence(reading.confidence)  # the threshold itself is accepted ...
    assert r.read(image).accepted is True
    r.set_min_confidence(min(1.0, reading.confidence + 1e-6))  # ... anything below it is not
    assert r.read(image).accepted is False
    for bad in (1.5, -0.1, "high"):
        with pytest.raises(ValueError, match="min_confidence"):
            r.set_min_confidence(bad)
