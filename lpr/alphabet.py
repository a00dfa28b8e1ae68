"""Alphabets: the symbols a model can read, as validated data.

Index 0 is always the CTC blank; symbol ``i`` of the alphabet is class ``i + 1``.
That one rule is stored with every checkpoint, so a model never meets a blank-index
mismatch (a classic cause of "0% accuracy" in peers' custom training).

Example::

    >>> a = Alphabet.resolve("latin")
    >>> a.decode(a.encode("AB-12"))
    'AB-12'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The 31 provincial-level abbreviations on Chinese civilian plates, in CCPD's order.
CN_PROVINCES = "皖沪津渝冀晋蒙辽吉黑苏浙京闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新"
# Chinese plates never use I or O (too close to 1 and 0).
CN_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "0123456789"
LATIN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

BUILTIN = {
    "cn": CN_PROVINCES + CN_LETTERS + DIGITS,
    "latin": DIGITS + LATIN_LETTERS + "-",
}


class AlphabetError(ValueError):
    """An alphabet definition is invalid."""


@dataclass(frozen=True)
class Alphabet:
    """An ordered set of symbols; class 0 is the CTC blank.

    Args:
        symbols: every readable character, each once, in class order.
        name: a short name stored with checkpoints ("cn", "latin" or "custom").
    """

    symbols: str
    name: str = "custom"

    def __post_init__(self) -> None:
        if not self.symbols:
            raise AlphabetError("an alphabet needs at least one symbol")
        seen: set[str] = set()
        dupes = [c for c in self.symbols if c in seen or seen.add(c)]
        if dupes:
            raise AlphabetError(f"duplicate symbols in alphabet: {''.join(sorted(set(dupes)))!r}")
        if any(c.isspace() for c in self.symbols):
            raise AlphabetError("whitespace cannot be a plate symbol")

    @property
    def num_classes(self) -> int:
        """Number of network outputs: the symbols plus the blank."""
        return len(self.symbols) + 1

    @property
    def _index(self) -> dict[str, int]:
        # Not cached on purpose: a frozen dataclass keeps this simple and it is tiny.
        return {c: i + 1 for i, c in enumerate(self.symbols)}

    def unknown(self, text: str) -> str:
        """Characters of ``text`` that this alphabet cannot represent (in order, unique)."""
        out = []
        for c in text:
            if c not in self.symbols and c not in out:
                out.append(c)
        return "".join(out)

    def encode(self, text: str) -> list[int]:
        """Class indices of ``text`` (blank excluded). Raises ``KeyError`` on unknown symbols."""
        index = self._index
        try:
            return [index[c] for c in text]
        except KeyError as e:
            raise KeyError(f"symbol {e.args[0]!r} is not in the {self.name} alphabet") from None

    def decode(self, indices) -> str:
        """Text of class indices; blanks (0) are skipped."""
        return "".join(self.symbols[i - 1] for i in indices if i > 0)

    def to_dict(self) -> dict:
        return {"name": self.name, "symbols": self.symbols}

    @classmethod
    def from_dict(cls, d: dict) -> Alphabet:
        return cls(symbols=d["symbols"], name=d.get("name", "custom"))

    @classmethod
    def resolve(cls, spec: str | Alphabet) -> Alphabet:
        """An alphabet from a built-in name, a file of symbols, or the symbols themselves.

        A file holds the symbols on one or more lines; lines starting with ``#`` are comments.
        """
        if isinstance(spec, Alphabet):
            return spec
        if spec in BUILTIN:
            return cls(BUILTIN[spec], name=spec)
        path = Path(spec)
        if len(spec) < 256 and path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            symbols = "".join(line.strip() for line in lines if not line.lstrip().startswith("#"))
            return cls(symbols, name=path.stem)
        return cls(spec, name="custom")
