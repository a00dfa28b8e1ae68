"""tools/compare_models.py: the table, the paired test and the ensemble row."""

import subprocess
import sys

from .conftest import ROOT, SAMPLES


def compare(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "compare_models.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if line.startswith("|")]


def test_two_models_get_a_paired_test(tiny_run):
    rows = compare("--models", str(tiny_run), str(tiny_run), "--data", str(SAMPLES / "labels.csv"))
    first, second = rows[2].split("|")[2], rows[3].split("|")[2]
    assert first == second  # the same model reads the same plates
    assert "right only in" in rows[4] and "exact McNemar p = 1.000" in rows[4]  # nothing to tell apart


def test_ensemble_of_a_model_with_itself_reads_as_the_model(tiny_run):
    rows = compare("--models", str(tiny_run), str(tiny_run), "--ensemble", "--data", str(SAMPLES / "labels.csv"))
    assert rows[-1].startswith("| ensemble of all |") and len(rows) == 5  # header, rule, 2 models, ensemble
    assert rows[-1].split("|")[2] == rows[2].split("|")[2]  # the mean of equal probabilities is the same reading
    assert "McNemar" not in "".join(rows)  # three rows: no pair to test


def test_ensemble_needs_two_models(tiny_run):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "compare_models.py"), "--models", str(tiny_run), "--ensemble"]
        + ["--data", str(SAMPLES / "labels.csv")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "two or more models" in proc.stderr
