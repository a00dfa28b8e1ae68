"""Subset the plate fonts shipped in ``lpr/assets/fonts/`` from Debian's system fonts.

Only the glyphs a plate can show are kept (31 Chinese province abbreviations, 0-9, A-Z
and '-'), so the package carries a few tens of kB instead of ~20 MB of CJK fonts.

Run once from the repository root (needs Debian's ``fonts-noto-cjk``, ``fonts-dejavu-core``,
``fonts-opendin``, ``fonts-roboto-unhinted``, ``fonts-bebas-neue``, ``fonts-b612``, ``fonts-cabin``,
``fonts-clear-sans``, ``fonts-dosis``, ``fonts-jetbrains-mono``, ``fonts-league-spartan``,
``fonts-noto-mono`` and ``fonts-routed-gothic``)::

    .venv/bin/python tools/subset_font.py
    .venv/bin/python tools/subset_font.py --out lpr/assets/fonts --noto-dir /usr/share/fonts/opentype/noto
    .venv/bin/python tools/subset_font.py --only OSP-DIN-plate.ttf   # just one output file
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script without installing the package

from lpr.alphabet import CN_PROVINCES, DIGITS, LATIN_LETTERS  # noqa: E402

log = logging.getLogger("subset_font")

LATIN = DIGITS + LATIN_LETTERS + "-"
CJK_TEXT = CN_PROVINCES + LATIN

# (source file, collection member name or None, output name, characters to keep)
JOBS = [
    ("{noto}/NotoSansCJK-Bold.ttc", "Noto Sans CJK SC Bold", "NotoSansSC-Bold-plate.otf", CJK_TEXT),
    ("{noto}/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", "NotoSansSC-Regular-plate.otf", CJK_TEXT),
    ("{dejavu}/DejaVuSansCondensed-Bold.ttf", None, "DejaVuSansCondensed-Bold-plate.ttf", LATIN),
    # Narrow, uniform-stroke DIN-like faces, closest to the Chinese plate font (GA 36) for letters/digits.
    ("{fonts}/truetype/opendin/OSP-DIN.ttf", None, "OSP-DIN-plate.ttf", LATIN),
    ("{fonts}/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf", None, "RobotoCondensed-Bold-plate.ttf", LATIN),
    ("{fonts}/opentype/bebas-neue/BebasNeue-Bold.otf", None, "BebasNeue-Bold-plate.otf", LATIN),
    # More shapes for countries without real plates here (``latin_fonts`` mix): rounded, square,
    # monospaced, geometric and drafting faces, so no single font's 1/7 or 8/B decides a reading.
    ("{fonts}/opentype/b612/B612-Bold.otf", None, "B612-Bold-plate.otf", LATIN),
    ("{fonts}/opentype/cabin/Cabin-Bold.otf", None, "LprHumanist-Bold-plate.otf", LATIN),
    ("{fonts}/truetype/clear-sans/ClearSans-Bold.ttf", None, "ClearSans-Bold-plate.ttf", LATIN),
    ("{fonts}/opentype/dosis/Dosis-Bold.otf", None, "LprRounded-Bold-plate.otf", LATIN),
    ("{fonts}/truetype/jetbrains-mono/JetBrainsMono-Bold.ttf", None, "JetBrainsMono-Bold-plate.ttf", LATIN),
    ("{fonts}/opentype/league-spartan/LeagueSpartan-Bold.otf", None, "LeagueSpartan-Bold-plate.otf", LATIN),
    ("{fonts}/truetype/noto/NotoSansMono-Bold.ttf", None, "NotoSansMono-Bold-plate.ttf", LATIN),
    ("{fonts}/truetype/routed-gothic/routed-gothic-narrow.ttf", None, "LprDrafting-Narrow-plate.ttf", LATIN),
]
# A subset is a Modified Version under the OFL, which may not keep a Reserved Font Name: these
# faces declare one (Cabin, Dosis, Routed Gothic), so their subsets get a family name of ours.
RENAMED = {
    "LprHumanist-Bold-plate.otf": ("LPR Humanist", "Bold"),
    "LprRounded-Bold-plate.otf": ("LPR Rounded", "Bold"),
    "LprDrafting-Narrow-plate.ttf": ("LPR Drafting Narrow", "Regular"),
}


def load_member(path: Path, member: str | None) -> TTFont:
    """One font from a file; ``member`` picks a face by full name inside a .ttc collection."""
    if member is None:
        return TTFont(path)
    for font in TTCollection(path).fonts:
        if font["name"].getDebugName(4) == member:
            return font
    raise SystemExit(f"{member!r} not found in {path}")


def subset_font(font: TTFont, text: str, out: Path) -> None:
    """Keep only the glyphs for ``text`` (plus .notdef); drop hinting and layout tables we never use."""
    options = subset.Options()
    options.layout_features = []  # single glyphs, no shaping needed on a plate
    options.hinting = False  # we rasterise large then downscale; hints only cost bytes
    options.desubroutinize = True
    options.name_IDs = ["*"]  # keep copyright/licence names required by the OFL
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    if out.name in RENAMED:
        rename(font, *RENAMED[out.name])
    missing = [c for c in text if ord(c) not in font.getBestCmap()]
    if missing:
        raise SystemExit(f"{out.name}: font lacks {''.join(missing)!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(out)
    log.info("wrote %s (%d glyphs, %.1f kB)", out, len(font.getGlyphOrder()), out.stat().st_size / 1024)


def rename(font: TTFont, family: str, style: str) -> None:
    """Give ``font`` a new family name everywhere a font names itself (name table and CFF)."""
    full, postscript = f"{family} {style}", f"{family}-{style}".replace(" ", "")
    names = font["name"]
    for record_id in (16, 17, 21, 22):  # typographic names would still carry the old family
        names.removeNames(nameID=record_id)
    for record_id, value in ((1, family), (2, style), (3, f"lpr:{postscript}"), (4, full), (6, postscript)):
        names.setName(value, record_id, 3, 1, 0x409)  # Windows, Unicode BMP, English
        names.setName(value, record_id, 1, 0, 0)  # Macintosh, Roman, English
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        top.FamilyName, top.FullName = family, full


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "lpr" / "assets" / "fonts")
    p.add_argument("--noto-dir", default="/usr/share/fonts/opentype/noto")
    p.add_argument("--dejavu-dir", default="/usr/share/fonts/truetype/dejavu")
    p.add_argument("--fonts-dir", default="/usr/share/fonts", help="root of the other Debian font packages")
    p.add_argument("--only", nargs="*", metavar="NAME", help="write only these output files (default: all)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)  # fontTools is very chatty at INFO; keep only our summary
    for src, member, name, text in JOBS:
        if args.only and name not in args.only:
            continue
        path = Path(src.format(noto=args.noto_dir, dejavu=args.dejavu_dir, fonts=args.fonts_dir))
        subset_font(load_member(path, member), text, args.out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
