"""Self-describing checkpoints: ``stn.pt`` and ``lprnet.pt``, saved apart, loaded together.

Each file is a plain dict (tensors, strings, numbers) loaded with ``weights_only=True``, so a
crafted pickle cannot run code. Both carry the same ``run_id``; the pipeline refuses a pair
from different runs, alphabets or input sizes. torch is imported where it is used, so that
:class:`CheckpointError` and :func:`fingerprint` cost nothing to a torch-free reader.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .alphabet import Alphabet

if TYPE_CHECKING:
    from .models import STN, LPRNet

FORMAT_VERSION = 1
STN_FILE = "stn.pt"
LPRNET_FILE = "lprnet.pt"


class CheckpointError(Exception):
    """A checkpoint is missing, damaged, from another run or a newer lpr, or cannot be written."""


def atomic_save(obj, path: str | Path) -> None:
    """``torch.save`` to a temp file in the same folder, fsync, then rename over ``path``.

    A crash or full disk leaves either the old file or the new one, never half of one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    import torch

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; checkpoints are meant to be shared
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):  # disk full, read-only, quota: one clear line, old file intact
            kept = "the previous file is kept" if path.exists() else "nothing was written"
            raise CheckpointError(f"{path}: cannot save ({e.strerror or e}); {kept}") from None
        raise


def all_finite(state_dict: dict) -> bool:
    import torch

    return all(torch.isfinite(v).all() for v in state_dict.values() if v.is_floating_point())


def save_models(out_dir, stn: STN, lprnet: LPRNet, alphabet: Alphabet, run_id: str, meta: dict) -> None:
    """Write ``stn.pt`` and ``lprnet.pt`` (each atomically) with their metadata.

    Refuses to save non-finite weights: a NaN model on disk is worse than an older one.
    """
    from .models import config_dict

    stn_state = {k: v.detach().cpu() for k, v in stn.state_dict().items()}
    net_state = {k: v.detach().cpu() for k, v in lprnet.state_dict().items()}
    if not (all_finite(stn_state) and all_finite(net_state)):
        raise CheckpointError("refusing to save non-finite weights")
    common = {"format_version": FORMAT_VERSION, "run_id": run_id, **meta}
    atomic_save(
        {"kind": "lpr.stn", "config": config_dict(stn.config), "state_dict": stn_state, **common},
        Path(out_dir) / STN_FILE,
    )
    atomic_save(
        {
            "kind": "lpr.lprnet",
            "config": config_dict(lprnet.config),
            "state_dict": net_state,
            "alphabet": alphabet.to_dict(),
            **common,
        },
        Path(out_dir) / LPRNET_FILE,
    )


def read_checkpoint(path: str | Path, kind: str) -> dict:
    """Load and validate one checkpoint file; every failure is a one-line CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    import torch

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated zip, crafted pickle, random bytes...
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{path}: not a readable lpr checkpoint ({reason[:200]})") from None
    if not isinstance(ckpt, dict) or ckpt.get("kind") != kind:
        raise CheckpointError(f"{path}: not an {kind} checkpoint")
    version = ckpt.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format {version} is newer than this lpr supports ({FORMAT_VERSION}); upgrade lpr"
        )
    return ckpt


def load_models(model_dir: str | Path) -> tuple[STN, LPRNet, Alphabet, dict]:
    """Load the STN and LPRNet of one run from ``model_dir``, in eval mode.

    Returns the two networks, the alphabet and the LPRNet checkpoint's metadata.
    """
    from .models import STN, LPRNet, LPRNetConfig, STNConfig, config_from_dict

    d = Path(model_dir)
    s = read_checkpoint(d / STN_FILE, "lpr.stn")
    n = read_checkpoint(d / LPRNET_FILE, "lpr.lprnet")
    if s.get("run_id") != n.get("run_id"):
        raise CheckpointError(f"{d}: stn.pt and lprnet.pt come from different training runs")
    if s.get("epoch") != n.get("epoch"):  # a save killed between the two files
        raise CheckpointError(
            f"{d}: stn.pt (epoch {s.get('epoch')}) and lprnet.pt (epoch {n.get('epoch')}) are from different "
            "epochs of one run, probably an interrupted save; `lpr train --resume` rewrites both"
        )
    alphabet = Alphabet.from_dict(n["alphabet"])
    stn_cfg = config_from_dict(STNConfig, s["config"])
    net_cfg = config_from_dict(LPRNetConfig, n["config"])
    if tuple(stn_cfg.input_size) != tuple(net_cfg.input_size):
        raise CheckpointError(f"{d}: stn.pt and lprnet.pt expect different input sizes")
    if net_cfg.num_classes != alphabet.num_classes:
        raise CheckpointError(
            f"{d}: lprnet.pt has {net_cfg.num_classes} outputs for a {alphabet.num_classes}-class alphabet"
        )
    stn, net = STN(stn_cfg), LPRNet(net_cfg)
    try:
        stn.load_state_dict(s["state_dict"])
        net.load_state_dict(n["state_dict"])
    except RuntimeError as e:
        raise CheckpointError(f"{d}: weights do not fit the stored architecture ({str(e).splitlines()[0]})") from None
    return stn.eval(), net.eval(), alphabet, checkpoint_meta(n)


def checkpoint_meta(lprnet_checkpoint: dict) -> dict:
    """A model's metadata (alphabet, configs, run, metrics, calibration): its LPRNet checkpoint
    without the weights."""
    return {k: v for k, v in lprnet_checkpoint.items() if k not in ("state_dict", "kind")}


def fingerprint(model_dir: str | Path) -> str:
    """SHA-256 of a model folder's ``stn.pt`` and ``lprnet.pt`` bytes: an exported graph records
    it, so a reader can trust the graph's metadata without loading (or importing) torch."""
    h = hashlib.sha256()
    for name in (STN_FILE, LPRNET_FILE):
        path = Path(model_dir) / name
        if not path.is_file():
            raise CheckpointError(f"{path}: no such checkpoint")
        h.update(path.read_bytes())
    return h.hexdigest()
