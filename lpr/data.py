"""Plate datasets: readers for labelled images, image decoding, preprocessing, augmentation.

Three sources are understood, chosen by :func:`read_source`:

* a CSV file ``path,text`` (paths relative to the CSV), or a folder holding ``labels.csv``;
* raw CCPD images: the label and plate box are decoded from the file name and the plate is
  cropped from the box, so the full CCPD release can be used as is;
* any other folder of images: the label is the file-name stem up to the first ``_``.

Images are handled in OpenCV's BGR order throughout, as uint8 until :func:`to_input`.
torch is imported only where tensors are made, so reading plates with an exported ONNX graph
(``lpr predict``) never loads it: that saves over a second per command.
"""

from __future__ import annotations

import csv
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from .alphabet import CN_LETTERS, CN_PROVINCES, DIGITS, Alphabet

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}

# CCPD's index tables (detectRecog/CCPD README): "O" marks "no character".
CCPD_PROVINCES = list(CN_PROVINCES) + ["警", "学", "O"]
CCPD_LETTERS = list(CN_LETTERS) + ["O"]
CCPD_CHARS = list(CN_LETTERS) + list(DIGITS) + ["O"]


class ImageError(Exception):
    """An image file cannot be read; the message says why."""


@dataclass(frozen=True)
class Sample:
    """One labelled plate image, and where its label came from (for error reports)."""

    path: str
    text: str
    origin: str = ""  # "labels.csv:12", or the file name for labels taken from names
    box: tuple[int, int, int, int] | None = None  # crop (x1, y1, x2, y2) inside the image
    corners: tuple[float, ...] | None = None  # plate corners x, y of TL, TR, BR, BL as fractions of width/height


# ---------------------------------------------------------------------------- readers


def format_corners(corners: np.ndarray | None) -> str:
    """Plate corners as the ``corners`` column of a labels CSV: eight numbers, or empty."""
    return "" if corners is None else " ".join(f"{v:.4f}" for v in np.asarray(corners).ravel())


def parse_corners(text: str) -> tuple[float, ...] | None:
    """The ``corners`` column: x y of the plate's TL, TR, BR and BL corners as fractions of the
    image's width and height (synthetic plates know them; real ones usually have none)."""
    values = text.split()
    if not values:
        return None
    if len(values) != 8:
        raise ValueError(f"corners: expected 8 numbers, got {len(values)}")
    return tuple(float(v) for v in values)


def read_csv(path: str | Path) -> list[Sample]:
    """Samples of a ``path,text[,corners]`` CSV; image paths are relative to the CSV's folder."""
    path = Path(path)
    root = path.parent
    samples = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return []
        columns = [h.strip().lower() for h in header]
        if columns[:2] != ["path", "text"]:
            raise ValueError(f"{path}: the first line must be the header 'path,text', got {header}")
        corners_at = columns.index("corners") if "corners" in columns else None
        for line_no, row in enumerate(reader, start=2):
            if not row or not row[0].strip():
                continue
            if len(row) < 2:
                log.warning("%s:%d: no text column, skipped", path, line_no)
                continue
            corners = None
            if corners_at is not None and len(row) > corners_at:
                try:
                    corners = parse_corners(row[corners_at])
                except ValueError as e:
                    raise ValueError(f"{path}:{line_no}: {e}") from None
            # normpath: "split/../../data/x.jpg" reads badly in reports
            image = os.path.normpath(root / row[0].strip())
            samples.append(Sample(image, row[1].strip(), f"{path}:{line_no}", corners=corners))
    return samples


def parse_ccpd_name(name: str) -> tuple[str, tuple[int, int, int, int]]:
    """Plate text and box ``(x1, y1, x2, y2)`` from a raw CCPD file name.

    >>> parse_ccpd_name("025-95_113-154&383_386&473-386&473_177&454_154&383_363&402-0_0_22_27_27_33_16-37-15.jpg")
    ('皖AY339S', (154, 383, 386, 473))
    """
    fields = Path(name).stem.split("-")
    if len(fields) != 7:
        raise ValueError(f"not a CCPD file name (expected 7 '-'-separated fields): {name}")
    (x1, y1), (x2, y2) = (tuple(int(v) for v in p.split("&")) for p in fields[2].split("_"))
    idx = [int(i) for i in fields[4].split("_")]
    chars = [CCPD_PROVINCES[idx[0]], CCPD_LETTERS[idx[1]]] + [CCPD_CHARS[i] for i in idx[2:]]
    text = "".join(c for c in chars if c != "O")
    return text, (x1, y1, x2, y2)


