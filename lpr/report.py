"""A self-contained HTML report of an evaluation: what the model gets right, wrong, and why.

    python tools/evaluate.py --model cn --data data/splits/ccpd/val.csv --report report/

``report/index.html`` embeds every plot (matplotlib PNGs) and image as data URIs, so it opens
anywhere without network access: summary, accuracy by plate length and by first character,
character confusions, the reject curve (how many plates can be read at a given precision),
speed, and a gallery of every wrong plate with its input crop, the STN-rectified crop and
per-character confidences.
"""

from __future__ import annotations

import base64
import difflib
import html
import io
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np
import torch

from .data import ImageError, Sample, load_image, read_source, resize, to_tensor
from .evaluation import accuracy_interval, trusted_accuracy
from .pipeline import Recognizer

FONT = Path(__file__).parent / "assets" / "fonts" / "NotoSansSC-Regular-plate.otf"  # has the provinces


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT))
    name = font_manager.FontProperties(fname=str(FONT)).get_name()
    plt.rcParams["font.family"] = ["DejaVu Sans", name]  # Latin from DejaVu, provinces from Noto
    return plt


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _img_uri(img: np.ndarray, scale: int = 3) -> str:
    big = cv2.resize(img, (img.shape[1] * scale, img.shape[0] * scale), interpolation=cv2.INTER_NEAREST)
    return "data:image/png;base64," + base64.b64encode(cv2.imencode(".png", big)[1].tobytes()).decode()


def confusions(expected: list[str], predicted: list[str]) -> Counter:
    """(true, read) character pairs from aligning each wrong reading with its label; '∅' = none."""
    pairs: Counter = Counter()
    for e, p in zip(expected, predicted):
        if e == p:
            continue
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, e, p, autojunk=False).get_opcodes():
            if op == "replace" and i2 - i1 == j2 - j1:
                pairs.update(zip(e[i1:i2], p[j1:j2]))
            elif op in ("replace", "delete", "insert"):
                pairs.update((c, "∅") for c in e[i1:i2])
                pairs.update(("∅", c) for c in p[j1:j2])
    return pairs


