"""Greedy CTC decoding with per-character and plate confidences."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .alphabet import Alphabet


@dataclass
class Reading:
    """What the recogniser read from one plate.

    ``confidence`` is the product of the character confidences: the model's probability that
    every character is right, if their errors were independent. An empty reading has 0.
    """

    text: str
    confidence: float
    char_confidences: list[float] = field(default_factory=list)
    path: str | None = None
    error: str | None = None  # why the image could not be read, if it could not

    def to_dict(self) -> dict:
        d = {
            "text": self.text,
            "confidence": round(self.confidence, 6),
            "char_confidences": [round(c, 6) for c in self.char_confidences],
        }
        if self.path is not None:
            d = {"path": self.path, **d}
        if self.error is not None:
            d["error"] = self.error
        return d


def greedy_decode(probs: torch.Tensor | np.ndarray, alphabet: Alphabet) -> list[Reading]:
    """Decode (B, C, T) class probabilities: best class per step, merge repeats, drop blanks.

    A character's confidence is the highest probability it reached over the steps it spans.
    The first time step is treated like any other (one peer's decoder drops it).
    """
    probs = probs.detach().cpu().numpy() if isinstance(probs, torch.Tensor) else np.asarray(probs)
    best = probs.argmax(axis=1)  # (B, T)
    best_p = probs.max(axis=1)  # (B, T)
    readings = []
    for classes, p in zip(best, best_p):
        chars, confs = [], []
        prev = 0
        for c, pc in zip(classes.tolist(), p.tolist()):
            if c != 0 and c != prev:
                chars.append(c)
                confs.append(pc)
            elif c != 0 and c == prev:
                confs[-1] = max(confs[-1], pc)
            prev = c
        text = alphabet.decode(chars)
        confidence = float(np.prod(confs)) if confs else 0.0
        readings.append(Reading(text, confidence, [float(x) for x in confs]))
    return readings
