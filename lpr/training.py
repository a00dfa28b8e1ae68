"""Joint STN + LPRNet training with CTC, saved as separate ``stn.pt`` and ``lprnet.pt``.

One optimiser updates both networks: the CTC loss flows through LPRNet into the STN's
localisation net. The STN is held still for its first ``stn_warmup_epochs`` (LPRNet first
needs to read something before the STN can learn what helps it read) and then learns at
``stn_lr_scale`` times the LPRNet rate; its bounded parameterisation keeps warps sane.

Example::

    lpr train --data plates/labels.csv --val val/labels.csv --alphabet latin --out runs/mine
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import random
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from . import distributed
from .alphabet import Alphabet
from .checkpoints import all_finite, atomic_save, read_checkpoint, save_models
from .config import PRECISIONS, TrainConfig
from .data import PlateDataset, StreamingPlateDataset, build_augment, check_labels, collate, read_source, to_tensor
from .decoding import greedy_decode
from .formats import PlateFormat
from .metrics import score
from .models import STN, LPRNet, LPRNetConfig, STNConfig, framing_theta, raw_params_of
from .report import stn_grid

log = logging.getLogger(__name__)

STATE_FILE = "train_state.pt"
STREAM_ABOVE = 300_000  # plates; in memory a 94x24 crop takes ~7 KB, so 300k is ~2 GB


# ---------------------------------------------------------------------------- data


def split_weight(spec: str) -> tuple[str, int]:
    """``"path@3"`` -> ("path", 3); a plain path has weight 1."""
    path, sep, n = spec.rpartition("@")
    if sep and n.isdigit() and path:
        return path, int(n)
    return spec, 1


def load_sources(
    specs: list[str], alphabet: Alphabet, size, augment, progress, stream: bool | None = False
) -> tuple[list, list[int]]:
    """Datasets for each source and their weights; label problems are reported, not fatal.

    ``stream``: decode images at every access instead of once into memory; None decides per
    source by size (above ``STREAM_ABOVE`` plates a source streams).
    """
    datasets, weights = [], []
    for spec in specs:
        path, weight = split_weight(spec)
        labelled = read_source(path)
        samples, problems = check_labels(labelled, alphabet)
        for p in problems:
            log.warning("%s", p)
        streaming = len(samples) > STREAM_ABOVE if stream is None else stream
        if streaming:
            ds = StreamingPlateDataset(samples, alphabet, size, augment)
        else:
            ds = PlateDataset(samples, alphabet, size, augment, progress)
        for p, why in ds.failed:
            log.warning("%s: %s, skipped", p, why)
        if problems or ds.failed:
            log.warning(
                "%s: %d labels outside the alphabet, %d unreadable images skipped", path, len(problems), len(ds.failed)
            )
        missing = alphabet.unknown("".join(s.text for s in labelled)) if problems else ""
        if missing:  # most often the user's plates use symbols the default alphabet lacks
            log.warning(
                "%s: the %s alphabet has no %r; to train on those plates, give --alphabet the symbols "
                "(a string or a file of them) including these",
                path,
                alphabet.name,
                missing,
            )
        if len(ds) == 0:
            raise ValueError(f"{path}: no usable samples")
        log.info("%s: %d plates (weight %d%s)", path, len(ds), weight, ", streamed from disk" if streaming else "")
        datasets.append(ds)
        weights.append(weight)
    return datasets, weights


def validation_overlap(train_sets: list, val_sets: list) -> tuple[int, int, int]:
    """(validation plates, those that are training images too, others whose text a training plate has).

    A plate number on both sides (the same car photographed twice, or one list given as both)
    makes validation accuracy flatter the model on plates it has never seen.
    """
    files = {(os.path.abspath(s.path), s.box) for ds in train_sets for s in ds.samples}
    texts = {s.text for ds in train_sets for s in ds.samples}
    val = [s for ds in val_sets for s in ds.samples]
    same_file = [s for s in val if (os.path.abspath(s.path), s.box) in files]
    same_text = sum(s.text in texts for s in val) - len(same_file)
    return len(val), len(same_file), same_text


def warn_about_overlap(train_sets: list, val_sets: list) -> None:
    """Log a warning when validation plates were trained on, image or plate number."""
    n, same_file, same_text = validation_overlap(train_sets, val_sets)
    # A stray shared number (a random synthetic plate equal to a real one) is not a leak.
    if same_file or same_text > 0.01 * n:
        log.warning(
            "validation: %d of %d plates are training images too and %d more share a plate number with a "
            "training plate, so validation accuracy flatters the model; keep each plate number on one side "
            "(e.g. split by a hash of the text, as tools/make_splits.py does)",
            same_file,
            n,
            same_text,
        )


def first_char_balance(texts: list[str], strength: float) -> np.ndarray:
    """Per-plate sampling weights (mean 1) ∝ (plates sharing the first character)^-strength.

    strength 0 gives all ones; 1 gives every first character the same share; 0.5 (square-root
    balancing) lifts rare ones without showing a lone plate dozens of times more often.
    """
    counts = Counter(t[:1] for t in texts)
    w = np.array([counts[t[:1]] ** -strength for t in texts], dtype=np.float64)
    return w * (len(w) / w.sum())


def balanced_weights(specs: list[str], datasets: list, strength: float) -> list[np.ndarray]:
    """first_char_balance for every source, logging how much the commonest first character loses."""
    out = []
    for spec, ds in zip(specs, datasets):
        texts = [s.text for s in ds.samples]
        pw = first_char_balance(texts, strength)
        top, n = Counter(t[:1] for t in texts).most_common(1)[0]
        share = pw[np.array([t[:1] == top for t in texts])].mean() * n / len(texts)
        log.info(
            "%s: balance %.2f draws %s plates %.0f%% of the time (%.0f%% unbalanced)",
            spec,
            strength,
            top,
            100 * share,
            100 * n / len(texts),
        )
        out.append(pw)
    return out


def epoch_indices(
    sizes: list[int],
    weights: list[int],
    epoch_size: int,
    seed: int,
    epoch: int,
    plate_weights: list[np.ndarray | None] | None = None,
) -> np.ndarray:
    """Shuffled (source, index) pairs for one epoch, a pure function of (seed, epoch).

    Being pure is what lets ``--resume`` continue exactly where an uninterrupted run would.
    ``plate_weights`` (per source, mean 1, or None) scales how often each plate is counted; the
    fractional part of each count is rounded at random, so the expected count is exact.
    """
    rng = np.random.default_rng([seed, epoch])
    parts = []
    for s, (n, w) in enumerate(zip(sizes, weights)):
        pw = plate_weights[s] if plate_weights else None
        if pw is None:
            index = np.tile(np.arange(n), w)
        else:
            expected = w * pw
            repeats = np.floor(expected).astype(np.int64)
            repeats += rng.random(n) < expected - repeats
            index = np.repeat(np.arange(n), repeats)
        parts.append(np.stack([np.full(len(index), s), index], axis=1))
    pairs = np.concatenate(parts)
    rng.shuffle(pairs)
    if plate_weights and not epoch_size:  # rounding at random must not change the epoch's length
        epoch_size = sum(n * w for n, w in zip(sizes, weights))
    if epoch_size:
        reps = math.ceil(epoch_size / len(pairs))
        pairs = np.concatenate([pairs] + [rng.permutation(pairs) for _ in range(reps - 1)])[:epoch_size]
    return pairs


class MixedDataset(torch.utils.data.Dataset):
    """Indexes several datasets by (source, index) pairs, with augmentation seeded per batch.

    Re-seeding the augmentation at every batch boundary makes batch ``k`` of an epoch a pure
    function of (seed, epoch, k): a run resumed mid-epoch, or one using worker processes,
    draws exactly the augmentations an uninterrupted single-process run would.
    """

    def __init__(self, datasets, pairs, seed: int = 0, batch_size: int = 1):
        self.datasets, self.pairs = datasets, pairs
        self.seed, self.batch_size = seed, batch_size
        self.augments = list({id(d.augment): d.augment for d in datasets if d.augment is not None}.values())

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        if i % self.batch_size == 0:
            batch_seed = int(np.random.SeedSequence([self.seed, i // self.batch_size]).generate_state(1)[0])
            for augment in self.augments:
                augment.set_random_seed(batch_seed)
        s, j = self.pairs[i]
        return self.datasets[s][j]


class StopRequest:
    """Turns the first Ctrl-C or SIGTERM into a request honoured at the next batch boundary.

    Stopping between batches makes the saved state exact, so ``--resume`` continues as if
    nothing happened; a second Ctrl-C stops at once (the last completed epoch is kept).
    """

    def __init__(self, announce: bool = True) -> None:
        self.requested = False
        self.announce = announce  # under torchrun every rank gets the signal; one of them says so
        self.previous: dict = {}

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():  # signals only reach the main thread
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        if self.announce:
            print("\nlpr: stopping after this batch (Ctrl-C again to stop at once)", file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


class Interrupted(KeyboardInterrupt):
    """Training stopped by Ctrl-C or SIGTERM after its state was saved."""

    def __init__(self, epoch: int, batches_done: int, batches: int):
        super().__init__(epoch, batches_done, batches)
        self.epoch, self.batches_done, self.batches = epoch, batches_done, batches


# ---------------------------------------------------------------------------- helpers


def lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to 1% of the peak."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    t = (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps)
    return cfg.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def ctc_loss(logits: torch.Tensor, targets, lengths) -> torch.Tensor:
    """CTC loss of (B, C, T) logits; ``zero_infinity`` drops impossible alignments."""
    log_probs = logits.float().log_softmax(1).permute(2, 0, 1)  # (T, B, C)
    d = logits.device
    t = torch.full((logits.shape[0],), logits.shape[2], dtype=torch.long, device=d)
    return F.ctc_loss(log_probs, targets.to(d), t, lengths.to(d), blank=0, zero_infinity=True)


@torch.no_grad()
def evaluate(stn, net, dataset: PlateDataset, alphabet: Alphabet, batch_size: int = 256) -> dict:
    """Sequence accuracy and CER of the two networks on an in-memory dataset."""
    stn.eval(), net.eval()
    device = next(net.parameters()).device
    predicted = []
    for i in range(0, len(dataset), batch_size):
        x = to_tensor(dataset.images[i : i + batch_size]).to(device)
        probs = net(stn(x.contiguous(memory_format=torch.channels_last))).softmax(1)
        predicted += [r.text for r in greedy_decode(probs, alphabet)]
    return score(predicted, [s.text for s in dataset.samples])


class Joint(nn.Module):
    """STN then LPRNet as one module, so DistributedDataParallel syncs both networks' gradients.

    ``amp_dtype`` runs LPRNet in mixed precision (autocast). The STN always stays in fp32:
    it is ~2% of the work, and a bf16 sampling grid would misplace pixels by up to ~0.2 px.
    """

    def __init__(self, stn: STN, net: LPRNet, amp_dtype: torch.dtype | None = None) -> None:
        super().__init__()
        self.stn, self.net = stn, net
        self.amp_dtype = amp_dtype

    def forward(self, x: torch.Tensor, stn_on: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        """CTC logits, and the STN's raw warp parameters (None while it is off)."""
        raw = self.stn.raw_params(x) if stn_on else None
        if raw is not None:
            x = self.stn.warp(x, self.stn.warp_matrix(raw))
        with torch.autocast(x.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None):
            return self.net(x), raw


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 in hardware (AVX512-BF16 or AMX), via oneDNN."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def amp_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for a ``precision`` setting on ``device``; None = plain fp32.

    bf16 on a CPU with AVX512-BF16 or AMX trains ~1.3-1.6x faster (measured: 172 -> 230
    plates/s at 94x24, 66 -> 107 at 128x32). Without them oneDNN emulates it ~3x *slower*
    than fp32 (AVX2 EPYC, 128x32: 39 -> 13 plates/s), so a config asking for bf16 (the
    shipped recipes do) trains in fp32 there instead of tripling the recipe's time.
    """
    p = precision.lower()
    if p not in PRECISIONS:
        raise ValueError(f"precision: {precision!r}; use {', '.join(PRECISIONS)}")
    cuda = device.type == "cuda"
    if p == "fp32" or (p == "auto" and not cuda):
        return None
    if cuda:
        return torch.bfloat16 if p == "bf16" or torch.cuda.is_bf16_supported() else torch.float16
    if not cpu_has_native_bf16():
        log.warning("precision: bf16 asked, but this CPU has no native bf16 (AVX512-BF16/AMX); training in fp32")
        return None
    return torch.bfloat16


def framing_loss(raw: torch.Tensor, corners: torch.Tensor, bounds: torch.Tensor) -> torch.Tensor:
    """How far the STN's warps are from framing the plates whose corners are known (rows of
    ``corners`` without NaN); 0, still attached to the graph, if none are.

    Measured on the pre-``tanh`` parameters (smooth L1), where the gradient never vanishes: a
    warp pushed against its bound still hears where the plate is.
    """
    known = ~torch.isnan(corners).flatten(1).any(1)
    if not known.any():
        return raw.sum() * 0.0  # every parameter keeps a gradient (DDP wants one per step)
    target = raw_params_of(framing_theta(corners[known].to(raw.device)), bounds)
    return F.smooth_l1_loss(raw[known], target, beta=0.1)


def forward_loss(
    model, x, targets, lengths, stn_on: bool = True, corners: torch.Tensor | None = None, geometry: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Loss of one batch through STN (when on) and LPRNet, in fp32: CTC, plus ``geometry`` times
    the framing loss when corners are given. Returns the total and the framing loss (or None)."""
    logits, raw = model(x.contiguous(memory_format=torch.channels_last), stn_on)
    loss = ctc_loss(logits, targets, lengths)
    framing = None
    if geometry and raw is not None and corners is not None:
        stn = (model.module if hasattr(model, "module") else model).stn  # DDP wraps Joint
        framing = framing_loss(raw, corners, stn.warp_bounds())
        loss = loss + geometry * framing
    return loss, framing


