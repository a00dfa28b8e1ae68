"""Plate layouts as data: real sizes in millimetres, colours, fonts, formats and small print.

``STYLES`` holds every layout (Chinese blue plates and the Latin ones); ``MIXES`` names
weighted mixes of them (``latin`` draws every Latin layout). A variant of a layout is a
``dataclasses.replace`` of it, so the shipped renders never change when one is added.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lpr.alphabet import LATIN_LETTERS

from .glyphs import (
    BEBAS,
    DEJAVU_COND,
    EXTRA_FONTS,
    NOTO_BOLD,
    NOTO_REGULAR,
    OSP_DIN,
    ROBOTO_COND,
)


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
    # Share of plates whose '-' is printed as a short square mark at mid-height (Taiwan's), not
    # the font's dash: other layouts print such a dot unlabelled, so the mark must be learned.
    short_dash: float = 0.0
    regions: tuple[str, ...] = ()
    # Height of the region code (the characters before a '|' divider) relative to the number's,
    # drawn per plate from this range: Uzbek plates print it at about 0.6 of the letters' height.
    region_height: tuple[float, float] = (1.0, 1.0)
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


def add_latin_variant(suffix: str, variant) -> None:
    """Register ``variant(layout)`` of every Latin layout as ``LAYOUT + suffix``, and their mix
    as ``"latin" + suffix`` with the ``latin`` weights; the plain layouts stay as they are."""
    for name in LATIN_LAYOUTS:
        STYLES[name + suffix] = replace(variant(STYLES[name]), name=name + suffix)
    MIXES["latin" + suffix] = {name + suffix: w for name, w in MIXES["latin"].items()}


# The same layouts with half of the numbers spread across the plate (``spread_p``): the
# ``latin`` renders set characters well inside the border, and a model trained on them alone
# often misses the first character of real plates printed nearly edge to edge (old Brazilian).
# A mix of its own, so renders of ``latin`` stay byte for byte what the shipped recipe used.
SPREAD = "_spread"
add_latin_variant(SPREAD, lambda st: replace(st, spread_p=0.5))
# The same layouts with half of the plates in one of ``EXTRA_FONTS``: six faces taught the
# network the real countries' fonts, not letter shapes in general.
FONTS_SUFFIX = "_fonts"


def with_extra_fonts(st: PlateStyle, share: float = 0.5) -> PlateStyle:
    """``st`` drawing ``share`` of its plates in ``EXTRA_FONTS`` (evenly), the rest as before."""
    own = np.asarray(st.latin_p or [1.0] * len(st.latin_fonts), float)
    own = own / own.sum() * (1 - share)
    extra = [share / len(EXTRA_FONTS)] * len(EXTRA_FONTS)
    return replace(st, latin_fonts=st.latin_fonts + EXTRA_FONTS, latin_p=(*own.tolist(), *extra))


add_latin_variant(FONTS_SUFFIX, with_extra_fonts)
# The same layouts with two details printed as on the real crops: Uzbek region codes at about
# 0.6 of the number's height (drawn full height, the model reads small 20/30/40 as the common
# 10/01) and Taiwan's dash as the small square mark nearly every real Taiwan plate prints
# (other layouts print such dots unlabelled). Only ``uz`` and ``tw`` change.
CLOSER = "_closer"
CLOSER_DETAILS = {"uz": {"region_height": (0.55, 0.75)}, "tw": {"short_dash": 0.85}}
add_latin_variant(CLOSER, lambda st: replace(st, **CLOSER_DETAILS.get(st.name, {})))


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
