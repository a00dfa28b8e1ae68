#!/usr/bin/env python
"""Evaluate a model over a labelled plate dataset: accuracy, errors and end-to-end speed.

    python tools/evaluate.py --model cn --data data/splits/ccpd/val.csv --json result.json

Same as ``lpr evaluate``; the JSON keys (n, sequence_accuracy, sequence_accuracy_ci95, char_error_rate,
plates_per_second, failed, errors) are a stable contract for scripts.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout too

from lpr.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
