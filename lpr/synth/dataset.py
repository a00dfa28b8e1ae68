"""Synthetic data sets on disk: ``images/`` and a ``labels.csv`` with the plates' corners.

Each plate is seeded by (seed, index), so a data set is the same whatever the worker count.
"""

from __future__ import annotations

import csv
import logging
import multiprocessing as mp
from pathlib import Path

import cv2
import numpy as np

from lpr.data import format_corners

from .scene import render_printed
from .styles import check_style
from .text import random_plate

log = logging.getLogger(__name__)


def _sample(
    seed: int, index: int, style: str, out_size: tuple[int, int] | None
) -> tuple[str, np.ndarray, np.ndarray | None]:
    """Sample ``index`` of a data set; seeded by (seed, index) so it never depends on worker layout."""
    rng = np.random.default_rng([seed, index])
    plate = random_plate(rng, style)
    return (plate.label, *render_printed(plate.printed, rng, out_size, plate.style))


def _write_sample(job: tuple[Path, int, int, str, tuple[int, int] | None]) -> tuple[str, str]:
    """Render and save one plate; returns its label and its corners as CSV text."""
    out_dir, seed, index, style, out_size = job
    text, img, corners = _sample(seed, index, style, out_size)
    cv2.imwrite(str(out_dir / "images" / f"{index:06d}.png"), img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return text, format_corners(corners)


def _init_worker() -> None:
    cv2.setNumThreads(1)  # one process per core already; OpenCV threads would only contend


def synthesize(
    out_dir: str | Path,
    n: int,
    style: str = "cn_blue",
    seed: int = 0,
    out_size: tuple[int, int] | None = (94, 24),
    workers: int = 2,
    progress: bool = True,
) -> Path:
    """Render ``n`` plates into ``out_dir/images/NNNNNN.png`` and write ``out_dir/labels.csv``.

    The CSV has the header ``path,text,corners``, paths relative to it; ``corners`` is where the
    plate's corners lie in the image (see ``data.parse_corners``), which teaches the STN what to
    frame (``TrainConfig.stn_geometry``). Output is identical for a
    given ``seed`` whatever ``workers`` is. PNG because the distortions already include JPEG
    artefacts and a second lossy pass would change them. Returns the path of ``labels.csv``.
    """
    from tqdm import tqdm

    check_style(style)  # fail fast on a bad name, before spawning workers
    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    size = None if out_size is None else (int(out_size[0]), int(out_size[1]))
    jobs = [(out_dir, seed, i, style, size) for i in range(n)]
    bar = tqdm(total=n, desc="synth", unit="plate", disable=not progress)
    rows: list[tuple[str, str]] = []
    if workers > 1 and n > 1:
        # spawn, not fork: forking a parent that already ran OpenCV/torch threads can deadlock.
        with mp.get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
            for row in pool.imap(_write_sample, jobs, chunksize=64):
                rows.append(row)
                bar.update()
    else:
        for job in jobs:
            rows.append(_write_sample(job))
            bar.update()
    bar.close()
    labels = out_dir / "labels.csv"
    with labels.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path", "text", "corners"])
        w.writerows((f"images/{i:06d}.png", text, corners) for i, (text, corners) in enumerate(rows))
    log.info("wrote %d %s plates to %s", n, style, out_dir)
    return labels
