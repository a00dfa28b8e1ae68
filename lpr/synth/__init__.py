"""Synthetic licence-plate crops for training the recogniser.

A plate is drawn flat from its real layout (mm dimensions, fonts shipped in
``lpr/assets/fonts``), then pushed through the things a camera and a plate detector do
to it: perspective, loose or tight crops with car body around, lighting, dirt, low
resolution, blur, noise and JPEG artefacts. Glyph bitmaps are rasterised once per
process and cached, so one plate costs a few small OpenCV calls.

One module per step: ``glyphs`` (fonts) → ``styles`` (layouts as data) → ``text`` (plate
numbers) → ``drawing`` (the flat plate) → ``scene`` (camera and crop) → ``dataset`` (files).

Example::

    .venv/bin/python -c "from lpr.synth import synthesize; synthesize('data/synth', 1000, seed=0)"

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> img = render_plate(random_text(rng), rng)
    >>> img.shape, img.dtype
    ((24, 94, 3), dtype('uint8'))
"""

from .dataset import synthesize
from .drawing import render_clean
from .glyphs import CELL_STROKE, EXTRA_FONTS, FONT_DIR, WEIGHTS, cell_mask, glyph_mask
from .scene import render_plate
from .styles import CN_BLUE, LATIN_LAYOUTS, MIXES, STYLES, PlateStyle, check_style, get_style
from .text import Plate, label_of, printed_form, random_plate, random_text

__all__ = [
    "CELL_STROKE",
    "CN_BLUE",
    "EXTRA_FONTS",
    "FONT_DIR",
    "LATIN_LAYOUTS",
    "MIXES",
    "STYLES",
    "WEIGHTS",
    "Plate",
    "PlateStyle",
    "cell_mask",
    "check_style",
    "get_style",
    "glyph_mask",
    "label_of",
    "printed_form",
    "random_plate",
    "random_text",
    "render_clean",
    "render_plate",
    "synthesize",
]
