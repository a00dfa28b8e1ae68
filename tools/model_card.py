#!/usr/bin/env python
"""Measure a trained model and print its model card (markdown) to stdout.

Every figure in the card comes from this script's own measurements:

    python tools/model_card.py --model runs/cn --ablation runs/cn_nostn > weights/cn/README.md
    python tools/model_card.py --model runs/latin > weights/latin/README.md

Validation is on the fixed real splits in data/splits (never trained on), plus a
geometrically distorted copy of them (tools/distort_split.py) to show what the STN buys.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lpr.bench import latency, model_throughput, stn_share  # noqa: E402
from lpr.checkpoints import read_checkpoint  # noqa: E402
from lpr.decoding import SOFT_LENGTH_RATIO, SOFT_MIN_RATIO  # noqa: E402
from lpr.evaluation import evaluate_model, interval_text  # noqa: E402
from lpr.pipeline import Recognizer, resolve_model_dir  # noqa: E402

# What each alphabet's card says about what the model is for, where its real data came from and
# what it cannot do; everything else is measured.
ABOUT = {
    "cn": (
        "Chinese blue plates",
        "Real training splits: CCPD crops from sirius-ai/LPRNet_Pytorch (Apache-2.0) and\n"
        "chenweijiang99/yolo_-lprnet_-pytorch (Apache-2.0); see ../shared/data/README.md.",
        "Blue 7-character plates only (no green new-energy, yellow, police or two-line plates);\n"
        "expects a plate crop from a detector, not a whole scene.",
    ),
    "latin": (
        "single-line Latin plates (0-9, A-Z and the printed `-` where labels keep it)",
        "Real training splits: openalpr/benchmarks US crops (AGPL-3.0), hermeschen1116 Taiwan crops,\n"
        "IzzatulloOne/LPRNet Uzbek crops; Brazil's crops (openalpr/train-detector, AGPL-3.0) are used only\n"
        "for validation, as a country without real training data. See ../shared/data/README.md.",
        "Single-line plates only (stacked small text such as US state names is ignored, two-line plates\n"
        "are not read); expects a plate crop from a detector, not a whole scene.",
    ),
}


def validation_splits(train_config: dict) -> dict[str, str]:
    """The model's own validation sources, named after their folder (data/splits/us/val.csv -> us)."""
    return {Path(v).parent.name: v for v in train_config.get("val", [])}


