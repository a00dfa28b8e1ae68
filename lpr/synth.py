"""Synthetic licence-plate crops for training the recogniser.

A plate is drawn flat from its real layout (mm dimensions, fonts shipped in
``lpr/assets/fonts``), then pushed through the things a camera and a plate detector do
to it: perspective, loose or tight crops with car body around, lighting, dirt, low
resolution, blur, noise and JPEG artefacts. Glyph bitmaps are rasterised once per
process and cached, so one plate costs a few small OpenCV calls.

Example::

    .venv/bin/python -c "from lpr.synth import synthesize; synthesize('data/synth', 1000, seed=0)"

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> img = render_plate(random_text(rng), rng)
    >>> img.shape, img.dtype
    ((24, 94, 3), dtype('uint8'))
"""

from __future__ import annotations

import csv
import logging
import multiprocessing as mp
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lpr.alphabet import CN_LETTERS, CN_PROVINCES, DIGITS, LATIN_LETTERS

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).parent / "assets" / "fonts"
NOTO_BOLD = "NotoSansSC-Bold-plate.otf"
NOTO_REGULAR = "NotoSansSC-Regular-plate.otf"
DEJAVU_COND = "DejaVuSansCondensed-Bold-plate.ttf"
OSP_DIN = "OSP-DIN-plate.ttf"  # DIN 1451-like: the closest free match to the Chinese plate font
ROBOTO_COND = "RobotoCondensed-Bold-plate.ttf"
BEBAS = "BebasNeue-Bold-plate.otf"

GLYPH_PX = 160  # rasterisation size; glyphs are only ever scaled down from here
WEIGHTS = (-1, 0, 1, 2)  # stroke-weight variants (erode < 0 < dilate), 2 px per step at GLYPH_PX
# Stroke width / character height per weight for glyphs normalised to a plate cell (``cell_mask``).
# The GA 36 plate font has 10 mm strokes on 90 mm characters (0.11); ink bleed and exposure vary it.
CELL_STROKE = {-1: 0.09, 0: 0.105, 1: 0.12, 2: 0.14}


# --------------------------------------------------------------------------- styles


@dataclass(frozen=True)
class ColourScheme:
    """Background/ink colour ranges in OpenCV HSV (H 0-180, S and V 0-255)."""

    bg_lo: tuple[int, int, int]
    bg_hi: tuple[int, int, int]
    fg_lo: tuple[int, int, int]
    fg_hi: tuple[int, int, int]
    weight: float = 1.0


@dataclass(frozen=True)
class PlateStyle:
    """Everything that makes one kind of plate, as data; sizes are in millimetres.

    ``fill_cell`` stretches each glyph to its full ``char_mm`` cell (the tall condensed
    look of Chinese plates), re-weighting strokes so they stay uniform (``cell_mask``);
    otherwise glyphs keep their aspect at ``char_mm`` height. ``latin_p`` weights the
    per-plate choice among ``latin_fonts`` (uniform when empty).
    """

    name: str
    plate_mm: tuple[float, float]
    char_mm: tuple[float, float]
    gap_mm: float
    schemes: tuple[ColourScheme, ...]
    cjk_fonts: tuple[str, ...]
    latin_fonts: tuple[str, ...]
    fill_cell: bool = True
    sep_after: int | None = None  # index after which the wide gap (with a dot) sits
    sep_mm: float = 0.0
    dot_mm: float = 0.0
    border_inset_mm: float = 3.0
    border_mm: float = 2.0
    corner_mm: float = 8.0
    rivets_x: tuple[float, ...] = ()  # rivet centres as a fraction of plate width
    bar_one: float = 0.0  # probability that '1' is drawn as a plain bar (plate fonts)
    latin_p: tuple[float, ...] = ()