def backward(opt, loss: torch.Tensor) -> bool:
    """Gradients of a finite loss; returns whether they are all finite.

    Never call it on a non-finite loss: a NaN sampling grid makes grid_sample's backward
    read out of bounds (it crashes the process), so such batches are skipped before.
    """
    opt.zero_grad(set_to_none=True)
    loss.backward()
    params = [p for group in opt.param_groups for p in group["params"]]
    return all(torch.isfinite(p.grad).all() for p in params if p.grad is not None)


def apply_step(opt, finite: bool) -> None:
    """Clip and step, or drop the gradients of a batch that is to be skipped."""
    params = [p for group in opt.param_groups for p in group["params"]]
    if finite:
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
    else:  # a skipped step leaves the weights untouched: one bad batch must not poison the run
        opt.zero_grad(set_to_none=True)


def validate(stn, net, specs: list[str], val_sets: list, alphabet: Alphabet) -> dict:
    """Per-split metrics and their plate-weighted mean sequence accuracy."""
    if not val_sets:
        return {}
    val = {
        Path(split_weight(spec)[0]).as_posix(): evaluate(stn, net, ds, alphabet) for spec, ds in zip(specs, val_sets)
    }
    n = sum(m["n"] for m in val.values())
    return {"val": val, "val_sequence_accuracy": sum(m["sequence_accuracy"] * m["n"] for m in val.values()) / n}