_CCPD_NAME = re.compile(r"^\d+-\d+_\d+-\d+&\d+_\d+&\d+-(\d+&\d+_){3}\d+&\d+-(\d+_)+\d+-\d+-\d+$")


def is_ccpd_name(name: str) -> bool:
    return bool(_CCPD_NAME.match(Path(name).stem))


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def read_ccpd(folder: str | Path) -> list[Sample]:
    """Samples of a folder of raw CCPD images (label and box from each file name)."""
    samples = []
    for p in list_images(Path(folder)):
        try:
            text, box = parse_ccpd_name(p.name)
        except (ValueError, IndexError):
            log.warning("%s: not a CCPD file name, skipped", p)
            continue
        samples.append(Sample(str(p), text, p.name, box))
    return samples


def read_folder(folder: str | Path) -> list[Sample]:
    """Samples of a folder whose file names carry the label: ``<TEXT>_<anything>.jpg``."""
    return [Sample(str(p), p.stem.split("_")[0], p.name) for p in list_images(Path(folder))]


def read_source(spec: str | Path) -> list[Sample]:
    """Samples from a CSV, a folder with ``labels.csv``, raw CCPD images, or a named folder."""
    path = Path(spec)
    if path.is_file():
        return read_csv(path)
    if not path.is_dir():
        raise FileNotFoundError(f"no such dataset: {spec}")
    if (path / "labels.csv").is_file():
        return read_csv(path / "labels.csv")
    images = list_images(path)
    if images and all(is_ccpd_name(p.name) for p in images[:20]):
        return read_ccpd(path)
    return read_folder(path)


def check_labels(samples: list[Sample], alphabet: Alphabet) -> tuple[list[Sample], list[str]]:
    """Split samples into usable ones and one report line per unusable label."""
    good, problems = [], []
    for s in samples:
        bad = alphabet.unknown(s.text)
        if not s.text:
            problems.append(f"{s.origin or s.path}: empty label")
        elif bad:
            problems.append(
                f"{s.origin or s.path}: label {s.text!r} has characters outside the {alphabet.name} alphabet: {bad!r}"
            )
        else:
            good.append(s)
    return good, problems


# ---------------------------------------------------------------------------- images


