"""The flat plate: its number, separators, border, rivets, dirt and (Latin) small print.

Everything is drawn head-on at a given scale (pixels per millimetre); ``scene`` then puts the
plate in front of a camera.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from .glyphs import CELL_STROKE, WEIGHTS, cell_mask, glyph_mask, stem_ratio
from .styles import PlateStyle, get_style
from .text import PRINT_SEPARATORS

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


def _sep_mm(kind: str, st: PlateStyle, cw: float) -> float:
    """Extra gap a printed separator takes (see ``PlateStyle.formats``)."""
    if kind == " ":
        return st.sep_mm or 0.45 * cw
    if kind == "·":
        return max(st.sep_mm, 2.5 * (st.dot_mm or 8))
    if kind == "|":  # region box divider: the line plus clearance on both sides
        return 0.4 * cw
    return 1.3 * cw  # '*': room for a state emblem


def _layout(
    text: str,
    st: PlateStyle,
    fonts: list[str],
    rng: np.random.Generator | None,
    seps: dict[int, str] | None = None,
    area: tuple[float, float] | None = None,
    dash_box: tuple[float, float] | None = None,
) -> list[tuple[float, float, float, float]]:
    """Character boxes (x, y, w, h) in mm, centred on the plate or in ``area`` (x from, x to).

    ``seps`` maps a character index to the printed separator after it, which widens that gap;
    ``dash_box`` (length, thickness as fractions of the character height) sizes a short '-' mark.
    """
    cw, ch = st.char_mm
    if rng is not None:  # small per-plate font-metric variety
        ch *= rng.uniform(0.93, 1.03)
        cw *= rng.uniform(0.92, 1.04)
    widths, heights = [], []
    for c, f in zip(text, fonts):
        if c == "-" and dash_box:
            widths.append(dash_box[0] * ch)
            heights.append(dash_box[1] * ch)
        elif st.fill_cell:
            widths.append(cw)
            heights.append(ch)
        else:
            # Natural proportions at a common cap height, so '-' stays a short bar at mid-height.
            m, cap = glyph_mask(f, c), glyph_mask(f, "H").shape[0]
            widths.append(min(cw * 1.2, ch * m.shape[1] / cap))
            heights.append(min(ch, ch * m.shape[0] / cap))
    region_end = next((i + 1 for i, kind in (seps or {}).items() if kind == "|"), 0)
    if region_end and st.region_height != (1.0, 1.0):  # other layouts draw no extra random number
        scale = sum(st.region_height) / 2 if rng is None else rng.uniform(*st.region_height)
        widths[:region_end] = [w * scale for w in widths[:region_end]]
        heights[:region_end] = [h * scale for h in heights[:region_end]]
    gaps = [
        st.sep_mm if st.sep_after is not None and i + 1 == st.sep_after else st.gap_mm for i in range(len(text) - 1)
    ]
    for i, kind in (seps or {}).items():
        if i < len(gaps):
            gaps[i] += _sep_mm(kind, st, cw)
    total = sum(widths) + sum(gaps)
    x_lo, x_hi = area or (0, st.plate_mm[0])
    y_lo, y_hi = st.text_y_mm or (0, st.plate_mm[1])
    inner = (x_hi - x_lo) - 2 * (st.border_inset_mm + st.border_mm + 4)
    # Drawn only for styles that spread, so every other style renders exactly as before.
    if rng is not None and st.spread_p > 0 and rng.random() < st.spread_p and total < inner:
        stretch = rng.uniform(1.0, min(1.4, inner / total))  # glyphs up to 1.4x wider, never past the border
        widths, gaps = [w * stretch for w in widths], [g * stretch for g in gaps]
        total *= stretch
    squeeze = min(1.0, inner / total)  # long latin plates: narrow everything a little
    x = x_lo + (x_hi - x_lo - total * squeeze) / 2
    boxes = []
    for i, (w, h) in enumerate(zip(widths, heights)):
        boxes.append((x, y_lo + (y_hi - y_lo - h) / 2, w * squeeze, h))
        if i < len(gaps):
            x += (w + gaps[i]) * squeeze
    return boxes


def _short_dash(st: PlateStyle, rng: np.random.Generator | None) -> tuple[float, float] | None:
    """(length, thickness) of a short '-' mark as fractions of the character height, or None
    for the font's dash; layouts without ``short_dash`` draw no random number here."""
    if st.short_dash <= 0:
        return None
    if rng is None:
        return (0.17, 0.12)
    if rng.random() >= st.short_dash:
        return None
    return (rng.uniform(0.11, 0.24), rng.uniform(0.1, 0.14))