def distorted(name: str, path: str) -> Path:
    """The distorted copy of a validation split, written on first use."""
    out = ROOT / "cache" / "distorted" / f"{name}_val"
    if not (out / "labels.csv").exists():
        subprocess.run(
            [sys.executable, str(ROOT / "tools" / "distort_split.py"), str(ROOT / path), str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out / "labels.csv"


def accuracy_rows(
    model: str, splits: dict[str, str], identity_stn: bool = False, plate_format: str | None = "default"
) -> dict[str, dict]:
    """Evaluation on every split; ``identity_stn`` swaps the trained STN for an untrained one."""
    from lpr.models import STN

    # The swap happens in the torch modules, so that evaluation must run them, not an ONNX graph.
    r = Recognizer.load(
        model, plate_format=plate_format, backend="torch" if identity_stn else Recognizer.DEFAULT_BACKEND
    )
    if identity_stn:
        r.stn = STN(r.stn.config).eval()
    rows = {}
    for name, path in splits.items():
        rows[name] = evaluate_model(r, ROOT / path)
        rows[f"{name} distorted"] = evaluate_model(r, distorted(name, path))
    return rows


def init_note(cfg: dict, stage: int) -> str:
    """'(from stage N) ' for a stage that continues the previous one, '(from `X`) ' for a first
    stage that starts from a model not in the card."""
    if not cfg.get("init"):
        return ""
    return f"(from stage {stage - 1}) " if stage > 1 else f"(from `{cfg['init']}`) "


def recipe_commands(config: Path) -> list[str]:
    """The commands quoted in a recipe's header comment (lines '#   lpr ...')."""
    lines = config.read_text(encoding="utf-8").splitlines() if config.exists() else []
    return [ln[1:].strip() for ln in lines if ln.startswith("#") and ln[1:].strip().startswith("lpr ")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--ablation", help="the same recipe trained with --no-stn")
    ap.add_argument("--per-province", type=int, default=100, help="cn only: synthetic plates per province")
    ap.add_argument("--config", help="the recipe (default configs/NAME.yaml for model folder NAME)")
    ap.add_argument("--earlier", nargs="*", default=[], help="run folders of earlier stages (for time and data)")
    ap.add_argument("--name", help="the name it ships under (default: the folder's name)")
    args = ap.parse_args()
    torch.set_num_threads(2)

    model_dir = resolve_model_dir(args.model)
    model_name = args.name or model_dir.name
    meta = read_checkpoint(model_dir / "lprnet.pt", "lpr.lprnet")
    # An averaged model (`lpr average`) was not trained itself: its stages are --earlier.
    averaged = meta.get("averaged_from")
    stages = [Path(d) for d in args.earlier] + ([] if averaged else [model_dir])
    seconds, configs = 0.0, []
    for d in stages:
        state = read_checkpoint(d / "train_state.pt", "lpr.train_state")
        seconds += sum(h.get("seconds", 0) for h in state["history"])
        configs.append(state["config"])

    alphabet = meta["alphabet"]["name"]
    what, data_note, limits = ABOUT.get(alphabet, ("plates", "", ""))
    splits = validation_splits(configs[-1])
    r = Recognizer.load(args.model)
    rows = accuracy_rows(args.model, splits)
    # Without a default format the default reading is the free one: no second pass needed.
    free = accuracy_rows(args.model, splits, plate_format=None) if r.plate_format else rows
    no_stn_at_inference = accuracy_rows(args.model, splits, identity_stn=True)
    ablation = accuracy_rows(args.ablation, splits) if args.ablation else None
    # The speed table names its backends: load each explicitly (the default is onnxruntime).
    on_torch, onnx = Recognizer.load(args.model, backend="torch"), Recognizer.load(args.model, backend="onnx")
    provinces = None
    if alphabet == "cn":
        from province_report import province_accuracy  # noqa: E402  (tools/ sibling)

        provinces = province_accuracy(r, args.per_province)

    p = print
    p(f"# `{model_name}` model card\n")
    p(
        f"STN + LPRNet for {what} (alphabet `{alphabet}`, "
        f"{len(meta['alphabet']['symbols'])} symbols), input {meta['config']['input_size'][0]}x"
        f"{meta['config']['input_size'][1]} BGR. Epoch {meta.get('epoch')}, run `{meta.get('run_id')}`.\n"
    )
    p("## Accuracy on real plates it never trained on\n")
    p("Fixed validation splits (`data/splits/*/val.csv`, split by plate text); *distorted* = the same")
    p("plates rotated ±12°, sheared ±0.25, tilted and shifted off-centre (`tools/distort_split.py`).")
    if r.plate_format and r.plate_format.soft:
        p("*Sequence accuracy* is what `lpr predict` gives by default: readings that fit no format of")
        p(f"`{r.plate_format.name}` give way to a reading that does, when the network finds it at least")
        p(f"{SOFT_MIN_RATIO} times as likely ({SOFT_LENGTH_RATIO} times if it adds or drops a character; a preference,")
        p("see the README); *free reading* is the network's")
        p("greedy reading (`--format none`).")
    elif r.plate_format:
        p("*Sequence accuracy* is what `lpr predict` gives by default (readings constrained to the model's")
        p(f"plate format, `{r.plate_format.name}`); *free reading* is the network's greedy reading (`--format none`).")
    else:
        p("*Sequence accuracy* is what `lpr predict` gives by default: the model has no default plate format,")
        p("so it equals the free reading (pass `--format PATTERN` to constrain readings).")
    p("The STN columns use the default decoding. *95% interval* (Wilson): where the sequence accuracy of")
    p("a fresh sample of such plates would most likely land; a few hundred plates leave it points wide.\n")
    head = (
        "| split | plates | sequence accuracy | 95% interval | char error rate | free reading |"
        " STN switched off at inference |"
    )
    if ablation:
        head += " trained without STN (same recipe) |"
    p(head)
    p("|---" * (8 if ablation else 7) + "|")
    for name, m in rows.items():
        off = no_stn_at_inference[name]["sequence_accuracy"]
        line = (
            f"| {name} | {m['n']} | {m['sequence_accuracy']:.2%} | {interval_text(m)} | {m['char_error_rate']:.4f} | "
            f"{free[name]['sequence_accuracy']:.2%} | {off:.2%} |"
        )
        if ablation:
            line += f" {ablation[name]['sequence_accuracy']:.2%} |"
        p(line)
    first = next(iter(splits.values()), "VAL.csv")
    p(
        f"\nCommand: `python tools/evaluate.py --model {model_name} --data {first}`"
        + (" (add `--format none`\nfor the free reading).\n" if r.plate_format else ".\n")
    )
    cal = meta.get("calibration")
    if cal:
        p("## Confidence and reject threshold\n")
        p(
            f"Calibrated with `lpr calibrate` on {cal['plates']} real validation plates "
            f"({', '.join(f'`{d}`' for d in cal['fitted_on'])}): expected calibration error "
            + (
                f"{cal['ece_before']:.3f} raw; a fitted map would not lower it ({cal['ece_map']:.3f} "
                "cross-validated), so the raw confidence is kept. "
                if cal.get("method") == "identity"
                else f"{cal['ece_before']:.3f} raw → {cal['ece_after']:.3f} calibrated (cross-validated). "
            )
            + f"**Reject threshold {cal['threshold']:.3f}**: readings at or above it were "
            f"{cal['precision']:.1%}+ correct and cover {cal['coverage']:.1%} of those plates.\n"
        )
        if held := cal.get("held_out"):
            p(
                f"The threshold is chosen on those same plates. Chosen on a random half and applied to the\n"
                f"other ({held['rounds']} splits) it gave {held['precision']:.1%} precision (lowest {held['precision_min']:.1%}) "
                f"at {held['coverage']:.1%} coverage\n(lowest {held['coverage_min']:.1%}): expect that on new "
                "plates of the same cameras.\n"
            )
    if provinces:
        p(f"## Every province ({args.per_province} fresh synthetic plates each, seed never trained on)\n")
        p("| " + " | ".join(provinces) + " |")
        p("|" + "---|" * len(provinces))
        p("| " + " | ".join(f"{v:.0%}" for v in provinces.values()) + " |\n")
        p("Synthetic accuracy says only that no province is unknown to the model; judge it on real plates.\n")
    p("## Speed (2-core CPU, 2 threads)\n")
    p("| backend | batch 1 latency (median) | model only, batch 64 | STN share |")
    p("|---|---|---|---|")
    torch_row = (
        f"{latency(on_torch)[0]:.2f} ms | {model_throughput(on_torch, 64):.0f} plates/s | {stn_share(on_torch):.1%}"
    )
    p(f"| torch | {torch_row} |")
    p(
        f"| onnxruntime | {latency(onnx)[0]:.2f} ms | {model_throughput(onnx, 64):.0f} plates/s | {stn_share(onnx):.1%} |"
    )
    first_name = next(iter(splits), None)
    if first_name:
        e2e = rows[first_name]["plates_per_second"]
        p(
            f"\nEnd to end (files → text, {Recognizer.DEFAULT_BACKEND}, batch 64) on the {first_name} split: {e2e:.0f} plates/s.\n"
        )
    p("## Training\n")
    for i, cfg in enumerate(configs, 1):
        data = ", ".join(f"`{d}`" for d in cfg.get("data", []))
        p(
            f"- {'Stage ' + str(i) + ': ' if len(configs) > 1 else 'Data: '}"
            f"{init_note(cfg, i)}{data}; "
            f"{cfg.get('epochs')} epochs × {cfg.get('epoch_size')} plates, batch {cfg.get('batch_size')}, "
            f"AdamW lr {cfg.get('lr')}, STN frozen for {cfg.get('stn_warmup_epochs')} epoch(s) then at "
            f"{cfg.get('stn_lr_scale')}× lr; LPRNet widths {cfg.get('model')}"
            + (f"; STN bounds {cfg['stn_model']}" if cfg.get("stn_model") else "")
            + (
                "; LPRNet trained in bf16 autocast (weights fp32)"
                if str(cfg.get("precision")).lower() == "bf16"
                else ""
            )
            + (
                f"; shipped weights are the moving average (decay {cfg['ema']}) of the trained ones."
                if cfg.get("ema")
                else "."
            )
        )
    if averaged:
        p(f"- Shipped weights: the average of {', '.join(f'`{m}`' for m in averaged)} (`lpr average`).")
    p("- `@N` counts a source N times per epoch.")
    p(
        f"- Training time: {seconds / 60:.0f} min on 2 CPU cores as logged, plus rendering the synthetic "
        "plates (≈ 3 min per 150,000 on an idle machine)."
    )
    p("- Recipe (from the project root):\n")
    p("  ```bash")
    config = Path(args.config) if args.config else ROOT / "configs" / f"{model_name}.yaml"
    for command in recipe_commands(config):
        p(f"  {command}")
    p("  ```")
    p("\n## Data and licences\n")
    p("Synthetic plates rendered by `lpr.synth` (fonts in `lpr/assets/fonts`, OFL / Bitstream Vera).")
    p(data_note)
    p("\n## Limits\n")
    p(limits)


if __name__ == "__main__":
    main()
