"""Synthetic licence-plate crops for training the recogniser.

A plate is drawn flat from its real layout (mm dimensions, fonts shipped in
``lpr/assets/fonts``), then pushed through the things a camera and a plate detector do
to it: perspective, loose or tight crops with car body around, lighting, dirt, low
resolution, blur, noise and JPEG artefacts. Glyph bitmaps are rasterised once per
process and cached, so one plate costs a few small OpenCV calls.

Example::

    .venv/bin/python -c "from lpr.synth import synthesize; synthesize('data/synth', 1000, seed=0)"

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> img = render_plate(random_text(rng), rng)
    >>> img.shape, img.dtype
    ((24, 94, 3), dtype('uint8'))
"""

from __future__ import annotations

import csv
import logging
import multiprocessing as mp
import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lpr.alphabet import CN_LETTERS, CN_PROVINCES, DIGITS, LATIN_LETTERS
from lpr.data import format_corners, trim_letterbox

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).parent / "assets" / "fonts"
NOTO_BOLD = "NotoSansSC-Bold-plate.otf"
NOTO_REGULAR = "NotoSansSC-Regular-plate.otf"
DEJAVU_COND = "DejaVuSansCondensed-Bold-plate.ttf"
OSP_DIN = "OSP-DIN-plate.ttf"  # DIN 1451-like: the closest free match to the Chinese plate font
ROBOTO_COND = "RobotoCondensed-Bold-plate.ttf"
BEBAS = "BebasNeue-Bold-plate.otf"
# Faces no layout uses by itself: the ``latin_fonts`` mix draws half of its plates in them, so
# a country printing in a font of its own is less of a stranger (see ``FONTS_SUFFIX``).
EXTRA_FONTS = (
    "B612-Bold-plate.otf",
    "LprHumanist-Bold-plate.otf",
    "ClearSans-Bold-plate.ttf",
    "LprRounded-Bold-plate.otf",
    "JetBrainsMono-Bold-plate.ttf",
    "LeagueSpartan-Bold-plate.otf",
    "NotoSansMono-Bold-plate.ttf",
    "LprDrafting-Narrow-plate.ttf",
)

GLYPH_PX = 160  # rasterisation size; glyphs are only ever scaled down from here
WEIGHTS = (-1, 0, 1, 2)  # stroke-weight variants (erode < 0 < dilate), 2 px per step at GLYPH_PX
# Stroke width / character height per weight for glyphs normalised to a plate cell (``cell_mask``).
# The GA 36 plate font has 10 mm strokes on 90 mm characters (0.11); ink bleed and exposure vary it.
CELL_STROKE = {-1: 0.09, 0: 0.105, 1: 0.12, 2: 0.14}


# --------------------------------------------------------------------------- styles


@dataclass(frozen=True)
class ColourScheme:
    """Background/ink colour ranges in OpenCV HSV (H 0-180, S and V 0-255)."""

    bg_lo: tuple[int, int, int]
    bg_hi: tuple[int, int, int]
    fg_lo: tuple[int, int, int]
    fg_hi: tuple[int, int, int]
    weight: float = 1.0


@dataclass(frozen=True)
class TextLine:
    """Small print above or below the number (state name, slogan, city): clutter, never label."""

    words: tuple[str, ...]
    where: str  # "top" or "bottom"
    height_mm: float
    p: float = 1.0
    accent: bool = False  # a saturated colour of its own (US state names) instead of the ink colour
    shear: float = 0.0  # up to this much italic slant, so not every line is upright


@dataclass(frozen=True)
class Band:
    """A coloured band with white small print: EU country band (left), Mercosur band (top)."""

    side: str  # "left" or "top"
    size_mm: float
    words: tuple[str, ...]
    p: float = 1.0
    stars: bool = False  # the EU ring of 12 yellow stars above the country code


@dataclass(frozen=True)
class PlateStyle:
    """Everything that makes one kind of plate, as data; sizes are in millimetres.

    ``fill_cell`` stretches each glyph to its full ``char_mm`` cell (the tall condensed
    look of Chinese plates), re-weighting strokes so they stay uniform (``cell_mask``);
    otherwise glyphs keep their aspect at ``char_mm`` height. ``latin_p`` weights the
    per-plate choice among ``latin_fonts`` (uniform when empty).
    """

    name: str
    plate_mm: tuple[float, float]
    char_mm: tuple[float, float]
    gap_mm: float
    schemes: tuple[ColourScheme, ...]
    cjk_fonts: tuple[str, ...]
    latin_fonts: tuple[str, ...]
    fill_cell: bool = True
    sep_after: int | None = None  # index after which the wide gap (with a dot) sits
    sep_mm: float = 0.0
    dot_mm: float = 0.0
    border_inset_mm: float = 3.0
    border_mm: float = 2.0
    corner_mm: float = 8.0
    rivets_x: tuple[float, ...] = ()  # rivet centres as a fraction of plate width
    bar_one: float = 0.0  # probability that '1' is drawn as a plain bar (plate fonts)
    serial_letters: float = 0.35  # cn: share of letters among the 5 characters after the city letter
    latin_p: tuple[float, ...] = ()
    # Latin layouts (all defaults leave cn_blue untouched, byte for byte). ``formats`` are
    # weighted printed patterns: L letter (from ``letters``), D digit, A either, R region code,
    # ``vanity``/``free`` whole-plate generators; '-' is printed as a glyph and kept in the label
    # only if ``keep_dash``; ' ' (gap), '·' (dot), '|' (region-box divider) and '*' (emblem) are
    # printed but never labelled.
    formats: tuple[tuple[str, float], ...] = ()
    letters: str = LATIN_LETTERS
    keep_dash: bool = False
    regions: tuple[str, ...] = ()
    text_y_mm: tuple[float, float] | None = None  # vertical band the number is centred in
    text_x_mm: tuple[float, float] | None = None  # horizontal range (after bands, before flags)
    lines: tuple[TextLine, ...] = ()
    band: Band | None = None
    stacked_p: float = 0.0  # US: two small stacked characters beside the number
    sticker_p: float = 0.0  # US: registration stickers in the top corners
    emblem_p: float = 0.0  # US: a coloured state emblem drawn in a '*' gap
    flag_code: str = ""  # UZ: flag and code at the right end
    gradient_p: float = 0.0  # reflective sheeting printed with a colour gradient / scenery
    perspective: float = 1.0  # scales yaw/pitch/roll spread
    glare_p: float = 0.0  # specular streaks across the plate
    harsh: float = 0.0  # extra probability of very low resolution and strong blur
    letterbox_p: float = 0.0  # crop pasted into a square canvas (detector letterboxing)
    # Share of plates whose number is spread over the plate's width (wider glyphs and gaps), as
    # many issuers print it: old Brazilian plates run their seven characters nearly edge to edge.
    spread_p: float = 0.0
    loose_p: float = 0.35  # share of loose detector crops with car body around the plate
    loose_scale: float = 1.0  # how loose they get
    tint_p: float = 0.0  # strong camera colour cast or near-monochrome IR look (green, amber, grey)
    haze_p: float = 0.0  # washed out: a flat veil (dirt, fog, over-exposure) pulls ink and plate together


CN_BLUE = PlateStyle(
    name="cn_blue",
    plate_mm=(440, 140),
    char_mm=(45, 90),
    gap_mm=12,
    schemes=(
        ColourScheme((100, 170, 120), (117, 255, 255), (95, 0, 200), (125, 40, 255), 0.8),
        ColourScheme((90, 120, 150), (102, 255, 255), (90, 0, 190), (120, 50, 255), 0.12),  # cyan-ish
        ColourScheme((115, 120, 80), (125, 255, 200), (100, 0, 150), (130, 60, 235), 0.08),  # purple, dim
    ),
    cjk_fonts=(NOTO_BOLD, NOTO_REGULAR),
    # Weighted toward the DIN-like faces whose C/G/Q/K/M/W shapes match the plate font; the
    # others keep some shape variety so the model does not overfit one typeface.
    latin_fonts=(OSP_DIN, ROBOTO_COND, BEBAS, NOTO_BOLD, DEJAVU_COND),
    latin_p=(0.45, 0.2, 0.15, 0.1, 0.1),
    sep_after=2,
    sep_mm=34,
    dot_mm=10,
    border_inset_mm=3.5,
    border_mm=2.0,
    corner_mm=10,
    rivets_x=(0.23, 0.77),
    bar_one=0.85,
)

# --------------------------------------------------------------------------- latin layouts
# Colour schemes in OpenCV HSV. Red ink/paint needs hue near 0 (the wrap is not modelled).
_WHITE = ((0, 0, 205), (180, 25, 255))
_YELLOW = ((20, 140, 180), (30, 255, 255))
_BLACK_INK = ((0, 0, 0), (180, 80, 55))
_FONTS = (OSP_DIN, ROBOTO_COND, BEBAS, DEJAVU_COND, NOTO_BOLD)