CN_BLUE = PlateStyle(
    name="cn_blue",
    plate_mm=(440, 140),
    char_mm=(45, 90),
    gap_mm=12,
    schemes=(
        ColourScheme((100, 170, 120), (117, 255, 255), (95, 0, 200), (125, 40, 255), 0.8),
        ColourScheme((90, 120, 150), (102, 255, 255), (90, 0, 190), (120, 50, 255), 0.12),  # cyan-ish
        ColourScheme((115, 120, 80), (125, 255, 200), (100, 0, 150), (130, 60, 235), 0.08),  # purple, dim
    ),
    cjk_fonts=(NOTO_BOLD, NOTO_REGULAR),
    # Weighted toward the DIN-like faces whose C/G/Q/K/M/W shapes match the plate font; the
    # others keep some shape variety so the model does not overfit one typeface.
    latin_fonts=(OSP_DIN, ROBOTO_COND, BEBAS, NOTO_BOLD, DEJAVU_COND),
    latin_p=(0.45, 0.2, 0.15, 0.1, 0.1),
    sep_after=2,
    sep_mm=34,
    dot_mm=10,
    border_inset_mm=3.5,
    border_mm=2.0,
    corner_mm=10,
    rivets_x=(0.23, 0.77),
    bar_one=0.85,
)

LATIN = PlateStyle(
    name="latin",
    plate_mm=(520, 110),
    char_mm=(40, 75),
    gap_mm=6,
    schemes=(
        ColourScheme((0, 0, 200), (180, 30, 255), (0, 0, 0), (180, 80, 60), 0.7),  # white
        ColourScheme((20, 140, 170), (30, 255, 255), (0, 0, 0), (180, 80, 60), 0.3),  # yellow
    ),
    cjk_fonts=(NOTO_BOLD,),
    latin_fonts=(DEJAVU_COND, OSP_DIN, ROBOTO_COND, BEBAS, NOTO_BOLD, NOTO_REGULAR),
    latin_p=(0.25, 0.25, 0.2, 0.1, 0.1, 0.1),
    fill_cell=False,
    border_inset_mm=2.5,
    border_mm=2.0,
    corner_mm=8,
    rivets_x=(0.2, 0.8),
)

STYLES: dict[str, PlateStyle] = {s.name: s for s in (CN_BLUE, LATIN)}


def get_style(style: str | PlateStyle) -> PlateStyle:
    if isinstance(style, PlateStyle):
        return style
    try:
        return STYLES[style]
    except KeyError:
        raise ValueError(f"unknown plate style {style!r}; known: {', '.join(STYLES)}") from None


# --------------------------------------------------------------------------- text


def random_text(rng: np.random.Generator, style: str | PlateStyle = "cn_blue") -> str:
    """A random plate number of ``style`` (``cn_blue``: province, letter, 5 alphanumerics)."""
    name = get_style(style).name
    if name == "cn_blue":
        # Real plates are mostly digits after the city letter; 35% letters keeps every letter frequent.
        tail = [
            DIGITS[rng.integers(len(DIGITS))] if rng.random() < 0.65 else CN_LETTERS[rng.integers(len(CN_LETTERS))]
            for _ in range(5)
        ]
        return CN_PROVINCES[rng.integers(len(CN_PROVINCES))] + CN_LETTERS[rng.integers(len(CN_LETTERS))] + "".join(tail)
    if name == "latin":
        n = int(rng.integers(4, 9))
        pool = DIGITS + LATIN_LETTERS
        chars = [pool[rng.integers(len(pool))] for _ in range(n)]
        if n >= 5 and rng.random() < 0.5:  # one dash, never at either end
            chars[int(rng.integers(1, n - 1))] = "-"
        return "".join(chars)
    raise ValueError(f"no text generator for style {name!r}")


# --------------------------------------------------------------------------- glyph cache


@cache
def _font(file: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / file), GLYPH_PX)


