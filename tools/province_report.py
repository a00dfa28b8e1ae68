#!/usr/bin/env python
"""Per-province accuracy of a `cn` model on fresh synthetic plates (a seed training never used).

The real development data is 95% one province; this shows whether a model reads all 31.

    python tools/province_report.py --model cn --per-province 100 [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout too

from lpr.alphabet import CN_PROVINCES  # noqa: E402
from lpr.pipeline import Recognizer  # noqa: E402
from lpr.synth import random_text, render_plate  # noqa: E402

SEED = 987_654  # never used for training data


def province_accuracy(recognizer: Recognizer, per_province: int, seed: int = SEED) -> dict[str, float]:
    """Sequence accuracy per province on ``per_province`` synthetic plates each."""
    result = {}
    for k, province in enumerate(CN_PROVINCES):
        rng = np.random.default_rng([seed, k])
        texts = [province + random_text(rng)[1:] for _ in range(per_province)]
        images = [render_plate(t, rng, out_size=recognizer.input_size) for t in texts]
        readings = recognizer.read_batch(images)
        result[province] = sum(r.text == t for r, t in zip(readings, texts)) / per_province
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="cn")
    ap.add_argument("--per-province", type=int, default=100)
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = ap.parse_args()
    acc = province_accuracy(Recognizer.load(args.model), args.per_province)
    if args.markdown:
        print("| " + " | ".join(acc) + " |")
        print("|" + "---|" * len(acc))
        print("| " + " | ".join(f"{v:.0%}" for v in acc.values()) + " |")
    else:
        for p, v in acc.items():
            print(f"{p}\t{v:.1%}")
    values = np.array(list(acc.values()))
    print(
        f"mean {values.mean():.1%}, worst {min(acc, key=acc.get)} {values.min():.1%} "
        f"({args.per_province} synthetic plates per province)"
    )


if __name__ == "__main__":
    main()