_US_STATES = (
    "CALIFORNIA", "TEXAS", "NEW YORK", "FLORIDA", "OHIO", "MARYLAND", "NEW JERSEY", "MISSOURI",
    "KENTUCKY", "MINNESOTA", "NORTH DAKOTA", "ILLINOIS", "ARIZONA", "GEORGIA", "VIRGINIA", "OREGON",
    "IOWA", "UTAH", "NEVADA", "ALASKA", "MAINE", "IDAHO", "INDIANA", "KANSAS", "MICHIGAN", "COLORADO",
)  # fmt: skip
_US_SLOGANS = (
    "GARDEN STATE", "10 000 LAKES", "EMPIRE STATE", "SUNSHINE STATE", "LAND OF LINCOLN", "GRAND CANYON STATE",
    "PEACE GARDEN STATE", "SHOW ME STATE", "DMV CA GOV", "VACATIONLAND", "FAMOUS POTATOES", "CLARK",
    "WWW TEXAS GOV", "IN GOD WE TRUST", "FIRST IN FLIGHT", "LIVE FREE OR DIE", "THE LONE STAR STATE",
)  # fmt: skip
_BR_CITIES = (
    "SP-SAO PAULO", "PR-CURITIBA", "RJ-RIO DE JANEIRO", "MG-BELO HORIZONTE", "RS-PORTO ALEGRE", "SC-JOINVILLE",
    "PR-LONDRINA", "SP-CAMPINAS", "BA-SALVADOR", "GO-GOIANIA", "DF-BRASILIA", "PR-PONTA GROSSA",
)  # fmt: skip

US = PlateStyle(
    name="us",
    plate_mm=(305, 152),  # 12 x 6 in
    char_mm=(34, 70),
    gap_mm=4,
    sep_mm=14,
    dot_mm=7,
    schemes=(
        ColourScheme(*_WHITE, (100, 150, 70), (125, 255, 170), 0.35),  # dark blue ink (CA, MD, MN)
        ColourScheme(*_WHITE, *_BLACK_INK, 0.3),
        ColourScheme(*_WHITE, (0, 150, 90), (8, 255, 170), 0.08),  # maroon
        ColourScheme(*_WHITE, (55, 120, 40), (80, 255, 130), 0.07),  # dark green
        ColourScheme(*_YELLOW, *_BLACK_INK, 0.1),  # NJ, NY gold
        ColourScheme((0, 0, 0), (180, 60, 50), (0, 0, 200), (180, 30, 255), 0.05),  # black, white ink
        ColourScheme((0, 0, 0), (180, 60, 50), (20, 150, 180), (30, 255, 255), 0.05),  # black, gold ink
    ),
    cjk_fonts=(NOTO_BOLD,),
    latin_fonts=_FONTS,
    latin_p=(0.2, 0.3, 0.15, 0.2, 0.15),
    fill_cell=False,
    formats=(
        ("DLLLDDD", 0.16),  # California 7ABC123
        ("LLL DDD", 0.12),
        ("LLL*DDD", 0.08),  # state shape or dash between the groups
        ("LLL-DDD", 0.04),
        ("DDD LLL", 0.12),
        ("DDD*LLL", 0.05),
        ("LLL DDDD", 0.1),
        ("LL DDDD", 0.05),
        ("DDDDDD", 0.04),
        ("DDDDDDD", 0.03),
        ("LLL DDL", 0.03),
        ("DDDD LL", 0.03),
        ("DLLL DDD", 0.03),
        ("DDDLDD", 0.02),
        ("vanity", 0.1),
    ),
    text_y_mm=(40, 128),  # the state name takes the top third
    lines=(
        TextLine(_US_STATES, "top", 22, 0.9, accent=True, shear=0.35),
        TextLine(_US_SLOGANS, "bottom", 11, 0.6),
    ),
    border_inset_mm=1.5,
    border_mm=1.5,
    corner_mm=12,
    rivets_x=(0.2, 0.8),
    stacked_p=0.12,
    sticker_p=0.5,
    emblem_p=0.7,
    gradient_p=0.5,
    perspective=1.3,
    glare_p=0.2,
    harsh=0.15,
    tint_p=0.1,
    haze_p=0.1,
)

EU = PlateStyle(
    name="eu",
    plate_mm=(520, 110),
    char_mm=(47, 75),
    gap_mm=5,
    sep_mm=22,
    dot_mm=9,  # the German seal/sticker gap is drawn as a round dot
    schemes=(ColourScheme(*_WHITE, *_BLACK_INK, 0.82), ColourScheme(*_YELLOW, *_BLACK_INK, 0.18)),
    cjk_fonts=(NOTO_BOLD,),
    latin_fonts=_FONTS,
    latin_p=(0.45, 0.2, 0.1, 0.15, 0.1),  # DIN 1451 (old German plates) is the closest free face
    fill_cell=False,
    formats=(
        ("LL-DDD-LL", 0.25),  # France, Italy (printed with spaces there)
        ("LL DDD LL", 0.1),
        ("L LL DDDD", 0.1),  # Germany: city, seal, letters, digits
        ("LL·LL DDD", 0.08),
        ("LLL·L DDD", 0.05),
        ("DDDD LLL", 0.12),  # Spain
        ("LL-DDD-L", 0.05),  # Netherlands
        ("D-LLL-DDD", 0.06),  # Belgium
        ("LL DDDDD", 0.07),  # Poland
        ("LLL DDDD", 0.07),
        ("LL DDD LLL", 0.05),
    ),
    text_y_mm=(12, 98),
    band=Band("left", 40, ("D", "F", "I", "NL", "B", "E", "PL", "CZ", "A", "P", "L", "SK", "LT", "EST"), 0.9, True),
    border_inset_mm=2,
    border_mm=1.5,
    corner_mm=6,
    rivets_x=(0.25, 0.75),
    perspective=1.3,
    glare_p=0.15,
    harsh=0.15,
    tint_p=0.1,
    haze_p=0.1,
)

UK = PlateStyle(
    name="uk",
    plate_mm=(520, 111),
    char_mm=(50, 79),
    gap_mm=11,
    sep_mm=33,
    schemes=(ColourScheme(*_WHITE, *_BLACK_INK, 0.5), ColourScheme(*_YELLOW, *_BLACK_INK, 0.5)),  # front, rear
    cjk_fonts=(NOTO_BOLD,),
    latin_fonts=_FONTS,
    latin_p=(0.3, 0.3, 0.1, 0.2, 0.1),
    fill_cell=False,
    letters="ABCDEFGHJKLMNOPRSTUVWXYZ",  # no I or Q in current-format plates
    formats=(("LLDD LLL", 0.85), ("LDDD LLL", 0.1), ("LLL DDDL", 0.05)),
    text_y_mm=(16, 95),
    band=Band("left", 50, ("UK", "GB", "GB", "CYM", "SCO", "ENG"), 0.35),
    border_mm=0.0,
    corner_mm=6,
    rivets_x=(0.3, 0.7),
    perspective=1.3,
    glare_p=0.15,
    harsh=0.15,
    tint_p=0.1,
    haze_p=0.1,
)

MERCOSUR = PlateStyle(
    name="mercosur",
    plate_mm=(400, 130),
    char_mm=(42, 63),
    gap_mm=6,
    sep_mm=18,
    schemes=(
        ColourScheme(*_WHITE, *_BLACK_INK, 0.85),
        ColourScheme(*_WHITE, (0, 160, 120), (6, 255, 210), 0.1),  # red ink: commercial
        ColourScheme(*_WHITE, (100, 150, 90), (120, 255, 200), 0.05),  # blue ink: official
    ),
    cjk_fonts=(NOTO_BOLD,),
    latin_fonts=_FONTS,
    latin_p=(0.5, 0.2, 0.1, 0.1, 0.1),
    fill_cell=False,
    formats=(("LLLDLDD", 0.75), ("LL DDD LL", 0.15), ("LLL DDD", 0.05), ("LLLL DDD", 0.05)),  # BR, AR, UY, PY
    text_y_mm=(38, 122),
    text_x_mm=(26, 392),  # small country code at the left
    band=Band("top", 28, ("BRASIL", "BRASIL", "BRASIL", "ARGENTINA", "URUGUAY", "PARAGUAY")),
    border_inset_mm=2,
    border_mm=1.5,
    corner_mm=8,
    rivets_x=(0.18, 0.82),
    perspective=1.3,
    glare_p=0.15,
    harsh=0.15,
    tint_p=0.1,
    haze_p=0.1,
)

BR_OLD = PlateStyle(
    name="br_old",
    plate_mm=(400, 130),
    char_mm=(38, 63),
    gap_mm=6,
    dot_mm=9,
    schemes=(
        ColourScheme((0, 0, 90), (180, 30, 210), (0, 0, 0), (180, 60, 70), 0.5),  # grey, black ink
        ColourScheme((0, 110, 110), (7, 200, 200), (0, 0, 190), (180, 40, 255), 0.15),  # red: commercial
        ColourScheme((0, 40, 80), (10, 120, 190), (0, 0, 170), (180, 40, 250), 0.2),  # faded red, as filmed
        ColourScheme((0, 0, 20), (180, 40, 70), (0, 0, 150), (180, 30, 230), 0.05),  # black: collectors
        ColourScheme((0, 0, 190), (180, 20, 250), (0, 0, 0), (180, 60, 60), 0.05),  # white: official
    ),
    cjk_fonts=(NOTO_BOLD,),
    latin_fonts=_FONTS,
    latin_p=(0.35, 0.3, 0.15, 0.1, 0.1),  # narrow Mandatory-like faces
    fill_cell=False,
    formats=(("LLL-DDDD", 0.55), ("LLL·DDDD", 0.35), ("LLL DDDD", 0.1)),
    text_y_mm=(30, 122),
    lines=(TextLine(_BR_CITIES, "top", 11, 0.9),),
    border_inset_mm=2.5,
    border_mm=2.0,
    corner_mm=6,
    rivets_x=(0.12, 0.88),
    perspective=1.2,
    glare_p=0.15,
    harsh=0.25,  # the real old-plate crops are mostly far and soft
    tint_p=0.3,
    haze_p=0.35,
)

