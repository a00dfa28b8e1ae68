"""Plate formats: which strings a plate can be, as a tiny pattern language.

One pattern symbol per character position:

====== =========================================================================
``@``  a letter (A-Z, as far as the alphabet has them)
``#``  a digit
``*``  a letter or a digit
``%``  a region symbol: any alphabet symbol that is not an ASCII letter, digit or ``-``
       (the Chinese province characters)
``?``  any symbol of the alphabet
``[..]`` one of the listed symbols, e.g. ``[ABC]``
other  itself, e.g. ``-``
====== =========================================================================

``|`` separates alternatives: ``"%@*****|%@[DF]*####"`` is a Chinese blue plate or a small
new-energy one.

A leading ``~`` makes a format a *preference* rather than a constraint: a reading that fits
none of its patterns is replaced only by one that does and that the network finds nearly as
likely (a confusable glyph resolved, O/0, J/3, 8/B; a faint character restored), never by one
that differs only in its separators (see ``lpr.decoding.fit_format``). A reading that still
fits none loses its dashes: labels keep a dash only where a format prints it (Taiwan's), most
countries write their plates without. The ``latin`` model prefers ``~known``, every named
country format, so a plate of another country is still read freely.

Example::

    >>> f = PlateFormat.parse("@@@-####", Alphabet.resolve("latin"))
    >>> f.matches("ABC-1234"), f.matches("AB-1234")
    (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .alphabet import DIGITS, LATIN_LETTERS, Alphabet

# Named formats, by the alphabet they belong to.
NAMED = {
    "cn": {
        # blue/yellow plates (7 characters) or new-energy plates (8: D/F marks electric or
        # hybrid, first after the letter on small cars, last on large ones)
        "cn": "%@*****|%@[DF]*####|%@#####[DF]",
        "cn7": "%@*****",
        "cn8": "%@[DF]*####|%@#####[DF]",
    },
    # Labels as the sources write them: Taiwan keeps its printed dash, the others drop separators.
    "latin": {
        "tw": "@@@-####|###-@@@|####-@@|####-@#|@@-####|@#-####|#@@-###|###-@#",
        # The 14 region codes (01 Tashkent city, 10 its region, 20 Sirdaryo ... 95 Karakalpakstan),
        # then a private (letter, 3 digits, 2 letters) or a company number (3 digits, 3 letters).
        "uz": "|".join(r + n for r in ("01", "10", "[23456789]0", "[2789]5") for n in ("@###@@", "###@@@")),
        "br": "@@@####|@@@#@##",  # old grey plates and Mercosur
        "uk": "@@##@@@",
    },
}
NAMED["latin"]["known"] = "|".join(NAMED["latin"].values())
# An alphabet's default format. Latin plates differ by country, so the latin model only
# prefers the known countries' formats (see ``~`` above).
DEFAULT = {"cn": "cn", "latin": "~known"}


class FormatError(ValueError):
    """A plate format cannot be parsed or cannot match anything in the alphabet."""


def _position_sets(pattern: str, alphabet: Alphabet) -> list[frozenset[str]]:
    """The allowed symbols at each position of one ``|``-free pattern."""
    symbols = set(alphabet.symbols)
    latin = set(DIGITS + LATIN_LETTERS + "-")
    classes = {
        "@": set(LATIN_LETTERS),
        "#": set(DIGITS),
        "*": set(LATIN_LETTERS + DIGITS),
        "%": symbols - latin,
        "?": symbols,
    }
    positions, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "[":
            end = pattern.find("]", i)
            if end < 0:
                raise FormatError(f"format {pattern!r}: '[' without ']'")
            allowed, i = set(pattern[i + 1 : end]), end + 1
        else:
            allowed, i = classes.get(c, {c}), i + 1
        allowed &= symbols
        if not allowed:
            raise FormatError(f"format {pattern!r}: position {len(positions) + 1} allows no symbol of the alphabet")
        positions.append(frozenset(allowed))
    if not positions:
        raise FormatError("empty plate format")
    return positions


@dataclass(frozen=True)
class PlateFormat:
    """Alternatives of fixed-length patterns; ``name`` is what readings report.

    ``soft``: a preference, not a constraint (the ``~`` prefix; see the module docstring).
    """

    name: str
    patterns: tuple[tuple[frozenset[str], ...], ...]
    soft: bool = False
    # alive() answers, memoised: beam search asks the same few questions for every plate.
    _alive: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def parse(cls, spec: str, alphabet: Alphabet, name: str | None = None) -> PlateFormat:
        alternatives = tuple(tuple(_position_sets(p, alphabet)) for p in spec.split("|"))
        return cls(name or spec, alternatives)

    @classmethod
    def resolve(cls, spec: str, alphabet: Alphabet) -> PlateFormat:
        """A named format of the alphabet (e.g. ``"cn"``), a pattern (e.g. ``"@@@-####"``), or
        either with a leading ``~`` (a preference, e.g. ``"~known"``)."""
        if spec.startswith("~"):
            return replace(cls.resolve(spec[1:], alphabet), name=spec, soft=True)
        named = NAMED.get(alphabet.name, {})
        if spec in named:
            return cls.parse(named[spec], alphabet, name=spec)
        return cls.parse(spec, alphabet)

    def alive(self, state: tuple[int, ...] | None, position: int, char: str) -> tuple[int, ...]:
        """Patterns still possible after ``char`` at ``position``; ``state`` = those possible before."""
        key = (state, position, char)
        if key not in self._alive:
            candidates = range(len(self.patterns)) if state is None else state
            self._alive[key] = tuple(
                i for i in candidates if position < len(self.patterns[i]) and char in self.patterns[i][position]
            )
        return self._alive[key]

    def complete(self, state: tuple[int, ...] | None, length: int) -> bool:
        """Whether a prefix of ``length`` characters in ``state`` is a whole plate."""
        candidates = range(len(self.patterns)) if state is None else state
        return any(len(self.patterns[i]) == length for i in candidates)

    def matches(self, text: str) -> bool:
        state = None
        for pos, c in enumerate(text):
            state = self.alive(state, pos, c)
            if not state:
                return False
        return self.complete(state, len(text))


def hard_format(plate_format: PlateFormat | None) -> PlateFormat | None:
    """``plate_format`` when it is a constraint; None for a preference (``~``) or no format."""
    return plate_format if plate_format is not None and not plate_format.soft else None


def default_format(alphabet: Alphabet) -> str | None:
    """The name of the format a model of this alphabet uses unless told otherwise."""
    return DEFAULT.get(alphabet.name)
