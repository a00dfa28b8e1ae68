"""The two networks: a bounded affine STN that rectifies a plate crop, and LPRNet.

LPRNet follows Zherzdev & Gruzdev (2018): small basic blocks, channel-wise max pooling,
a wide horizontal kernel, and global-context concatenation before a 1x1 classifier whose
outputs, averaged over height, are CTC logits per horizontal position. Two deliberate
departures from the popular PyTorch ports:

* global-context features are normalised **per sample** (the ports divide by a mean over the
  whole batch, so a plate's reading depends on its batch-mates);
* the channel-wise max is a reshape + max, not ``nn.MaxPool3d``, so ONNX export is clean.
* the channel max, global-context pooling and dropout are written for the channels-last
  layout and a CPU: a training step is ~1.5x faster than with the straightforward forms.

The STN (Jaderberg et al. 2015) predicts rotation, scale, shear and translation, each squashed
by ``tanh`` into a configured range, so it can never learn a degenerate warp; its last layer
starts at zero, so an untrained STN returns the input unchanged.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn


def pooling_matrix(n_in: int, n_out: int) -> torch.Tensor:
    """(n_out, n_in) matrix averaging the same windows as ``adaptive_avg_pool1d``."""
    m = torch.zeros(n_out, n_in)
    for i in range(n_out):
        start, end = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        m[i, start:end] = 1.0 / (end - start)
    return m


class FixedAdaptiveAvgPool(nn.Module):
    """``adaptive_avg_pool2d`` for a known input size, as two matrix products.

    ONNX cannot express adaptive pooling whose output does not divide its input; a pair of
    constant averaging matrices gives identical results with ops every runtime has.
    """

    def __init__(self, in_size: tuple[int, int], out_size: tuple[int, int]) -> None:
        super().__init__()
        (h, w), (oh, ow) = in_size, out_size
        # Not persistent: derived from the config, so checkpoints stay plain weights.
        self.register_buffer("rows", pooling_matrix(h, oh), persistent=False)  # (oh, h)
        self.register_buffer("cols", pooling_matrix(w, ow).t().contiguous(), persistent=False)  # (w, ow)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, h, w) -> (B, C, oh, ow)
        if torch.onnx.is_in_onnx_export():  # the NCHW form: the smallest graph, no transposes
            return torch.matmul(torch.matmul(self.rows, x), self.cols)
        # Computed on the channels-last view (B, h, w*C), the layout training and inference
        # use: the NCHW form copied the whole feature map (and its gradient) at every step.
        b, c, h, w = x.shape
        oh, ow = self.rows.shape[0], self.cols.shape[1]
        y = torch.matmul(self.rows, x.permute(0, 2, 3, 1).reshape(b, h, w * c))  # (B, oh, w*C)
        y = torch.matmul(self.cols.t(), y.reshape(b * oh, w, c))  # (B*oh, ow, C)
        return y.reshape(b, oh, ow, c).permute(0, 3, 1, 2)


def base_grid(w: int, h: int, align_corners: bool) -> torch.Tensor:
    """(H*W, 3) homogeneous output coordinates in [-1, 1], as ``affine_grid`` samples them."""

    def axis(n: int) -> torch.Tensor:
        if align_corners:
            return torch.linspace(-1, 1, n)
        return (torch.arange(n, dtype=torch.float32) * 2 + 1) / n - 1

    ys, xs = torch.meshgrid(axis(h), axis(w), indexing="ij")
    return torch.stack([xs, ys, torch.ones_like(xs)], dim=-1).reshape(h * w, 3)


@dataclass
class STNConfig:
    input_size: tuple[int, int] = (94, 24)  # (width, height) of the images it receives
    max_rotation_deg: float = 15.0  # |rotation| bound
    max_log_scale: float = math.log(1.25)  # x/y scale within [1/1.25, 1.25]
    max_shear: float = 0.3  # |shear| bound (tan of the shear angle)
    max_translation: float = 0.2  # |shift| bound, as a fraction of the half-size
    channels: tuple[int, int] = (16, 32)  # localisation-net conv widths
    align_corners: bool = False  # stored with the model; PyTorch's default changed in 1.3

    def same_but_bounds(self, other: STNConfig) -> bool:
        """Whether ``other`` differs from this config in its warp bounds at most."""
        bounds = ("max_rotation_deg", "max_log_scale", "max_shear", "max_translation")
        return replace(self, **{b: getattr(other, b) for b in bounds}) == other


class STN(nn.Module):
    """Spatial transformer: (B, 3, H, W) -> rectified (B, 3, H, W)."""

    def __init__(self, config: STNConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or STNConfig()
        c1, c2 = c.channels
        # The localisation net sees a half-resolution copy: cheap, and rectification needs
        # only the plate's outline, not its characters.
        self.features = nn.Sequential(
            nn.Conv2d(3, c1, 3, padding=1),
            nn.BatchNorm2d(c1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.BatchNorm2d(c2),
            nn.ReLU(inplace=True),
            # (B, c2, H/4, W/4) -> (B, c2, 3, 6): a coarse layout is all the warp needs
            FixedAdaptiveAvgPool((c.input_size[1] // 2 // 2, c.input_size[0] // 2 // 2), (3, 6)),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c2 * 18, 64), nn.ReLU(inplace=True))
        self.params = nn.Linear(64, 6)  # rotation, log-scale x/y, shear, translation x/y
        nn.init.zeros_(self.params.weight)
        nn.init.zeros_(self.params.bias)
        self.register_buffer("base_grid", base_grid(*c.input_size, c.align_corners), persistent=False)

    def warp_bounds(self) -> torch.Tensor:
        """The bound of each of the six warp parameters, in the order ``params`` outputs them."""
        c = self.config
        r, s, t = math.radians(c.max_rotation_deg), c.max_log_scale, c.max_translation
        return torch.tensor([r, s, s, c.max_shear, t, t])

    def load_warps_of(self, other: STN) -> None:
        """Take ``other``'s weights, keeping its warps even where this STN's bounds differ.

        The head's pre-tanh outputs are scaled by old/new bound; tanh is near-linear for the small
        warps a trained STN makes, so a fine-tune with wider bounds starts from the same warps.
        """
        self.load_state_dict(other.state_dict())
        ratio = other.warp_bounds() / self.warp_bounds()
        with torch.no_grad():
            self.params.weight.mul_(ratio[:, None])
            self.params.bias.mul_(ratio)

    def raw_params(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 6) warp parameters before ``tanh`` bounds them (see :meth:`theta`)."""
        small = F.avg_pool2d(x, 2)  # (B, 3, H/2, W/2)
        if torch.onnx.is_in_onnx_export():
            return self.params(self._pooled_head(self.features[:-1](small)))
        return self.params(self.head(self.features(small)))

    def _pooled_head(self, features: torch.Tensor) -> torch.Tensor:
        """``head(pool(features))`` with the pooling's row averaging folded into the head's
        first layer (both are linear), for ONNX: onnxruntime runs the left product of the
        pooling as one small matrix product per channel, a fifth of the exported STN's time;
        what remains are two plain GEMMs (the folded weights become constants)."""
        pool, first = self.features[-1], self.head[1]
        oh, ow = pool.rows.shape[0], pool.cols.shape[1]
        weight = first.weight.reshape(first.out_features, -1, oh, ow).transpose(2, 3)
        weight = torch.matmul(weight, pool.rows).transpose(2, 3).flatten(1)  # (out, C * h * ow)
        columns_pooled = torch.matmul(features, pool.cols).flatten(1)  # (B, C * h * ow)
        return F.relu(F.linear(columns_pooled, weight, first.bias))

    def theta(self, x: torch.Tensor) -> torch.Tensor:
        """The bounded affine matrices (B, 2, 3) for a batch of images."""
        return self.warp_matrix(self.raw_params(x))

    def warp_matrix(self, raw: torch.Tensor) -> torch.Tensor:
        """The bounded affine matrices (B, 2, 3) of raw warp parameters (B, 6)."""
        c = self.config
        p = torch.tanh(raw)  # (B, 6) in (-1, 1)
        angle = p[:, 0] * math.radians(c.max_rotation_deg)
        sx = torch.exp(p[:, 1] * c.max_log_scale)
        sy = torch.exp(p[:, 2] * c.max_log_scale)
        shear = p[:, 3] * c.max_shear
        tx = p[:, 4] * c.max_translation
        ty = p[:, 5] * c.max_translation
        cos, sin = torch.cos(angle), torch.sin(angle)
        # theta = R(angle) @ Shear @ diag(sx, sy), then shift; identity when p == 0.
        a = cos * sx
        b = (cos * shear - sin) * sy
        d = sin * sx
        e = (sin * shear + cos) * sy
        row0 = torch.stack([a, b, tx], dim=1)
        row1 = torch.stack([d, e, ty], dim=1)
        return torch.stack([row0, row1], dim=1)  # (B, 2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.warp(x, self.theta(x))

    def theta_through(self, x: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        """The warp (B, 2, 3) chosen for ``x`` seen through ``prior`` (B, 2, 3), composed with it.

        Through the identity this is :meth:`theta`. The view is sampled at full resolution and
        then averaged, as :meth:`theta` averages the image. Cheaper views read worse on the
        shipped models' validation splits (plates right only with the second look / only
        without, clean and distorted): this one 15/3 and 125/10; the image sampled directly at
        half resolution lost cn 3 clean plates (aliasing moved its warps); the averaged copy
        resampled through ``prior`` 14/5 and 100/14.
        """
        return compose_warps(prior, self.theta(self.warp(x, prior)))

    def warp(self, x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        """``x`` resampled through the affine matrices ``theta`` (B, 2, 3)."""
        b, _, h, w = x.shape
        if (w, h) == tuple(self.config.input_size):
            # affine_grid as one matmul on a constant grid: exports to ONNX at any opset.
            grid = torch.matmul(self.base_grid, theta.transpose(1, 2)).reshape(b, h, w, 2)
        else:
            grid = F.affine_grid(theta, [b, 3, h, w], align_corners=self.config.align_corners)
        return F.grid_sample(x, grid, padding_mode="border", align_corners=self.config.align_corners)


# A warp that leaves an image as it is: a reader's first look goes through it.
IDENTITY_WARP = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))