TW = PlateStyle(
    name="tw",
    plate_mm=(380, 160),
    char_mm=(40, 92),
    gap_mm=4,
    schemes=(
        ColourScheme(*_WHITE, *_BLACK_INK, 0.8),
        ColourScheme(*_WHITE, (0, 160, 110), (6, 255, 200), 0.1),  # red ink: taxis, commercial
        ColourScheme(*_WHITE, (55, 140, 60), (80, 255, 150), 0.1),  # green ink: buses, trucks
    ),
    cjk_fonts=(NOTO_BOLD,),
    latin_fonts=_FONTS,
    latin_p=(0.3, 0.25, 0.2, 0.15, 0.1),
    fill_cell=False,
    letters="ABCDEFGHJKLMNPQRSTUVWXYZ",  # Taiwan drops I and O
    keep_dash=True,  # the printed dash is part of the reading (and of the real labels)
    formats=(
        ("LLL-DDDD", 0.66),
        ("DDD-LLL", 0.2),
        ("DDDD-LL", 0.04),
        ("DDDD-LD", 0.03),
        ("LL-DDDD", 0.03),
        ("DLL-DDD", 0.02),
        ("LD-DDDD", 0.02),
    ),
    text_y_mm=(42, 148),
    border_inset_mm=3,
    border_mm=2.5,
    corner_mm=10,
    rivets_x=(0.17, 0.83),
    perspective=1.3,
    glare_p=0.15,
    harsh=0.2,
    tint_p=0.1,
    haze_p=0.1,
    letterbox_p=0.5,  # the real Taiwan crops are letterboxed into white 640x640 squares
)

_UZ_REGIONS = ("01", "10", "20", "25", "30", "40", "50", "60", "70", "75", "80", "85", "90", "95")

UZ = PlateStyle(
    name="uz",
    plate_mm=(520, 112),
    char_mm=(46, 75),
    gap_mm=5,
    sep_mm=22,
    schemes=(ColourScheme(*_WHITE, *_BLACK_INK),),
    cjk_fonts=(NOTO_BOLD,),
    latin_fonts=_FONTS,
    latin_p=(0.45, 0.25, 0.1, 0.1, 0.1),
    fill_cell=False,
    regions=_UZ_REGIONS,
    formats=(("R|L DDD LL", 0.85), ("R|DDD LLL", 0.15)),  # private, legal entity
    text_y_mm=(14, 98),
    text_x_mm=(10, 470),
    flag_code="UZ",
    loose_p=0.75,
    loose_scale=3.5,  # the real crops carry bumper and boot lid around the plate (plate ~60% x 40%)
    border_inset_mm=2,
    border_mm=2.0,
    corner_mm=6,
    rivets_x=(0.3, 0.7),
    perspective=1.3,
    glare_p=0.15,
    harsh=0.2,
    tint_p=0.1,
    haze_p=0.1,
)

GENERIC = PlateStyle(
    name="generic",
    plate_mm=(520, 110),
    char_mm=(40, 75),
    gap_mm=6,
    schemes=(
        ColourScheme(*_WHITE, *_BLACK_INK, 0.6),
        ColourScheme(*_YELLOW, *_BLACK_INK, 0.25),
        ColourScheme((0, 0, 0), (180, 60, 50), (0, 0, 200), (180, 30, 255), 0.1),  # white on black
        ColourScheme((100, 150, 90), (120, 255, 200), (0, 0, 200), (180, 30, 255), 0.05),  # white on blue
    ),
    cjk_fonts=(NOTO_BOLD,),
    latin_fonts=(DEJAVU_COND, OSP_DIN, ROBOTO_COND, BEBAS, NOTO_BOLD, NOTO_REGULAR),
    latin_p=(0.25, 0.25, 0.2, 0.1, 0.1, 0.1),
    fill_cell=False,
    keep_dash=True,
    formats=(("free", 1.0),),
    border_inset_mm=2.5,
    border_mm=2.0,
    corner_mm=8,
    rivets_x=(0.2, 0.8),
    perspective=1.3,
    glare_p=0.15,
    harsh=0.15,
    tint_p=0.1,
    haze_p=0.1,
)

# The same plates with 60% letters after the city letter: at 94x24, G/6, C/6 and D/0 are told
# apart only by a network that has seen enough G, C and D; the cn fine-tune renders these.
CN_BLUE_LETTERS = replace(CN_BLUE, name="cn_blue_letters", serial_letters=0.6)
CN_STYLES = ("cn_blue", "cn_blue_letters")

STYLES: dict[str, PlateStyle] = {
    s.name: s for s in (CN_BLUE, CN_BLUE_LETTERS, US, EU, UK, MERCOSUR, BR_OLD, TW, UZ, GENERIC)
}
# Named weighted mixes of layouts: one ``latin`` render covers every layout. Brazil old is
# weighted up because the latin model gets no real Brazilian plates to learn it from.
MIXES: dict[str, dict[str, float]] = {
    "latin": {"us": 0.2, "eu": 0.15, "uk": 0.08, "mercosur": 0.1, "br_old": 0.15, "tw": 0.12, "uz": 0.1, "generic": 0.1}
}
LATIN_LAYOUTS = tuple(MIXES["latin"])
# The same layouts with half of the numbers spread across the plate (``spread_p``): the
# ``latin`` renders set characters well inside the border, and a model trained on them alone
# often misses the first character of real plates printed nearly edge to edge (old Brazilian).
# A mix of its own, so renders of ``latin`` stay byte for byte what the shipped recipe used.
SPREAD = "_spread"
for _name in LATIN_LAYOUTS:
    STYLES[_name + SPREAD] = replace(STYLES[_name], name=_name + SPREAD, spread_p=0.5)
MIXES["latin_spread"] = {name + SPREAD: w for name, w in MIXES["latin"].items()}
# The same layouts with half of the plates in one of ``EXTRA_FONTS``: six faces taught the
# network the real countries' fonts, not letter shapes in general.
FONTS_SUFFIX = "_fonts"


def with_extra_fonts(st: PlateStyle, share: float = 0.5) -> PlateStyle:
    """``st`` drawing ``share`` of its plates in ``EXTRA_FONTS`` (evenly), the rest as before."""
    own = np.asarray(st.latin_p or [1.0] * len(st.latin_fonts), float)
    own = own / own.sum() * (1 - share)
    extra = [share / len(EXTRA_FONTS)] * len(EXTRA_FONTS)
    return replace(
        st, name=st.name + FONTS_SUFFIX, latin_fonts=st.latin_fonts + EXTRA_FONTS, latin_p=(*own.tolist(), *extra)
    )


for _name in LATIN_LAYOUTS:
    STYLES[_name + FONTS_SUFFIX] = with_extra_fonts(STYLES[_name])
MIXES["latin_fonts"] = {name + FONTS_SUFFIX: w for name, w in MIXES["latin"].items()}


def get_style(style: str | PlateStyle) -> PlateStyle:
    if isinstance(style, PlateStyle):
        return style
    try:
        return STYLES[style]
    except KeyError:
        known = ", ".join([*STYLES, *MIXES])
        raise ValueError(f"unknown plate style {style!r}; known: {known}") from None


def check_style(style: str | PlateStyle) -> None:
    """Raise ValueError unless ``style`` is a layout or a mix of layouts."""
    if not (isinstance(style, str) and style in MIXES):
        get_style(style)


# --------------------------------------------------------------------------- text


PRINT_SEPARATORS = " ·|*"  # printed between groups, never part of a label
_ALNUM = DIGITS + LATIN_LETTERS


@dataclass(frozen=True)
class Plate:
    """One sampled plate: what the model must read (``label``) and what is printed on it."""

    label: str
    printed: str
    style: PlateStyle


def label_of(printed: str, style: str | PlateStyle) -> str:
    """The reading of a printed plate: separators dropped, '-' kept only where the layout reads it."""
    keep = _ALNUM + ("-" if get_style(style).keep_dash else "")
    return "".join(c for c in printed if c in keep)


def _pick(rng: np.random.Generator, weights: dict[str, float] | tuple[tuple[str, float], ...]) -> str:
    items = list(weights.items()) if isinstance(weights, dict) else list(weights)
    p = np.array([w for _, w in items], float)
    return items[rng.choice(len(items), p=p / p.sum())][0]


def _cn_text(rng: np.random.Generator, st: PlateStyle) -> str:
    # Real plates are mostly digits after the city letter (~30% letters); 35% keeps every letter frequent.
    digit_p = 1 - st.serial_letters
    tail = [
        DIGITS[rng.integers(len(DIGITS))] if rng.random() < digit_p else CN_LETTERS[rng.integers(len(CN_LETTERS))]
        for _ in range(5)
    ]
    return CN_PROVINCES[rng.integers(len(CN_PROVINCES))] + CN_LETTERS[rng.integers(len(CN_LETTERS))] + "".join(tail)


def _printed_text(rng: np.random.Generator, st: PlateStyle) -> str:
    """A printed plate of a latin layout, separators included, from its weighted ``formats``."""
    fmt = _pick(rng, st.formats)
    if fmt == "free":  # no particular country: 4-10 alphanumerics, sometimes one dash
        n = int(rng.integers(4, 11))
        chars = [_ALNUM[rng.integers(len(_ALNUM))] for _ in range(n)]
        if n >= 5 and rng.random() < 0.5:  # one dash, never at either end
            chars[int(rng.integers(1, n - 1))] = "-"
        return "".join(chars)
    if fmt == "vanity":  # US personalised plates: 2-8 characters, mostly letters
        n = int(rng.integers(2, 9))
        return "".join(
            st.letters[rng.integers(len(st.letters))] if rng.random() < 0.8 else DIGITS[rng.integers(10)]
            for _ in range(n)
        )
    out = []
    for tok in fmt:
        if tok == "L":
            out.append(st.letters[rng.integers(len(st.letters))])
        elif tok == "D":
            out.append(DIGITS[rng.integers(10)])
        elif tok == "A":
            out.append(_ALNUM[rng.integers(len(_ALNUM))])
        elif tok == "R":
            out.append(st.regions[rng.integers(len(st.regions))])
        else:
            out.append(tok)
    return "".join(out)


