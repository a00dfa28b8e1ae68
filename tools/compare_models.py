#!/usr/bin/env python
"""Sequence accuracy of several models on several datasets, as a markdown table.

python tools/compare_models.py --models runs/a runs/b --data data/splits/ccpd/val.csv cache/distorted/ccpd_val
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout too

from lpr.evaluation import evaluate_model  # noqa: E402
from lpr.pipeline import Recognizer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", required=True)
    ap.add_argument("--data", nargs="+", required=True)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    print("| model | " + " | ".join(args.data) + " |")
    print("|---" * (len(args.data) + 1) + "|")
    for model in args.models:
        r = Recognizer.load(model, threads=args.threads)
        cells = [f"{evaluate_model(r, d)['sequence_accuracy']:.2%}" for d in args.data]
        print(f"| {model} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
