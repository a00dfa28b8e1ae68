"""What models are there: the shipped ones under ``weights/`` and the user's own run folders.

Alphabet and input size come from the checkpoints themselves (or from the graph exported from
exactly those files), so the list can never disagree with what ``lpr predict --model`` would load. Validation accuracy comes from the model card
(``README.md`` beside the weights: what ``lpr predict`` reads, format included) when there is
one, else from the metrics the checkpoint recorded when its epoch was saved (free reading).
"""

from __future__ import annotations

from pathlib import Path

from .alphabet import Alphabet
from .checkpoints import LPRNET_FILE, STN_FILE, CheckpointError, fingerprint, load_models
from .pipeline import exported_graphs

CARD_FILE = "README.md"


def find_model_dirs(root: str | Path, depth: int = 3) -> list[Path]:
    """Folders under ``root`` (itself included, up to ``depth`` levels) holding an lprnet.pt."""
    root = Path(root)
    found = [root] if (root / LPRNET_FILE).is_file() else []
    if depth > 0 and root.is_dir():
        for child in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            found += find_model_dirs(child, depth - 1)
    return found


def describe_model(model_dir: str | Path, name: str | None = None) -> dict:
    """Name, alphabet, input size, size on disk and recorded validation accuracy of one model.

    A damaged or mismatched pair is still listed, with ``error`` saying why it cannot be used.
    """
    d = Path(model_dir)
    files = [d / STN_FILE, d / LPRNET_FILE]
    info = {
        "name": name or str(d),
        "path": str(d),
        "size_mb": sum(f.stat().st_size for f in files if f.is_file()) / 1e6,
    }
    try:
        alphabet, input_size, meta = model_metadata(d)
    except CheckpointError as e:
        return {**info, "error": str(e)}
    recorded = (meta.get("metrics") or {}).get("val", {})
    card = card_accuracy(d)
    info.update(
        alphabet=alphabet.name,
        symbols=len(alphabet.symbols),
        input_size=list(input_size),
        epoch=meta.get("epoch"),
        val=card or {Path(split).parent.name or split: m["sequence_accuracy"] for split, m in recorded.items()},
        val_source="card" if card else "training",
    )
    return info


def model_metadata(model_dir: Path) -> tuple[Alphabet, tuple[int, int], dict]:
    """Alphabet, input size and checkpoint metadata of a model folder: from the graph exported
    beside it when that was made from exactly these checkpoint files (no torch needed), else
    from the checkpoints, which are then checked as ``lpr predict`` would check them."""
    exported = exported_graphs(model_dir, "onnx", 1, fingerprint(model_dir))
    if exported:
        meta = exported[1]
        return Alphabet.from_dict(meta["alphabet"]), tuple(meta["config"]["input_size"]), meta
    _, net, alphabet, meta = load_models(model_dir)
    return alphabet, tuple(net.config.input_size), meta


def card_accuracy(model_dir: str | Path) -> dict[str, float] | None:
    """Sequence accuracy per validation split from the accuracy table of the model's card
    (rows of distorted copies left out), or None when there is no such table."""
    card = Path(model_dir) / CARD_FILE
    if not card.is_file():
        return None
    accuracy, column = {}, None
    for line in card.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else None
        if column is None:
            if cells and cells[0] == "split" and "sequence accuracy" in cells:
                column = cells.index("sequence accuracy")
            continue
        if cells is None:  # the end of the table
            break
        split, value = cells[0], cells[column] if column < len(cells) else ""
        if value.endswith("%") and "distorted" not in split:
            accuracy[split] = float(value[:-1]) / 100
    return accuracy or None


def list_models(weights_dir: Path, user_dirs: list[str | Path]) -> list[dict]:
    """Shipped models (by name) first, then every model folder found under ``user_dirs``."""
    shipped = find_model_dirs(weights_dir, depth=1) if weights_dir.is_dir() else []
    models = [{**describe_model(d, d.name), "kind": "shipped"} for d in shipped if d != weights_dir]
    for root in user_dirs:
        models += [{**describe_model(d), "kind": "user"} for d in find_model_dirs(root)]
    return models


def format_models(models: list[dict]) -> str:
    """A fixed-width table, one model per line."""
    rows = [("NAME", "KIND", "ALPHABET", "INPUT", "SIZE", "VALIDATION ACCURACY")]
    for m in models:
        if "error" in m:
            rows.append((m["name"], m["kind"], "-", "-", f"{m['size_mb']:.1f} MB", f"unusable: {m['error']}"))
            continue
        val = ", ".join(f"{split} {acc:.1%}" for split, acc in m["val"].items()) or "-"
        if m["val"]:  # the card's figures are lpr predict's; the checkpoint's the free reading
            val += " (model card)" if m["val_source"] == "card" else " (at training, free reading)"
        w, h = m["input_size"]
        rows.append(
            (
                m["name"],
                m["kind"],
                f"{m['alphabet']} ({m['symbols']} symbols)",
                f"{w}x{h}",
                f"{m['size_mb']:.1f} MB",
                val,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1] for r in rows)
