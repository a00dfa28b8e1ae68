"""Plate fonts and their glyph bitmaps.

The faces live in ``lpr/assets/fonts`` (subsets, see its README). A glyph is rasterised once
per process at ``GLYPH_PX`` and cached, thinned or thickened there (``WEIGHTS``), and scaled
down by the plate drawing; ``cell_mask`` stretches it to a plate cell with uniform strokes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
NOTO_BOLD = "NotoSansSC-Bold-plate.otf"
NOTO_REGULAR = "NotoSansSC-Regular-plate.otf"
DEJAVU_COND = "DejaVuSansCondensed-Bold-plate.ttf"
OSP_DIN = "OSP-DIN-plate.ttf"  # DIN 1451-like: the closest free match to the Chinese plate font
ROBOTO_COND = "RobotoCondensed-Bold-plate.ttf"
BEBAS = "BebasNeue-Bold-plate.otf"
# Faces no layout uses by itself: the ``latin_fonts`` mix draws half of its plates in them, so
# a country printing in a font of its own is less of a stranger (see ``styles.FONTS_SUFFIX``).
EXTRA_FONTS = (
    "B612-Bold-plate.otf",
    "LprHumanist-Bold-plate.otf",
    "ClearSans-Bold-plate.ttf",
    "LprRounded-Bold-plate.otf",
    "JetBrainsMono-Bold-plate.ttf",
    "LeagueSpartan-Bold-plate.otf",
    "NotoSansMono-Bold-plate.ttf",
    "LprDrafting-Narrow-plate.ttf",
)

GLYPH_PX = 160  # rasterisation size; glyphs are only ever scaled down from here
WEIGHTS = (-1, 0, 1, 2)  # stroke-weight variants (erode < 0 < dilate), 2 px per step at GLYPH_PX
# Stroke width / character height per weight for glyphs normalised to a plate cell (``cell_mask``).
# The GA 36 plate font has 10 mm strokes on 90 mm characters (0.11); ink bleed and exposure vary it.
CELL_STROKE = {-1: 0.09, 0: 0.105, 1: 0.12, 2: 0.14}


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


def stem_ratio(file: str, weight: int) -> float:
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