_SOLID = np.full((4, 4), 255, np.uint8)  # a solid mask: pasted into any box it fills it (bars, marks)


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


def _plate_ink(
    text: str,
    st: PlateStyle,
    ppm: float,
    rng: np.random.Generator | None,
    area: tuple[float, float] | None = None,
    info: dict | None = None,
) -> np.ndarray:
    """uint8 mask of everything printed in the ink colour: characters, dot and border line.

    ``text`` may hold printed separators (``PRINT_SEPARATORS``); ``info`` receives the
    character boxes, emblem gaps and font for the clutter drawn afterwards.
    """
    chars, seps = [], {}
    for c in text:
        if c in PRINT_SEPARATORS and chars:
            seps[len(chars) - 1] = c
        elif c not in PRINT_SEPARATORS:
            chars.append(c)
    text = "".join(chars)
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
    dash_box = _short_dash(st, rng) if "-" in text else None
    boxes = _layout(text, st, fonts, rng, seps, area, dash_box)
    aspect = st.char_mm[0] / st.char_mm[1]
    for c, f, (x, y, w, h) in zip(text, fonts, boxes):
        uniform = st.fill_cell and ord(c) < 128  # province glyphs keep the plain stretch
        if c == "-" and dash_box:
            _paste(ink, _SOLID, x * ppm, y * ppm, w * ppm, h * ppm)
        elif c == "1" and bar_one:
            bw = (CELL_STROKE[weight] if uniform else stem_ratio(f, weight)) * h
            _paste(ink, _SOLID, (x + w / 2 - bw / 2) * ppm, y * ppm, bw * ppm, h * ppm)
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
    emblems = []
    for i, kind in seps.items():
        if i + 1 >= len(boxes):
            continue
        left, right = boxes[i], boxes[i + 1]
        cx, cy, ch = (left[0] + left[2] + right[0]) / 2, left[1] + left[3] / 2, left[3]
        if kind == "·":
            r = (st.dot_mm or 8) / 2
            cv2.circle(ink, (int(cx * ppm * 16), int(cy * ppm * 16)), int(r * ppm * 16), 255, -1, cv2.LINE_AA, 4)
        elif kind == "|":  # the region code sits in its own box: one line from border to border
            t = max(1, int(round(1.8 * ppm)))
            top, bottom = st.border_inset_mm * ppm, (st.plate_mm[1] - st.border_inset_mm) * ppm
            cv2.line(ink, (int(cx * ppm), int(top)), (int(cx * ppm), int(bottom)), 255, t, cv2.LINE_AA)
        elif kind == "*":
            emblems.append((cx, cy, right[0] - left[0] - left[2], ch))
    if info is not None:
        info.update(boxes=boxes, emblems=emblems, font=fonts[0] if fonts else latin_font)
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


def plate_image(text: str, st: PlateStyle, ppm: float, rng: np.random.Generator) -> np.ndarray:
    """Flat BGR float32 plate with colour variation, rivets and dirt."""
    if st.formats:
        return _latin_plate_image(text, st, ppm, rng)
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


# --------------------------------------------------------------------------- latin clutter
# Everything drawn here is printed on the plate but is not part of its reading.

_ACCENTS = ((40, 40, 190), (140, 60, 20), (110, 40, 10), (40, 110, 30), (30, 120, 220), (110, 40, 110))  # BGR
_EU_BLUE = np.array((150, 55, 5), np.float32)
_COUNTRY_CODE = {"BRASIL": "BR", "ARGENTINA": "RA", "URUGUAY": "ROU", "PARAGUAY": "PY"}
_STACKED = ("DV", "TR", "PL", "HP", "MC", "AM", "CO", "EX", "VT", "FR")
_STICKER_TEXT = ("JAN", "FEB", "MAY", "AUG", "OCT", "DEC", "24", "25", "2012", "2019", "08", "11")


