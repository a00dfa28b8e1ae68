#!/usr/bin/env python
"""Sequence accuracy of several models on several datasets, as a markdown table.

python tools/compare_models.py --models runs/a runs/b --data data/splits/ccpd/val.csv cache/distorted/ccpd_val

With exactly two models a last column asks whether they really differ: the exact McNemar
test over all the plates (p < 0.05: a real difference; above: within this data's noise).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout too

from lpr.evaluation import evaluate_model  # noqa: E402
from lpr.metrics import mcnemar_p  # noqa: E402
from lpr.pipeline import Recognizer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", required=True)
    ap.add_argument("--data", nargs="+", required=True)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    paired = len(args.models) == 2
    print("| model | " + " | ".join(args.data) + " |" + (" paired test |" if paired else ""))
    print("|---" * (len(args.data) + 1 + paired) + "|")
    wrong = []  # per model: (dataset, path) of every plate it read wrong
    for model in args.models:
        r = Recognizer.load(model, threads=args.threads)
        results = [evaluate_model(r, d) for d in args.data]
        wrong.append({(d, e["path"]) for d, res in zip(args.data, results) for e in res["errors"]})
        cells = [f"{res['sequence_accuracy']:.2%}" for res in results]
        print(f"| {model} | " + " | ".join(cells) + " |" + (" |" if paired else ""), flush=True)
    if paired:
        only_a, only_b = len(wrong[1] - wrong[0]), len(wrong[0] - wrong[1])
        print(
            f"| | right only in {args.models[0]}: {only_a}; only in {args.models[1]}: {only_b} |"
            + " |" * (len(args.data) - 1)
            + f" exact McNemar p = {mcnemar_p(only_a, only_b):.3f} |"
        )


if __name__ == "__main__":
    main()
