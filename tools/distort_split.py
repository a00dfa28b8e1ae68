#!/usr/bin/env python
"""Write a geometrically distorted copy of a labelled split, for testing what the STN buys.

Each plate gets a random rotation, shear and perspective tilt and is re-cropped by the box
around it, as a detector would, slightly off-centre; deterministic for a seed. Photometry is
left alone: this isolates geometry.

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
    """Tilt the plate as a camera would, then crop it the way a box detector does.

    The plate is rotated (±12°), sheared (±0.25) and given a perspective tilt (±8% of its
    corners), then cut out by the axis-aligned box around its new corners, with a random
    0-10% margin and an off-centre shift of up to ±5%. All characters stay in the crop: the
    test is about geometry the STN can undo, not about characters a crop has cut away.
    Surroundings come from replicating the border (the original context is not available).
    """
    s = strength
    h, w = img.shape[:2]
    pad_y, pad_x = h, w // 2
    big = cv2.copyMakeBorder(img, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_REPLICATE)
    corners = (np.float32([[0, 0], [w, 0], [w, h], [0, h]]) + [pad_x, pad_y]).astype(np.float32)
    tilted = corners + (rng.uniform(-0.08 * s, 0.08 * s, (4, 2)) * [w, h]).astype(np.float32)
    m = cv2.getPerspectiveTransform(corners, tilted)
    angle = np.radians(rng.uniform(-12, 12) * s)
    shear = rng.uniform(-0.25, 0.25) * s
    lin = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ np.array([[1, shear], [0, 1]])
    centre = corners.mean(axis=0)
    affine = np.eye(3)
    affine[:2, :2], affine[:2, 2] = lin, centre - lin @ centre
    m = affine @ m
    warped = cv2.warpPerspective(
        big, m, (big.shape[1], big.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    box = cv2.perspectiveTransform(corners[None], m)[0]
    (x0, y0), (x1, y1) = box.min(axis=0), box.max(axis=0)
    bw, bh = x1 - x0, y1 - y0
    margin = rng.uniform(0, 0.10 * s)
    shift = rng.uniform(-0.05, 0.05, 2) * s * [bw, bh]
    x0, x1 = x0 - margin * bw + shift[0], x1 + margin * bw + shift[0]
    y0, y1 = y0 - margin * bh + shift[1], y1 + margin * bh + shift[1]
    x0, y0 = max(int(round(x0)), 0), max(int(round(y0)), 0)
    x1, y1 = min(int(round(x1)), warped.shape[1]), min(int(round(y1)), warped.shape[0])
    return warped[y0:y1, x0:x1]


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
