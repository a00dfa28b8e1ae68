"""Killed, interrupted and disk-full training runs: nothing half-written, --resume ends where
an uninterrupted run would."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
import yaml

from lpr.checkpoints import CheckpointError, atomic_save, load_models
from lpr.cli import main
from lpr.training import STATE_FILE, TrainConfig, train

ROOT = Path(__file__).resolve().parent.parent
TINY_MODEL = {"stem": 8, "block1": 16, "block2": 32, "head": 32}


def config(data: Path, out: Path, **kw) -> TrainConfig:
    values = dict(
        data=[f"{data}@4"],
        val=[str(data)],
        out=str(out),
        epochs=3,
        epoch_size=320,  # 40 batches: long enough to be interrupted mid-epoch
        batch_size=8,
        model=TINY_MODEL,
        stn_warmup_epochs=1,
        seed=3,
        threads=2,
        ema=0.9,  # the saved weights are the average, so resuming must restore it exactly too
    )
    values.update(kw)
    return TrainConfig(**values)


def start_training(cfg: TrainConfig, tmp_path: Path) -> subprocess.Popen:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({**cfg.__dict__, "input_size": list(cfg.input_size)}), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "lpr.cli", "train", "--config", str(path), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_epoch(out: Path, proc: subprocess.Popen, epoch: int, timeout: float = 600) -> None:
    """Block until the run in ``out`` has saved ``epoch`` complete epochs."""
    # A guard against a hung run, not a speed test: an epoch takes ~2 s on a quiet CPU, but
    # 120 s was too little beside a training run (three failures under `nice` on 2 loaded cores).
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, proc.communicate()
        if (out / STATE_FILE).exists():
            try:
                if torch.load(out / STATE_FILE, weights_only=True)["epoch"] >= epoch:
                    return
            except Exception:  # caught between the rename and the read: try again
                pass
        time.sleep(0.05)
    raise AssertionError("training did not reach the epoch in time")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, tiny_dataset):
    out = tmp_path_factory.mktemp("whole")
    return train(config(tiny_dataset, out), progress=False)["history"], out


def final_weights(out: Path) -> dict:
    stn, net, _, _ = load_models(out)
    return {**{f"stn.{k}": v for k, v in stn.state_dict().items()}, **net.state_dict()}


def assert_same_run(history, reference, reference_out: Path, out: Path) -> None:
    assert [h["epoch"] for h in history] == [1, 2, 3]
    for h, r in zip(history, reference):
        assert h["val_sequence_accuracy"] == r["val_sequence_accuracy"]
    assert history[-1]["train_loss"] == pytest.approx(reference[-1]["train_loss"], rel=1e-4)
    a, b = final_weights(out), final_weights(reference_out)
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)


def test_sigkill_mid_epoch_then_resume_ends_like_an_uninterrupted_run(tmp_path, tiny_dataset, uninterrupted):
    out = tmp_path / "run"
    cfg = config(tiny_dataset, out)
    proc = start_training(cfg, tmp_path)
    wait_for_epoch(out, proc, 1)
    time.sleep(0.3)  # well inside epoch 2
    proc.kill()
    proc.wait()
    saved = torch.load(out / STATE_FILE, weights_only=True)["epoch"]
    assert saved >= 1  # at most the running epoch is lost
    load_models(out)  # what is on disk is a complete, consistent pair

    history = train(cfg, resume=True, progress=False)["history"]
    assert_same_run(history, *uninterrupted, out)


def test_ctrl_c_saves_mid_epoch_and_resume_continues_exactly(tmp_path, tiny_dataset, uninterrupted):
    out = tmp_path / "run"
    cfg = config(tiny_dataset, out)
    proc = start_training(cfg, tmp_path)
    wait_for_epoch(out, proc, 1)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted in epoch 2 after" in err and "--resume" in err
    assert "Traceback" not in err
    state = torch.load(out / STATE_FILE, weights_only=True)
    assert state["epoch"] == 1 and 0 < state["batches_done"] < 40

    history = train(cfg, resume=True, progress=False)["history"]
    assert_same_run(history, *uninterrupted, out)


def test_sigterm_is_handled_like_ctrl_c(tmp_path, tiny_dataset):
    out = tmp_path / "run"
    proc = start_training(config(tiny_dataset, out, epochs=2), tmp_path)
    wait_for_epoch(out, proc, 1)
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "--resume" in err and "Traceback" not in err


def test_sigkill_during_a_checkpoint_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "stn.pt"
    atomic_save({"epoch": 1}, path)
    child = textwrap.dedent(
        f"""
        import os, signal, torch
        from lpr.checkpoints import atomic_save

        def dies_half_way(obj, f):
            f.write(b"PK half a checkpoint")
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)

        torch.save = dies_half_way
        atomic_save({{"epoch": 2}}, {str(path)!r})
        """
    )
    proc = subprocess.run([sys.executable, "-c", child], cwd=ROOT)
    assert proc.returncode == -signal.SIGKILL
    assert torch.load(path, weights_only=True) == {"epoch": 1}
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "stn.pt"]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")

    from lpr.training import remove_stale_temp_files

    remove_stale_temp_files(tmp_path)  # what the next `lpr train` into this folder does first
    assert [p.name for p in tmp_path.iterdir()] == ["stn.pt"]


def test_a_pair_torn_by_a_kill_between_its_files_is_refused(tiny_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    ckpt = torch.load(run / "stn.pt", weights_only=True)
    ckpt["epoch"] += 1  # stn.pt rewritten by the next epoch, lprnet.pt not yet
    torch.save(ckpt, run / "stn.pt")
    with pytest.raises(CheckpointError, match="different epochs .*--resume"):
        load_models(run)


def test_disk_full_while_saving_keeps_the_previous_checkpoint(tmp_path, tiny_dataset, monkeypatch, capsys):
    out = tmp_path / "run"
    cfg = config(tiny_dataset, out, epochs=1, epoch_size=16)
    train(cfg, progress=False)
    before = {p.name: p.read_bytes() for p in out.glob("*.pt")}

    real_save = torch.save

    def disk_full(obj, f, *a, **kw):
        real_save(obj, f, *a, **kw)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    code = main(["train", "--data", f"{tiny_dataset}@4", "--out", str(out), "--epochs", "1", "--epoch-size", "16",
                 "--batch-size", "8", "--seed", "4", "--threads", "2", "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "No space left on device" in err and "previous file is kept" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.glob("*.pt")} == before
    assert not list(out.glob(".*.tmp"))
