#!/usr/bin/env python
"""Write a geometrically distorted copy of a labelled split, for testing what the STN buys.

Each plate gets a random rotation, shear, perspective tilt and off-centre shift (border
pixels replicated), deterministic for a seed. Photometry is left alone: this isolates geometry.

    python tools/distort_split.py data/splits/ccpd/val.csv cache/distorted/ccpd_val
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout too

from lpr.data import load_image, read_source  # noqa: E402


def distort(img: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Loosen the crop by 8%, then rotate (±12°), shear (±0.25), tilt (±8% corners), shift (±8%).

    Loosening first keeps the characters inside the frame: the test is about geometry the
    STN can undo, not about characters a crop has cut away.
    """
    ph, pw = int(round(img.shape[0] * 0.08)), int(round(img.shape[1] * 0.08))
    img = cv2.copyMakeBorder(img, ph, ph, pw, pw, cv2.BORDER_REPLICATE)
    h, w = img.shape[:2]
    s = strength
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-0.08 * s, 0.08 * s, (4, 2)) * [w, h]
    dst = src + jitter.astype(np.float32)
    persp = cv2.getPerspectiveTransform(src, dst)
    angle = np.radians(rng.uniform(-12, 12) * s)
    shear = rng.uniform(-0.25, 0.25) * s
    shift = rng.uniform(-0.08, 0.08, 2) * s * [w, h]
    c, sn = np.cos(angle), np.sin(angle)
    cx, cy = w / 2, h / 2
    # Affine about the centre: rotate @ shear, then shift; as a 3x3 to compose with persp.
    lin = np.array([[c, -sn], [sn, c]]) @ np.array([[1, shear], [0, 1]])
    t = np.array([cx, cy]) - lin @ np.array([cx, cy]) + shift
    affine = np.eye(3)
    affine[:2, :2], affine[:2, 2] = lin, t
    m = affine @ persp
    return cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="labelled split (CSV or folder)")
    ap.add_argument("out", help="output folder (images + labels.csv)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--strength", type=float, default=1.0)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, s in enumerate(read_source(args.data)):
        img = distort(load_image(s.path, s.box), np.random.default_rng([args.seed, i]), args.strength)
        name = f"{i:05d}.png"
        cv2.imwrite(str(out / name), img)
        rows.append((name, s.text))
    with open(out / "labels.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "text"])
        w.writerows(rows)
    print(f"wrote {len(rows)} distorted plates to {out}")


if __name__ == "__main__":
    main()
