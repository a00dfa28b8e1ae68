"""What a camera and a plate detector do to a flat plate: perspective, a loose or tight crop
with car body around it, lighting, low resolution, blur, noise and JPEG artefacts."""

from __future__ import annotations

import cv2
import numpy as np

from lpr.data import trim_letterbox

from .drawing import plate_image, render_clean
from .styles import MIXES, PlateStyle, get_style
from .text import layout_for, printed_form


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ rx @ ry


def _project(
    rng: np.random.Generator, w: float, h: float, pad: float, strength: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Image-plane corners (TL, TR, BR, BL) of the plate and of the plate plus ``pad`` frame.

    ``strength`` widens the angle spread (latin sources include steep street-level views).
    """
    yaw = np.deg2rad(np.clip(rng.normal(0, 14 * strength), -40 * strength, 40 * strength))
    pitch = np.deg2rad(np.clip(rng.normal(0, 10 * strength), -30 * strength, 30 * strength))
    roll = np.deg2rad(np.clip(rng.normal(0, 4 * strength), -12 * strength, 12 * strength))
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


def _lighting(img: np.ndarray, rng: np.random.Generator, streak_p: float = 0.0) -> np.ndarray:
    """Brightness gradient, an optional hard-ish shadow, glare spot and specular streaks."""
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
    if streak_p and rng.random() < streak_p:  # sun or headlights on glossy sheeting: bright bands
        for _ in range(int(rng.integers(1, 3))):
            a = rng.uniform(0, np.pi)
            d = (xs - rng.uniform(0, 1)) * np.cos(a) * W / H + (ys - rng.uniform(0, 1)) * np.sin(a)
            streak = np.exp(-((d / rng.uniform(0.03, 0.25)) ** 2))
            img += streak[..., None] * rng.uniform(60, 220)
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


# BGR gains of camera casts: IR-lit green, sodium-lamp amber, cold blue, plain grey (monochrome).
_TINTS = ((0.75, 1.15, 0.7), (0.55, 0.9, 1.2), (1.2, 1.0, 0.8), (1.0, 1.0, 1.0))


def _camera_look(img: np.ndarray, rng: np.random.Generator, st: PlateStyle) -> np.ndarray:
    """Looks of the latin sources' cameras: a strong colour cast, a washed-out veil.

    Draws nothing from ``rng`` for layouts that leave both off (cn_blue stays byte-identical).
    """
    if not (st.tint_p or st.haze_p):
        return img
    out = img.astype(np.float32)
    if rng.random() < st.tint_p:
        gray = out.mean(axis=2, keepdims=True)
        tint = np.array(_TINTS[rng.integers(len(_TINTS))], np.float32)
        mix = rng.uniform(0.5, 1.0)
        out = (1 - mix) * out + mix * gray * tint
    if rng.random() < st.haze_p:
        veil = rng.uniform(60, 230)
        alpha = rng.uniform(0.2, 0.55)
        out = out * (1 - alpha) + veil * alpha
    return np.clip(out, 0, 255).astype(np.uint8)


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


def _degrade(img: np.ndarray, rng: np.random.Generator, harsh: float = 0.0) -> np.ndarray:
    """Optics and sensor: low resolution, defocus and motion blur, noise, JPEG.

    ``harsh`` is the probability of a far, soft plate first (latin sources: tiny, blurry crops).
    """
    H, W = img.shape[:2]
    if harsh and rng.random() < harsh:
        f = rng.uniform(0.12, 0.3)
        small = cv2.resize(img, (max(8, int(W * f)), max(4, int(H * f))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (W, H), interpolation=cv2.INTER_CUBIC)
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.5))
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
    if isinstance(style, str) and style in MIXES:  # a layout of the mix that can print ``text``
        text, st = layout_for(text, style, rng)
    else:
        st = get_style(style)
        if st.formats:
            text = printed_form(text, st) or text
    return render_printed(text, rng, out_size, st, clean)[0]


def render_printed(
    text: str, rng: np.random.Generator, out_size: tuple[int, int] | None, st: PlateStyle, clean: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """``render_plate`` of an already printed form (separators in place) in layout ``st``.

    Also returns where the plate's corners (TL, TR, BR, BL) landed, as (4, 2) fractions of the
    image's width and height: what the STN is taught to frame. None for a letterboxed crop
    (trimming the bands moves it by an amount only the trimmed image knows).
    """
    if clean:
        img = render_clean(text, st)
        img = img if out_size is None else cv2.resize(img, tuple(out_size), interpolation=cv2.INTER_AREA)
        return img, np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)

    pw, ph = st.plate_mm
    pad = rng.uniform(6, 25) if rng.random() < 0.35 else 0.0  # plastic/chrome plate holder
    quad, frame_quad = _project(rng, pw, ph, pad, st.perspective)

    # Detector crop: bounding box of the plate, from slightly cut (negative margin) to loose.
    x0, y0 = quad.min(0)
    x1, y1 = quad.max(0)
    bw, bh = x1 - x0, y1 - y0
    loose = rng.random() < st.loose_p
    mx = rng.uniform(0.0, 0.1 * st.loose_scale, 2) if loose else rng.uniform(-0.03, 0.03, 2)
    my = rng.uniform(0.0, 0.2 * st.loose_scale, 2) if loose else rng.uniform(-0.06, 0.06, 2)
    cx0, cx1 = x0 - mx[0] * bw, x1 + mx[1] * bw
    cy0, cy1 = y0 - my[0] * bh, y1 + my[1] * bh
    letterbox = bool(st.letterbox_p) and out_size is not None and rng.random() < st.letterbox_p
    if out_size is not None and not letterbox:
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
    plate = plate_image(text, st, ppm, rng)
    if pad:
        p = int(round(pad * ppm))
        frame_col = rng.uniform(10, 90) if rng.random() < 0.7 else rng.uniform(120, 220)
        plate = cv2.copyMakeBorder(plate, p, p, p, p, cv2.BORDER_CONSTANT, value=(frame_col,) * 3)
    h, w = plate.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    M = cv2.getPerspectiveTransform(src, dst.astype(np.float32))

    img = _background(rng, Hc, Wc)
    cv2.warpPerspective(plate, M, (Wc, Hc), dst=img, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
    img = _lighting(img, rng, st.glare_p)
    img = _photometric(img, rng)
    img = _camera_look(img, rng, st)
    img = _degrade(img, rng, st.harsh)
    corners = None if letterbox else ((quad - origin) * scale / (Wc, Hc)).astype(np.float32)
    if letterbox:  # ... and what preprocessing then makes of it (data.resize trims the bands)
        img = trim_letterbox(_letterbox(img, rng))
    if out_size is not None:
        interp = cv2.INTER_AREA if rng.random() < 0.7 else cv2.INTER_LINEAR
        img = cv2.resize(img, tuple(out_size), interpolation=interp)
        if rng.random() < 0.4:  # the real crops were JPEG-saved at this size too
            img = _jpeg(img, int(rng.integers(50, 96)))
    return img, corners


def _letterbox(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The crop centred in a square canvas, as detectors that letterbox their crops hand it over."""
    H, W = img.shape[:2]
    side = max(H, W)
    fill = 255 if rng.random() < 0.8 else (114 if rng.random() < 0.5 else 0)  # white, YOLO grey, black
    top = (side - H) // 2
    left = (side - W) // 2
    out = cv2.copyMakeBorder(img, top, side - H - top, left, side - W - left, cv2.BORDER_CONSTANT, value=(fill,) * 3)
    return _jpeg(out, int(rng.integers(70, 96)))
