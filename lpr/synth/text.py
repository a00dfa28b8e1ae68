"""Plate numbers: a random label of a layout, and how a layout prints a given label."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np

from lpr.alphabet import CN_LETTERS, CN_PROVINCES, DIGITS, LATIN_LETTERS

from .styles import CN_STYLES, GENERIC, MIXES, STYLES, PlateStyle, get_style

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


def layout_for(text: str, mix: str, rng: np.random.Generator) -> tuple[str, PlateStyle]:
    """A layout of ``mix`` that can print the label ``text`` (generic when none fits)."""
    fits = {n: w for n, w in MIXES[mix].items() if printed_form(text, n) is not None}
    st = STYLES[_pick(rng, fits)] if fits else GENERIC
    return printed_form(text, st) or text, st
