"""Shared fixtures: a tiny labelled dataset written to a temp folder, and a tiny trained run."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"


def write_csv(path: Path, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "text"])
        w.writerows(rows)
    return path


@pytest.fixture(scope="session")
def sample_rows() -> list[tuple[str, str]]:
    with open(SAMPLES / "labels.csv", encoding="utf-8") as f:
        return [(r["path"], r["text"]) for r in csv.DictReader(f)]


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory, sample_rows) -> Path:
    """The eight sample plates copied to a temp folder with a labels.csv."""
    d = tmp_path_factory.mktemp("tiny")
    for name, _ in sample_rows:
        shutil.copy(SAMPLES / name, d / name)
    return write_csv(d / "labels.csv", sample_rows)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_dataset) -> Path:
    """A 2-epoch training run of a narrow model on the tiny dataset (seconds on a CPU)."""
    from lpr.training import TrainConfig, train

    out = tmp_path_factory.mktemp("run")
    cfg = TrainConfig(
        data=[f"{tiny_dataset}@4"],
        val=[str(tiny_dataset)],
        out=str(out),
        epochs=2,
        batch_size=8,
        model={"stem": 16, "block1": 32, "block2": 64, "head": 64},
        stn_warmup_epochs=1,
        seed=1,
        threads=2,
    )
    train(cfg, progress=False)
    return out