@cache
def word_mask(file: str, word: str) -> np.ndarray:
    """uint8 mask of a line of small print in ``file``, every glyph at the font's cap height."""
    cap = glyph_mask(file, "H").shape[0]
    cols: list[np.ndarray] = []
    for c in word:
        if c == " ":
            cols.append(np.zeros((cap, cap // 3), np.uint8))
            continue
        m = glyph_mask(file, c)
        if c == "-":  # keep the dash a short bar at mid-height
            canvas = np.zeros((cap, m.shape[1]), np.uint8)
            y = (cap - min(cap, m.shape[0])) // 2
            canvas[y : y + m.shape[0]] = m[:cap]
        else:
            canvas = cv2.resize(m, (m.shape[1], cap), interpolation=cv2.INTER_AREA)
        cols += [canvas, np.zeros((cap, max(1, cap // 8)), np.uint8)]
    return np.hstack(cols[:-1]) if cols else np.zeros((cap, 1), np.uint8)


def _stamp(img: np.ndarray, mask: np.ndarray, x: float, y: float, w: float, h: float, colour) -> None:
    """Alpha-blend ``colour`` through ``mask`` resized to the pixel box (x, y, w, h)."""
    x0, y0 = int(round(x)), int(round(y))
    wi, hi = max(1, int(round(w))), max(1, int(round(h)))
    a = cv2.resize(mask, (wi, hi), interpolation=cv2.INTER_AREA).astype(np.float32) * (1 / 255)
    H, W = img.shape[:2]
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + wi, W), min(y0 + hi, H)
    if xa < xb and ya < yb:
        region = img[ya:yb, xa:xb]
        a = a[ya - y0 : yb - y0, xa - x0 : xb - x0, None]
        region += (np.asarray(colour, np.float32) - region) * a


def _draw_word(img, word, font, cx, cy, h, max_w, colour, ppm, shear=0.0) -> None:
    """Small print centred at (cx, cy) mm, ``h`` mm tall, condensed (then shrunk) to fit ``max_w``."""
    m = word_mask(font, word)
    if shear:  # italic: slant the mask to the right by ``shear`` x per unit of height
        mh, mw = m.shape
        M = np.float32([[1, -shear, shear * mh], [0, 1, 0]])
        m = cv2.warpAffine(m, M, (mw + int(shear * mh) + 1, mh))
    w = h * m.shape[1] / m.shape[0]
    if w > max_w:
        squeeze = max(0.6, max_w / w)  # condense first, then make the whole line smaller
        h *= max_w / (w * squeeze)
        w = max_w
    _stamp(img, m, (cx - w / 2) * ppm, (cy - h / 2) * ppm, w * ppm, h * ppm, colour)


def _sheeting(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """US reflective sheeting: a pastel colour gradient and soft scenery printed under the number."""
    H, W = base.shape[:2]
    pastel = _hsv_to_bgr(rng.uniform((0, 30, 200), (180, 120, 255)))
    ramp = np.linspace(0, 1, H, dtype=np.float32)
    if rng.random() < 0.5:
        ramp = ramp[::-1]
    ramp = (np.clip(ramp * rng.uniform(1.0, 2.5) - rng.uniform(0, 0.8), 0, 1) * rng.uniform(0.4, 0.9))[:, None, None]
    out = base + (pastel - base) * ramp
    if rng.random() < 0.5:  # hills, a skyline or a sunrise behind the characters
        scene = np.zeros((H, W), np.float32)
        xs = np.linspace(0, W, 8)
        ys = H * (1 - rng.uniform(0.15, 0.5, 8))
        pts = np.array([[0, H], *zip(xs, ys), [W, H]], np.int32)
        cv2.fillPoly(scene, [pts], 1.0, cv2.LINE_AA)
        scene = cv2.GaussianBlur(scene, (0, 0), max(1.0, H / 30))[..., None] * rng.uniform(0.2, 0.5)
        hill = _hsv_to_bgr(rng.uniform((0, 40, 150), (180, 160, 240)))
        out += (hill - out) * scene
    return out


def _clutter(img: np.ndarray, st: PlateStyle, ppm: float, rng: np.random.Generator, fg, band, info: dict) -> None:
    """Bands, small print, stickers, emblems and flags of a latin layout (never in the label)."""
    W_mm, H_mm = st.plate_mm
    font = info["font"]
    boxes = info["boxes"]
    top = min(b[1] for b in boxes) if boxes else H_mm * 0.3
    bottom = max(b[1] + b[3] for b in boxes) if boxes else H_mm * 0.7
    inset = st.border_inset_mm + st.border_mm
    if band is not None:
        colour = _EU_BLUE * rng.uniform(0.75, 1.15)
        word = band.words[rng.integers(len(band.words))]
        if band.side == "left":
            x0, x1, y0, y1 = inset, band.size_mm, inset, H_mm - inset
            cv2.rectangle(img, (int(x0 * ppm), int(y0 * ppm)), (int(x1 * ppm), int(y1 * ppm)), colour.tolist(), -1)
            cx = (x0 + x1) / 2
            if band.stars:
                for k in range(12):
                    a = k * np.pi / 6
                    sx, sy = cx + 0.28 * band.size_mm * np.cos(a), H_mm * 0.33 + 0.28 * band.size_mm * np.sin(a)
                    cv2.circle(img, (int(sx * ppm), int(sy * ppm)), max(1, int(1.6 * ppm)), (0, 200, 255), -1)
            cy, h = (H_mm * 0.75, 0.4 * band.size_mm) if band.stars else (H_mm * 0.5, 0.45 * band.size_mm)
            _draw_word(img, word, font, cx, cy, h, 0.8 * (x1 - x0), (250, 250, 250), ppm)
        else:  # top band across the plate, country name in the middle, flag on the right
            y1 = band.size_mm
            cv2.rectangle(img, (0, 0), (int(W_mm * ppm), int(y1 * ppm)), colour.tolist(), -1)
            _draw_word(img, word, font, W_mm / 2, y1 / 2, 0.42 * y1, 0.5 * W_mm, (250, 250, 250), ppm)
            fx0, fy0 = int((W_mm - 45) * ppm), int(0.2 * y1 * ppm)
            fx1, fy1 = int((W_mm - 15) * ppm), int(0.8 * y1 * ppm)
            cv2.rectangle(img, (fx0, fy0), (fx1, fy1), (60, 140, 20), -1)
            c = ((fx0 + fx1) // 2, (fy0 + fy1) // 2)
            cv2.ellipse(img, c, (max(1, (fx1 - fx0) // 3), max(1, (fy1 - fy0) // 3)), 0, 0, 360, (30, 210, 240), -1)
            for k in range(4):  # the Mercosur emblem: a few white stars on the left
                cv2.circle(img, (int((18 + 6 * k) * ppm), int((0.35 + 0.1 * (k % 2)) * y1 * ppm)), 1, (250,) * 3, -1)
            if st.text_x_mm:  # the small country code left of the number
                code = _COUNTRY_CODE.get(word, word[:2])
                _draw_word(
                    img, code, font, st.text_x_mm[0] / 2 + 2, (top + bottom) / 2, 9, st.text_x_mm[0] - 6, fg, ppm
                )
    for line in st.lines:
        if rng.random() >= line.p:
            continue
        word = line.words[rng.integers(len(line.words))]
        colour = _ACCENTS[rng.integers(len(_ACCENTS))] if line.accent else fg
        cy = (inset + top) / 2 if line.where == "top" else (bottom + H_mm - inset) / 2
        h = line.height_mm * rng.uniform(0.8, 1.1)
        shear = rng.uniform(0, line.shear) if line.shear else 0.0
        _draw_word(img, word, font, W_mm / 2, cy, h, 0.75 * W_mm, colour, ppm, shear)
    if st.sticker_p and rng.random() < st.sticker_p:
        for side in (0, 1) if rng.random() < 0.5 else (int(rng.integers(2)),):
            sw, sh = rng.uniform(22, 34), rng.uniform(16, 24)
            x0 = inset + 3 if side == 0 else W_mm - inset - 3 - sw
            y0 = inset + 3
            colour = _hsv_to_bgr(rng.uniform((0, 150, 150), (180, 255, 255)))
            cv2.rectangle(
                img, (int(x0 * ppm), int(y0 * ppm)), (int((x0 + sw) * ppm), int((y0 + sh) * ppm)), colour.tolist(), -1
            )
            text = _STICKER_TEXT[rng.integers(len(_STICKER_TEXT))]
            _draw_word(img, text, font, x0 + sw / 2, y0 + sh / 2, sh * 0.55, sw * 0.85, (20, 20, 20), ppm)
    for cx, cy, w, h in info["emblems"]:
        if rng.random() < st.emblem_p:  # a state outline, heart or logo between the groups
            colour = _ACCENTS[rng.integers(len(_ACCENTS))]
            n = int(rng.integers(5, 9))
            ang = np.sort(rng.uniform(0, 2 * np.pi, n))
            rad = rng.uniform(0.6, 1.0, n)
            pts = np.stack([cx + 0.45 * w * rad * np.cos(ang), cy + 0.3 * h * rad * np.sin(ang)], 1) * ppm
            cv2.fillPoly(img, [pts.astype(np.int32)], colour, cv2.LINE_AA)
        else:  # or a plain dash
            _draw_word(img, "-", font, cx, cy, 0.12 * h, 0.5 * w, fg, ppm)
    if "stacked" in info:
        pair = _STACKED[rng.integers(len(_STACKED))]
        x0, x1 = info["stacked"]
        h = (bottom - top) * 0.42
        for k, c in enumerate(pair):
            cy = top + h / 2 + k * (bottom - top - h)
            _draw_word(img, c, font, (x0 + x1) / 2, cy, h, x1 - x0, fg, ppm)
    if st.flag_code:  # UZ: flag (blue/white/green with red rules) over the country code
        x0, x1 = st.text_x_mm[1] + 2 if st.text_x_mm else W_mm - 45, W_mm - inset - 4
        y0, y1 = H_mm * 0.14, H_mm * 0.45
        stripes = ((180, 130, 0), (250, 250, 250), (60, 160, 30))
        for k, colour in enumerate(stripes):
            ya, yb = y0 + k * (y1 - y0) / 3, y0 + (k + 1) * (y1 - y0) / 3
            cv2.rectangle(img, (int(x0 * ppm), int(ya * ppm)), (int(x1 * ppm), int(yb * ppm)), colour, -1)
        _draw_word(img, st.flag_code, font, (x0 + x1) / 2, H_mm * 0.7, H_mm * 0.25, x1 - x0, fg, ppm)


def _latin_plate_image(text: str, st: PlateStyle, ppm: float, rng: np.random.Generator) -> np.ndarray:
    """Flat BGR float32 latin plate: number, separators, bands, small print, stickers, rivets, dirt."""
    band = st.band if st.band is not None and rng.random() < st.band.p else None
    x0, x1 = st.text_x_mm or (0.0, st.plate_mm[0])
    if band is not None and band.side == "left":
        x0 = max(x0, band.size_mm)
    info: dict = {}
    if st.stacked_p and rng.random() < st.stacked_p:  # the stacked pair takes a strip left of the number
        info["stacked"] = (x0 + st.border_inset_mm + 6, x0 + st.border_inset_mm + 26)
        x0 += 24
    ink = _plate_ink(text, st, ppm, rng, (x0, x1), info).astype(np.float32) * (1 / 255)
    bg, fg = _colours(rng, st)
    H, W = ink.shape
    tint = cv2.resize(rng.normal(1.0, 0.05, (2, 3)).astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)[
        ..., None
    ]
    base = bg * tint
    if st.gradient_p and rng.random() < st.gradient_p:
        base = _sheeting(base, rng)
    img = base + (fg - base) * ink[..., None]
    _clutter(img, st, ppm, rng, fg, band, info)
    if st.rivets_x and rng.random() < 0.75:
        _rivets(img, st, ppm, rng)
    if rng.random() < 0.3:
        _dirt(img, rng)
    return img
