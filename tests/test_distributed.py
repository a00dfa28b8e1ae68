"""A real 2-process torchrun (gloo, CPU) training run, resumed under DDP, and its checkpoints loaded."""

from __future__ import annotations

import json
import subprocess
import sys

import torch

from lpr.checkpoints import load_models

from .conftest import ROOT

TINY = ["--batch-size", "8", "--threads", "1", "--seed", "5", "--quiet"]


def torchrun(tiny_dataset, out, epochs: int, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    cmd += ["-m", "lpr", "train", "--data", f"{tiny_dataset}@2", "--val", str(tiny_dataset), "--out", str(out)]
    cmd += ["--epochs", str(epochs), "--config", str(ROOT / "tests" / "data" / "tiny_model.yaml"), *TINY, *extra]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_two_process_training_writes_one_run_and_resumes(tiny_dataset, tmp_path):
    out = tmp_path / "ddp"
    first = torchrun(tiny_dataset, out, 1)
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stderr.count(" parameters on ") == 1  # rank 0 alone announces the job
    assert "2 process(es)" in first.stderr

    second = torchrun(tiny_dataset, out, 2, "--resume")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming" in second.stderr

    stn, net, alphabet, meta = load_models(out)
    assert meta["epoch"] == 2 and alphabet.name == "cn"
    assert torch.isfinite(net(stn(torch.zeros(1, 3, 24, 94)))).all()
    epochs = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    epochs = [e for e in epochs if e["kind"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2] and all(e["processes"] == 2 for e in epochs)
    # 16 plates per epoch over 2 processes = 2 global batches of 8, each rank 4 plates per step.
    assert "val_sequence_accuracy" in epochs[-1]