def load_image(path: str | Path, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """Decode an image file to a BGR uint8 array, cropped to ``box`` if given.

    Raises :class:`ImageError` with a one-line reason for anything unreadable.
    """
    p = Path(path)
    if not p.exists():
        raise ImageError("no such file")
    if p.is_dir():
        raise ImageError("is a directory")
    # np.fromfile + imdecode instead of imread: imread fails silently on non-ASCII paths.
    img = decode_image(np.fromfile(str(p), dtype=np.uint8))
    if box is not None:
        x1, y1, x2, y2 = box
        img = img[max(y1, 0) : y2, max(x1, 0) : x2]
        if img.size == 0:
            raise ImageError(f"plate box {box} is outside the image")
    return img


def decode_image(data: bytes | np.ndarray) -> np.ndarray:
    """The bytes of an image file (JPEG, PNG, ...) -> BGR uint8; ImageError says why not."""
    data = np.frombuffer(data, np.uint8) if isinstance(data, (bytes, bytearray, memoryview)) else data
    if data.size == 0:
        raise ImageError("empty file")
    if is_truncated_jpeg(data):
        raise ImageError("truncated JPEG (no end-of-image marker)")
    # IMREAD_COLOR: grey, RGBA, CMYK and 16-bit images all become 8-bit BGR; EXIF rotation applied.
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        raise ImageError("not a decodable image")
    return img


def is_truncated_jpeg(data: np.ndarray) -> bool:
    """A JPEG whose end-of-image marker is missing: libjpeg would fill the rest with grey."""
    if data.size < 4 or data[0] != 0xFF or data[1] != 0xD8:
        return False
    tail = data[-64:].tobytes().rstrip(b"\x00")  # some writers pad after the marker
    return not tail.endswith(b"\xff\xd9")


def to_ndarray(image) -> np.ndarray:
    """Accept a path, the bytes of an image file, a BGR/gray uint8 array or a PIL image; return
    BGR uint8 (H, W, 3)."""
    if isinstance(image, (str, Path)):
        return load_image(image)
    if isinstance(image, (bytes, bytearray, memoryview)):
        return decode_image(image)
    if hasattr(image, "convert") and not isinstance(image, np.ndarray):  # PIL.Image
        return cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    img = np.asarray(image)
    if img.dtype != np.uint8:
        raise ImageError(f"expected a uint8 image, got {img.dtype}")
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.ndim != 3 or img.shape[2] != 3 or img.shape[0] < 1 or img.shape[1] < 1:
        raise ImageError(f"unsupported image shape {img.shape}")
    return img


def trim_letterbox(img: np.ndarray) -> np.ndarray:
    """Cut the flat bands a detector adds when it letterboxes a crop into a square.

    Only square-ish images are touched (a plate crop never is), and only bands of a flat
    letterbox colour (white, black or YOLO's grey 114) at least 8% thick, so real plate
    borders stay. Without this a 640x640 letterboxed plate would be squashed to a few rows.
    """
    H, W = img.shape[:2]
    if not 0.8 <= W / H <= 1.25 or min(H, W) < 16:
        return img
    if np.ptp(img[[0, -1]].reshape(-1, 3).mean(axis=0)) > 10:  # coloured edges: no letterbox
        return img
    # The channels' mean, and per-line mean and spread along both axes, each computed once: a
    # 640x640 crop took 19 ms with numpy's mean over the channel axis (10 ms) and per-band
    # statistics on transposed copies, most of the time it took to read a letterboxed plate.
    gray = cv2.transform(img.astype(np.float32), np.full((1, 3), 1 / 3, np.float32))
    rows = gray.mean(axis=1), gray.std(axis=1)
    cols = gray.mean(axis=0), gray.std(axis=0)
    top, bottom = _flat_band(gray[0], *rows), _flat_band(gray[-1], *(r[::-1] for r in rows))
    left, right = _flat_band(gray[:, 0], *cols), _flat_band(gray[:, -1], *(c[::-1] for c in cols))
    if top + bottom > 0.75 * H or left + right > 0.75 * W:  # a blank image: leave it
        return img
    if top == bottom == left == right == 0:
        return img
    return img[top : H - bottom, left : W - right]


def _flat_band(edge: np.ndarray, means: np.ndarray, stds: np.ndarray) -> int:
    """Lines of one letterbox colour from an image's edge, given the edge line's pixels and the
    mean and spread of each line from that edge inward; 0 unless the band is >= 8% thick."""
    level = float(np.median(edge))
    if not (level >= 235 or level <= 20 or abs(level - 114) <= 8):
        return 0
    flat = (stds < 8) & (np.abs(means - level) < 12)
    n = len(flat) if flat.all() else int(np.argmin(flat))
    return n if n >= 0.08 * len(flat) else 0


def resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Letterbox bands trimmed, then stretched to ``size`` = (width, height), area-averaged when shrinking.

    Stretching (not padding) keeps every input pixel for the characters; synthetic plates of
    2:1 to 5:1 layouts are stretched the same way, so the model learns the distortion.
    """
    img = trim_letterbox(img)
    w, h = size
    if img.shape[1] == w and img.shape[0] == h:
        return img
    shrink = img.shape[1] > w and img.shape[0] > h
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def to_input(batch: np.ndarray) -> np.ndarray:
    """(B, H, W, 3) uint8 -> (B, 3, H, W) float32 in [-1, 1], channels-last in memory: what
    the networks take."""
    x = batch.transpose(0, 3, 1, 2).astype(np.float32)  # keeps the memory order: channels last
    x -= 127.5
    x *= 1 / 128.0
    return x


def sample_through(
    x: np.ndarray,
    warps: np.ndarray,
    align_corners: bool = False,
    out: np.ndarray | None = None,
    channels_last: bool = False,
) -> np.ndarray:
    """(B, 3, H, W) float images resampled through affine ``warps`` (B, 2, 3): what
    :meth:`lpr.models.STN.warp` does (bilinear, border pixels repeated), without torch.

    onnxruntime's GridSample is ~8x slower than torch's (a sixth of a graph's time), so the
    onnx backends sample here instead, one ``cv2.warpAffine`` per image (values within ~3e-5
    of torch's; no coordinate maps to build, ~1.6x faster than ``cv2.remap``). Per image, not
    over the batch stacked into one tall mosaic: float32 coordinates lose precision deep in a
    mosaic, and a plate's pixels would then depend on its place in the batch.

    Returns C-contiguous NCHW, or with ``channels_last`` (B, H, W, 3), OpenCV's own layout and
    a fifth faster (no transposing copy); in ``out`` if given: a reused buffer spares the page
    faults of fresh memory, which cost about as much as the sampling itself.
    """
    b, _, h, w = x.shape
    m = _pixel_warps(warps, w, h, align_corners)  # (B, 2, 3): output pixel (x, y, 1) -> input pixel
    images = x.transpose(0, 2, 3, 1)  # (B, H, W, 3): contiguous per image when x is channels-last
    if out is None:
        out = np.empty((b, h, w, 3) if channels_last else (b, 3, h, w), np.float32)
    plate = None if channels_last else np.empty((h, w, 3), np.float32)  # stays in cache
    for i in range(b):
        cv2.warpAffine(
            np.ascontiguousarray(images[i]),
            m[i],
            (w, h),
            dst=out[i] if channels_last else plate,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        if not channels_last:
            out[i] = plate.transpose(2, 0, 1)
    return out


def _pixel_warps(warps: np.ndarray, w: int, h: int, align_corners: bool) -> np.ndarray:
    """Affine warps (B, 2, 3) in torch's normalised [-1, 1] coordinates -> the same warps from
    output pixel to input pixel, both images being H x W."""
    # normalised = scale * pixel + shift, per axis (affine_grid's convention)
    if align_corners:
        scale = np.array([2 / (w - 1), 2 / (h - 1)], np.float32)
        shift = np.array([-1.0, -1.0], np.float32)
    else:
        scale = np.array([2 / w, 2 / h], np.float32)
        shift = np.array([1 / w - 1, 1 / h - 1], np.float32)
    to_norm = np.array([[scale[0], 0, shift[0]], [0, scale[1], shift[1]], [0, 0, 1]], np.float32)
    from_norm = np.linalg.inv(to_norm)[:2]
    full = np.concatenate([warps.astype(np.float32), np.tile([[[0, 0, 1]]], (len(warps), 1, 1))], axis=1)
    return (from_norm @ full @ to_norm).astype(np.float32)


def to_tensor(batch: np.ndarray) -> torch.Tensor:
    """:func:`to_input` as a torch tensor (sharing its memory)."""
    import torch

    return torch.from_numpy(to_input(batch))


# ---------------------------------------------------------------------------- augmentation


def build_augment(strength: float = 1.0, invert: float = 0.0, zoom: tuple[float, float] | None = None):
    """Photometric and geometric augmentation for real and synthetic crops (albumentations).

    Geometry stays mild: the STN must learn to undo it, but characters must stay inside.
    ``invert`` is the probability of a photographic negative: light ink on a dark plate
    (Brazilian commercial plates, black collector plates) then looks like the common dark ink
    on a light plate, and the reverse, so neither polarity is left to a few renders.
    ``zoom`` (low, high) is the range of the plate's scale in the frame (1 = as cropped): below 1
    shows more of its surroundings (a loose detector crop), above 1 cuts into it (a tight one).
    By default it is narrow, (1 - 0.08 * strength, 1 + 0.05 * strength).
    """
    import albumentations as A

    s = strength
    # Added only when asked: an extra transform would shift the random draws of the others.
    polarity = [A.InvertImg(p=invert)] if invert > 0 else []
    return A.Compose(
        [
            A.Affine(
                scale=tuple(zoom) if zoom else (1 - 0.08 * s, 1 + 0.05 * s),
                translate_percent={"x": (-0.04 * s, 0.04 * s), "y": (-0.08 * s, 0.08 * s)},
                rotate=(-8 * s, 8 * s),
                shear={"x": (-10 * s, 10 * s), "y": (-4 * s, 4 * s)},
                border_mode=cv2.BORDER_REPLICATE,
                p=0.7,
            ),
            A.Perspective(scale=(0.01, 0.05 * s), keep_size=True, p=0.3),
            A.RandomBrightnessContrast(0.3 * s, 0.3 * s, p=0.6),
            A.HueSaturationValue(8, 25, 20, p=0.4),
            A.OneOf([A.GaussianBlur(blur_limit=(3, 3)), A.MotionBlur(blur_limit=(3, 5))], p=0.25),
            A.GaussNoise(std_range=(0.01, 0.05), p=0.25),
            A.ImageCompression(quality_range=(30, 95), p=0.3),
            A.ToGray(p=0.03),
            *polarity,
        ],
        # Plate corners (when known) move with the geometric transforms; off-image ones are kept.
        keypoint_params=A.KeypointParams(format="xy", remove_invisible=False),
    )


NO_CORNERS = np.full((4, 2), np.nan, np.float32)


def augmented(augment, img: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``augment`` applied to an image and its plate corners (pixels; NaN when unknown)."""
    if augment is None:
        return img, corners
    known = not np.isnan(corners).any()
    out = augment(image=img, keypoints=corners if known else np.zeros((0, 2), np.float32))
    return out["image"], np.asarray(out["keypoints"], np.float32).reshape(4, 2) if known else corners


def corners_in_pixels(sample: Sample, size: tuple[int, int]) -> np.ndarray:
    """The sample's plate corners in pixels of an image resized to ``size``, or NaNs."""
    if sample.corners is None:
        return NO_CORNERS
    return np.asarray(sample.corners, np.float32).reshape(4, 2) * np.float32(size)


# ---------------------------------------------------------------------------- dataset


class PlateDataset:  # a map-style dataset: what torch's DataLoader indexes
    """Labelled plates, decoded once and kept in memory at the model's input size.

    Plate crops at 94x24 are ~7 KB each, so even 200k synthetic plates fit comfortably; this
    keeps the 2-core training loop free of file decoding.

    Args:
        samples: labelled images; labels must already be valid for ``alphabet``.
        alphabet: maps labels to class indices.
        size: (width, height) of the network input.
        augment: an albumentations transform applied per access, or None.
        progress: show a progress bar while decoding.
    """

    def __init__(self, samples, alphabet: Alphabet, size: tuple[int, int], augment=None, progress=False):
        from tqdm import tqdm

        self.alphabet = alphabet
        self.size = tuple(size)
        self.augment = augment
        self.failed: list[tuple[str, str]] = []  # (path, reason) of images that did not decode
        w, h = self.size
        images = np.empty((len(samples), h, w, 3), dtype=np.uint8)
        kept = []
        for s in tqdm(samples, desc="loading images", unit="img", disable=not progress, leave=False):
            try:
                images[len(kept)] = resize(load_image(s.path, s.box), self.size)
            except ImageError as e:
                self.failed.append((s.path, str(e)))
                continue
            kept.append(s)
        self.images = images[: len(kept)]
        self.samples = kept
        self.targets = [alphabet.encode(s.text) for s in kept]
        self.corners = np.array([corners_in_pixels(s, self.size) for s in kept], np.float32).reshape(-1, 4, 2)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[np.ndarray, list[int], np.ndarray]:
        """The image (augmented), its label's class indices, and its plate corners in pixels (or NaNs)."""
        img, corners = augmented(self.augment, self.images[i], self.corners[i])
        return img, self.targets[i], corners


class StreamingPlateDataset:  # map-style, like PlateDataset
    """Labelled plates decoded from disk at every access: for sets too big to hold in memory.

    Use it with DataLoader worker processes so decoding runs beside training. An image that
    cannot be read is logged and replaced by the next readable one, so batches keep their size
    (and every process of a distributed run takes the same number of steps).
    """

    def __init__(self, samples, alphabet: Alphabet, size: tuple[int, int], augment=None):
        self.alphabet, self.size, self.augment = alphabet, tuple(size), augment
        self.samples = list(samples)
        self.targets = [alphabet.encode(s.text) for s in self.samples]
        self.failed: list[tuple[str, str]] = []  # found only when read; see the log

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[np.ndarray, list[int], np.ndarray]:
        for k in range(len(self.samples)):
            j = (i + k) % len(self.samples)
            s = self.samples[j]
            try:
                img = resize(load_image(s.path, s.box), self.size)
            except ImageError as e:
                log.warning("%s: %s, skipped", s.path, e)
                continue
            img, corners = augmented(self.augment, img, corners_in_pixels(s, self.size))
            return img, self.targets[j], corners
        raise ImageError("no readable image in this data source")


def collate(batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Images (B, 3, H, W), concatenated targets and target lengths (as CTCLoss wants them),
    and plate corners (B, 4, 2) in the STN's [-1, 1] coordinates, NaN where unknown."""
    import torch

    images = to_tensor(np.stack([b[0] for b in batch]))
    targets = torch.tensor([c for b in batch for c in b[1]], dtype=torch.long)
    lengths = torch.tensor([len(b[1]) for b in batch], dtype=torch.long)
    h, w = images.shape[-2:]
    corners = torch.from_numpy(np.stack([b[2] for b in batch])) / torch.tensor([w / 2, h / 2]) - 1
    return images, targets, lengths, corners
