"""Tests for the synthetic plate generator (fast: a few hundred small renders)."""

from __future__ import annotations

import csv
import re
from dataclasses import replace

import cv2
import numpy as np
import pytest

from lpr import synth
from lpr.alphabet import CN_LETTERS, CN_PROVINCES, DIGITS, LATIN_LETTERS, Alphabet
from lpr.data import parse_corners, trim_letterbox


def _render(seed: int, out_size=(94, 24)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return synth.render_plate(synth.random_text(rng), rng, out_size)


def test_render_shape_dtype():
    img = _render(0)
    assert img.shape == (24, 94, 3) and img.dtype == np.uint8
    assert img.std() > 5  # not a blank image
    free = _render(1, out_size=None)
    assert free.ndim == 3 and free.shape[2] == 3 and free.shape[1] > free.shape[0]
    assert _render(2, out_size=(128, 32)).shape == (32, 128, 3)


def test_same_seed_same_bytes_different_seed_differs():
    assert _render(7).tobytes() == _render(7).tobytes()
    assert _render(7).tobytes() != _render(8).tobytes()


def test_clean_render_is_undistorted_and_deterministic():
    a = synth.render_plate("皖A12345", np.random.default_rng(0), (188, 48), clean=True)
    b = synth.render_plate("皖A12345", np.random.default_rng(99), (188, 48), clean=True)
    assert a.shape == (48, 188, 3)
    assert np.array_equal(a, b)  # clean plates use no randomness
    # Blue background dominates: B channel well above R on average.
    assert a[..., 0].mean() > a[..., 2].mean() + 40


ALL_FONTS = sorted({f for st in synth.STYLES.values() for f in (*st.cjk_fonts, *st.latin_fonts)})


@pytest.mark.parametrize("font", ALL_FONTS)
def test_every_symbol_has_a_glyph(font):
    chars = DIGITS + LATIN_LETTERS + "-"
    if font in synth.CN_BLUE.cjk_fonts:
        chars += CN_PROVINCES
    for c in chars:
        for w in synth.WEIGHTS:
            m = synth.glyph_mask(font, c, w)
            assert m.shape[0] > 5 and (m > 128).sum() > 20, (font, c, w)
    with pytest.raises(KeyError):
        synth.glyph_mask(font, "字")  # not a plate character, so not in the subset


def test_every_shipped_font_is_used_and_covers_its_styles():
    shipped = {f.name for f in synth.FONT_DIR.glob("*.[ot]tf")}
    assert shipped == set(ALL_FONTS)  # nothing shipped unused, nothing used unshipped
    readme = (synth.FONT_DIR / "README.md").read_text(encoding="utf-8")
    for st in synth.STYLES.values():
        assert not st.latin_p or (len(st.latin_p) == len(st.latin_fonts) and min(st.latin_p) > 0)
        for f in st.latin_fonts:
            assert f in readme
            missing = [c for c in DIGITS + LATIN_LETTERS + "-" if ord(c) not in synth.glyphs._cmap(f)]
            assert not missing, (st.name, f, missing)
        for f in st.cjk_fonts:
            assert f in readme and not [c for c in CN_PROVINCES if ord(c) not in synth.glyphs._cmap(f)]


@pytest.mark.parametrize("font", synth.CN_BLUE.latin_fonts)
def test_cell_masks_fill_the_cell_with_uniform_strokes(font):
    for c in CN_LETTERS + DIGITS:
        for w in synth.WEIGHTS:
            m = synth.cell_mask(font, c, w)
            assert abs(m.shape[1] / m.shape[0] - 0.5) < 0.02, (font, c, w, m.shape)
            assert (m > 128).mean() > 0.15, (font, c, w)  # strokes survived the re-weighting
    for w in synth.WEIGHTS:
        h = synth.cell_mask(font, "H", w) > 128
        rows, cols = h.shape
        row = h[rows // 4]
        stem = np.argmin(row[np.argmax(row) :]) / rows
        bar = h[:, cols // 2].sum() / rows
        assert abs(stem - synth.CELL_STROKE[w]) < 0.02 and abs(bar - synth.CELL_STROKE[w]) < 0.02, (font, w, stem, bar)


def test_fonts_are_shipped_small():
    files = sorted(synth.FONT_DIR.glob("*.[ot]tf"))
    assert len(files) >= 2
    assert all(f.stat().st_size < 1_000_000 for f in files)
    assert (synth.FONT_DIR / "LICENSE-OFL.txt").is_file()


def test_random_text_structure_and_coverage():
    rng = np.random.default_rng(0)
    texts = [synth.random_text(rng) for _ in range(3000)]
    cn = Alphabet.resolve("cn")
    pattern = re.compile(f"^[{CN_PROVINCES}][{CN_LETTERS}][{CN_LETTERS}{DIGITS}]{{5}}$")
    assert all(pattern.match(t) for t in texts)
    assert all(not cn.unknown(t) for t in texts)
    assert {t[0] for t in texts} == set(CN_PROVINCES)
    tails = "".join(t[1:] for t in texts)
    assert set(tails) == set(CN_LETTERS + DIGITS)
    digit_share = sum(c in DIGITS for t in texts for c in t[2:]) / (5 * len(texts))
    assert 0.55 < digit_share < 0.75


def test_cn_blue_letters_prints_more_letters_on_the_same_plates():
    def letter_share(style):
        rng = np.random.default_rng(0)
        texts = [synth.random_text(rng, style) for _ in range(2000)]
        return sum(c in CN_LETTERS for t in texts for c in t[2:]) / (5 * len(texts))

    assert 0.3 < letter_share("cn_blue") < 0.4 and 0.55 < letter_share("cn_blue_letters") < 0.65
    rng = np.random.default_rng(1)
    plate = synth.random_plate(rng, "cn_blue_letters")
    assert plate.label == plate.printed and synth.printed_form(plate.label, "cn_blue_letters") == plate.label
    assert synth.render_plate(plate.label, rng, style="cn_blue_letters").shape == (24, 94, 3)


def test_latin_style():
    rng = np.random.default_rng(3)
    for _ in range(30):
        t = synth.random_text(rng, "latin")
        assert 2 <= len(t) <= 10 and not t.startswith("-") and not t.endswith("-")
        assert not Alphabet.resolve("latin").unknown(t)
        assert synth.render_plate(t, rng, (94, 24), style="latin").shape == (24, 94, 3)
    with pytest.raises(ValueError):
        synth.random_text(rng, "martian")


def test_renders_every_character_without_error():
    rng = np.random.default_rng(5)
    for i, p in enumerate(CN_PROVINCES):
        tail = (CN_LETTERS + DIGITS)[i % 34 :][:5].ljust(5, "0")
        img = synth.render_plate(p + CN_LETTERS[i % len(CN_LETTERS)] + tail, rng)
        assert img.shape == (24, 94, 3)


@pytest.mark.parametrize("workers", [1, 2])
def test_synthesize_writes_labels_and_images(tmp_path, workers):
    labels = synth.synthesize(tmp_path / "ds", 12, seed=3, workers=workers, progress=False)
    assert labels == tmp_path / "ds" / "labels.csv"
    with labels.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 12 and list(rows[0]) == ["path", "text", "corners"]
    for row in rows:
        img = cv2.imread(str(labels.parent / row["path"]))
        assert img is not None and img.shape == (24, 94, 3)
        assert len(row["text"]) == 7
        corners = np.array(parse_corners(row["corners"])).reshape(4, 2)
        assert (corners[1, 0] > corners[0, 0]) and (corners[3, 1] > corners[0, 1])  # TL, TR, BR, BL order
        assert np.all((corners > -0.2) & (corners < 1.2))  # the crop holds the plate, give or take a margin


def test_synthesize_independent_of_workers(tmp_path):
    a = synth.synthesize(tmp_path / "a", 6, seed=11, workers=1, progress=False)
    b = synth.synthesize(tmp_path / "b", 6, seed=11, workers=2, progress=False)
    assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")
    for i in range(6):
        name = f"images/{i:06d}.png"
        assert (a.parent / name).read_bytes() == (b.parent / name).read_bytes()


# Pinned before the latin layouts were added: the shipped Chinese model's recipe depends on
# cn_blue renders staying byte-identical for a seed. Re-pin only on purpose (and retrain).
CN_BLUE_SHA256 = "b82841a9d3d01d84df6044527faddced7786bfa21a0fed9808b39fa35f462b07"


def test_cn_blue_renders_are_pinned():
    import hashlib

    h = hashlib.sha256()
    for i in range(6):  # exactly what synthesize() does for sample i of seed 123
        rng = np.random.default_rng([123, i])
        t = synth.random_text(rng, "cn_blue")
        h.update(t.encode())
        h.update(synth.render_plate(t, rng, (94, 24), "cn_blue").tobytes())
    for seed, size in ((5, (128, 32)), (6, None)):
        rng = np.random.default_rng(seed)
        h.update(synth.render_plate(synth.random_text(rng), rng, size, "cn_blue").tobytes())
    h.update(synth.render_plate("皖A12345", np.random.default_rng(0), (188, 48), clean=True).tobytes())
    assert h.hexdigest() == CN_BLUE_SHA256


# --------------------------------------------------------------------------- latin layouts

LATIN = Alphabet.resolve("latin")
# What each layout's label must look like (separators other than Taiwan's dash never read).
LABEL_RULES = {
    "us": r"^[A-Z0-9]{2,8}$",
    "eu": r"^[A-Z0-9]{6,9}$",
    "uk": r"^[A-Z]{2}[0-9]{2}[A-Z]{3}$|^[A-Z][0-9]{3}[A-Z]{3}$|^[A-Z]{3}[0-9]{3}[A-Z]$",
    "mercosur": r"^[A-Z]{3}[0-9][A-Z][0-9]{2}$|^[A-Z]{2}[0-9]{3}[A-Z]{2}$|^[A-Z]{3,4}[0-9]{3}$",
    "br_old": r"^[A-Z]{3}[0-9]{4}$",
    "tw": r"^([A-Z]{3}-[0-9]{4}|[0-9]{3}-[A-Z]{3}|[0-9]{4}-[A-Z]{2}|[0-9]{4}-[A-Z][0-9]|[A-Z]{2}-[0-9]{4}"
    r"|[0-9][A-Z]{2}-[0-9]{3}|[A-Z][0-9]-[0-9]{4})$",
    "uz": r"^[0-9]{2}[A-Z][0-9]{3}[A-Z]{2}$|^[0-9]{5}[A-Z]{3}$",
    "generic": r"^[A-Z0-9][A-Z0-9-]{2,8}[A-Z0-9]$",
}


def test_every_latin_layout_has_a_label_rule():
    assert set(LABEL_RULES) == set(synth.MIXES["latin"]) == set(synth.LATIN_LAYOUTS)
    assert abs(sum(synth.MIXES["latin"].values()) - 1) < 1e-9


@pytest.mark.parametrize("name", synth.LATIN_LAYOUTS)
def test_latin_layout_labels_follow_the_layout_rule(name):
    rng = np.random.default_rng(1)
    rule = re.compile(LABEL_RULES[name])
    for _ in range(400):
        p = synth.random_plate(rng, name)
        assert p.style.name == name
        assert rule.match(p.label), (name, p.printed, p.label)
        assert not LATIN.unknown(p.label) and 2 <= len(p.label) <= 10
        assert p.label == synth.label_of(p.printed, name)
        # Separators are printed but only Taiwan's (and the generic layout's) dash is read.
        assert ("-" in p.label) == (p.style.keep_dash and "-" in p.printed)
    if name == "tw":
        assert all("-" in synth.random_text(rng, "tw") for _ in range(50))
    if name == "br_old":  # printed with a separator, labelled without
        printed = {synth.random_plate(rng, "br_old").printed[3] for _ in range(100)}
        assert printed == {"-", "·", " "}


@pytest.mark.parametrize("name", synth.LATIN_LAYOUTS)
def test_latin_layouts_render_at_several_sizes(name):
    rng = np.random.default_rng(2)
    for size in ((94, 24), (128, 32), (96, 48), None):
        p = synth.random_plate(rng, name)
        img = synth.render_plate(p.label, rng, size, name)
        assert img.dtype == np.uint8 and img.ndim == 3 and img.std() > 3
        if size is not None:
            assert img.shape == (size[1], size[0], 3)
    assert synth.render_plate("ABC1234", rng, (128, 32), name, clean=True).shape == (32, 128, 3)


def test_printed_form_puts_separators_back():
    assert synth.printed_form("ABC1234", "br_old") == "ABC-1234"
    assert synth.printed_form("01A123BC", "uz") == "01|A 123 BC"
    assert synth.printed_form("AB12CDE", "uk") == "AB12 CDE"
    assert synth.printed_form("ABC-1234", "tw") == "ABC-1234"
    assert synth.printed_form("ABC1234", "tw") is None  # Taiwan always prints (and reads) its dash
    assert synth.label_of("AB-123-CD", "eu") == "AB123CD"
    assert synth.label_of("ABC-1234", "tw") == "ABC-1234"


def test_latin_mix_covers_every_layout_with_its_weights():
    rng = np.random.default_rng(4)
    n = 4000
    counts: dict[str, int] = {}
    for _ in range(n):
        name = synth.random_plate(rng, "latin").style.name
        counts[name] = counts.get(name, 0) + 1
    for name, w in synth.MIXES["latin"].items():
        assert abs(counts.get(name, 0) / n - w) < 0.025, (name, counts)
    lengths = {len(synth.random_text(rng, "latin")) for _ in range(2000)}
    assert set(range(4, 11)) <= lengths


def test_latin_mix_is_deterministic_per_seed(tmp_path):
    a = [synth.dataset._sample(3, i, "latin", (128, 32)) for i in range(8)]
    b = [synth.dataset._sample(3, i, "latin", (128, 32)) for i in range(8)]
    assert [t for t, _, _ in a] == [t for t, _, _ in b]
    assert all(x.tobytes() == y.tobytes() for (_, x, _), (_, y, _) in zip(a, b))
    c = synth.dataset._sample(4, 0, "latin", (128, 32))
    assert c[1].tobytes() != a[0][1].tobytes()
    labels = synth.synthesize(tmp_path / "l", 6, style="latin", seed=3, out_size=(96, 48), workers=1, progress=False)
    with labels.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["text"] for r in rows] == [t for t, _, _ in a[:6]]
    assert cv2.imread(str(labels.parent / rows[0]["path"])).shape == (48, 96, 3)


def test_clutter_never_reaches_the_label():
    # The small print words are drawn, but the label comes from the number alone.
    small_print = {w for st in synth.STYLES.values() for line in st.lines for w in line.words}
    small_print |= {w for st in synth.STYLES.values() if st.band for w in st.band.words}
    small_print |= set(synth.drawing._STACKED) | {"UZ"}
    rng = np.random.default_rng(6)
    for _ in range(300):
        p = synth.random_plate(rng, "latin")
        squeezed = {w.replace(" ", "").replace("-", "") for w in small_print if len(w) >= 4}
        assert not any(w in p.label for w in squeezed), p
    # and the clutter really is on the plate: a bare US plate differs from one with small print
    st = synth.styles.US
    bare = synth.PlateStyle(**{**st.__dict__, "lines": (), "sticker_p": 0.0, "gradient_p": 0.0, "stacked_p": 0.0})
    a = synth.drawing.plate_image("ABC 123", st, 0.5, np.random.default_rng(0))
    b = synth.drawing.plate_image("ABC 123", bare, 0.5, np.random.default_rng(0))
    assert np.abs(a - b).mean() > 1


def test_latin_fonts_cover_the_small_print():
    for st in synth.STYLES.values():
        if not st.formats:
            continue
        words = [w for line in st.lines for w in line.words] + list(st.band.words if st.band else ())
        words += [
            st.flag_code,
            *synth.drawing._STACKED,
            *synth.drawing._STICKER_TEXT,
            *synth.drawing._COUNTRY_CODE.values(),
        ]
        for f in st.latin_fonts:
            for w in words:
                missing = [c for c in w if c != " " and ord(c) not in synth.glyphs._cmap(f)]
                assert not missing, (st.name, f, w)
                assert synth.drawing.word_mask(f, w).shape[0] > 5


def test_letterboxed_crops_are_trimmed_like_real_ones():
    # The Taiwan crops come letterboxed into squares; synthetic ones are letterboxed the same
    # way and then trimmed by the preprocessing every real crop gets (data.trim_letterbox).
    rng = np.random.default_rng(8)
    plate = rng.integers(0, 256, (60, 150, 3), dtype=np.uint8)
    boxed = synth.scene._letterbox(plate, rng)
    assert boxed.shape[0] == boxed.shape[1] == 150
    trimmed = trim_letterbox(boxed)
    assert abs(trimmed.shape[0] - 60) <= 2 and abs(trimmed.shape[1] - 150) <= 2

    st = synth.PlateStyle(**{**synth.styles.TW.__dict__, "letterbox_p": 1.0})
    img, corners = synth.scene.render_printed("ABC-1234", np.random.default_rng(8), (128, 32), st)
    assert img.shape == (32, 128, 3)
    assert corners is None  # trimming moved the plate by an unknown amount: no framing target
    rows = img.astype(int).std(axis=(1, 2))
    assert rows[:3].max() > 12 or rows[-3:].max() > 12  # not a plate squashed between flat bands


def test_camera_looks_only_touch_layouts_that_ask_for_them():
    from lpr.synth import get_style
    from lpr.synth.scene import _camera_look

    img = np.full((32, 128, 3), 128, np.uint8)
    img[:, ::2] = 30  # ink stripes
    rng = np.random.default_rng(0)
    assert _camera_look(img, rng, get_style("cn_blue")) is img
    assert rng.random() == np.random.default_rng(0).random()  # and drew nothing: cn renders unchanged
    washed = [_camera_look(img, np.random.default_rng(i), get_style("br_old")) for i in range(40)]
    contrasts = [float(w[:, 1::2].mean() - w[:, ::2].mean()) for w in washed]
    assert min(contrasts) < 0.8 * 98 and max(contrasts) >= 97  # some veiled, some untouched


def test_spread_layouts_print_the_same_labels_wider_and_leave_latin_alone():
    assert synth.MIXES["latin_spread"] == {n + "_spread": w for n, w in synth.MIXES["latin"].items()}
    assert all(synth.STYLES[n].spread_p == 0 for n in synth.LATIN_LAYOUTS)  # the shipped renders
    plain, spread = synth.STYLES["br_old"], synth.STYLES["br_old_spread"]
    fonts = [plain.latin_fonts[0]] * 7
    border = plain.border_inset_mm + plain.border_mm
    wider = 0
    for seed in range(40):
        a = synth.drawing._layout("ABC1234", plain, fonts, np.random.default_rng(seed), {2: "·"})
        b = synth.drawing._layout("ABC1234", spread, fonts, np.random.default_rng(seed), {2: "·"})
        span_a, span_b = a[-1][0] + a[-1][2] - a[0][0], b[-1][0] + b[-1][2] - b[0][0]
        assert span_b >= span_a - 1e-6
        assert border < b[0][0] and b[-1][0] + b[-1][2] < plain.plate_mm[0] - border  # inside the border
        wider += span_b > span_a * 1.05
    assert 10 <= wider <= 30  # about half of the plates are spread
    rng = np.random.default_rng(2)
    rule = re.compile(LABEL_RULES["br_old"])
    for _ in range(100):
        p = synth.random_plate(rng, "latin_spread")
        base = p.style.name.removesuffix("_spread")
        assert p.style.name.endswith("_spread") and re.match(LABEL_RULES[base], p.label), (p.style.name, p.label)
    assert rule.match(synth.random_plate(rng, "br_old_spread").label)


def test_fonts_layouts_draw_half_of_their_plates_in_the_extra_faces_and_leave_latin_alone():
    assert synth.MIXES["latin_fonts"] == {n + "_fonts": w for n, w in synth.MIXES["latin"].items()}
    for name in synth.LATIN_LAYOUTS:
        plain, extended = synth.STYLES[name], synth.STYLES[name + "_fonts"]
        assert not set(plain.latin_fonts) & set(synth.EXTRA_FONTS)  # the shipped renders keep their faces
        assert extended.latin_fonts == plain.latin_fonts + synth.EXTRA_FONTS
        p = np.asarray(extended.latin_p)
        assert len(p) == len(extended.latin_fonts) and abs(p.sum() - 1) < 1e-9
        assert abs(p[len(plain.latin_fonts) :].sum() - 0.5) < 1e-9
        if plain.latin_p:  # the layout's own preferences survive, halved
            own = np.asarray(plain.latin_p) / sum(plain.latin_p)
            assert np.allclose(p[: len(own)], own / 2)
        assert replace(extended, name=name, latin_fonts=plain.latin_fonts, latin_p=plain.latin_p) == plain
    rng = np.random.default_rng(4)
    for _ in range(50):
        p = synth.random_plate(rng, "latin_fonts")
        assert p.style.name.endswith("_fonts") and re.match(LABEL_RULES[p.style.name.removesuffix("_fonts")], p.label)


def test_subsets_of_fonts_with_a_reserved_name_do_not_carry_it():
    from fontTools.ttLib import TTFont

    for file, reserved in (
        ("LprHumanist-Bold-plate.otf", "Cabin"),
        ("LprRounded-Bold-plate.otf", "Dosis"),
        ("LprDrafting-Narrow-plate.ttf", "Routed Gothic"),
    ):
        font = TTFont(synth.FONT_DIR / file)
        names = [r.toUnicode() for r in font["name"].names if r.nameID in (1, 3, 4, 6, 16, 17, 21, 22)]
        if "CFF " in font:
            top = font["CFF "].cff.topDictIndex[0]
            names += [*font["CFF "].cff.fontNames, top.FamilyName, top.FullName]
        assert names and not [n for n in names if reserved.lower() in n.lower()], (file, names)


def test_closer_layouts_print_uzbek_region_codes_small_and_taiwan_dashes_short_and_leave_latin_alone():
    assert synth.MIXES["latin_closer"] == {n + "_closer": w for n, w in synth.MIXES["latin"].items()}
    for name in synth.LATIN_LAYOUTS:  # only the two layouts change, and the shipped renders not at all
        plain, closer = synth.STYLES[name], synth.STYLES[name + "_closer"]
        assert plain.region_height == (1.0, 1.0) and plain.short_dash == 0
        assert (closer == replace(plain, name=closer.name)) == (name not in ("uz", "tw"))
    uz = synth.STYLES["uz_closer"]
    fonts = [uz.latin_fonts[0]] * 8
    for seed in range(20):
        boxes = synth.drawing._layout("01A123BC", uz, fonts, np.random.default_rng(seed), {1: "|", 2: " ", 5: " "})
        region, number = boxes[:2], boxes[2:]
        ratio = max(b[3] for b in region) / max(b[3] for b in number)
        assert uz.region_height[0] - 0.02 <= ratio <= uz.region_height[1] + 0.02
        # on the number's centre line
        assert abs((region[0][1] + region[0][3] / 2) - (number[0][1] + number[0][3] / 2)) < 1e-6
    plain = synth.STYLES["uz"]
    full = synth.drawing._layout("01A123BC", plain, fonts, np.random.default_rng(0), {1: "|", 2: " ", 5: " "})
    assert full[0][3] > 0.9 * max(b[3] for b in full[2:])

    tw = synth.STYLES["tw_closer"]
    fonts = [tw.latin_fonts[0]] * 8
    font_dash = synth.drawing._layout("ABC-1234", tw, fonts, None)[3]
    short = synth.drawing._layout("ABC-1234", tw, fonts, None, dash_box=(0.17, 0.12))[3]
    assert short[2] < 0.6 * font_dash[2] and abs(short[3] - 0.12 * tw.char_mm[1]) < 1e-6
    rng = np.random.default_rng(0)
    marks = [synth.drawing._short_dash(tw, rng) for _ in range(400)]
    assert 0.8 <= sum(m is not None for m in marks) / 400 <= 0.9  # about 85% of Taiwan plates
    assert all(0.11 <= m[0] <= 0.24 and 0.1 <= m[1] <= 0.14 for m in marks if m)
    assert synth.drawing._short_dash(synth.STYLES["tw"], rng) is None  # the plain layout: the font's dash
    # drawn: the mark's ink is a short bar at mid-height between the groups
    info: dict = {}
    ink = synth.drawing._plate_ink("ABC-1234", tw, 2.0, None, info=info)  # clean render, 2 px per mm
    x, y, w, h = info["boxes"][3]
    assert abs(h - 0.12 * tw.char_mm[1]) < 1e-6 and w < 0.2 * tw.char_mm[1]
    assert ink[int(2 * (y + h / 2)), int(2 * (x + w / 2))] == 255
    assert ink[int(2 * (y - h)), int(2 * (x + w / 2))] == 0  # nothing above it
