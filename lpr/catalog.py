"""What models are there: the shipped ones under ``weights/`` and the user's own run folders.

Everything shown comes from the checkpoints themselves (alphabet, input size, the validation
metrics recorded when the epoch was saved), so the list can never disagree with what
``lpr predict --model`` would load.
"""

from __future__ import annotations

from pathlib import Path

from .checkpoints import LPRNET_FILE, STN_FILE, CheckpointError, load_models


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
        _, net, alphabet, meta = load_models(d)
    except CheckpointError as e:
        return {**info, "error": str(e)}
    metrics = meta.get("metrics") or {}
    info.update(
        alphabet=alphabet.name,
        symbols=len(alphabet.symbols),
        input_size=list(net.config.input_size),
        epoch=meta.get("epoch"),
        val={Path(split).parent.name or split: m["sequence_accuracy"] for split, m in metrics.get("val", {}).items()},
    )
    return info


def list_models(weights_dir: Path, user_dirs: list[str | Path]) -> list[dict]:
    """Shipped models (by name) first, then every model folder found under ``user_dirs``."""
    shipped = find_model_dirs(weights_dir, depth=1) if weights_dir.is_dir() else []
    models = [{**describe_model(d, d.name), "kind": "shipped"} for d in shipped if d != weights_dir]
    for root in user_dirs:
        models += [{**describe_model(d), "kind": "user"} for d in find_model_dirs(root)]
    return models


def format_models(models: list[dict]) -> str:
    """A fixed-width table, one model per line."""
    # The figures recorded at the saved epoch (free reading); model cards add format-constrained ones.
    rows = [("NAME", "KIND", "ALPHABET", "INPUT", "SIZE", "VALIDATION ACCURACY (at training)")]
    for m in models:
        if "error" in m:
            rows.append((m["name"], m["kind"], "-", "-", f"{m['size_mb']:.1f} MB", f"unusable: {m['error']}"))
            continue
        val = ", ".join(f"{split} {acc:.1%}" for split, acc in m["val"].items()) or "-"
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