def compose_warps(outer: torch.Tensor, inner: torch.Tensor) -> torch.Tensor:
    """The warp (B, 2, 3) that samples in one step what ``inner`` samples from the image
    ``outer`` sampled: ``outer``'s matrix times ``inner``'s, both as 3x3 affine maps."""
    shift = torch.cat([torch.zeros_like(outer[:, :, :2]), outer[:, :, 2:]], dim=2)
    return torch.matmul(outer[:, :, :2], inner) + shift


# How much of the STN's output a framed plate fills (width, height): a little margin, so a
# slightly misplaced frame cuts no character.
PLATE_FILL = (0.94, 0.88)


def framing_theta(corners: torch.Tensor, fill: tuple[float, float] = PLATE_FILL) -> torch.Tensor:
    """The affine warps (B, 2, 3) that frame plates whose corners are ``corners``.

    ``corners``: (B, 4, 2) TL, TR, BR, BL in the [-1, 1] coordinates the STN samples from. The
    warp maps the output's centred ``fill`` box onto them: exact for a parallelogram, the least-
    squares fit for a perspective quadrilateral. This is what synthetic plates teach the STN.
    """
    ax, ay = fill
    out = torch.tensor([[-ax, -ay, 1.0], [ax, -ay, 1.0], [ax, ay, 1.0], [-ax, ay, 1.0]], dtype=corners.dtype)
    solve = torch.linalg.pinv(out).to(corners.device)  # (3, 4): least squares from the output's corners
    return torch.matmul(solve, corners).transpose(1, 2)  # (B, 2, 3)