def random_plate(rng: np.random.Generator, style: str | PlateStyle = "cn_blue") -> Plate:
    """A random plate of ``style``, or of a layout drawn from the mix ``style`` names (``latin``)."""
    if isinstance(style, str) and style in MIXES:
        style = _pick(rng, MIXES[style])
    st = get_style(style)
    if st.name in CN_STYLES:
        text = _cn_text(rng, st)
        return Plate(text, text, st)
    if not st.formats:
        raise ValueError(f"no text generator for style {st.name!r}")
    printed = _printed_text(rng, st)
    return Plate(label_of(printed, st), printed, st)


def random_text(rng: np.random.Generator, style: str | PlateStyle = "cn_blue") -> str:
    """A random plate number (the label) of ``style`` (``cn_blue``: province, letter, 5 alphanumerics)."""
    return random_plate(rng, style).label


@cache
def _format_regex(fmt: str, st: PlateStyle) -> tuple[re.Pattern, list[str]]:
    """(regex matching the label of ``fmt``, printed pieces with one group per labelled token)."""
    classes = {"L": f"[{st.letters}]", "D": "[0-9]", "A": "[0-9A-Z]", "R": "([0-9]{2})"}
    rx, pieces = "", []
    for tok in fmt:
        if tok in classes:
            rx += classes[tok] if tok == "R" else f"({classes[tok]})"
            pieces.append("")
        elif tok == "-" and st.keep_dash:
            rx += "(-)"
            pieces.append("")
        elif tok == "-" or tok in PRINT_SEPARATORS:
            pieces.append(tok)
    return re.compile(f"^{rx}$"), pieces


def printed_form(label: str, style: str | PlateStyle) -> str | None:
    """How a layout prints ``label`` (separators put back), or None if no format of it fits."""
    st = get_style(style)
    if any(c in PRINT_SEPARATORS for c in label) or st.name in CN_STYLES:
        return label  # already a printed form
    fits = []
    for fmt, w in st.formats:
        if fmt == "free" or (fmt == "vanity" and 2 <= len(label) <= 8 and label.isalnum()):
            fits.append((label, w))
            continue
        if fmt in ("free", "vanity"):
            continue
        rx, pieces = _format_regex(fmt, st)
        m = rx.match(label)
        if m:
            groups = iter(m.groups())
            fits.append(("".join(p or next(groups) for p in pieces), w))
    if not fits:
        return None
    return max(fits, key=lambda f: f[1])[0]  # the likeliest printing; no randomness needed


def _layout_for(text: str, mix: str, rng: np.random.Generator) -> tuple[str, PlateStyle]:
    """A layout of ``mix`` that can print the label ``text`` (generic when none fits)."""
    fits = {n: w for n, w in MIXES[mix].items() if printed_form(text, n) is not None}
    st = STYLES[_pick(rng, fits)] if fits else GENERIC
    return printed_form(text, st) or text, st


# --------------------------------------------------------------------------- glyph cache


@cache
def _font(file: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / file), GLYPH_PX)


