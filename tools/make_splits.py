"""Write the fixed train/validation splits of ../shared/data into data/splits/.

A plate goes to validation when a hash of its *text* falls under the set's fraction, so the
split never changes, and crops of the same plate (br has several) never straddle it.

    python tools/make_splits.py [--data ../shared/data] [--out data/splits]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
from pathlib import Path

VAL_FRACTION = {"ccpd": 0.4, "cn2": 0.3, "us": 0.3, "tw": 0.3, "uz": 0.3, "br": 0.3}


def in_validation(text: str, fraction: float) -> bool:
    h = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)
    return h / 0xFFFFFFFF < fraction


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(root.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(root / "data" / "splits"))
    args = ap.parse_args()
    for name, fraction in VAL_FRACTION.items():
        src = Path(args.data) / name / "labels.csv"
        if not src.exists():
            print(f"{src}: missing, skipped")
            continue
        with open(src, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        out = Path(args.out) / name
        out.mkdir(parents=True, exist_ok=True)
        rel = Path(os.path.relpath(src.parent, out))
        parts = {"train": [], "val": []}
        for r in rows:
            parts["val" if in_validation(r["text"], fraction) else "train"].append(r)
        for part, rs in parts.items():
            with open(out / f"{part}.csv", "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(["path", "text"])
                w.writerows([(rel / r["path"]).as_posix(), r["text"]] for r in rs)
        print(f"{name}: {len(parts['train'])} train, {len(parts['val'])} val")


if __name__ == "__main__":
    main()