def raw_params_of(theta: torch.Tensor, bounds: torch.Tensor, limit: float = 0.95) -> torch.Tensor:
    """The STN's pre-``tanh`` parameters (B, 6) that come closest to the affine warps ``theta``.

    Inverts :meth:`STN.theta`: the matrix is R(angle) @ [[1, shear], [0, 1]] @ diag(sx, sy).
    Each parameter is clipped to ``limit`` of its bound first, so an out-of-range warp (a plate
    tilted more than the STN may turn) asks for the bound, not an infinite pre-tanh value.
    """
    a, b, d, e = theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1]
    angle = torch.atan2(d, a)
    cos, sin = torch.cos(angle), torch.sin(angle)
    sx = torch.hypot(a, d).clamp_min(1e-3)
    sy = (cos * e - sin * b).clamp_min(1e-3)
    shear = (cos * b + sin * e) / sy
    p = torch.stack([angle, sx.log(), sy.log(), shear, theta[:, 0, 2], theta[:, 1, 2]], dim=1)
    return torch.atanh((p / bounds.to(p)).clamp(-limit, limit))


@dataclass
class LPRNetConfig:
    num_classes: int  # alphabet size + 1 (CTC blank at index 0)
    input_size: tuple[int, int] = (94, 24)  # (width, height)
    stem: int = 64  # width of the first conv
    block1: int = 128  # small basic block 1 output
    block2: int = 256  # small basic blocks 2 and 3 output
    head: int = 256  # width of the horizontal (1 x 4) conv
    dropout: float = 0.5


