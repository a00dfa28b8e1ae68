#!/usr/bin/env python
"""Sequence accuracy of several models on several datasets, as a markdown table.

python tools/compare_models.py --models runs/a runs/b --data data/splits/ccpd/val.csv cache/distorted/ccpd_val

With exactly two rows a last column asks whether they really differ: the exact McNemar
test over all the plates (p < 0.05: a real difference; above: within this data's noise).

``--ensemble`` adds a row for the ensemble of all the models: each reads every plate (with
its own format and calibration); where they disagree, the reading with the highest mean CTC
log-probability under all of them wins (``lpr.decoding.combine_readings``). It costs one model
run per member, so it is a measurement here, not a shipped model.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout too

from lpr.decoding import combine_readings  # noqa: E402
from lpr.evaluation import evaluate_model  # noqa: E402
from lpr.metrics import mcnemar_p  # noqa: E402
from lpr.pipeline import Recognizer  # noqa: E402


def ensemble_of(members: list[Recognizer]) -> Recognizer:
    """A recogniser whose readings combine all members' (see ``combine_readings``)."""
    sizes = {m.input_size for m in members}
    alphabets = {m.alphabet.symbols for m in members}
    if len(sizes) > 1 or len(alphabets) > 1:
        sys.exit("--ensemble needs models of one input size and one alphabet")
    lead = copy.copy(members[0])
    # (members, B, C, T): every member's probabilities, decoded member by member, then combined.
    lead.probabilities = lambda batch: np.stack([m.probabilities(batch) for m in members])
    lead.decode = lambda probs: combine_readings([m.decode(p) for m, p in zip(members, probs)], probs, lead.alphabet)
    return lead


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", required=True)
    ap.add_argument("--data", nargs="+", required=True)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--ensemble", action="store_true", help="add a row for the ensemble of all the models")
    args = ap.parse_args()
    if args.ensemble and len(args.models) < 2:
        ap.error("--ensemble needs two or more models")
    rows = [(model, Recognizer.load(model, threads=args.threads)) for model in args.models]
    if args.ensemble:
        rows.append(("ensemble of all", ensemble_of([r for _, r in rows])))
    paired = len(rows) == 2
    print("| model | " + " | ".join(args.data) + " |" + (" paired test |" if paired else ""))
    print("|---" * (len(args.data) + 1 + paired) + "|")
    wrong = []  # per row: (dataset, path) of every plate it read wrong
    for name, r in rows:
        results = [evaluate_model(r, d) for d in args.data]
        wrong.append({(d, e["path"]) for d, res in zip(args.data, results) for e in res["errors"]})
        cells = [f"{res['sequence_accuracy']:.2%}" for res in results]
        print(f"| {name} | " + " | ".join(cells) + " |" + (" |" if paired else ""), flush=True)
    if paired:
        only_a, only_b = len(wrong[1] - wrong[0]), len(wrong[0] - wrong[1])
        print(
            f"| | right only in {args.models[0]}: {only_a}; only in {args.models[1]}: {only_b} |"
            + " |" * (len(args.data) - 1)
            + f" exact McNemar p = {mcnemar_p(only_a, only_b):.3f} |"
        )


if __name__ == "__main__":
    main()