@cache
def glyph_mask(file: str, char: str, weight: int = 0) -> np.ndarray:
    """Tight-cropped uint8 ink mask of ``char`` (0-255), rasterised once per process.

    ``weight`` < 0 thins and > 0 thickens the strokes; done here at high resolution
    because at plate size a single pixel of erosion would destroy the glyph.
    """
    font = _font(file)
    if ord(char) not in _cmap(file):
        raise KeyError(f"{char!r} is not in font {file}")
    left, top, right, bottom = font.getbbox(char)
    pad = 8
    img = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(img).text((pad - left, pad - top), char, fill=255, font=font)
    mask = np.asarray(img)
    if weight:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * abs(weight) + 1,) * 2)
        mask = cv2.dilate(mask, k) if weight > 0 else cv2.erode(mask, k)
    ys, xs = np.nonzero(mask > 32)
    if len(xs) == 0:
        return np.zeros((1, 1), np.uint8)
    return np.ascontiguousarray(mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


@cache
def _cmap(file: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # only needed once per font

    return frozenset(TTFont(FONT_DIR / file).getBestCmap())


def _stem_ratio(file: str, weight: int) -> float:
    """Stroke width / cap height of a font variant, measured on 'I'; sizes the bar-style '1'."""
    m = glyph_mask(file, "I", weight)
    return m.shape[1] / m.shape[0]


@cache
def _strokes(file: str) -> tuple[int, int]:
    """(vertical stem width, horizontal bar height) in pixels at GLYPH_PX, measured on 'H'."""
    m = glyph_mask(file, "H") > 128
    h, w = m.shape
    row = m[h // 4]  # above the crossbar: left stem
    start = int(np.argmax(row))
    stem = int(np.argmin(row[start:])) or 1
    return stem, max(1, int(m[:, w // 2].sum()))  # centre column crosses only the crossbar


@cache
def cell_mask(file: str, char: str, weight: int = 0, aspect: float = 0.5) -> np.ndarray:
    """``char`` squeezed or stretched to a ``aspect`` (width/height) cell with uniform strokes.

    Plain resizing of a normal-width 'M' or 'W' into a tall plate cell makes its vertical
    strokes thin and its horizontal ones heavy, unlike the uniform-stroke plate font. Here
    the glyph is resized to a slightly smaller box and then dilated (or eroded) separately
    along x and y so that stems and bars both end at ``CELL_STROKE[weight]`` of the height
    and the result fills the cell. Cached per (font, char, weight, aspect).
    """
    m = glyph_mask(file, char)
    h0, w0 = m.shape
    sv, sh = _strokes(file)
    t = CELL_STROKE[weight] * h0
    wc = max(4, int(round(aspect * h0)))
    # Solve for the morphology size d so that resize-to-(cell - d) then grow-by-d gives stroke t.
    dx = int(round((t - sv * wc / w0) / (1 - sv / w0)))
    dy = int(round((t - sh) / (1 - sh / h0)))
    dx, dy = max(dx, -(wc // 3)), max(dy, -(h0 // 3))
    g = cv2.resize(
        m, (max(2, wc - dx), max(2, h0 - dy)), interpolation=cv2.INTER_AREA if wc - dx < w0 else cv2.INTER_LINEAR
    )
    pad = max(abs(dx), abs(dy)) + 2
    g = cv2.copyMakeBorder(g, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    if dx:
        k = np.ones((1, abs(dx) + 1), np.uint8)
        g = cv2.dilate(g, k) if dx > 0 else cv2.erode(g, k)
    if dy:
        k = np.ones((abs(dy) + 1, 1), np.uint8)
        g = cv2.dilate(g, k) if dy > 0 else cv2.erode(g, k)
    ys, xs = np.nonzero(g > 32)
    if len(xs) == 0:
        return np.zeros((1, 1), np.uint8)
    g = g[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    if g.shape != (h0, wc):  # thin tips (X, V, W) eroded away: back to the exact cell
        g = cv2.resize(g, (wc, h0), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(g)


# --------------------------------------------------------------------------- flat plate


def _hsv_to_bgr(hsv: np.ndarray) -> np.ndarray:
    px = np.clip(hsv, 0, [179, 255, 255]).astype(np.uint8).reshape(1, 1, 3)
    return cv2.cvtColor(px, cv2.COLOR_HSV2BGR).reshape(3).astype(np.float32)


def _colours(rng: np.random.Generator, st: PlateStyle) -> tuple[np.ndarray, np.ndarray]:
    w = np.array([s.weight for s in st.schemes])
    s = st.schemes[rng.choice(len(st.schemes), p=w / w.sum())]
    luma = np.array([0.114, 0.587, 0.299], np.float32)  # BGR
    for _ in range(20):
        bg = _hsv_to_bgr(rng.uniform(s.bg_lo, s.bg_hi))
        fg = _hsv_to_bgr(rng.uniform(s.fg_lo, s.fg_hi))
        # A bright cyan plate can out-shine greyish ink; real plates are always legible in daylight.
        if abs(float((fg - bg) @ luma)) >= 70:
            break
    return bg, fg


def _layout(
    text: str, st: PlateStyle, fonts: list[str], rng: np.random.Generator | None
) -> list[tuple[float, float, float, float]]:
    """Character boxes (x, y, w, h) in mm, centred on the plate."""
    cw, ch = st.char_mm
    if rng is not None:  # small per-plate font-metric variety
        ch *= rng.uniform(0.93, 1.03)
        cw *= rng.uniform(0.92, 1.04)
    widths, heights = [], []
    for c, f in zip(text, fonts):
        if st.fill_cell:
            widths.append(cw)
            heights.append(ch)
        else:
            # Natural proportions at a common cap height, so '-' stays a short bar at mid-height.
            m, cap = glyph_mask(f, c), glyph_mask(f, "H").shape[0]
            widths.append(min(cw * 1.2, ch * m.shape[1] / cap))
            heights.append(min(ch, ch * m.shape[0] / cap))
    gaps = [
        st.sep_mm if st.sep_after is not None and i + 1 == st.sep_after else st.gap_mm for i in range(len(text) - 1)
    ]
    total = sum(widths) + sum(gaps)
    inner = st.plate_mm[0] - 2 * (st.border_inset_mm + st.border_mm + 4)
    squeeze = min(1.0, inner / total)  # long latin plates: narrow everything a little
    x = (st.plate_mm[0] - total * squeeze) / 2
    boxes = []
    for i, (w, h) in enumerate(zip(widths, heights)):
        boxes.append((x, (st.plate_mm[1] - h) / 2, w * squeeze, h))
        if i < len(gaps):
            x += (w + gaps[i]) * squeeze
    return boxes


def _paste(ink: np.ndarray, mask: np.ndarray, x: float, y: float, w: float, h: float) -> None:
    """Max-blend ``mask`` resized to the box (x, y, w, h) in pixels into ``ink``."""
    x0, y0 = int(round(x)), int(round(y))
    wi, hi = max(1, int(round(w))), max(1, int(round(h)))
    g = cv2.resize(mask, (wi, hi), interpolation=cv2.INTER_AREA)
    H, W = ink.shape
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + wi, W), min(y0 + hi, H)
    if xa < xb and ya < yb:
        region = ink[ya:yb, xa:xb]
        np.maximum(region, g[ya - y0 : yb - y0, xa - x0 : xb - x0], out=region)


def _plate_ink(text: str, st: PlateStyle, ppm: float, rng: np.random.Generator | None) -> np.ndarray:
    """uint8 mask of everything printed in the ink colour: characters, dot and border line."""
    W, H = int(round(st.plate_mm[0] * ppm)), int(round(st.plate_mm[1] * ppm))
    ink = np.zeros((H, W), np.uint8)
    clean = rng is None
    if clean:
        latin_font = st.latin_fonts[0]
    elif st.latin_p:
        latin_font = st.latin_fonts[rng.choice(len(st.latin_fonts), p=np.asarray(st.latin_p) / sum(st.latin_p))]
    else:
        latin_font = st.latin_fonts[rng.integers(len(st.latin_fonts))]
    cjk_font = st.cjk_fonts[0] if clean else st.cjk_fonts[rng.integers(len(st.cjk_fonts))]
    weight = 0 if clean else int(rng.choice(WEIGHTS, p=[0.25, 0.35, 0.28, 0.12]))
    fonts = [latin_font if ord(c) < 128 else cjk_font for c in text]
    bar_one = st.bar_one > 0.5 if clean else rng.random() < st.bar_one
    boxes = _layout(text, st, fonts, rng)
    aspect = st.char_mm[0] / st.char_mm[1]
    for c, f, (x, y, w, h) in zip(text, fonts, boxes):
        uniform = st.fill_cell and ord(c) < 128  # province glyphs keep the plain stretch
        if c == "1" and bar_one:
            bw = (CELL_STROKE[weight] if uniform else _stem_ratio(f, weight)) * h
            _paste(ink, np.full((4, 4), 255, np.uint8), (x + w / 2 - bw / 2) * ppm, y * ppm, bw * ppm, h * ppm)
        elif uniform:
            _paste(ink, cell_mask(f, c, weight, aspect), x * ppm, y * ppm, w * ppm, h * ppm)
        else:
            _paste(ink, glyph_mask(f, c, weight), x * ppm, y * ppm, w * ppm, h * ppm)
    if st.dot_mm and st.sep_after is not None and len(boxes) > st.sep_after:
        # The dot sits centred in the wide gap, at mid-height; drawn with 4 bits of sub-pixel precision.
        left, right = boxes[st.sep_after - 1], boxes[st.sep_after]
        cx, cy = (left[0] + left[2] + right[0]) / 2, left[1] + left[3] / 2
        cv2.circle(
            ink, (int(cx * ppm * 16), int(cy * ppm * 16)), int(st.dot_mm / 2 * ppm * 16), 255, -1, cv2.LINE_AA, 4
        )
    if st.border_mm:
        _rounded_rect(ink, st.border_inset_mm * ppm, st.border_mm * ppm, st.corner_mm * ppm)
    return ink


def _rounded_rect(img: np.ndarray, inset: float, width: float, radius: float) -> None:
    """Draw a rounded-rectangle outline (value 255) inset from the image edges."""
    H, W = img.shape[:2]
    t = max(1, int(round(width)))
    a = inset + width / 2
    r = int(round(max(radius - a, 1)))
    x0, y0, x1, y1 = int(round(a)), int(round(a)), int(round(W - 1 - a)), int(round(H - 1 - a))
    cv2.line(img, (x0 + r, y0), (x1 - r, y0), 255, t, cv2.LINE_AA)
    cv2.line(img, (x0 + r, y1), (x1 - r, y1), 255, t, cv2.LINE_AA)
    cv2.line(img, (x0, y0 + r), (x0, y1 - r), 255, t, cv2.LINE_AA)
    cv2.line(img, (x1, y0 + r), (x1, y1 - r), 255, t, cv2.LINE_AA)
    for (cx, cy), ang in (
        ((x0 + r, y0 + r), 180),
        ((x1 - r, y0 + r), 270),
        ((x1 - r, y1 - r), 0),
        ((x0 + r, y1 - r), 90),
    ):
        cv2.ellipse(img, (cx, cy), (r, r), ang, 0, 90, 255, t, cv2.LINE_AA)


def render_clean(text: str, style: str | PlateStyle = "cn_blue", width: int = 440) -> np.ndarray:
    """The flat, undistorted plate (BGR uint8) ``width`` pixels wide; for debugging and reports."""
    st = get_style(style)
    ppm = width / st.plate_mm[0]
    ink = _plate_ink(text, st, ppm, None).astype(np.float32)[..., None] / 255
    scheme = st.schemes[0]
    bg = _hsv_to_bgr((np.array(scheme.bg_lo) + scheme.bg_hi) / 2)
    fg = _hsv_to_bgr((np.array(scheme.fg_lo) + scheme.fg_hi) / 2)
    return np.clip(bg + (fg - bg) * ink, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- plate surface

_RIVET_COLOURS = ((200, 200, 200), (150, 150, 150), (70, 70, 70), (235, 235, 235), (60, 90, 120))


def _plate_image(text: str, st: PlateStyle, ppm: float, rng: np.random.Generator) -> np.ndarray:
    """Flat BGR float32 plate with colour variation, rivets and dirt."""
    ink = _plate_ink(text, st, ppm, rng).astype(np.float32) * (1 / 255)
    bg, fg = _colours(rng, st)
    H, W = ink.shape
    # Paint is never perfectly even: a gentle low-frequency tint across the plate.
    tint = cv2.resize(rng.normal(1.0, 0.05, (2, 3)).astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)[
        ..., None
    ]
    base = bg * tint
    img = base + (fg - base) * ink[..., None]
    if st.rivets_x and rng.random() < 0.75:
        _rivets(img, st, ppm, rng)
    if rng.random() < 0.3:
        _dirt(img, rng)
    return img


def _rivets(img: np.ndarray, st: PlateStyle, ppm: float, rng: np.random.Generator) -> None:
    H, W = img.shape[:2]
    r = max(1, int(round(rng.uniform(3.5, 6.0) * ppm)))
    colour = _RIVET_COLOURS[rng.integers(len(_RIVET_COLOURS))]
    rows = [0.11] + ([0.89] if rng.random() < 0.3 else [])
    for fy in rows:
        for fx in st.rivets_x:
            if rng.random() < 0.9:
                c = (int((fx + rng.normal(0, 0.01)) * W), int((fy + rng.normal(0, 0.01)) * H))
                cv2.circle(img, c, r + 1, (40, 40, 40), -1, cv2.LINE_AA)
                cv2.circle(img, c, r, colour, -1, cv2.LINE_AA)


def _dirt(img: np.ndarray, rng: np.random.Generator) -> None:
    """Blurred dark blotches (mud, stains) blended over the plate."""
    H, W = img.shape[:2]
    m = np.zeros((max(4, H // 4), max(4, W // 4)), np.float32)
    h, w = m.shape
    for _ in range(int(rng.integers(1, 7))):
        c = (int(rng.integers(w)), int(rng.integers(h)))
        axes = (int(rng.integers(1, max(2, w // 6))), int(rng.integers(1, max(2, h // 3))))
        cv2.ellipse(m, c, axes, float(rng.uniform(0, 180)), 0, 360, float(rng.uniform(0.3, 1.0)), -1)
    m = cv2.GaussianBlur(m, (0, 0), 1.0)
    m = cv2.resize(m, (W, H), interpolation=cv2.INTER_LINEAR)[..., None] * rng.uniform(0.2, 0.7)
    dirt = np.array(rng.uniform([20, 30, 40], [90, 100, 110]), np.float32)  # brownish grey
    img *= 1 - m
    img += dirt * m


# --------------------------------------------------------------------------- scene


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ rx @ ry


def _project(rng: np.random.Generator, w: float, h: float, pad: float) -> tuple[np.ndarray, np.ndarray]:
    """Image-plane corners (TL, TR, BR, BL) of the plate and of the plate plus ``pad`` frame."""
    yaw = np.deg2rad(np.clip(rng.normal(0, 14), -40, 40))
    pitch = np.deg2rad(np.clip(rng.normal(0, 10), -30, 30))
    roll = np.deg2rad(np.clip(rng.normal(0, 4), -12, 12))
    dist = w * rng.uniform(1.5, 6.0)  # near cameras give strong perspective, far ones nearly affine
    R = _rotation(yaw, pitch, roll)

    def proj(hw: float, hh: float) -> np.ndarray:
        pts = np.array([[-hw, -hh, 0], [hw, -hh, 0], [hw, hh, 0], [-hw, hh, 0]]) @ R.T
        pts[:, 2] += dist
        return dist * pts[:, :2] / pts[:, 2:3]

    return proj(w / 2, h / 2), proj(w / 2 + pad, h / 2 + pad)


_PAINTS = (
    (235, 235, 235),
    (185, 185, 180),
    (120, 120, 118),
    (35, 35, 35),
    (15, 15, 15),
    (40, 40, 170),
    (140, 75, 30),
    (90, 45, 20),
    (120, 190, 210),
    (60, 100, 50),
    (60, 70, 90),
)


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Car body / bumper / road around the plate: a paint colour with smooth shading and bands."""
    if rng.random() < 0.9:
        colour = np.array(_PAINTS[rng.integers(len(_PAINTS))], np.float32)
    else:
        colour = rng.uniform(0, 255, 3).astype(np.float32)
    # Mostly luminance shading (reflections on paint); a little chroma so it is not flat grey.
    shade = rng.normal(0, rng.uniform(5, 45), (3, 4, 1)) + rng.normal(0, 6, (3, 4, 3))
    img = cv2.resize(shade.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC) + colour
    for _ in range(int(rng.integers(0, 4))):  # bumper edges, grille bars, number-plate recess
        y = int(rng.integers(h))
        t = int(rng.integers(1, max(2, h // 6)))
        c = rng.uniform(0, 255) if rng.random() < 0.5 else colour * rng.uniform(0.3, 1.3)
        cv2.line(img, (0, y), (w, y + int(rng.integers(-h // 8 - 1, h // 8 + 1))), np.broadcast_to(c, 3).tolist(), t)
    return img


def _lighting(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Brightness gradient, an optional hard-ish shadow and an optional glare spot."""
    H, W = img.shape[:2]
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    xs /= W
    ys /= H
    ang = rng.uniform(0, 2 * np.pi)
    gain = 1 + rng.uniform(-0.35, 0.35) * ((xs - 0.5) * np.cos(ang) + (ys - 0.5) * np.sin(ang))
    if rng.random() < 0.15:
        a2 = rng.uniform(0, 2 * np.pi)
        d = (xs - rng.uniform(0.2, 0.8)) * np.cos(a2) * W / H + (ys - rng.uniform(0.2, 0.8)) * np.sin(a2)
        edge = np.clip(d / rng.uniform(0.02, 0.3) + 0.5, 0, 1)
        gain *= 1 - rng.uniform(0.2, 0.55) * edge
    img = img * gain[..., None]
    if rng.random() < 0.08:
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.1, 0.5)
        glare = np.exp(-(((xs - cx) * W / H) ** 2 + (ys - cy) ** 2) / (r * r))
        img += glare[..., None] * rng.uniform(30, 100)
    return img


def _photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Camera response: white balance, exposure (incl. over-exposure), contrast and gamma."""
    img = img * rng.normal(1, 0.06, 3).astype(np.float32)
    exposure = rng.uniform(1.3, 1.8) if rng.random() < 0.08 else rng.uniform(0.5, 1.25)
    contrast = rng.uniform(0.7, 1.35)
    mean = img.mean()
    img = (img - mean) * contrast + mean * exposure
    out = np.clip(img, 0, 255).astype(np.uint8)
    gamma = np.exp(rng.normal(0, 0.25))
    lut = np.clip(((np.arange(256) / 255.0) ** gamma) * 255, 0, 255).astype(np.uint8)
    return cv2.LUT(out, lut)


def _motion_kernel(rng: np.random.Generator) -> np.ndarray:
    n = int(rng.integers(3, 8))
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1
    rot = cv2.getRotationMatrix2D(((n - 1) / 2, (n - 1) / 2), float(rng.uniform(0, 180)), 1.0)
    k = cv2.warpAffine(k, rot, (n, n))
    return k / max(k.sum(), 1e-6)


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else img


def _degrade(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Optics and sensor: low resolution, defocus and motion blur, noise, JPEG."""
    H, W = img.shape[:2]
    # Kept short of always-mushy: real CCPD crops are sharper on average than the old mix, and
    # C/G, Q/0, K/H, M/H, W/N are only learnable from the milder part of the distribution.
    if rng.random() < 0.6:  # plates far from the camera are only a few dozen pixels wide
        f = rng.uniform(0.3, 0.9)
        small = cv2.resize(img, (max(8, int(W * f)), max(4, int(H * f))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (W, H), interpolation=cv2.INTER_LINEAR if rng.random() < 0.6 else cv2.INTER_CUBIC)
    if rng.random() < 0.45:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.2))
    if rng.random() < 0.2:
        img = cv2.filter2D(img, -1, _motion_kernel(rng))
    if rng.random() < 0.6:
        sigma = rng.uniform(1, 10)
        noise = rng.normal(0, sigma, (H, W, 1 if rng.random() < 0.5 else 3)).astype(np.float32)
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        img = _jpeg(img, int(rng.integers(20, 96)))
    return img


def render_plate(
    text: str,
    rng: np.random.Generator,
    out_size: tuple[int, int] | None = (94, 24),
    style: str | PlateStyle = "cn_blue",
    clean: bool = False,
) -> np.ndarray:
    """A BGR uint8 crop of a plate reading ``text``, as a plate detector would hand it over.

    Args:
        text: the characters to print (each must be in the shipped fonts).
        rng: all randomness comes from here, so a seeded generator gives identical images.
        out_size: final (width, height); ``None`` keeps the natural crop aspect (plate ~140-260 px wide).
        style: a name in ``STYLES`` or a ``PlateStyle``.
        clean: return the flat, undistorted plate instead (for debugging and reports).
    """
    st = get_style(style)
    if clean:
        img = render_clean(text, st)
        return img if out_size is None else cv2.resize(img, tuple(out_size), interpolation=cv2.INTER_AREA)

    pw, ph = st.plate_mm
    pad = rng.uniform(6, 25) if rng.random() < 0.35 else 0.0  # plastic/chrome plate holder
    quad, frame_quad = _project(rng, pw, ph, pad)

    # Detector crop: bounding box of the plate, from slightly cut (negative margin) to loose.
    x0, y0 = quad.min(0)
    x1, y1 = quad.max(0)
    bw, bh = x1 - x0, y1 - y0
    loose = rng.random() < 0.35
    mx = rng.uniform(0.0, 0.1, 2) if loose else rng.uniform(-0.03, 0.03, 2)
    my = rng.uniform(0.0, 0.2, 2) if loose else rng.uniform(-0.06, 0.06, 2)
    cx0, cx1 = x0 - mx[0] * bw, x1 + mx[1] * bw
    cy0, cy1 = y0 - my[0] * bh, y1 + my[1] * bh
    if out_size is not None:
        Wc, Hc = 2 * out_size[0], 2 * out_size[1]
    else:
        s = rng.uniform(140, 260) / pw
        Wc, Hc = max(16, int((cx1 - cx0) * s)), max(8, int((cy1 - cy0) * s))
    scale = np.array([Wc / (cx1 - cx0), Hc / (cy1 - cy0)])
    origin = np.array([cx0, cy0])
    dst = ((frame_quad if pad else quad) - origin) * scale

    # Rasterise the plate a little finer than it lands on screen; the warp then only shrinks it.
    top_px = np.linalg.norm((quad[1] - quad[0]) * scale)
    ppm = float(np.clip(1.3 * top_px / pw, 0.15, 2.0))
    plate = _plate_image(text, st, ppm, rng)
    if pad:
        p = int(round(pad * ppm))
        frame_col = rng.uniform(10, 90) if rng.random() < 0.7 else rng.uniform(120, 220)
        plate = cv2.copyMakeBorder(plate, p, p, p, p, cv2.BORDER_CONSTANT, value=(frame_col,) * 3)
    h, w = plate.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    M = cv2.getPerspectiveTransform(src, dst.astype(np.float32))

    img = _background(rng, Hc, Wc)
    cv2.warpPerspective(plate, M, (Wc, Hc), dst=img, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
    img = _lighting(img, rng)
    img = _photometric(img, rng)
    img = _degrade(img, rng)
    if out_size is not None:
        interp = cv2.INTER_AREA if rng.random() < 0.7 else cv2.INTER_LINEAR
        img = cv2.resize(img, tuple(out_size), interpolation=interp)
        if rng.random() < 0.4:  # the real crops were JPEG-saved at this size too
            img = _jpeg(img, int(rng.integers(50, 96)))
    return img


# --------------------------------------------------------------------------- data sets


def _sample(seed: int, index: int, style: str, out_size: tuple[int, int] | None) -> tuple[str, np.ndarray]:
    """Sample ``index`` of a data set; seeded by (seed, index) so it never depends on worker layout."""
    rng = np.random.default_rng([seed, index])
    text = random_text(rng, style)
    return text, render_plate(text, rng, out_size, style)


def _write_sample(job: tuple[Path, int, int, str, tuple[int, int] | None]) -> str:
    out_dir, seed, index, style, out_size = job
    text, img = _sample(seed, index, style, out_size)
    cv2.imwrite(str(out_dir / "images" / f"{index:06d}.png"), img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return text


def _init_worker() -> None:
    cv2.setNumThreads(1)  # one process per core already; OpenCV threads would only contend


def synthesize(
    out_dir: str | Path,
    n: int,
    style: str = "cn_blue",
    seed: int = 0,
    out_size: tuple[int, int] | None = (94, 24),
    workers: int = 2,
    progress: bool = True,
) -> Path:
    """Render ``n`` plates into ``out_dir/images/NNNNNN.png`` and write ``out_dir/labels.csv``.

    The CSV has the header ``path,text`` with paths relative to it. Output is identical for a
    given ``seed`` whatever ``workers`` is. PNG because the distortions already include JPEG
    artefacts and a second lossy pass would change them. Returns the path of ``labels.csv``.
    """
    from tqdm import tqdm

    get_style(style)  # fail fast on a bad name, before spawning workers
    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    size = None if out_size is None else (int(out_size[0]), int(out_size[1]))
    jobs = [(out_dir, seed, i, style, size) for i in range(n)]
    bar = tqdm(total=n, desc="synth", unit="plate", disable=not progress)
    texts: list[str] = []
    if workers > 1 and n > 1:
        # spawn, not fork: forking a parent that already ran OpenCV/torch threads can deadlock.
        with mp.get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
            for text in pool.imap(_write_sample, jobs, chunksize=64):
                texts.append(text)
                bar.update()
    else:
        for job in jobs:
            texts.append(_write_sample(job))
            bar.update()
    bar.close()
    labels = out_dir / "labels.csv"
    with labels.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path", "text"])
        w.writerows((f"images/{i:06d}.png", t) for i, t in enumerate(texts))
    log.info("wrote %d %s plates to %s", n, style, out_dir)
    return labels