class ChannelMax(nn.Module):
    """Max over groups of ``k`` adjacent channels: (B, C, H, W) -> (B, C/k, H, W).

    LPRNet's 3-D max pool over channels, written with reshape + max, which every runtime has.
    On the channels-last view a group is the last axis, so nothing is copied; ``amax`` over
    an NCHW reshape copied the map, and its backward took a third of a training step.
    """

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        if torch.onnx.is_in_onnx_export():  # the same max in the NCHW form: no transposes
            return x.reshape(b, c // self.k, self.k, h, w).amax(dim=2)
        groups = x.permute(0, 2, 3, 1).reshape(b, h, w, c // self.k, self.k)
        # max(dim) back-propagates through its indices; amax's mask-based backward is slower.
        return groups.max(dim=-1).values.permute(0, 3, 1, 2)


class Dropout(nn.Dropout):
    """``nn.Dropout`` whose mask is drawn with ``uniform_``: twice as fast on a CPU as the
    ``bernoulli_`` behind ``F.dropout``, the same distribution. Identity in eval mode."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if self.p == 1:  # as nn.Dropout: all zeros (the rescale below would divide by zero)
            return torch.zeros_like(x)
        keep = torch.empty_like(x).uniform_() >= self.p
        return x * keep * (1.0 / (1.0 - self.p))


def small_basic_block(cin: int, cout: int) -> nn.Sequential:
    """LPRNet's bottleneck: 1x1 squeeze, 3x1 and 1x3 convs, 1x1 expand."""
    mid = cout // 4
    return nn.Sequential(
        nn.Conv2d(cin, mid, 1),
        nn.ReLU(inplace=True),
        nn.Conv2d(mid, mid, (3, 1), padding=(1, 0)),
        nn.ReLU(inplace=True),
        nn.Conv2d(mid, mid, (1, 3), padding=(0, 1)),
        nn.ReLU(inplace=True),
        nn.Conv2d(mid, cout, 1),
    )


def bn_relu(c: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=True))


class LPRNet(nn.Module):
    """(B, 3, H, W) images in [-1, 1] -> (B, num_classes, T) CTC logits."""

    def __init__(self, config: LPRNetConfig) -> None:
        super().__init__()
        self.config = c = config
        w, h = c.input_size
        if h < 16 or w < 32:
            raise ValueError(f"input size {w}x{h} is too small for LPRNet (min 32x16)")
        self.stage1 = nn.Sequential(nn.Conv2d(3, c.stem, 3), bn_relu(c.stem))  # (B, stem, H-2, W-2)
        self.stage2 = nn.Sequential(
            nn.MaxPool2d(3, stride=1),
            small_basic_block(c.stem, c.block1),
            bn_relu(c.block1),
        )  # (B, block1, H-4, W-4)
        self.stage3 = nn.Sequential(
            ChannelMax(2),
            nn.MaxPool2d(3, stride=(1, 2)),
            small_basic_block(c.block1 // 2, c.block2),
            bn_relu(c.block2),
            small_basic_block(c.block2, c.block2),
            bn_relu(c.block2),
        )  # (B, block2, H-6, W/2-3)
        self.stage4 = nn.Sequential(
            ChannelMax(4),
            nn.MaxPool2d(3, stride=(1, 2)),
            Dropout(c.dropout),
            nn.Conv2d(c.block2 // 4, c.head, (1, 4)),
            bn_relu(c.head),
            Dropout(c.dropout),
            nn.Conv2d(c.head, c.num_classes, (h - 11, 1)),
            bn_relu(c.num_classes),
        )  # (B, classes, 4, T)
        context = c.stem + c.block1 + c.block2 + c.num_classes
        self.classifier = nn.Conv2d(context, c.num_classes, 1)
        # Global context pools every stage to the head's (4, T) grid; the sizes follow from
        # the input size, so the pooling is fixed (and exportable).
        sizes = self._stage_sizes()
        self.context_pools = nn.ModuleList(FixedAdaptiveAvgPool(s, sizes[-1]) for s in sizes)

    def _stage_sizes(self) -> list[tuple[int, int]]:
        w, h = self.config.input_size
        was_training = self.training
        self.eval()  # a dummy pass must not touch BatchNorm statistics
        with torch.no_grad():
            f1 = self.stage1(torch.zeros(1, 3, h, w))
            f2 = self.stage2(f1)
            f3 = self.stage3(f2)
            f4 = self.stage4(f3)
        self.train(was_training)
        return [tuple(f.shape[-2:]) for f in (f1, f2, f3, f4)]

    @property
    def time_steps(self) -> int:
        """Length T of the output sequence for this input size."""
        w = self.config.input_size[0]
        return ((w - 4 - 3) // 2 + 1 - 3) // 2 + 1 - 3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f1 = self.stage1(x)
        f2 = self.stage2(f1)
        f3 = self.stage3(f2)
        f4 = self.stage4(f3)  # (B, classes, 4, T)
        # Global context: every stage pooled to the head's grid, each normalised per sample
        # by its mean energy so no stage dominates (and no batch-mate affects it).
        context = []
        for f, pool in zip((f1, f2, f3, f4), self.context_pools):
            f = pool(f)
            energy = f.pow(2).mean(dim=(1, 2, 3), keepdim=True)
            context.append(f / (energy + 1e-6))
        logits = self.classifier(torch.cat(context, dim=1))  # (B, classes, 4, T)
        return logits.mean(dim=2)  # (B, classes, T)


class Reader(nn.Module):
    """STN -> LPRNet -> softmax: the whole network as one module, as exported and as read.

    ``prior`` (B or 1, 2, 3), if given, is a warp the STN looks through before it predicts its own; the
    two are composed and the plate sampled once from ``x``, so a second look loses no
    sharpness. With the identity this is the plain STN -> LPRNet. A second look passes the
    first look's warp as ``prior`` (iterating the STN, as Lin & Lucey 2017 do): a plate turned
    or framed beyond what one bounded warp corrects is corrected in two steps.
    Returns the class probabilities (B, C, T) and the warp that sampled them (B, 2, 3).
    """

    def __init__(self, stn: STN, lprnet: LPRNet) -> None:
        super().__init__()
        self.stn, self.lprnet = stn, lprnet

    def forward(self, x: torch.Tensor, prior: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        # No prior: a first look without sampling the image through the identity (an exported
        # graph always takes the prior path; its `prior` defaults to the identity).
        warp = self.stn.theta(x) if prior is None else self.stn.theta_through(x, prior.expand(x.shape[0], 2, 3))
        # Sampling returns the plain layout; LPRNet reads channels-last ~1.4x faster on a CPU.
        plate = self.stn.warp(x, warp).contiguous(memory_format=torch.channels_last)
        return self.lprnet(plate).softmax(1), warp


def config_dict(config) -> dict:
    """A JSON/YAML-friendly dict of a model config (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}


def config_from_dict(cls, d: dict):
    """Rebuild a config dataclass from :func:`config_dict` output, ignoring unknown keys."""
    names = {f for f in cls.__dataclass_fields__}
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in names}
    return cls(**kwargs)
