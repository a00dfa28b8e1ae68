"""The training configuration: every setting a run depends on (``lpr train --config FILE.yaml``).

Kept apart from :mod:`lpr.training` so the command line can show its defaults without
importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PRECISIONS = ("auto", "fp32", "bf16")


@dataclass
class TrainConfig:
    """Everything a training run depends on; saved in the run folder as ``config.yaml``."""

    data: list[str] = field(default_factory=list)  # sources; "PATH@N" counts a source N times per epoch
    val: list[str] = field(default_factory=list)  # real plates never trained on
    out: str = "runs/lpr"
    alphabet: str = "cn"  # "cn", "latin", a file of symbols, or the symbols themselves
    input_size: tuple[int, int] = (94, 24)  # (width, height)
    model: dict = field(default_factory=dict)  # LPRNetConfig overrides, e.g. {"stem": 32}
    stn: bool = True  # False trains LPRNet alone (for ablations); an identity STN is saved
    stn_model: dict = field(default_factory=dict)  # STNConfig overrides, e.g. {"max_log_scale": 0.7} (zoom to 2x)
    epochs: int = 10
    epoch_size: int = 0  # samples per epoch; 0 = one pass over the (weighted) sources
    batch_size: int = 64
    lr: float = 1e-3  # CTC diverges or stalls at the 0.1 some peers default to
    weight_decay: float = 1e-4
    warmup_steps: int = 200
    stn_lr_scale: float = 0.3
    stn_warmup_epochs: int = 1
    # Weight of the framing loss: where a plate's corners are known (synthetic plates), the STN is
    # also taught to frame the plate, which CTC alone rarely teaches it (loose crops stay loose).
    stn_geometry: float = 0.0
    augment: float = 1.0  # augmentation strength; 0 turns it off
    invert: float = 0.0  # probability of training on a plate's negative (light ink <-> dark ink)
    # (low, high) scale of the plate in augmented crops, below 1 looser and above 1 tighter than
    # the source's crops; empty = a narrow range set by `augment`. Detectors crop differently.
    zoom: list[float] = field(default_factory=list)
    # 0..1: draw each source's plates with weight ∝ (plates sharing its first character)^-balance,
    # for real sets dominated by a few provinces or region codes (CCPD is 95% 皖). Measured on the
    # shipped recipes it gained nothing beyond noise, so they leave it off (see README).
    balance: float = 0.0
    ema: float = 0.0  # decay of a moving average of the weights, validated and saved instead; 0 = off
    seed: int = 0
    threads: int = 0  # torch threads; 0 = all cores
    workers: int = 0  # DataLoader worker processes; 0 suits in-memory data, streamed data wants several
    stream: str = "auto"  # "auto" (sources over 300k plates stream), "yes" (all from disk) or "no" (all in memory)
    init: str = ""  # start from this model's weights (a shipped name or a run folder): fine-tuning
    device: str = "auto"  # auto (CUDA when present), cpu, cuda, cuda:N
    precision: str = "auto"  # LPRNet's arithmetic: auto (bf16/fp16 on CUDA, fp32 on CPU), fp32 or bf16
    plate_format: str = ""  # readings' default format, stored with the model ("" = the alphabet's; "none")
