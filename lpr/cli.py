"""The ``lpr`` command: thin wrappers over library functions a Python user can call too.

    lpr predict plate.jpg              # read with the shipped default model
    lpr train --data train.csv --val val.csv --out runs/mine
    lpr evaluate --model runs/mine --data val.csv
    lpr synth --n 1000 --out synth/

Exit codes: 0 success; 1 some inputs could not be read; 2 bad usage, model or data.
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import os
import sys
import time
from dataclasses import asdict, fields
from itertools import chain
from pathlib import Path

from . import __version__

log = logging.getLogger("lpr")
STDIN = "-"  # `lpr predict -`: one image's bytes on standard input


def parse_size(text: str) -> tuple[int, int]:
    """``"94x24"`` -> (94, 24)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 94x24, got {text!r}") from None
    return w, h


def expand_inputs(specs: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Image paths from files, folders (recursively) and glob patterns; plus (spec, why) misses."""
    from .data import list_images

    paths, missing = [], []
    for spec in specs:
        p = Path(spec)
        if p.is_dir():  # even one named like an image, "shots.jpg/"
            found = list_images(p)
            paths += [str(f) for f in found]
            if not found:
                missing.append((spec, "no images in folder"))
        elif p.exists():
            paths.append(spec)
        elif glob.has_magic(spec):
            found = sorted(glob.glob(spec, recursive=True))
            paths += found
            if not found:
                missing.append((spec, "pattern matches nothing"))
        else:
            missing.append((spec, "no such file"))
    return paths, missing


# ---------------------------------------------------------------------------- commands


def cmd_predict(args) -> int:
    from .data import IMAGE_SUFFIXES
    from .decoding import SCHEMA_VERSION, Reading
    from .formats import hard_format
    from .pipeline import Recognizer

    if args.show_stn and Path(args.show_stn).suffix.lower() not in IMAGE_SUFFIXES:
        # Refused now: cv2 only finds out after every plate has been read.
        raise ValueError(f"--show-stn {args.show_stn}: give an image file name ending in .png or .jpg")
    recognizer = Recognizer.load(
        args.model, threads=args.threads, backend=args.backend, plate_format=args.format, top_k=args.top_k,
        min_confidence=args.min_confidence, second_look=not args.single_look,
    )  # fmt: skip
    paths, missing = expand_inputs([spec for spec in args.inputs if spec != STDIN])
    for spec, why in missing:
        print(f"lpr: {spec}: {why}", file=sys.stderr)
    failed = len(missing)
    results = [Reading("", 0.0, path=spec, error=why).to_dict() for spec, why in missing]
    from_stdin = [read_stdin(recognizer)] if STDIN in args.inputs else []
    judged = accepted = 0
    for r in chain(from_stdin, recognizer.read_files(paths, args.batch_size)):
        if r.accepted is not None:
            judged, accepted = judged + 1, accepted + r.accepted
        if r.error:
            failed += 1
            print(f"lpr: {r.path}: {r.error}", file=sys.stderr)
            if not args.json:
                continue
        if args.json:
            results.append(r.to_dict())
        elif r.accepted is None:
            print(f"{r.path}\t{r.text}\t{r.confidence:.4f}", flush=True)
        else:
            verdict = "accepted" if r.accepted else "rejected"
            print(f"{r.path}\t{r.text}\t{r.confidence:.4f}\t{verdict}", flush=True)
    if args.show_stn:
        save_stn_views(recognizer, paths, args.show_stn)
    if judged:
        rule = f"confidence >= {recognizer.min_confidence:.4g}"
        if hard := hard_format(recognizer.plate_format):
            rule += f", format {hard.name}"
        print(f"lpr: {accepted} of {judged} readings accepted ({rule})", file=sys.stderr)
    if args.json:
        document = {
            "schema_version": SCHEMA_VERSION,
            "model": str(args.model),
            "format": recognizer.plate_format.name if recognizer.plate_format else None,
            "readings": results,
        }
        if recognizer.min_confidence is not None:
            document["min_confidence"] = recognizer.min_confidence
        json.dump(document, sys.stdout, ensure_ascii=False, indent=1)
        print()
    return 1 if failed else 0


def read_stdin(recognizer):
    """The reading of the image whose bytes come on stdin (``lpr predict -``)."""
    from .data import ImageError
    from .decoding import Reading

    start = time.perf_counter()
    try:
        reading = recognizer.read(sys.stdin.buffer.read())
    except ImageError as e:
        return Reading("", 0.0, path=STDIN, error=str(e))
    reading.path, reading.time_ms = STDIN, (time.perf_counter() - start) * 1e3
    return reading


def save_stn_views(recognizer, paths: list[str], out: str, limit: int = 32) -> None:
    """Input | rectified pairs of the first readable images, as one PNG."""
    import cv2

    from .data import ImageError, load_image, resize
    from .report import stn_grid

    images = []
    for p in paths:
        if len(images) == limit:
            break
        try:
            images.append(resize(load_image(p), recognizer.input_size))
        except ImageError:
            continue
    if images:
        cv2.imwrite(out, stn_grid(recognizer.stn, images))
        print(f"lpr: STN views of {len(images)} plates (input | rectified) in {out}", file=sys.stderr)


def cmd_evaluate(args) -> int:
    from .evaluation import compare_decoders, evaluate_model, summary
    from .pipeline import Recognizer

    recognizer = Recognizer.load(
        args.model, threads=args.threads, backend=args.backend, plate_format=args.format,
        second_look=not args.single_look,
    )  # fmt: skip
    result = evaluate_model(recognizer, args.data, args.batch_size, progress=sys.stderr.isatty())
    result["model"] = str(args.model)
    result["backend"] = args.backend
    result["format"] = recognizer.plate_format.name if recognizer.plate_format else None
    result["second_look"] = recognizer.second_look
    result["data"] = str(args.data)
    if args.compare_decoders:
        result["decoders"] = compare_decoders(recognizer, args.data, args.batch_size)
    if args.report:
        from .report import write_report

        page = write_report(recognizer, args.data, result, args.report, f"lpr {args.model} on {args.data}")
        print(f"report: {page}", file=sys.stderr)
    print(summary(result, str(args.model), str(args.data)))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def train_config(args):
    """Dataclass defaults <- ``--config`` YAML <- command-line flags."""
    import yaml

    from .config import TrainConfig

    values = asdict(TrainConfig())
    if args.config:
        loaded = yaml.safe_load(Path(args.config).read_text(encoding="utf-8")) or {}
        unknown = set(loaded) - set(values)
        if unknown:
            raise ValueError(f"{args.config}: unknown keys {sorted(unknown)}")
        values.update(loaded)
    for f in fields(TrainConfig):
        v = getattr(args, f.name, None)
        if v is not None:
            values[f.name] = v
    values["input_size"] = tuple(values["input_size"])
    return TrainConfig(**values)


def cmd_train(args) -> int:
    from .training import Interrupted, config_yaml, train

    cfg = train_config(args)
    main_rank = os.environ.get("RANK", "0") == "0"  # under torchrun, rank 0 speaks for the job
    if main_rank:
        print(config_yaml(cfg), file=sys.stderr)
    try:
        result = train(cfg, resume=args.resume, progress=not args.quiet)
    except Interrupted as e:
        if not main_rank:
            return 130
        print(
            f"lpr: interrupted in epoch {e.epoch} after {e.batches_done}/{e.batches} batches; "
            f"state saved in {cfg.out} (continue with --resume)",
            file=sys.stderr,
        )
        return 130
    except KeyboardInterrupt:
        print(
            f"lpr: interrupted; the last completed epoch is kept in {cfg.out} (continue with --resume)", file=sys.stderr
        )
        return 130
    if main_rank:
        print(f"saved {cfg.out}/stn.pt and {cfg.out}/lprnet.pt", file=sys.stderr)
    return 0 if result["history"] else 2


def cmd_models(args) -> int:
    from .catalog import format_models, list_models
    from .pipeline import WEIGHTS_DIR

    user_dirs = args.dirs or [d for d in ["runs"] if Path(d).is_dir()]  # argparse gives [] for none
    for d in user_dirs:
        if not Path(d).is_dir():
            raise FileNotFoundError(f"{d}: no such folder")
    models = list_models(WEIGHTS_DIR, user_dirs)
    if args.json:
        print(json.dumps(models, ensure_ascii=False, indent=1))
    elif models:
        print(format_models(models))
    else:
        print(f"no models in {WEIGHTS_DIR} or {', '.join(map(str, user_dirs)) or 'runs/'}", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    try:
        from .serve import Limits, serve
    except ImportError as e:
        raise ValueError(f"lpr serve needs the serve extras: pip install 'lpr[serve]' ({e})") from None
    limits = Limits(args.max_upload_mb, args.max_pixels, args.max_files)
    print(f"lpr: serving {args.model} on http://{args.host}:{args.port} (POST /v1/read)", file=sys.stderr)
    serve(
        args.model, args.host, args.port, args.backend, plate_format=args.format, top_k=args.top_k,
        min_confidence=args.min_confidence, max_batch=args.max_batch, max_wait_ms=args.max_wait_ms, limits=limits,
    )  # fmt: skip
    return 0


def cmd_calibrate(args) -> int:
    from .calibration import IDENTITY, calibrate_model

    report = calibrate_model(args.model, args.data, args.precision)
    kept = (
        f"; a fitted map would not lower it ({report['ece_map']:.4f}): raw confidences kept"
        if report["method"] == IDENTITY
        else ""
    )
    print(
        f"calibrated {args.model} on {report['plates']} plates (accuracy {report['accuracy']:.2%}, "
        f"format {report['format']}):\n"
        f"  expected calibration error {report['ece_before']:.4f} -> {report['ece_after']:.4f} (cross-validated){kept}\n"
        f"  reject threshold {report['threshold']:.4f}: accepts {report['coverage']:.1%} of plates "
        f"at >= {report['precision']:.1%} precision"
    )
    held = report["held_out"]
    print(
        f"  chosen on one half, applied to the other ({held['rounds']} random splits): precision {held['precision']:.2%} "
        f"(lowest {held['precision_min']:.2%}), coverage {held['coverage']:.1%} (lowest {held['coverage_min']:.1%})"
    )
    return 0


def cmd_synth(args) -> int:
    from .synth import synthesize

    style = args.style or {"cn": "cn_blue", "latin": "latin"}[args.alphabet]
    csv_path = synthesize(
        args.out, args.n, style=style, seed=args.seed, out_size=args.size, workers=args.workers, progress=not args.quiet
    )
    print(f"wrote {args.n} plates; labels in {csv_path}", file=sys.stderr)
    return 0


def cmd_average(args) -> int:
    from .training import average_models

    metrics = average_models(args.models, args.out, args.val)
    print(f"saved the average of {', '.join(args.models)} to {args.out}")
    for split, m in (metrics.get("val") or {}).items():
        print(f"  {split}: sequence accuracy {m['sequence_accuracy']:.2%} (free reading, n={m['n']})")
    return 0


def cmd_export(args) -> int:
    import numpy as np

    from .data import read_source
    from .export import export_for_reading, export_onnx, quantize_int8
    from .pipeline import Recognizer

    recognizer = Recognizer.load(args.model, backend="torch")  # the modules are what is exported
    if args.int8:
        if not args.calibration:
            raise ValueError("--int8 needs --calibration DATA (real plates, e.g. a training split)")
        # A fixed random sample of all sources: the first N of one would be one camera's plates.
        images = [s.path for source in args.calibration for s in read_source(source)]
        order = np.random.default_rng(0).permutation(len(images))[: args.calibration_size]
        images = [images[i] for i in order]
        if args.out:
            outs = [quantize_int8(recognizer, images, args.out, whole=True)]
        else:
            outs = export_for_reading(recognizer, args.opset, int8_calibration=images)
    elif args.out:
        outs = [export_onnx(recognizer, args.out, args.opset)]
    else:
        outs = export_for_reading(recognizer, args.opset)
    print(f"wrote {', '.join(map(str, outs))}", file=sys.stderr)
    return 0


def cmd_bench(args) -> int:
    import torch

    from .bench import format_result, run

    if args.threads:
        torch.set_num_threads(args.threads)
    images = expand_inputs([args.images])[0] if args.images else None
    print(format_result(run(args.model, tuple(args.batch_size), images, args.backend)))
    return 0


# ---------------------------------------------------------------------------- parser


def add_backend_option(p: argparse.ArgumentParser) -> None:
    # Literal values, not Recognizer.BACKENDS: importing the pipeline here would load torch just
    # to print --help. tests/test_cli.py keeps the two in step.
    p.add_argument(
        "--backend",
        default="onnx",
        choices=["onnx", "torch", "onnx-int8"],
        help="inference engine: onnx (onnxruntime; same readings as torch, 2-4x faster on a CPU), torch, "
        "or onnx-int8 (needs `lpr export --int8`)",
    )


def add_threads_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=int, default=0, help="inference threads (torch and onnxruntime); 0 = all cores")


def add_format_option(p: argparse.ArgumentParser) -> None:
    # argparse %-formats help strings, so the pattern's '%' is written '%%'.
    p.add_argument(
        "--format",
        default="default",
        metavar="NAME|PATTERN",
        help="constrain readings to a plate format: the model's default (cn: 7-character or new-energy plates; "
        "latin: ~known, a preference for known countries' formats), a named format (cn: cn, cn7, cn8; latin: tw, "
        "uz, br, uk, known), a pattern such as '@@@-####' (@ letter, # digit, * either, %% province, ? any; a "
        "leading ~ makes it a preference), or none",
    )


def add_look_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--single-look",
        action="store_true",
        help="read each plate once: no second look through the STN's own warp for plates read with doubt "
        "(faster; the second look reads plates turned or framed beyond one warp's reach)",
    )


def add_min_confidence_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--min-confidence",
        metavar="P|model",
        help="mark readings below this confidence as rejected: a number in [0, 1], or 'model' for the reject "
        "threshold `lpr calibrate` stored with the model (its readings were 99.5%% right above it); "
        "readings that break a hard --format are rejected too; default: no threshold",
    )


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    ap = argparse.ArgumentParser(prog="lpr", description="Licence-plate recognition: STN + LPRNet.")
    ap.add_argument("--version", action="version", version=f"lpr {__version__}")
    ap.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "predict",
        help="read plates from cropped plate images",
        formatter_class=fmt,
        description="Print path<TAB>text<TAB>confidence for each image (and <TAB>accepted or <TAB>rejected "
        "with --min-confidence).",
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="IMG|DIR|GLOB",
        help="images, folders or glob patterns; - reads one image from stdin",
    )
    p.add_argument("--model", default="cn", help="shipped model name (folder under weights/) or a run folder")
    p.add_argument("--json", action="store_true", help="print one JSON list instead of lines")
    p.add_argument("--top-k", type=int, default=0, metavar="K", help="also give the K best readings (beam search)")
    p.add_argument("--show-stn", metavar="OUT.png", help="save input | STN-rectified pairs (first 32 plates)")
    add_format_option(p)
    add_min_confidence_option(p)
    add_look_option(p)
    p.add_argument("--batch-size", type=int, default=64)
    add_threads_option(p)
    add_backend_option(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("evaluate", help="accuracy, errors and speed over a labelled dataset", formatter_class=fmt)
    p.add_argument("--model", default="cn", help="shipped model name or a run folder")
    p.add_argument(
        "--data", required=True, help="labels.csv, a folder with one, raw CCPD images, or a named-image folder"
    )
    p.add_argument("--batch-size", type=int, default=64)
    add_threads_option(p)
    p.add_argument("--json", metavar="OUT", help="also write the full result as JSON")
    p.add_argument(
        "--compare-decoders", action="store_true", help="also report greedy vs beam vs format-constrained accuracy"
    )
    p.add_argument("--report", metavar="DIR", help="also write a self-contained HTML report to DIR/index.html")
    add_format_option(p)
    add_look_option(p)
    add_backend_option(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "serve",
        help="read plates over HTTP (FastAPI), micro-batching concurrent requests",
        formatter_class=fmt,
        description="POST /v1/read with multipart 'file' fields; GET /healthz; GET /v1/models.",
    )
    p.add_argument("--model", default="cn", help="shipped model name or a run folder")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    add_backend_option(p)
    p.add_argument("--max-batch", type=int, default=64, help="plates per network batch (1 = no micro-batching)")
    p.add_argument(
        "--max-wait-ms",
        type=float,
        default=0.0,
        help="extra time a plate may wait for batch-mates (0: only those queued)",
    )
    p.add_argument("--max-upload-mb", type=float, default=10.0, help="largest accepted file")
    p.add_argument("--max-pixels", type=int, default=40_000_000, help="largest accepted image (width x height)")
    p.add_argument("--max-files", type=int, default=64, help="most files in one request")
    p.add_argument("--top-k", type=int, default=0, metavar="K", help="also give the K best readings (beam search)")
    add_format_option(p)
    add_min_confidence_option(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "calibrate",
        help="fit confidence calibration and a reject threshold on real plates",
        formatter_class=fmt,
        description="Fit the plate-confidence calibration of a model on labelled real plates (never its "
        "training data) and store it, with the reject threshold, in the model's lprnet.pt.",
    )
    p.add_argument("--model", required=True, help="run folder (or shipped name) to calibrate")
    p.add_argument(
        "--data", action="extend", nargs="+", required=True, help="labelled real plates (one or more; repeatable)"
    )
    p.add_argument("--precision", type=float, default=0.995, help="precision the reject threshold must reach")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser(
        "models",
        help="list shipped and your own models",
        formatter_class=fmt,
        description="List the shipped models (weights/) and the model folders under DIRs, with their "
        "alphabet, input size, size on disk and validation accuracy: the model card's when there is one, "
        "else the one recorded in the checkpoint at training (free reading).",
    )
    p.add_argument("dirs", nargs="*", default=None, metavar="DIR", help="folders to search (default: ./runs if any)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_models)

    from .config import PRECISIONS, TrainConfig

    d = TrainConfig()
    p = sub.add_parser(
        "train",
        help="train STN + LPRNet jointly on your plates",
        description="Train STN + LPRNet jointly. Flags override --config, which overrides the defaults shown here.",
    )
    p.add_argument("--config", help="YAML file of TrainConfig fields (see configs/cn.yaml)")
    p.add_argument(
        "--data", action="extend", nargs="+", help="training sources (repeatable); PATH@N counts it N times per epoch"
    )
    p.add_argument("--val", action="extend", nargs="+", help="validation sources of real plates (repeatable)")
    p.add_argument("--out", help=f"run folder for stn.pt, lprnet.pt and the resumable state (default {d.out})")
    p.add_argument("--epochs", type=int, help=f"(default {d.epochs})")
    p.add_argument("--epoch-size", type=int, help="plates per epoch (default: one pass over the sources)")
    p.add_argument("--batch-size", type=int, help=f"(default {d.batch_size})")
    p.add_argument("--lr", type=float, help=f"peak learning rate (default {d.lr})")
    p.add_argument("--alphabet", help=f"cn, latin, a file of symbols, or the symbols themselves (default {d.alphabet})")
    p.add_argument("--input-size", type=parse_size, help="network input WxH (default 94x24)")
    p.add_argument("--no-stn", dest="stn", action="store_const", const=False, help="train LPRNet alone (ablation)")
    p.add_argument(
        "--stn-geometry",
        type=float,
        help="weight of the loss teaching the STN to frame plates whose corners the data gives "
        f"(lpr synth writes them); 0 = CTC alone (default {d.stn_geometry})",
    )
    p.add_argument("--augment", type=float, help=f"augmentation strength, 0 = off (default {d.augment})")
    p.add_argument(
        "--invert",
        type=float,
        help="probability of training on a plate's negative, so light ink on dark plates reads like "
        f"dark on light (default {d.invert})",
    )
    p.add_argument(
        "--zoom",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="scale range of the plate in augmented crops: below 1 looser, above 1 tighter than "
        "your crops (default: a narrow range set by --augment)",
    )
    p.add_argument(
        "--balance",
        type=float,
        help="0-1: draw plates whose first character (cn: the province) is common in their source "
        f"less often, rare ones more; 0.5 = square-root balancing (default {d.balance})",
    )
    p.add_argument("--seed", type=int, help=f"(default {d.seed})")
    p.add_argument("--threads", type=int, help="torch threads (default: all cores)")
    p.add_argument("--device", help="auto (CUDA when present), cpu, cuda or cuda:N (default auto)")
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="LPRNet's training arithmetic; bf16 is ~1.3-1.6x faster on CPUs with AVX512-BF16/AMX, "
        "and means fp32 on CPUs without them (default auto: mixed on CUDA, fp32 on CPU)",
    )
    p.add_argument(
        "--plate-format", metavar="NAME|PATTERN", help="default reading format stored with the model, e.g. '@@@-####'"
    )
    p.add_argument(
        "--stream", choices=["auto", "yes", "no"], help="read images from disk at every step (auto: sources > 300k)"
    )
    p.add_argument("--workers", type=int, help="data loader worker processes (default 0; use 2+ when streaming)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last epoch")
    p.add_argument("--init", help="start from a trained model's weights (shipped name or run folder): fine-tune")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "average",
        help="average the weights of models of one recipe (a model soup)",
        description="Save the mean of several models' weights as a new model: e.g. a fine-tuned model and the "
        "model it was fine-tuned from (WiSE-FT). They must share alphabet and architecture.",
        formatter_class=fmt,
    )
    p.add_argument("models", nargs="+", help="run folders or shipped names")
    p.add_argument("--out", required=True, help="folder for the averaged stn.pt and lprnet.pt")
    p.add_argument("--val", action="extend", nargs="+", help="validation sources (default: the last model's)")
    p.set_defaults(func=cmd_average)

    p = sub.add_parser("export", help="export STN + LPRNet to ONNX", formatter_class=fmt)
    p.add_argument("--model", default="cn", help="shipped model name or a run folder")
    p.add_argument(
        "--out",
        help="write STN + LPRNet as one .onnx graph, to deploy (default: MODEL_DIR/stn.onnx and "
        "MODEL_DIR/lprnet.onnx, or MODEL_DIR/lprnet.int8.onnx with --int8: the files --backend onnx / "
        "onnx-int8 load)",
    )
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--int8", action="store_true", help="post-training static int8 quantisation")
    p.add_argument(
        "--calibration",
        action="extend",
        nargs="+",
        metavar="DATA",
        help="real plates to calibrate int8 on (training splits, never validation); repeatable",
    )
    p.add_argument("--calibration-size", type=int, default=512, help="plates used for calibration")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("bench", help="measure speed: throughput, latency, STN share", formatter_class=fmt)
    p.add_argument("--model", default="cn", help="shipped model name or a run folder")
    p.add_argument("--batch-size", type=int, nargs="+", default=[1, 64, 256])
    p.add_argument("--images", help="folder or glob of plate images for the end-to-end figure")
    add_backend_option(p)
    add_threads_option(p)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("synth", help="render synthetic plates to a labelled folder", formatter_class=fmt)
    p.add_argument("--n", type=int, required=True, help="number of plates")
    p.add_argument("--out", required=True, help="output folder (images/ + labels.csv)")
    p.add_argument("--alphabet", default="cn", choices=["cn", "latin"], help="alphabet whose plates to render")
    p.add_argument(
        "--style",
        help="plate style (default: cn_blue for cn, or cn_blue_letters with 60%% letters after the city letter; "
        "for latin the 'latin' mix of all latin layouts, or one of us, eu, uk, mercosur, br_old, tw, uz, generic; "
        "'latin_spread' and LAYOUT_spread print half of the numbers across the whole plate; "
        "'latin_fonts' and LAYOUT_fonts draw half of the plates in eight extra faces; "
        "'latin_closer' prints Uzbek region codes small and Taiwan's dash as a short mark, as real plates do)",
    )
    p.add_argument("--size", type=parse_size, default=(94, 24), help="output WxH")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_synth)
    return ap


def main(argv: list[str] | None = None) -> int:
    from .checkpoints import CheckpointError
    from .data import ImageError

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(message)s" if args.verbose else "lpr: %(message)s",
    )
    try:
        return args.func(args)
    except (CheckpointError, ImageError, FileNotFoundError, ValueError) as e:
        print(f"lpr: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `lpr predict ... | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