@cache
def glyph_mask(file: str, char: str, weight: int = 0) -> np.ndarray:
    """Tight-cropped uint8 ink mask of ``char`` (0-255), rasterised once per process.

    ``weight`` < 0 thins and > 0 thickens the strokes; done here at high resolution
    because at plate size a single pixel of erosion would destroy the glyph.
    """
    font = _font(file)
    if ord(char) not in _cmap(file):
        raise KeyError(f"{char!r} is not in font {file}")
    left, top, right, bottom = font.getbbox(char)
    pad = 8
    img = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(img).text((pad - left, pad - top), char, fill=255, font=font)
    mask = np.asarray(img)
    if weight:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * abs(weight) + 1,) * 2)
        mask = cv2.dilate(mask, k) if weight > 0 else cv2.erode(mask, k)
    ys, xs = np.nonzero(mask > 32)
    if len(xs) == 0:
        return np.zeros((1, 1), np.uint8)
    return np.ascontiguousarray(mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


@cache
def _cmap(file: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # only needed once per font

    return frozenset(TTFont(FONT_DIR / file).getBestCmap())


def _stem_ratio(file: str, weight: int) -> float:
    """Stroke width / cap height of a font variant, measured on 'I'; sizes the bar-style '1'."""
    m = glyph_mask(file, "I", weight)
    return m.shape[1] / m.shape[0]


@cache
def _strokes(file: str) -> tuple[int, int]:
    """(vertical stem width, horizontal bar height) in pixels at GLYPH_PX, measured on 'H'."""
    m = glyph_mask(file, "H") > 128
    h, w = m.shape
    row = m[h // 4]  # above the crossbar: left stem
    start = int(np.argmax(row))
    stem = int(np.argmin(row[start:])) or 1
    return stem, max(1, int(m[:, w // 2].sum()))  # centre column crosses only the crossbar


@cache
def cell_mask(file: str, char: str, weight: int = 0, aspect: float = 0.5) -> np.ndarray:
    """``char`` squeezed or stretched to a ``aspect`` (width/height) cell with uniform strokes.

    Plain resizing of a normal-width 'M' or 'W' into a tall plate cell makes its vertical
    strokes thin and its horizontal ones heavy, unlike the uniform-stroke plate font. Here
    the glyph is resized to a slightly smaller box and then dilated (or eroded) separately
    along x and y so that stems and bars both end at ``CELL_STROKE[weight]`` of the height
    and the result fills the cell. Cached per (font, char, weight, aspect).
    """
    m = glyph_mask(file, char)
    h0, w0 = m.shape
    sv, sh = _strokes(file)
    t = CELL_STROKE[weight] * h0
    wc = max(4, int(round(aspect * h0)))
    # Solve for the morphology size d so that resize-to-(cell - d) then grow-by-d gives stroke t.
    dx = int(round((t - sv * wc / w0) / (1 - sv / w0)))
    dy = int(round((t - sh) / (1 - sh / h0)))
    dx, dy = max(dx, -(wc // 3)), max(dy, -(h0 // 3))
    g = cv2.resize(
        m, (max(2, wc - dx), max(2, h0 - dy)), interpolation=cv2.INTER_AREA if wc - dx < w0 else cv2.INTER_LINEAR
    )
    pad = max(abs(dx), abs(dy)) + 2
    g = cv2.copyMakeBorder(g, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    if dx:
        k = np.ones((1, abs(dx) + 1), np.uint8)
        g = cv2.dilate(g, k) if dx > 0 else cv2.erode(g, k)
    if dy:
        k = np.ones((abs(dy) + 1, 1), np.uint8)
        g = cv2.dilate(g, k) if dy > 0 else cv2.erode(g, k)
    ys, xs = np.nonzero(g > 32)
    if len(xs) == 0:
        return np.zeros((1, 1), np.uint8)
    g = g[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    if g.shape != (h0, wc):  # thin tips (X, V, W) eroded away: back to the exact cell
        g = cv2.resize(g, (wc, h0), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(g)


# --------------------------------------------------------------------------- flat plate


def _hsv_to_bgr(hsv: np.ndarray) -> np.ndarray:
    px = np.clip(hsv, 0, [179, 255, 255]).astype(np.uint8).reshape(1, 1, 3)
    return cv2.cvtColor(px, cv2.COLOR_HSV2BGR).reshape(3).astype(np.float32)


def _colours(rng: np.random.Generator, st: PlateStyle) -> tuple[np.ndarray, np.ndarray]:
    w = np.array([s.weight for s in st.schemes])
    s = st.schemes[rng.choice(len(st.schemes), p=w / w.sum())]
    luma = np.array([0.114, 0.587, 0.299], np.float32)  # BGR
    for _ in range(20):
        bg = _hsv_to_bgr(rng.uniform(s.bg_lo, s.bg_hi))
        fg = _hsv_to_bgr(rng.uniform(s.fg_lo, s.fg_hi))
        # A bright cyan plate can out-shine greyish ink; real plates are always legible in daylight.
        if abs(float((fg - bg) @ luma)) >= 70:
            break
    return bg, fg


def _sep_mm(kind: str, st: PlateStyle, cw: float) -> float:
    """Extra gap a printed separator takes (see ``PlateStyle.formats``)."""
    if kind == " ":
        return st.sep_mm or 0.45 * cw
    if kind == "·":
        return max(st.sep_mm, 2.5 * (st.dot_mm or 8))
    if kind == "|":  # region box divider: the line plus clearance on both sides
        return 0.4 * cw
    return 1.3 * cw  # '*': room for a state emblem


def _layout(
    text: str,
    st: PlateStyle,
    fonts: list[str],
    rng: np.random.Generator | None,
    seps: dict[int, str] | None = None,
    area: tuple[float, float] | None = None,
) -> list[tuple[float, float, float, float]]:
    """Character boxes (x, y, w, h) in mm, centred on the plate or in ``area`` (x from, x to).

    ``seps`` maps a character index to the printed separator after it, which widens that gap.
    """
    cw, ch = st.char_mm
    if rng is not None:  # small per-plate font-metric variety
        ch *= rng.uniform(0.93, 1.03)
        cw *= rng.uniform(0.92, 1.04)
    widths, heights = [], []
    for c, f in zip(text, fonts):
        if st.fill_cell:
            widths.append(cw)
            heights.append(ch)
        else:
            # Natural proportions at a common cap height, so '-' stays a short bar at mid-height.
            m, cap = glyph_mask(f, c), glyph_mask(f, "H").shape[0]
            widths.append(min(cw * 1.2, ch * m.shape[1] / cap))
            heights.append(min(ch, ch * m.shape[0] / cap))
    gaps = [
        st.sep_mm if st.sep_after is not None and i + 1 == st.sep_after else st.gap_mm for i in range(len(text) - 1)
    ]
    for i, kind in (seps or {}).items():
        if i < len(gaps):
            gaps[i] += _sep_mm(kind, st, cw)
    total = sum(widths) + sum(gaps)
    x_lo, x_hi = area or (0, st.plate_mm[0])
    y_lo, y_hi = st.text_y_mm or (0, st.plate_mm[1])
    inner = (x_hi - x_lo) - 2 * (st.border_inset_mm + st.border_mm + 4)
    # Drawn only for styles that spread, so every other style renders exactly as before.
    if rng is not None and st.spread_p > 0 and rng.random() < st.spread_p and total < inner:
        stretch = rng.uniform(1.0, min(1.4, inner / total))  # glyphs up to 1.4x wider, never past the border
        widths, gaps = [w * stretch for w in widths], [g * stretch for g in gaps]
        total *= stretch
    squeeze = min(1.0, inner / total)  # long latin plates: narrow everything a little
    x = x_lo + (x_hi - x_lo - total * squeeze) / 2
    boxes = []
    for i, (w, h) in enumerate(zip(widths, heights)):
        boxes.append((x, y_lo + (y_hi - y_lo - h) / 2, w * squeeze, h))
        if i < len(gaps):
            x += (w + gaps[i]) * squeeze
    return boxes


def _paste(ink: np.ndarray, mask: np.ndarray, x: float, y: float, w: float, h: float) -> None:
    """Max-blend ``mask`` resized to the box (x, y, w, h) in pixels into ``ink``."""
    x0, y0 = int(round(x)), int(round(y))
    wi, hi = max(1, int(round(w))), max(1, int(round(h)))
    g = cv2.resize(mask, (wi, hi), interpolation=cv2.INTER_AREA)
    H, W = ink.shape
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + wi, W), min(y0 + hi, H)
    if xa < xb and ya < yb:
        region = ink[ya:yb, xa:xb]
        np.maximum(region, g[ya - y0 : yb - y0, xa - x0 : xb - x0], out=region)


def _plate_ink(
    text: str,
    st: PlateStyle,
    ppm: float,
    rng: np.random.Generator | None,
    area: tuple[float, float] | None = None,
    info: dict | None = None,
) -> np.ndarray:
    """uint8 mask of everything printed in the ink colour: characters, dot and border line.

    ``text`` may hold printed separators (``PRINT_SEPARATORS``); ``info`` receives the
    character boxes, emblem gaps and font for the clutter drawn afterwards.
    """
    chars, seps = [], {}
    for c in text:
        if c in PRINT_SEPARATORS and chars:
            seps[len(chars) - 1] = c
        elif c not in PRINT_SEPARATORS:
            chars.append(c)
    text = "".join(chars)
    W, H = int(round(st.plate_mm[0] * ppm)), int(round(st.plate_mm[1] * ppm))
    ink = np.zeros((H, W), np.uint8)
    clean = rng is None
    if clean:
        latin_font = st.latin_fonts[0]
    elif st.latin_p:
        latin_font = st.latin_fonts[rng.choice(len(st.latin_fonts), p=np.asarray(st.latin_p) / sum(st.latin_p))]
    else:
        latin_font = st.latin_fonts[rng.integers(len(st.latin_fonts))]
    cjk_font = st.cjk_fonts[0] if clean else st.cjk_fonts[rng.integers(len(st.cjk_fonts))]
    weight = 0 if clean else int(rng.choice(WEIGHTS, p=[0.25, 0.35, 0.28, 0.12]))
    fonts = [latin_font if ord(c) < 128 else cjk_font for c in text]
    bar_one = st.bar_one > 0.5 if clean else rng.random() < st.bar_one
    boxes = _layout(text, st, fonts, rng, seps, area)
    aspect = st.char_mm[0] / st.char_mm[1]
    for c, f, (x, y, w, h) in zip(text, fonts, boxes):
        uniform = st.fill_cell and ord(c) < 128  # province glyphs keep the plain stretch
        if c == "1" and bar_one:
            bw = (CELL_STROKE[weight] if uniform else _stem_ratio(f, weight)) * h
            _paste(ink, np.full((4, 4), 255, np.uint8), (x + w / 2 - bw / 2) * ppm, y * ppm, bw * ppm, h * ppm)
        elif uniform:
            _paste(ink, cell_mask(f, c, weight, aspect), x * ppm, y * ppm, w * ppm, h * ppm)
        else:
            _paste(ink, glyph_mask(f, c, weight), x * ppm, y * ppm, w * ppm, h * ppm)
    if st.dot_mm and st.sep_after is not None and len(boxes) > st.sep_after:
        # The dot sits centred in the wide gap, at mid-height; drawn with 4 bits of sub-pixel precision.
        left, right = boxes[st.sep_after - 1], boxes[st.sep_after]
        cx, cy = (left[0] + left[2] + right[0]) / 2, left[1] + left[3] / 2
        cv2.circle(
            ink, (int(cx * ppm * 16), int(cy * ppm * 16)), int(st.dot_mm / 2 * ppm * 16), 255, -1, cv2.LINE_AA, 4
        )
    emblems = []
    for i, kind in seps.items():
        if i + 1 >= len(boxes):
            continue
        left, right = boxes[i], boxes[i + 1]
        cx, cy, ch = (left[0] + left[2] + right[0]) / 2, left[1] + left[3] / 2, left[3]
        if kind == "·":
            r = (st.dot_mm or 8) / 2
            cv2.circle(ink, (int(cx * ppm * 16), int(cy * ppm * 16)), int(r * ppm * 16), 255, -1, cv2.LINE_AA, 4)
        elif kind == "|":  # the region code sits in its own box: one line from border to border
            t = max(1, int(round(1.8 * ppm)))
            top, bottom = st.border_inset_mm * ppm, (st.plate_mm[1] - st.border_inset_mm) * ppm
            cv2.line(ink, (int(cx * ppm), int(top)), (int(cx * ppm), int(bottom)), 255, t, cv2.LINE_AA)
        elif kind == "*":
            emblems.append((cx, cy, right[0] - left[0] - left[2], ch))
    if info is not None:
        info.update(boxes=boxes, emblems=emblems, font=fonts[0] if fonts else latin_font)
    if st.border_mm:
        _rounded_rect(ink, st.border_inset_mm * ppm, st.border_mm * ppm, st.corner_mm * ppm)
    return ink


def _rounded_rect(img: np.ndarray, inset: float, width: float, radius: float) -> None:
    """Draw a rounded-rectangle outline (value 255) inset from the image edges."""
    H, W = img.shape[:2]
    t = max(1, int(round(width)))
    a = inset + width / 2
    r = int(round(max(radius - a, 1)))
    x0, y0, x1, y1 = int(round(a)), int(round(a)), int(round(W - 1 - a)), int(round(H - 1 - a))
    cv2.line(img, (x0 + r, y0), (x1 - r, y0), 255, t, cv2.LINE_AA)
    cv2.line(img, (x0 + r, y1), (x1 - r, y1), 255, t, cv2.LINE_AA)
    cv2.line(img, (x0, y0 + r), (x0, y1 - r), 255, t, cv2.LINE_AA)
    cv2.line(img, (x1, y0 + r), (x1, y1 - r), 255, t, cv2.LINE_AA)
    for (cx, cy), ang in (
        ((x0 + r, y0 + r), 180),
        ((x1 - r, y0 + r), 270),
        ((x1 - r, y1 - r), 0),
        ((x0 + r, y1 - r), 90),
    ):
        cv2.ellipse(img, (cx, cy), (r, r), ang, 0, 90, 255, t, cv2.LINE_AA)


def render_clean(text: str, style: str | PlateStyle = "cn_blue", width: int = 440) -> np.ndarray:
    """The flat, undistorted plate (BGR uint8) ``width`` pixels wide; for debugging and reports."""
    st = get_style(style)
    ppm = width / st.plate_mm[0]
    ink = _plate_ink(text, st, ppm, None).astype(np.float32)[..., None] / 255
    scheme = st.schemes[0]
    bg = _hsv_to_bgr((np.array(scheme.bg_lo) + scheme.bg_hi) / 2)
    fg = _hsv_to_bgr((np.array(scheme.fg_lo) + scheme.fg_hi) / 2)
    return np.clip(bg + (fg - bg) * ink, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- plate surface

_RIVET_COLOURS = ((200, 200, 200), (150, 150, 150), (70, 70, 70), (235, 235, 235), (60, 90, 120))


def _plate_image(text: str, st: PlateStyle, ppm: float, rng: np.random.Generator) -> np.ndarray:
    """Flat BGR float32 plate with colour variation, rivets and dirt."""
    if st.formats:
        return _latin_plate_image(text, st, ppm, rng)
    ink = _plate_ink(text, st, ppm, rng).astype(np.float32) * (1 / 255)
    bg, fg = _colours(rng, st)
    H, W = ink.shape
    # Paint is never perfectly even: a gentle low-frequency tint across the plate.
    tint = cv2.resize(rng.normal(1.0, 0.05, (2, 3)).astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)[
        ..., None
    ]
    base = bg * tint
    img = base + (fg - base) * ink[..., None]
    if st.rivets_x and rng.random() < 0.75:
        _rivets(img, st, ppm, rng)
    if rng.random() < 0.3:
        _dirt(img, rng)
    return img


def _rivets(img: np.ndarray, st: PlateStyle, ppm: float, rng: np.random.Generator) -> None:
    H, W = img.shape[:2]
    r = max(1, int(round(rng.uniform(3.5, 6.0) * ppm)))
    colour = _RIVET_COLOURS[rng.integers(len(_RIVET_COLOURS))]
    rows = [0.11] + ([0.89] if rng.random() < 0.3 else [])
    for fy in rows:
        for fx in st.rivets_x:
            if rng.random() < 0.9:
                c = (int((fx + rng.normal(0, 0.01)) * W), int((fy + rng.normal(0, 0.01)) * H))
                cv2.circle(img, c, r + 1, (40, 40, 40), -1, cv2.LINE_AA)
                cv2.circle(img, c, r, colour, -1, cv2.LINE_AA)


def _dirt(img: np.ndarray, rng: np.random.Generator) -> None:
    """Blurred dark blotches (mud, stains) blended over the plate."""
    H, W = img.shape[:2]
    m = np.zeros((max(4, H // 4), max(4, W // 4)), np.float32)
    h, w = m.shape
    for _ in range(int(rng.integers(1, 7))):
        c = (int(rng.integers(w)), int(rng.integers(h)))
        axes = (int(rng.integers(1, max(2, w // 6))), int(rng.integers(1, max(2, h // 3))))
        cv2.ellipse(m, c, axes, float(rng.uniform(0, 180)), 0, 360, float(rng.uniform(0.3, 1.0)), -1)
    m = cv2.GaussianBlur(m, (0, 0), 1.0)
    m = cv2.resize(m, (W, H), interpolation=cv2.INTER_LINEAR)[..., None] * rng.uniform(0.2, 0.7)
    dirt = np.array(rng.uniform([20, 30, 40], [90, 100, 110]), np.float32)  # brownish grey
    img *= 1 - m
    img += dirt * m


# --------------------------------------------------------------------------- latin clutter
# Everything drawn here is printed on the plate but is not part of its reading.

_ACCENTS = ((40, 40, 190), (140, 60, 20), (110, 40, 10), (40, 110, 30), (30, 120, 220), (110, 40, 110))  # BGR
_EU_BLUE = np.array((150, 55, 5), np.float32)
_COUNTRY_CODE = {"BRASIL": "BR", "ARGENTINA": "RA", "URUGUAY": "ROU", "PARAGUAY": "PY"}
_STACKED = ("DV", "TR", "PL", "HP", "MC", "AM", "CO", "EX", "VT", "FR")
_STICKER_TEXT = ("JAN", "FEB", "MAY", "AUG", "OCT", "DEC", "24", "25", "2012", "2019", "08", "11")


@cache
def word_mask(file: str, word: str) -> np.ndarray:
    """uint8 mask of a line of small print in ``file``, every glyph at the font's cap height."""
    cap = glyph_mask(file, "H").shape[0]
    cols: list[np.ndarray] = []
    for c in word:
        if c == " ":
            cols.append(np.zeros((cap, cap // 3), np.uint8))
            continue
        m = glyph_mask(file, c)
        if c == "-":  # keep the dash a short bar at mid-height
            canvas = np.zeros((cap, m.shape[1]), np.uint8)
            y = (cap - min(cap, m.shape[0])) // 2
            canvas[y : y + m.shape[0]] = m[:cap]
        else:
            canvas = cv2.resize(m, (m.shape[1], cap), interpolation=cv2.INTER_AREA)
        cols += [canvas, np.zeros((cap, max(1, cap // 8)), np.uint8)]
    return np.hstack(cols[:-1]) if cols else np.zeros((cap, 1), np.uint8)


def _stamp(img: np.ndarray, mask: np.ndarray, x: float, y: float, w: float, h: float, colour) -> None:
    """Alpha-blend ``colour`` through ``mask`` resized to the pixel box (x, y, w, h)."""
    x0, y0 = int(round(x)), int(round(y))
    wi, hi = max(1, int(round(w))), max(1, int(round(h)))
    a = cv2.resize(mask, (wi, hi), interpolation=cv2.INTER_AREA).astype(np.float32) * (1 / 255)
    H, W = img.shape[:2]
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + wi, W), min(y0 + hi, H)
    if xa < xb and ya < yb:
        region = img[ya:yb, xa:xb]
        a = a[ya - y0 : yb - y0, xa - x0 : xb - x0, None]
        region += (np.asarray(colour, np.float32) - region) * a


def _draw_word(img, word, font, cx, cy, h, max_w, colour, ppm, shear=0.0) -> None:
    """Small print centred at (cx, cy) mm, ``h`` mm tall, condensed (then shrunk) to fit ``max_w``."""
    m = word_mask(font, word)
    if shear:  # italic: slant the mask to the right by ``shear`` x per unit of height
        mh, mw = m.shape
        M = np.float32([[1, -shear, shear * mh], [0, 1, 0]])
        m = cv2.warpAffine(m, M, (mw + int(shear * mh) + 1, mh))
    w = h * m.shape[1] / m.shape[0]
    if w > max_w:
        squeeze = max(0.6, max_w / w)  # condense first, then make the whole line smaller
        h *= max_w / (w * squeeze)
        w = max_w
    _stamp(img, m, (cx - w / 2) * ppm, (cy - h / 2) * ppm, w * ppm, h * ppm, colour)


def _sheeting(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """US reflective sheeting: a pastel colour gradient and soft scenery printed under the number."""
    H, W = base.shape[:2]
    pastel = _hsv_to_bgr(rng.uniform((0, 30, 200), (180, 120, 255)))
    ramp = np.linspace(0, 1, H, dtype=np.float32)
    if rng.random() < 0.5:
        ramp = ramp[::-1]
    ramp = (np.clip(ramp * rng.uniform(1.0, 2.5) - rng.uniform(0, 0.8), 0, 1) * rng.uniform(0.4, 0.9))[:, None, None]
    out = base + (pastel - base) * ramp
    if rng.random() < 0.5:  # hills, a skyline or a sunrise behind the characters
        scene = np.zeros((H, W), np.float32)
        xs = np.linspace(0, W, 8)
        ys = H * (1 - rng.uniform(0.15, 0.5, 8))
        pts = np.array([[0, H], *zip(xs, ys), [W, H]], np.int32)
        cv2.fillPoly(scene, [pts], 1.0, cv2.LINE_AA)
        scene = cv2.GaussianBlur(scene, (0, 0), max(1.0, H / 30))[..., None] * rng.uniform(0.2, 0.5)
        hill = _hsv_to_bgr(rng.uniform((0, 40, 150), (180, 160, 240)))
        out += (hill - out) * scene
    return out


def _clutter(img: np.ndarray, st: PlateStyle, ppm: float, rng: np.random.Generator, fg, band, info: dict) -> None:
    """Bands, small print, stickers, emblems and flags of a latin layout (never in the label)."""
    W_mm, H_mm = st.plate_mm
    font = info["font"]
    boxes = info["boxes"]
    top = min(b[1] for b in boxes) if boxes else H_mm * 0.3
    bottom = max(b[1] + b[3] for b in boxes) if boxes else H_mm * 0.7
    inset = st.border_inset_mm + st.border_mm
    if band is not None:
        colour = _EU_BLUE * rng.uniform(0.75, 1.15)
        word = band.words[rng.integers(len(band.words))]
        if band.side == "left":
            x0, x1, y0, y1 = inset, band.size_mm, inset, H_mm - inset
            cv2.rectangle(img, (int(x0 * ppm), int(y0 * ppm)), (int(x1 * ppm), int(y1 * ppm)), colour.tolist(), -1)
            cx = (x0 + x1) / 2
            if band.stars:
                for k in range(12):
                    a = k * np.pi / 6
                    sx, sy = cx + 0.28 * band.size_mm * np.cos(a), H_mm * 0.33 + 0.28 * band.size_mm * np.sin(a)
                    cv2.circle(img, (int(sx * ppm), int(sy * ppm)), max(1, int(1.6 * ppm)), (0, 200, 255), -1)
            cy, h = (H_mm * 0.75, 0.4 * band.size_mm) if band.stars else (H_mm * 0.5, 0.45 * band.size_mm)
            _draw_word(img, word, font, cx, cy, h, 0.8 * (x1 - x0), (250, 250, 250), ppm)
        else:  # top band across the plate, country name in the middle, flag on the right
            y1 = band.size_mm
            cv2.rectangle(img, (0, 0), (int(W_mm * ppm), int(y1 * ppm)), colour.tolist(), -1)
            _draw_word(img, word, font, W_mm / 2, y1 / 2, 0.42 * y1, 0.5 * W_mm, (250, 250, 250), ppm)
            fx0, fy0 = int((W_mm - 45) * ppm), int(0.2 * y1 * ppm)
            fx1, fy1 = int((W_mm - 15) * ppm), int(0.8 * y1 * ppm)
            cv2.rectangle(img, (fx0, fy0), (fx1, fy1), (60, 140, 20), -1)
            c = ((fx0 + fx1) // 2, (fy0 + fy1) // 2)
            cv2.ellipse(img, c, (max(1, (fx1 - fx0) // 3), max(1, (fy1 - fy0) // 3)), 0, 0, 360, (30, 210, 240), -1)
            for k in range(4):  # the Mercosur emblem: a few white stars on the left
                cv2.circle(img, (int((18 + 6 * k) * ppm), int((0.35 + 0.1 * (k % 2)) * y1 * ppm)), 1, (250,) * 3, -1)
            if st.text_x_mm:  # the small country code left of the number
                code = _COUNTRY_CODE.get(word, word[:2])
                _draw_word(
                    img, code, font, st.text_x_mm[0] / 2 + 2, (top + bottom) / 2, 9, st.text_x_mm[0] - 6, fg, ppm
                )
    for line in st.lines:
        if rng.random() >= line.p:
            continue
        word = line.words[rng.integers(len(line.words))]
        colour = _ACCENTS[rng.integers(len(_ACCENTS))] if line.accent else fg
        cy = (inset + top) / 2 if line.where == "top" else (bottom + H_mm - inset) / 2
        h = line.height_mm * rng.uniform(0.8, 1.1)
        shear = rng.uniform(0, line.shear) if line.shear else 0.0
        _draw_word(img, word, font, W_mm / 2, cy, h, 0.75 * W_mm, colour, ppm, shear)
    if st.sticker_p and rng.random() < st.sticker_p:
        for side in (0, 1) if rng.random() < 0.5 else (int(rng.integers(2)),):
            sw, sh = rng.uniform(22, 34), rng.uniform(16, 24)
            x0 = inset + 3 if side == 0 else W_mm - inset - 3 - sw
            y0 = inset + 3
            colour = _hsv_to_bgr(rng.uniform((0, 150, 150), (180, 255, 255)))
            cv2.rectangle(
                img, (int(x0 * ppm), int(y0 * ppm)), (int((x0 + sw) * ppm), int((y0 + sh) * ppm)), colour.tolist(), -1
            )
            text = _STICKER_TEXT[rng.integers(len(_STICKER_TEXT))]
            _draw_word(img, text, font, x0 + sw / 2, y0 + sh / 2, sh * 0.55, sw * 0.85, (20, 20, 20), ppm)
    for cx, cy, w, h in info["emblems"]:
        if rng.random() < st.emblem_p:  # a state outline, heart or logo between the groups
            colour = _ACCENTS[rng.integers(len(_ACCENTS))]
            n = int(rng.integers(5, 9))
            ang = np.sort(rng.uniform(0, 2 * np.pi, n))
            rad = rng.uniform(0.6, 1.0, n)
            pts = np.stack([cx + 0.45 * w * rad * np.cos(ang), cy + 0.3 * h * rad * np.sin(ang)], 1) * ppm
            cv2.fillPoly(img, [pts.astype(np.int32)], colour, cv2.LINE_AA)
        else:  # or a plain dash
            _draw_word(img, "-", font, cx, cy, 0.12 * h, 0.5 * w, fg, ppm)
    if "stacked" in info:
        pair = _STACKED[rng.integers(len(_STACKED))]
        x0, x1 = info["stacked"]
        h = (bottom - top) * 0.42
        for k, c in enumerate(pair):
            cy = top + h / 2 + k * (bottom - top - h)
            _draw_word(img, c, font, (x0 + x1) / 2, cy, h, x1 - x0, fg, ppm)
    if st.flag_code:  # UZ: flag (blue/white/green with red rules) over the country code
        x0, x1 = st.text_x_mm[1] + 2 if st.text_x_mm else W_mm - 45, W_mm - inset - 4
        y0, y1 = H_mm * 0.14, H_mm * 0.45
        stripes = ((180, 130, 0), (250, 250, 250), (60, 160, 30))
        for k, colour in enumerate(stripes):
            ya, yb = y0 + k * (y1 - y0) / 3, y0 + (k + 1) * (y1 - y0) / 3
            cv2.rectangle(img, (int(x0 * ppm), int(ya * ppm)), (int(x1 * ppm), int(yb * ppm)), colour, -1)
        _draw_word(img, st.flag_code, font, (x0 + x1) / 2, H_mm * 0.7, H_mm * 0.25, x1 - x0, fg, ppm)


def _latin_plate_image(text: str, st: PlateStyle, ppm: float, rng: np.random.Generator) -> np.ndarray:
    """Flat BGR float32 latin plate: number, separators, bands, small print, stickers, rivets, dirt."""
    band = st.band if st.band is not None and rng.random() < st.band.p else None
    x0, x1 = st.text_x_mm or (0.0, st.plate_mm[0])
    if band is not None and band.side == "left":
        x0 = max(x0, band.size_mm)
    info: dict = {}
    if st.stacked_p and rng.random() < st.stacked_p:  # the stacked pair takes a strip left of the number
        info["stacked"] = (x0 + st.border_inset_mm + 6, x0 + st.border_inset_mm + 26)
        x0 += 24
    ink = _plate_ink(text, st, ppm, rng, (x0, x1), info).astype(np.float32) * (1 / 255)
    bg, fg = _colours(rng, st)
    H, W = ink.shape
    tint = cv2.resize(rng.normal(1.0, 0.05, (2, 3)).astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)[
        ..., None
    ]
    base = bg * tint
    if st.gradient_p and rng.random() < st.gradient_p:
        base = _sheeting(base, rng)
    img = base + (fg - base) * ink[..., None]
    _clutter(img, st, ppm, rng, fg, band, info)
    if st.rivets_x and rng.random() < 0.75:
        _rivets(img, st, ppm, rng)
    if rng.random() < 0.3:
        _dirt(img, rng)
    return img


# --------------------------------------------------------------------------- scene


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ rx @ ry


def _project(
    rng: np.random.Generator, w: float, h: float, pad: float, strength: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Image-plane corners (TL, TR, BR, BL) of the plate and of the plate plus ``pad`` frame.

    ``strength`` widens the angle spread (latin sources include steep street-level views).
    """
    yaw = np.deg2rad(np.clip(rng.normal(0, 14 * strength), -40 * strength, 40 * strength))
    pitch = np.deg2rad(np.clip(rng.normal(0, 10 * strength), -30 * strength, 30 * strength))
    roll = np.deg2rad(np.clip(rng.normal(0, 4 * strength), -12 * strength, 12 * strength))
    dist = w * rng.uniform(1.5, 6.0)  # near cameras give strong perspective, far ones nearly affine
    R = _rotation(yaw, pitch, roll)

    def proj(hw: float, hh: float) -> np.ndarray:
        pts = np.array([[-hw, -hh, 0], [hw, -hh, 0], [hw, hh, 0], [-hw, hh, 0]]) @ R.T
        pts[:, 2] += dist
        return dist * pts[:, :2] / pts[:, 2:3]

    return proj(w / 2, h / 2), proj(w / 2 + pad, h / 2 + pad)


_PAINTS = (
    (235, 235, 235),
    (185, 185, 180),
    (120, 120, 118),
    (35, 35, 35),
    (15, 15, 15),
    (40, 40, 170),
    (140, 75, 30),
    (90, 45, 20),
    (120, 190, 210),
    (60, 100, 50),
    (60, 70, 90),
)


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Car body / bumper / road around the plate: a paint colour with smooth shading and bands."""
    if rng.random() < 0.9:
        colour = np.array(_PAINTS[rng.integers(len(_PAINTS))], np.float32)
    else:
        colour = rng.uniform(0, 255, 3).astype(np.float32)
    # Mostly luminance shading (reflections on paint); a little chroma so it is not flat grey.
    shade = rng.normal(0, rng.uniform(5, 45), (3, 4, 1)) + rng.normal(0, 6, (3, 4, 3))
    img = cv2.resize(shade.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC) + colour
    for _ in range(int(rng.integers(0, 4))):  # bumper edges, grille bars, number-plate recess
        y = int(rng.integers(h))
        t = int(rng.integers(1, max(2, h // 6)))
        c = rng.uniform(0, 255) if rng.random() < 0.5 else colour * rng.uniform(0.3, 1.3)
        cv2.line(img, (0, y), (w, y + int(rng.integers(-h // 8 - 1, h // 8 + 1))), np.broadcast_to(c, 3).tolist(), t)
    return img


def _lighting(img: np.ndarray, rng: np.random.Generator, streak_p: float = 0.0) -> np.ndarray:
    """Brightness gradient, an optional hard-ish shadow, glare spot and specular streaks."""
    H, W = img.shape[:2]
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    xs /= W
    ys /= H
    ang = rng.uniform(0, 2 * np.pi)
    gain = 1 + rng.uniform(-0.35, 0.35) * ((xs - 0.5) * np.cos(ang) + (ys - 0.5) * np.sin(ang))
    if rng.random() < 0.15:
        a2 = rng.uniform(0, 2 * np.pi)
        d = (xs - rng.uniform(0.2, 0.8)) * np.cos(a2) * W / H + (ys - rng.uniform(0.2, 0.8)) * np.sin(a2)
        edge = np.clip(d / rng.uniform(0.02, 0.3) + 0.5, 0, 1)
        gain *= 1 - rng.uniform(0.2, 0.55) * edge
    img = img * gain[..., None]
    if rng.random() < 0.08:
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.1, 0.5)
        glare = np.exp(-(((xs - cx) * W / H) ** 2 + (ys - cy) ** 2) / (r * r))
        img += glare[..., None] * rng.uniform(30, 100)
    if streak_p and rng.random() < streak_p:  # sun or headlights on glossy sheeting: bright bands
        for _ in range(int(rng.integers(1, 3))):
            a = rng.uniform(0, np.pi)
            d = (xs - rng.uniform(0, 1)) * np.cos(a) * W / H + (ys - rng.uniform(0, 1)) * np.sin(a)
            streak = np.exp(-((d / rng.uniform(0.03, 0.25)) ** 2))
            img += streak[..., None] * rng.uniform(60, 220)
    return img


def _photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Camera response: white balance, exposure (incl. over-exposure), contrast and gamma."""
    img = img * rng.normal(1, 0.06, 3).astype(np.float32)
    exposure = rng.uniform(1.3, 1.8) if rng.random() < 0.08 else rng.uniform(0.5, 1.25)
    contrast = rng.uniform(0.7, 1.35)
    mean = img.mean()
    img = (img - mean) * contrast + mean * exposure
    out = np.clip(img, 0, 255).astype(np.uint8)
    gamma = np.exp(rng.normal(0, 0.25))
    lut = np.clip(((np.arange(256) / 255.0) ** gamma) * 255, 0, 255).astype(np.uint8)
    return cv2.LUT(out, lut)


# BGR gains of camera casts: IR-lit green, sodium-lamp amber, cold blue, plain grey (monochrome).
_TINTS = ((0.75, 1.15, 0.7), (0.55, 0.9, 1.2), (1.2, 1.0, 0.8), (1.0, 1.0, 1.0))


def _camera_look(img: np.ndarray, rng: np.random.Generator, st: PlateStyle) -> np.ndarray:
    """Looks of the latin sources' cameras: a strong colour cast, a washed-out veil.

    Draws nothing from ``rng`` for layouts that leave both off (cn_blue stays byte-identical).
    """
    if not (st.tint_p or st.haze_p):
        return img
    out = img.astype(np.float32)
    if rng.random() < st.tint_p:
        gray = out.mean(axis=2, keepdims=True)
        tint = np.array(_TINTS[rng.integers(len(_TINTS))], np.float32)
        mix = rng.uniform(0.5, 1.0)
        out = (1 - mix) * out + mix * gray * tint
    if rng.random() < st.haze_p:
        veil = rng.uniform(60, 230)
        alpha = rng.uniform(0.2, 0.55)
        out = out * (1 - alpha) + veil * alpha
    return np.clip(out, 0, 255).astype(np.uint8)


def _motion_kernel(rng: np.random.Generator) -> np.ndarray:
    n = int(rng.integers(3, 8))
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1
    rot = cv2.getRotationMatrix2D(((n - 1) / 2, (n - 1) / 2), float(rng.uniform(0, 180)), 1.0)
    k = cv2.warpAffine(k, rot, (n, n))
    return k / max(k.sum(), 1e-6)


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else img


def _degrade(img: np.ndarray, rng: np.random.Generator, harsh: float = 0.0) -> np.ndarray:
    """Optics and sensor: low resolution, defocus and motion blur, noise, JPEG.

    ``harsh`` is the probability of a far, soft plate first (latin sources: tiny, blurry crops).
    """
    H, W = img.shape[:2]
    if harsh and rng.random() < harsh:
        f = rng.uniform(0.12, 0.3)
        small = cv2.resize(img, (max(8, int(W * f)), max(4, int(H * f))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (W, H), interpolation=cv2.INTER_CUBIC)
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.5))
    # Kept short of always-mushy: real CCPD crops are sharper on average than the old mix, and
    # C/G, Q/0, K/H, M/H, W/N are only learnable from the milder part of the distribution.
    if rng.random() < 0.6:  # plates far from the camera are only a few dozen pixels wide
        f = rng.uniform(0.3, 0.9)
        small = cv2.resize(img, (max(8, int(W * f)), max(4, int(H * f))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (W, H), interpolation=cv2.INTER_LINEAR if rng.random() < 0.6 else cv2.INTER_CUBIC)
    if rng.random() < 0.45:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.2))
    if rng.random() < 0.2:
        img = cv2.filter2D(img, -1, _motion_kernel(rng))
    if rng.random() < 0.6:
        sigma = rng.uniform(1, 10)
        noise = rng.normal(0, sigma, (H, W, 1 if rng.random() < 0.5 else 3)).astype(np.float32)
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        img = _jpeg(img, int(rng.integers(20, 96)))
    return img


def render_plate(
    text: str,
    rng: np.random.Generator,
    out_size: tuple[int, int] | None = (94, 24),
    style: str | PlateStyle = "cn_blue",
    clean: bool = False,
) -> np.ndarray:
    """A BGR uint8 crop of a plate reading ``text``, as a plate detector would hand it over.

    Args:
        text: the characters to print (each must be in the shipped fonts).
        rng: all randomness comes from here, so a seeded generator gives identical images.
        out_size: final (width, height); ``None`` keeps the natural crop aspect (plate ~140-260 px wide).
        style: a name in ``STYLES`` or a ``PlateStyle``.
        clean: return the flat, undistorted plate instead (for debugging and reports).
    """
    if isinstance(style, str) and style in MIXES:  # a layout of the mix that can print ``text``
        text, st = _layout_for(text, style, rng)
    else:
        st = get_style(style)
        if st.formats:
            text = printed_form(text, st) or text
    return _render(text, rng, out_size, st, clean)[0]


def _render(
    text: str, rng: np.random.Generator, out_size: tuple[int, int] | None, st: PlateStyle, clean: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """``render_plate`` of an already printed form (separators in place) in layout ``st``.

    Also returns where the plate's corners (TL, TR, BR, BL) landed, as (4, 2) fractions of the
    image's width and height: what the STN is taught to frame. None for a letterboxed crop
    (trimming the bands moves it by an amount only the trimmed image knows).
    """
    if clean:
        img = render_clean(text, st)
        img = img if out_size is None else cv2.resize(img, tuple(out_size), interpolation=cv2.INTER_AREA)
        return img, np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)

    pw, ph = st.plate_mm
    pad = rng.uniform(6, 25) if rng.random() < 0.35 else 0.0  # plastic/chrome plate holder
    quad, frame_quad = _project(rng, pw, ph, pad, st.perspective)

    # Detector crop: bounding box of the plate, from slightly cut (negative margin) to loose.
    x0, y0 = quad.min(0)
    x1, y1 = quad.max(0)
    bw, bh = x1 - x0, y1 - y0
    loose = rng.random() < st.loose_p
    mx = rng.uniform(0.0, 0.1 * st.loose_scale, 2) if loose else rng.uniform(-0.03, 0.03, 2)
    my = rng.uniform(0.0, 0.2 * st.loose_scale, 2) if loose else rng.uniform(-0.06, 0.06, 2)
    cx0, cx1 = x0 - mx[0] * bw, x1 + mx[1] * bw
    cy0, cy1 = y0 - my[0] * bh, y1 + my[1] * bh
    letterbox = bool(st.letterbox_p) and out_size is not None and rng.random() < st.letterbox_p
    if out_size is not None and not letterbox:
        Wc, Hc = 2 * out_size[0], 2 * out_size[1]
    else:
        s = rng.uniform(140, 260) / pw
        Wc, Hc = max(16, int((cx1 - cx0) * s)), max(8, int((cy1 - cy0) * s))
    scale = np.array([Wc / (cx1 - cx0), Hc / (cy1 - cy0)])
    origin = np.array([cx0, cy0])
    dst = ((frame_quad if pad else quad) - origin) * scale

    # Rasterise the plate a little finer than it lands on screen; the warp then only shrinks it.
    top_px = np.linalg.norm((quad[1] - quad[0]) * scale)
    ppm = float(np.clip(1.3 * top_px / pw, 0.15, 2.0))
    plate = _plate_image(text, st, ppm, rng)
    if pad:
        p = int(round(pad * ppm))
        frame_col = rng.uniform(10, 90) if rng.random() < 0.7 else rng.uniform(120, 220)
        plate = cv2.copyMakeBorder(plate, p, p, p, p, cv2.BORDER_CONSTANT, value=(frame_col,) * 3)
    h, w = plate.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    M = cv2.getPerspectiveTransform(src, dst.astype(np.float32))

    img = _background(rng, Hc, Wc)
    cv2.warpPerspective(plate, M, (Wc, Hc), dst=img, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
    img = _lighting(img, rng, st.glare_p)
    img = _photometric(img, rng)
    img = _camera_look(img, rng, st)
    img = _degrade(img, rng, st.harsh)
    corners = None if letterbox else ((quad - origin) * scale / (Wc, Hc)).astype(np.float32)
    if letterbox:  # ... and what preprocessing then makes of it (data.resize trims the bands)
        img = trim_letterbox(_letterbox(img, rng))
    if out_size is not None:
        interp = cv2.INTER_AREA if rng.random() < 0.7 else cv2.INTER_LINEAR
        img = cv2.resize(img, tuple(out_size), interpolation=interp)
        if rng.random() < 0.4:  # the real crops were JPEG-saved at this size too
            img = _jpeg(img, int(rng.integers(50, 96)))
    return img, corners


def _letterbox(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The crop centred in a square canvas, as detectors that letterbox their crops hand it over."""
    H, W = img.shape[:2]
    side = max(H, W)
    fill = 255 if rng.random() < 0.8 else (114 if rng.random() < 0.5 else 0)  # white, YOLO grey, black
    top = (side - H) // 2
    left = (side - W) // 2
    out = cv2.copyMakeBorder(img, top, side - H - top, left, side - W - left, cv2.BORDER_CONSTANT, value=(fill,) * 3)
    return _jpeg(out, int(rng.integers(70, 96)))


# --------------------------------------------------------------------------- data sets


def _sample(
    seed: int, index: int, style: str, out_size: tuple[int, int] | None
) -> tuple[str, np.ndarray, np.ndarray | None]:
    """Sample ``index`` of a data set; seeded by (seed, index) so it never depends on worker layout."""
    rng = np.random.default_rng([seed, index])
    plate = random_plate(rng, style)
    return (plate.label, *_render(plate.printed, rng, out_size, plate.style))


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