class WeightAverage:
    """Exponential moving average of the STN and LPRNet weights and BatchNorm statistics.

    Late in training the weights still move from batch to batch, and on a few hundred real
    validation plates that shows as a point or two of accuracy between epochs; the average
    of the last few thousand steps is a steadier model. Costs one pass over the weights a step.
    """

    def __init__(self, stn: STN, net: LPRNet, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema: {decay}; use a decay between 0 and 1, e.g. 0.999 (or 0 for none)")
        self.decay, self.updates = decay, 0
        self.stn, self.net = copy.deepcopy(stn).eval(), copy.deepcopy(net).eval()

    @torch.no_grad()
    def update(self, stn: STN, net: LPRNet) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))  # a young average forgets faster
        for average, live in ((self.stn, stn), (self.net, net)):
            for a, w in zip(average.state_dict().values(), live.state_dict().values()):
                if a.is_floating_point():
                    a.lerp_(w, 1.0 - decay)
                else:  # BatchNorm's batch counter
                    a.copy_(w)

    def state_dict(self) -> dict:
        return {"stn": self.stn.state_dict(), "lprnet": self.net.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.stn.load_state_dict(state["stn"]), self.net.load_state_dict(state["lprnet"])
        self.updates = state["updates"]


def rank_share(n: int, batch_size: int, job) -> np.ndarray:
    """Positions of this rank's part of every global batch (global batches it cannot fill dropped)."""
    if not job.distributed:
        return np.arange(n)
    local = batch_size // job.world
    starts = np.arange(n // batch_size) * batch_size + job.rank * local
    return (starts[:, None] + np.arange(local)).ravel()


def build_models(cfg: TrainConfig, alphabet: Alphabet) -> tuple[STN, LPRNet]:
    size = tuple(cfg.input_size)
    for key, cls in (("model", LPRNetConfig), ("stn_model", STNConfig)):
        settable = set(cls.__dataclass_fields__) - {"input_size", "num_classes"}  # those come from the run
        if bad := set(getattr(cfg, key)) - settable:
            raise ValueError(f"{key}: unknown keys {sorted(bad)}; settable: {sorted(settable)}")
    stn = STN(STNConfig(input_size=size, **cfg.stn_model))
    net = LPRNet(LPRNetConfig(num_classes=alphabet.num_classes, input_size=size, **cfg.model))
    return stn, net


def pair_mismatch(source: tuple, target: tuple) -> str | None:
    """What keeps a trained (STN, LPRNet, Alphabet) from standing in for another, or None.

    The STN's warp bounds may differ (e.g. a wider zoom for looser crops): same weights, new
    range, carried over by ``STN.load_warps_of``.
    """
    (src_stn, src_net, src_alphabet), (stn, net, alphabet) = source, target
    if src_alphabet.symbols != alphabet.symbols:
        return "alphabet"
    if src_net.config != net.config or not src_stn.config.same_but_bounds(stn.config):
        return "architecture or input size"
    return None


def init_from(model: str, stn: STN, net: LPRNet, alphabet: Alphabet) -> str | None:
    """Copy a trained pair's weights into freshly built networks of the same shape.

    Returns the source's run id: a name such as ``weights/latin`` points at other weights once
    new ones are shipped there, so the run records which weights it really started from.
    """
    from .checkpoints import CheckpointError, load_models
    from .pipeline import resolve_model_dir

    src_stn, src_net, src_alphabet, src_meta = load_models(resolve_model_dir(model))
    if mismatch := pair_mismatch((src_stn, src_net, src_alphabet), (stn, net, alphabet)):
        raise CheckpointError(f"--init {model}: its {mismatch} differs from this run's ({alphabet.name})")
    stn.load_warps_of(src_stn)
    net.load_state_dict(src_net.state_dict())
    if src_stn.config != stn.config:
        log.info("STN warp bounds differ from %s's; its learned warps are kept, the new bounds apply", model)
    log.info("initialised from %s (run %s)", model, src_meta.get("run_id"))
    return src_meta.get("run_id")


def _mean_of(modules: list[nn.Module]) -> nn.Module:
    """A copy of the last module whose float tensors are the mean of all modules' (BatchNorm's
    batch counter, an integer, is the last one's)."""
    out = copy.deepcopy(modules[-1])
    states = [m.state_dict() for m in modules]
    with torch.no_grad():
        for key, value in out.state_dict().items():
            if value.is_floating_point():
                value.copy_(torch.stack([s[key] for s in states]).mean(0))
    return out


def average_models(models: list[str], out: str | Path, val: list[str] | None = None, progress: bool = True) -> dict:
    """Save the mean of several trained models' weights as a new model (a "model soup").

    Meant for the stages of one recipe: averaging a model fine-tuned on a few real plates with
    the model it was fine-tuned from (WiSE-FT, Wortsman et al. 2022) keeps what the fine-tune
    learned and what it made the network forget. The models must share alphabet and
    architecture; STN warp bounds may differ (the last model's apply, as ``init`` does).
    The average is validated on ``val`` (default: the last model's validation sources) and
    the metrics are stored like a training epoch's. Returns them.
    """
    from .checkpoints import CheckpointError, load_models
    from .pipeline import resolve_model_dir

    loaded = [load_models(resolve_model_dir(m)) for m in models]
    last_stn, last_net, alphabet, meta = loaded[-1]
    for name, (stn, net, other, _) in zip(models, loaded):
        if mismatch := pair_mismatch((stn, net, other), (last_stn, last_net, alphabet)):
            raise CheckpointError(f"{name}: its {mismatch} differs from {models[-1]}'s")
    stns = []
    for stn, *_ in loaded:
        stns.append(STN(last_stn.config))
        stns[-1].load_warps_of(stn)
    stn, net = _mean_of(stns).eval(), _mean_of([n for _, n, _, _ in loaded]).eval()
    train_config = meta.get("train_config") or {}
    val = list(val if val is not None else train_config.get("val") or [])
    val_sets = load_sources(val, alphabet, tuple(net.config.input_size), None, progress)[0] if val else []
    metrics = validate(stn, net, val, val_sets, alphabet)
    extra = {"epoch": meta.get("epoch"), "metrics": metrics, "train_config": train_config}
    save_models(out, stn, net, alphabet, uuid.uuid4().hex, {**extra, "averaged_from": [str(m) for m in models]})
    export_beside(out)
    return metrics


def save_state(
    out: Path,
    stn,
    net,
    opt,
    epoch: int,
    step: int,
    run_id: str,
    history: list,
    cfg,
    batches_done=0,
    ema=None,
    init_run_id: str | None = None,
) -> None:
    """The full run state; ``epoch`` epochs are complete plus ``batches_done`` batches of the next."""
    atomic_save(
        {
            "format_version": 1,
            "kind": "lpr.train_state",
            "run_id": run_id,
            "epoch": epoch,
            "batches_done": batches_done,
            "step": step,
            "rng": torch.get_rng_state(),  # dropout continues exactly where it stopped
            "stn": stn.state_dict(),
            "lprnet": net.state_dict(),
            "optimizer": opt.state_dict(),
            "ema": ema.state_dict() if ema else None,
            "history": history,
            "config": asdict(cfg),
            "init_run_id": init_run_id,  # the run whose weights ``config.init`` named when this one started
        },
        out / STATE_FILE,
    )


def remove_stale_temp_files(out: Path) -> None:
    """Temp files of a save that was killed half-way (``atomic_save`` never renamed them)."""
    for tmp in out.glob(".*.pt.*.tmp"):
        tmp.unlink(missing_ok=True)
        log.info("removed %s, left by an interrupted save", tmp)


# ---------------------------------------------------------------------------- the loop


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> dict:
    """Train STN + LPRNet jointly; write ``stn.pt``, ``lprnet.pt`` and the run state to ``cfg.out``.

    Runs as one process or as every rank of a ``torchrun`` job (see :mod:`lpr.distributed`).
    Returns the history: one dict of metrics per epoch.
    """
    if not cfg.data:
        raise ValueError("no training data: give at least one --data source")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    job, device = distributed.start(distributed.resolve_device(cfg.device))
    try:
        return _train(cfg, resume, progress and job.main, job, device)
    finally:
        distributed.stop(job)


def _train(cfg: TrainConfig, resume: bool, progress: bool, job, device) -> dict:
    from tqdm import tqdm

    if cfg.batch_size % job.world:
        raise ValueError(f"batch size {cfg.batch_size} does not split evenly over {job.world} processes")
    if not job.main:  # one voice: rank 0 logs, prints and writes
        logging.getLogger("lpr").setLevel(logging.WARNING)
    local_batch = cfg.batch_size // job.world
    out = Path(cfg.out)
    if job.main:
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(out)
        (out / "config.yaml").write_text(config_yaml(cfg), encoding="utf-8")
    alphabet = Alphabet.resolve(cfg.alphabet)
    if cfg.plate_format and cfg.plate_format != "none":
        PlateFormat.resolve(cfg.plate_format, alphabet)  # refuse a bad pattern now, not after training
    amp = amp_dtype(cfg.precision, device)  # likewise a bad precision, before minutes of loading
    if not 0.0 <= cfg.balance <= 1.0:
        raise ValueError(f"balance: {cfg.balance}; use a strength between 0 (off) and 1 (every first character equal)")
    if not 0.0 <= cfg.invert <= 1.0:
        raise ValueError(f"invert: {cfg.invert}; use a probability between 0 and 1")
    if cfg.zoom and not (len(cfg.zoom) == 2 and 0 < cfg.zoom[0] <= cfg.zoom[1]):
        raise ValueError(f"zoom: {cfg.zoom}; give [low, high] with 0 < low <= high, e.g. [0.75, 1.1]")
    for name, value in (("invert", cfg.invert), ("zoom", cfg.zoom)):
        if value and cfg.augment <= 0:  # they are augmentations, which augment: 0 turns off
            raise ValueError(f"{name}: {value} needs augmentation on (augment > 0, here {cfg.augment})")
    size = tuple(cfg.input_size)
    random.seed(cfg.seed), np.random.seed(cfg.seed), torch.manual_seed(cfg.seed)

    augment = build_augment(cfg.augment, cfg.invert, cfg.zoom) if cfg.augment > 0 else None
    stream = {"auto": None, "yes": True, "true": True, "no": False, "false": False}.get(str(cfg.stream).lower())
    if stream is None and str(cfg.stream).lower() != "auto":
        raise ValueError(f"stream: {cfg.stream!r}; use auto, yes or no")
    train_sets, weights = load_sources(cfg.data, alphabet, size, augment, progress, stream)
    plate_weights = balanced_weights(cfg.data, train_sets, cfg.balance) if cfg.balance else None
    val_sets = load_sources(cfg.val, alphabet, size, None, progress)[0] if cfg.val and job.main else []
    if val_sets:
        warn_about_overlap(train_sets, val_sets)
    sizes = [len(d) for d in train_sets]
    plates = cfg.epoch_size or sum(n * w for n, w in zip(sizes, weights))
    steps_per_epoch = plates // cfg.batch_size if job.distributed else math.ceil(plates / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs

    stn, net = build_models(cfg, alphabet)
    init_run_id = None
    if cfg.init and not (resume and (out / STATE_FILE).exists()):
        init_run_id = init_from(cfg.init, stn, net, alphabet)
    joint = Joint(stn, net, amp).to(device, memory_format=torch.channels_last)
    opt = torch.optim.AdamW(
        [{"params": net.parameters()}, {"params": stn.parameters()}], lr=cfg.lr, weight_decay=cfg.weight_decay
    )
    start_epoch, step, history, run_id = 0, 0, [], uuid.uuid4().hex
    resume_batches, resume_rng, resume_ema = 0, None, None
    if resume and (out / STATE_FILE).exists():
        state = read_checkpoint(out / STATE_FILE, "lpr.train_state")
        stn.load_state_dict(state["stn"]), net.load_state_dict(state["lprnet"])
        opt.load_state_dict(state["optimizer"])
        start_epoch, step, history, run_id = state["epoch"], state["step"], state["history"], state["run_id"]
        resume_batches, resume_rng, resume_ema = state.get("batches_done", 0), state.get("rng"), state.get("ema")
        init_run_id = state.get("init_run_id")
        partial = f" and {resume_batches} batches of the next" if resume_batches else ""
        log.info("resuming %s after epoch %d%s", out, start_epoch, partial)
    elif resume:
        log.warning("nothing to resume in %s; starting a new run", out)
    ema = None  # only rank 0 validates and saves, so only it keeps the average
    if cfg.ema and job.main:
        ema = WeightAverage(stn, net, cfg.ema)
        if resume_ema:  # else (a state saved without one) the average starts from the resumed weights
            ema.load_state_dict(resume_ema)

    model = joint
    if job.distributed:
        # The STN sits out its warm-up epochs (and --no-stn runs): its parameters then get no gradient.
        model = torch.nn.parallel.DistributedDataParallel(
            joint,
            device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=not cfg.stn or cfg.stn_warmup_epochs > 0,
        )
    metrics_log = MetricsLog(out / "metrics.jsonl") if job.main else None

    n_params = sum(p.numel() for p in joint.parameters())
    log.info(
        "training %d parameters on %d plates/epoch (%d steps of %d), %d epochs, %s %s, %d process(es), threads=%d",
        n_params,
        steps_per_epoch * cfg.batch_size,
        steps_per_epoch,
        cfg.batch_size,
        cfg.epochs,
        device,
        str(amp).removeprefix("torch.") if amp else "fp32",
        job.world,
        torch.get_num_threads(),
    )
    with StopRequest(announce=job.main) as stop:
        for epoch in range(start_epoch, cfg.epochs):
            epoch_seed = cfg.seed * 100003 + epoch
            torch.manual_seed(epoch_seed + 7_777_777 * job.rank)  # dropout, reproducible per epoch
            pairs = epoch_indices(sizes, weights, cfg.epoch_size, cfg.seed, epoch, plate_weights)
            pairs = pairs[rank_share(len(pairs), cfg.batch_size, job)]
            epoch_data = MixedDataset(train_sets, pairs, seed=epoch_seed + 7_777_777 * job.rank, batch_size=local_batch)
            done = 0
            if epoch == start_epoch and resume_batches:  # continue a mid-epoch interruption
                done = resume_batches
                epoch_data = torch.utils.data.Subset(epoch_data, range(done * local_batch, len(pairs)))
                if resume_rng is not None and job.main:
                    torch.set_rng_state(resume_rng)
            # Its own generator: the loader must not draw from the global RNG that dropout uses.
            loader = DataLoader(
                epoch_data, local_batch, collate_fn=collate, num_workers=cfg.workers, generator=torch.Generator()
            )
            stn_on = cfg.stn and epoch >= cfg.stn_warmup_epochs
            joint.train(), stn.train(stn_on)
            bar = tqdm(
                loader,
                desc=f"epoch {epoch + 1}/{cfg.epochs}",
                unit="batch",
                initial=done,
                total=steps_per_epoch,
                disable=not progress,
                dynamic_ncols=True,
                file=sys.stderr,
            )
            t0, seen, loss_sum, framing_sum, skipped = time.time(), 0, 0.0, 0.0, 0
            with bar:
                for x, targets, lengths, corners in bar:
                    lr = lr_at(step, total_steps, cfg)
                    opt.param_groups[0]["lr"] = lr
                    opt.param_groups[1]["lr"] = lr * cfg.stn_lr_scale if stn_on else 0.0  # 0 also stops AdamW decay
                    loss, framing = forward_loss(
                        model, x.to(device), targets, lengths, stn_on, corners, cfg.stn_geometry
                    )
                    # One collective per step: every rank skips the same bad batches and stops together.
                    bad, stopping = distributed.any_of(job, [not torch.isfinite(loss), stop.requested], device)
                    # DDP averages gradients, so once all losses are finite every rank sees the same ones.
                    bad = bad or not backward(opt, loss)
                    apply_step(opt, not bad)
                    if ema and not bad:
                        ema.update(stn, net)
                    if bad:
                        skipped += 1
                        log.warning("step %d: non-finite loss or gradient, step skipped", step)
                    else:
                        seen += len(lengths) * job.world
                        loss_sum += loss.item() * len(lengths)
                        framing_sum += (framing.item() if framing is not None else 0.0) * len(lengths)
                        pps = seen / (time.time() - t0)
                        bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{lr:.1e}", pps=f"{pps:.0f}")
                        if metrics_log and step % 50 == 0:
                            extra = {"framing_loss": framing.item()} if framing is not None else {}
                            metrics_log.write(kind="step", epoch=epoch + 1, step=step, loss=loss.item(), lr=lr, **extra)
                    step, done = step + 1, done + 1
                    if stopping:  # at a batch boundary, so the saved state is exact
                        if job.main:
                            save_state(out, stn, net, opt, epoch, step, run_id, history, cfg, done, ema, init_run_id)
                        distributed.barrier(job)
                        raise Interrupted(epoch + 1, done, steps_per_epoch)
            record = {
                "epoch": epoch + 1,
                "train_loss": loss_sum * job.world / max(seen, 1),  # rank 0's mean loss
                "framing_loss": framing_sum * job.world / max(seen, 1) if cfg.stn_geometry and stn_on else None,
                "skipped_steps": skipped,
                "plates_per_second": seen / (time.time() - t0),
                "seconds": time.time() - t0,
                "stn": stn_on,
                "processes": job.world,
            }
            history.append(record)  # every rank keeps the history; only rank 0 validates and writes
            if job.main:
                keep_stn, keep_net = (ema.stn, ema.net) if ema else (stn, net)  # the pair that is shipped
                record.update(validate(keep_stn, keep_net, cfg.val, val_sets, alphabet))
                if ema and val_sets:  # what the average buys, epoch by epoch
                    record["raw_weights"] = validate(stn, net, cfg.val, val_sets, alphabet)
                metrics_log.write(kind="epoch", **record)
                print(format_epoch(record), flush=True)
                if val_sets:  # let users watch the STN learn: a few validation plates, rectified
                    (out / "stn").mkdir(exist_ok=True)
                    cv2.imwrite(
                        str(out / "stn" / f"epoch_{epoch + 1:03d}.png"),
                        stn_grid(keep_stn, list(val_sets[0].images[:16])),
                    )
                if all_finite(keep_net.state_dict()) and all_finite(keep_stn.state_dict()):
                    meta = {
                        "epoch": epoch + 1,
                        "metrics": record,
                        "train_config": asdict(cfg),
                        "init_run_id": init_run_id,
                    }
                    save_models(out, keep_stn, keep_net, alphabet, run_id, meta)
                    save_state(
                        out, stn, net, opt, epoch + 1, step, run_id, history, cfg, ema=ema, init_run_id=init_run_id
                    )
                else:
                    log.error("epoch %d produced non-finite weights; not saved", epoch + 1)
            distributed.barrier(job)
    if job.main and history:
        best = max(history, key=lambda h: h.get("val_sequence_accuracy", -h["train_loss"]))
        log.info(
            "done: %d epochs in %.0f min; best epoch %d%s",
            len(history),
            sum(h["seconds"] for h in history) / 60,
            best["epoch"],
            f" (validation {best['val_sequence_accuracy']:.2%})" if "val_sequence_accuracy" in best else "",
        )
        export_beside(out)
    return {"history": history, "out": str(out)}


def export_beside(out: str | Path) -> None:
    """Save the graphs the onnx backend reads with beside the saved weights, so that `lpr
    predict --model OUT` reads without loading torch (≈ 0.4 s instead of ≈ 4 s). A failed export
    costs nothing the run made: reading then exports them in memory, or `lpr export` retries."""
    from .export import export_for_reading
    from .pipeline import Recognizer

    try:
        paths = export_for_reading(Recognizer.load(out, backend="torch"))
    except Exception as e:  # noqa: BLE001 - the weights are saved; the graphs are a convenience
        log.warning("could not export %s for onnxruntime (%s); `lpr export --model %s` retries", out, e, out)
        return
    log.info("saved %s for onnxruntime", " and ".join(map(str, paths)))


class MetricsLog:
    """Metrics as JSON lines next to the checkpoints (and in TensorBoard when it is installed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.tensorboard = SummaryWriter(str(path.parent / "tensorboard"))
        except ImportError:  # tensorboard is optional
            self.tensorboard = None

    def write(self, **record) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"time": time.time(), **record}, ensure_ascii=False) + "\n")
        if self.tensorboard is not None:
            step = record.get("step", record.get("epoch"))
            for key in ("loss", "lr", "train_loss", "val_sequence_accuracy", "plates_per_second"):
                if isinstance(record.get(key), (int, float)):
                    self.tensorboard.add_scalar(f"{record['kind']}/{key}", record[key], step)
            self.tensorboard.flush()


def config_yaml(cfg: TrainConfig) -> str:
    """The run's configuration as YAML, loadable again with ``--config``."""
    import yaml

    return yaml.safe_dump({**asdict(cfg), "input_size": list(cfg.input_size)}, allow_unicode=True, sort_keys=False)


def format_epoch(r: dict) -> str:
    line = f"epoch {r['epoch']}: loss {r['train_loss']:.4f}, {r['plates_per_second']:.0f} plates/s"
    if r.get("framing_loss") is not None:
        line += f", framing loss {r['framing_loss']:.4f}"
    if r["skipped_steps"]:
        line += f", {r['skipped_steps']} steps skipped (non-finite)"
    for name, m in r.get("val", {}).items():
        line += f" | {name}: acc {m['sequence_accuracy']:.2%} cer {m['char_error_rate']:.3f} (n={m['n']})"
    if raw := r.get("raw_weights"):
        line += " | without averaging: " + " / ".join(f"{m['sequence_accuracy']:.2%}" for m in raw["val"].values())
    return line