def reject_curve(confidence: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coverage and precision when accepting the k most confident readings, k = 1..n."""
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(correct[order])
    k = np.arange(1, len(order) + 1)
    return k / len(order), hits / k


def _bar(plt, labels, values, counts, title, xlabel):
    fig, ax = plt.subplots(figsize=(max(4, 0.35 * len(labels) + 2), 3))
    ax.bar(range(len(labels)), values, color="#3b6ea8")
    ax.set_xticks(range(len(labels)), labels)
    for i, (v, n) in enumerate(zip(values, counts)):
        ax.text(i, v + 0.01, str(n), ha="center", fontsize=7, color="#555")
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("sequence accuracy")
    ax.set_xlabel(xlabel)
    ax.set_title(title + " (numbers: plates)")
    return _png(fig)


def _by(keys: list, correct: np.ndarray) -> tuple[list, list, list]:
    groups = defaultdict(list)
    for k, c in zip(keys, correct):
        groups[k].append(c)
    labels = sorted(groups, key=lambda k: (-len(groups[k]), str(k)))[:40]
    return [str(k) for k in labels], [float(np.mean(groups[k])) for k in labels], [len(groups[k]) for k in labels]


@torch.no_grad()
def rectify(stn, images: list[np.ndarray]) -> list[np.ndarray]:
    """What the STN hands LPRNet: the rectified crops, as BGR uint8."""
    if not images:
        return []
    device = next(stn.parameters()).device
    was_training = stn.training
    out = stn.eval()(to_tensor(np.stack(images)).to(device)).cpu()
    stn.train(was_training)
    return [np.clip((o.permute(1, 2, 0).numpy() + 1) * 127.5, 0, 255).astype(np.uint8) for o in out]


def rectified(recognizer: Recognizer, images: list[np.ndarray]) -> list[np.ndarray]:
    return rectify(recognizer.stn, images)


def stn_grid(stn, images: list[np.ndarray], scale: int = 2, columns: int = 2) -> np.ndarray:
    """A BGR picture of input | rectified pairs, ``columns`` pairs per row: the STN at work."""
    pairs = [
        np.hstack([a, np.full((a.shape[0], 2, 3), 255, np.uint8), b]) for a, b in zip(images, rectify(stn, images))
    ]
    if not pairs:
        raise ValueError("no images to show")
    h, w = pairs[0].shape[:2]
    blank = np.full((h, w, 3), 255, np.uint8)
    pairs += [blank] * (-len(pairs) % columns)
    pad = lambda im: cv2.copyMakeBorder(im, 3, 3, 6, 6, cv2.BORDER_CONSTANT, value=(255, 255, 255))  # noqa: E731
    rows = [np.hstack([pad(p) for p in pairs[i : i + columns]]) for i in range(0, len(pairs), columns)]
    grid = np.vstack(rows)
    return cv2.resize(grid, (grid.shape[1] * scale, grid.shape[0] * scale), interpolation=cv2.INTER_NEAREST)


def write_report(recognizer: Recognizer, data: str | Path, result: dict, out_dir: str | Path, title: str) -> Path:
    """Write ``out_dir/index.html`` for one :func:`lpr.evaluation.evaluate_model` result."""
    plt = _pyplot()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    samples: list[Sample] = read_source(data)
    readings = {e["path"]: e for e in result["errors"]}
    expected = [s.text for s in samples]
    predicted = [readings[s.path]["predicted"] if s.path in readings else s.text for s in samples]
    correct = np.array([e == p for e, p in zip(expected, predicted)])
    confidence = np.array(result.get("confidences", [1.0] * len(samples)), dtype=float)

    figures = {}
    figures["by length"] = _bar(
        plt, *_by([len(t) for t in expected], correct), "Accuracy by plate length", "characters"
    )
    figures["by first character"] = _bar(
        plt, *_by([t[:1] for t in expected], correct), "Accuracy by first character (region)", "first character"
    )
    pairs = confusions(expected, predicted).most_common(20)
    if pairs:
        fig, ax = plt.subplots(figsize=(6, max(2, 0.28 * len(pairs) + 0.8)))
        ax.barh(range(len(pairs)), [n for _, n in pairs], color="#b5543c")
        ax.set_yticks(range(len(pairs)), [f"{t} → {r}" for (t, r), _ in pairs])
        ax.invert_yaxis()
        ax.set_xlabel("times")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_title("Character confusions (true → read; ∅ = missing/extra)")
        figures["confusions"] = _png(fig)
    coverage, precision = reject_curve(confidence, correct)
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.plot(coverage, precision, color="#3b6ea8")
    ax.axhline(0.995, color="#888", ls="--", lw=1)
    ok = precision >= 0.995
    best = float(coverage[ok].max()) if ok.any() else 0.0
    ax.set_xlabel("share of plates accepted (most confident first)")
    ax.set_ylabel("precision of accepted readings")
    ax.set_title(f"Reject curve: {best:.1%} of plates readable at 99.5% precision")
    ax.set_ylim(max(0.0, float(precision.min()) - 0.02), 1.002)
    figures["reject curve"] = _png(fig)

    gallery = _gallery(recognizer, samples, result)
    s = result
    summary = [
        ("plates", f"{s['n']}"),
        ("sequence accuracy", f"{s['sequence_accuracy']:.2%}" + accuracy_interval(s)),
        ("character error rate", f"{s['char_error_rate']:.4f}"),
        ("end-to-end speed", f"{s['plates_per_second']:.0f} plates/s (batch {s['batch_size']})"),
        ("unreadable files", f"{len(s['failed'])}"),
        ("calibration error (ECE)", f"{s.get('ece', float('nan')):.4f}"),
        ("readable at 99.5% precision", f"{best:.1%}"),
        ("decoding", f"format {s.get('format') or 'none'}, backend {s.get('backend', 'torch')}"),
    ]
    if s.get("doubtful_labels"):
        summary.insert(2, ("doubtful labels", f"{len(s['doubtful_labels'])}; {trusted_accuracy(s)}"))
    page = _page(title, summary, figures, gallery)
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _gallery(recognizer: Recognizer, samples: list[Sample], result: dict) -> list[dict]:
    by_path = {s.path: s for s in samples}
    items, images = [], []
    for e in result["errors"]:
        s = by_path.get(e["path"])
        try:
            img = resize(load_image(s.path, s.box), recognizer.input_size) if s else None
        except ImageError:
            img = None
        if img is None:
            continue
        items.append(e)
        images.append(img)
    for item, img, rect in zip(items, images, rectified(recognizer, images)):
        item["input"], item["rectified"] = _img_uri(img), _img_uri(rect)
    return items


def _page(title: str, summary, figures: dict, gallery: list[dict]) -> str:
    esc = html.escape
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in summary)
    figs = "".join(f'<figure><img src="{uri}" alt="{esc(name)}"><figcaption>{esc(name)}</figcaption></figure>'
                   for name, uri in figures.items())  # fmt: skip
    cards = []
    for e in gallery:
        confs = e.get("char_confidences") or []
        chars = "".join(
            f'<span class="c" style="background:rgba(181,84,60,{1 - c:.2f})" title="{c:.3f}">{esc(ch)}</span>'
            for ch, c in zip(e["predicted"], confs)
        ) or esc(e["predicted"] or "∅")
        cards.append(
            f'<div class="card"><img src="{e["input"]}" alt="input"><img src="{e["rectified"]}" alt="rectified">'
            f"<div>expected <b>{esc(e['expected'])}</b>"
            + (f" (label doubtful: image shows {esc(e['doubtful_label'])})" if "doubtful_label" in e else "")
            + f"</div><div>read <b>{chars}</b> "
            f'({e["confidence"]:.3f})</div><div class="path">{esc(Path(e["path"]).name)}</div></div>'
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }}
table {{ border-collapse: collapse; }} th, td {{ text-align: left; padding: 3px 12px; border-bottom: 1px solid #ddd; }}
figure {{ display: inline-block; margin: 1em 1em 1em 0; vertical-align: top; }}
figcaption {{ color: #666; font-size: 90%; }}
.gallery {{ display: flex; flex-wrap: wrap; gap: 12px; }}
.card {{ border: 1px solid #ddd; padding: 8px; font-size: 90%; }}
.card img {{ display: block; margin-bottom: 4px; image-rendering: pixelated; }}
.c {{ padding: 0 1px; }} .path {{ color: #888; font-size: 80%; }}
</style></head><body>
<h1>{esc(title)}</h1>
<table>{rows}</table>
<h2>Plots</h2>{figs}
<h2>Every wrong reading ({len(gallery)})</h2>
<p>Each card: the input crop, what the STN made of it (what LPRNet actually saw), the label, and
the reading with each character shaded by how unsure the model was (hover for its confidence).</p>
<div class="gallery">{"".join(cards)}</div>
</body></html>
"""
