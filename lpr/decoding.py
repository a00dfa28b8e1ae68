"""CTC decoding: greedy (the fast default), prefix beam search for N-best readings, and
decoding constrained to a plate format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .alphabet import Alphabet
from .formats import PlateFormat, hard_format

if TYPE_CHECKING:
    import torch

SCHEMA_VERSION = 1  # of the JSON readings (`lpr predict --json`, the HTTP service)


@dataclass
class Reading:
    """What the recogniser read from one plate.

    ``confidence`` is the product of the character confidences (see :func:`identity_odds`):
    how sure the model is that every character is the one it read. An empty reading has 0.
    The Recognizer maps it through the model's calibration, when it has one.
    """

    text: str
    confidence: float
    char_confidences: list[float] = field(default_factory=list)
    path: str | None = None
    error: str | None = None  # why the image could not be read, if it could not
    candidates: list[tuple[str, float]] | None = None  # N-best (text, probability), if asked for
    plate_format: str | None = None  # the format the reading was constrained to, if any
    format_matched: bool | None = None  # False: no reading the image supports fits the format
    time_ms: float | None = None  # decode + resize + its share of the batch's network time
    accepted: bool | None = None  # confidence >= the reader's min_confidence (and fits its hard format), if set

    def to_dict(self) -> dict:
        d = {
            "text": self.text,
            "confidence": round(self.confidence, 6),
            "char_confidences": [round(c, 6) for c in self.char_confidences],
        }
        if self.path is not None:
            d = {"path": self.path, **d}
        if self.candidates is not None:
            d["candidates"] = [{"text": t, "probability": round(p, 6)} for t, p in self.candidates]
        if self.plate_format is not None:
            d["format"] = self.plate_format
            d["format_matched"] = self.format_matched
        if self.accepted is not None:
            d["accepted"] = self.accepted
        if self.time_ms is not None:
            d["time_ms"] = round(self.time_ms, 3)
        if self.error is not None:
            d["error"] = self.error
        return d


def identity_odds(probs: np.ndarray) -> np.ndarray:
    """(..., C, T) probabilities -> each class's p / (p + the strongest other character's p).

    A character's confidence measures it against its nearest rival (8 vs B, G vs 6). The
    blank's share at a step says *where* a character is, not *which* one, so it is left out:
    with it, a character on an alignment boundary looked doubtful and a reject threshold had
    to turn away more right readings (shipped cn model: 94.0% -> 96.3% of plates accepted at
    99.5% precision on its validation split). Blank rows are 0.
    """
    probs = np.asarray(probs, dtype=np.float32)
    chars = probs[..., 1:, :]
    padded = np.concatenate([chars, np.zeros_like(chars[..., :1, :])], axis=-2)  # one-symbol alphabets
    top2 = -np.partition(-padded, 1, axis=-2)[..., :2, :]  # best and second-best character per step
    rival = np.where(chars >= top2[..., :1, :], top2[..., 1:2, :], top2[..., :1, :])
    out = np.zeros_like(probs)
    out[..., 1:, :] = chars / np.maximum(chars + rival, 1e-30)
    return out


def as_array(probs) -> np.ndarray:
    """A numpy view of probabilities given as an array or a torch tensor (torch not needed)."""
    return probs.detach().cpu().numpy() if hasattr(probs, "detach") else np.asarray(probs)


def greedy_decode(probs: torch.Tensor | np.ndarray, alphabet: Alphabet) -> list[Reading]:
    """Decode (B, C, T) class probabilities: best class per step, merge repeats, drop blanks.

    A character's confidence is the highest :func:`identity_odds` it reached over the steps it
    spans. The first time step is treated like any other (one peer's decoder drops it).
    """
    probs = as_array(probs)
    best = probs.argmax(axis=1)  # (B, T)
    best_p = np.take_along_axis(identity_odds(probs), best[:, None, :], axis=1)[:, 0, :]  # (B, T)
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


def decode(
    probs: torch.Tensor | np.ndarray, alphabet: Alphabet, top_k: int = 0, plate_format: PlateFormat | None = None
) -> list[Reading]:
    """Greedy readings, refined only where asked: N-best candidates, a plate format.

    Constrained decoding costs nothing for plates whose greedy reading already fits the
    format; only the others (a few percent) go through beam search. A plate with no
    supported reading that fits keeps its greedy text, with ``format_matched`` False.
    Candidates obey a hard format; with a soft one (a preference) they are the free N-best,
    and a reading that still fits none of its patterns loses its dashes (see
    :func:`drop_unkept_separators`).
    """
    probs = as_array(probs)
    readings = greedy_decode(probs, alphabet)
    if not top_k and plate_format is None:
        return readings
    hard = hard_format(plate_format)
    for r, p in zip(readings, probs):
        candidates = beam_search(p, alphabet, top_k=top_k, plate_format=hard) if top_k else None
        matched = (
            plate_format is None or plate_format.matches(r.text) or fit_format(r, p, alphabet, plate_format, candidates)
        )
        if not matched and plate_format.soft:  # not matched: there is a format
            matched = drop_unkept_separators(r, plate_format)
        if top_k:
            r.candidates = [(t, float(q)) for t, q in candidates]
        if plate_format is not None:
            r.plate_format, r.format_matched = plate_format.name, matched
    return readings


# A soft format's reading must be at least this likely relative to the network's own. Measured on
# the latin model shipped before its stage 3 (validation splits, and synthetic plates of layouts
# without a named format):
# 0.1 gave Uzbek plates +6.8 points and synthetic EU -0.5; 0.3 gives +5.7 and +0.3; 0 (no
# guard) cost synthetic EU 17 points, as EU plates were bent into UK and Taiwan shapes.
SOFT_MIN_RATIO = 0.3
# ... and this likely when it adds or drops a character. Small print (the Uzbek region code)
# and a character at the plate's edge are what the network drops; measured on the shipped latin
# model (validation splits; tools/evaluate.py): 0.1 gave Uzbek +3.1 points, Taiwan +0.6,
# Brazil +15.2, synthetic EU +0.5, US 0; any ratio cost US plates (no named format) nothing
# once a separator alone is never added or dropped (below).
SOFT_LENGTH_RATIO = 0.1


def drop_unkept_separators(reading: Reading, plate_format: PlateFormat) -> bool:
    """Drop the dashes of a reading that fits no preferred format; whether it fits one then.

    Most countries' labels leave separators out (the US, Uzbekistan, Brazil, Europe); a dash is
    kept where a preferred format prints it (Taiwan's). The characters keep the confidences
    they were read with: the dash is a convention of the text, not a reading of the image.
    """
    if "-" not in reading.text:
        return False
    kept = [(c, q) for c, q in zip(reading.text, reading.char_confidences) if c != "-"]
    reading.text = "".join(c for c, _ in kept)
    reading.char_confidences = [q for _, q in kept]
    reading.confidence = float(np.prod(reading.char_confidences)) if kept else 0.0
    return plate_format.matches(reading.text)


def _bare(text: str) -> str:
    return text.replace("-", "")


def _soft_fits(
    read: str, likelihood: float, probs: np.ndarray, alphabet: Alphabet, plate_format: PlateFormat
) -> list[tuple[str, float]]:
    """Readings that fit a preferred format and are likely enough to replace ``read``, a
    reading of probability ``likelihood``.

    Never one that only adds or drops a separator: whether a printed dash is in the label is a
    country's convention (Taiwan keeps it, the US drops it), which the image cannot settle.
    """
    fits = []
    for text, q in beam_search(probs, alphabet, top_k=5, plate_format=plate_format):
        ratio = SOFT_MIN_RATIO if len(text) == len(read) else SOFT_LENGTH_RATIO
        if q >= ratio * likelihood and _bare(text) != _bare(read):
            fits.append((text, q))
    return fits


def fit_format(
    reading: Reading,
    probs: np.ndarray,
    alphabet: Alphabet,
    plate_format: PlateFormat,
    searched: list[tuple[str, float]] | None = None,
) -> bool:
    """Replace ``reading`` by the likeliest reading of ``probs`` that fits the format, if any.

    A soft format only accepts a reading that the network finds nearly as likely as the one it
    replaces (``SOFT_MIN_RATIO``; ``SOFT_LENGTH_RATIO`` for one that adds or drops characters): it
    may settle which of two look-alike glyphs is meant or restore a faint character, but it
    must not overrule a clear reading of a layout it does not know.
    ``searched``: this plate's N-best already found (constrained to a hard format, free for a
    soft one, as :func:`decode`'s candidates are), so the same search is not run twice.
    """
    if plate_format.soft:
        likelihood = text_probability(probs, alphabet.encode(reading.text))
        if likelihood > 1 / (1 + SOFT_LENGTH_RATIO):
            # The reading holds so much of the probability that no other can reach
            # SOFT_LENGTH_RATIO of it: skip the beam search (half of all US plates).
            return False
        if searched:  # the free N-best: its first may be likelier than the greedy reading
            likelihood = max(likelihood, searched[0][1])
        fits = _soft_fits(reading.text, likelihood, probs, alphabet, plate_format)
    else:
        fits = searched if searched is not None else beam_search(probs, alphabet, top_k=1, plate_format=plate_format)
    if not fits:
        return False
    reading.text = fits[0][0]
    reading.char_confidences = char_confidences(probs, alphabet, reading.text)
    reading.confidence = float(np.prod(reading.char_confidences))
    return True


# ---------------------------------------------------------------------------- beam search


def _add(beams: dict, prefix: tuple, blank_p: float, char_p: float, state) -> None:
    entry = beams.setdefault(prefix, [0.0, 0.0, state])
    entry[0] += blank_p
    entry[1] += char_p


def beam_search(
    probs: np.ndarray,
    alphabet: Alphabet,
    top_k: int = 5,
    beam_width: int = 16,
    plate_format: PlateFormat | None = None,
    min_prob: float = 0.02,
) -> list[tuple[str, float]]:
    """CTC prefix beam search over one plate's (C, T) probabilities.

    Returns up to ``top_k`` (text, probability) pairs, best first; the probability sums every
    alignment of the text (blanks and repeats), so it is the model's probability of that
    reading. With ``plate_format`` only prefixes the format allows are extended and only whole
    matches are returned. Characters below ``min_prob`` at a step are never proposed: beam
    search re-ranks what the image supports, it does not invent characters.
    """
    probs = np.asarray(probs, dtype=np.float64)
    # prefix (class indices) -> [p ending in blank, p ending in its last char, format state]
    beams: dict[tuple[int, ...], list] = {(): [1.0, 0.0, None]}
    for t in range(probs.shape[1]):
        p = probs[:, t]
        proposals = [int(c) for c in np.flatnonzero(p >= min_prob) if c != 0]
        grown: dict[tuple[int, ...], list] = {}
        for prefix, (pb, pc, state) in beams.items():
            _add(grown, prefix, (pb + pc) * p[0], 0.0, state)  # a blank
            if prefix:
                _add(grown, prefix, 0.0, pc * p[prefix[-1]], state)  # the last char again: merged by CTC
            for c in proposals:
                new_state = state
                if plate_format is not None:
                    new_state = plate_format.alive(state, len(prefix), alphabet.symbols[c - 1])
                    if not new_state:
                        continue
                if prefix and c == prefix[-1]:
                    _add(grown, prefix + (c,), 0.0, pb * p[c], new_state)  # a repeat needs a blank between
                else:
                    _add(grown, prefix + (c,), 0.0, (pb + pc) * p[c], new_state)
        beams = dict(sorted(grown.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:beam_width])
    results = [
        (alphabet.decode(prefix), pb + pc)
        for prefix, (pb, pc, state) in beams.items()
        if plate_format is None or plate_format.complete(state, len(prefix))
    ]
    results.sort(key=lambda r: -r[1])
    return results[:top_k]


def text_probability(probs: np.ndarray, labels: list[int]) -> float:
    """P(text | one plate's (C, T) probabilities): the CTC forward sum over all its alignments."""
    probs = np.asarray(probs, dtype=np.float64)
    ext = np.zeros(2 * len(labels) + 1, dtype=np.int64)  # blank, c1, blank, c2, ..., blank
    ext[1::2] = labels
    # A step may jump over a blank only between two different characters.
    jump = np.zeros(len(ext), dtype=bool)
    jump[3::2] = ext[3::2] != ext[1:-2:2]
    alpha = np.zeros(len(ext))
    alpha[:2] = probs[ext[:2], 0]
    for t in range(1, probs.shape[1]):
        prev = alpha.copy()
        alpha[1:] += prev[:-1]
        alpha[2:] += np.where(jump[2:], prev[:-2], 0.0)
        alpha *= probs[ext, t]
    return float(alpha[-1] + (alpha[-2] if len(ext) > 1 else 0.0))


def combine_readings(member_readings: list[list[Reading]], member_probs: list, alphabet: Alphabet) -> list[Reading]:
    """One reading per plate from several models' readings of the same plates (an ensemble).

    Where the members agree, their reading stands. Where they differ, every member's reading is
    scored by its mean log-probability under all members (:func:`text_probability`) and the
    best one wins, with that member's confidences. Texts are compared, not per-step outputs,
    so members whose CTC alignments differ (a fine-tune whose STN frames plates differently)
    still combine: a step-wise mean of their outputs drops characters.
    """
    probs = [as_array(p) for p in member_probs]
    combined = []
    for i, readings in enumerate(zip(*member_readings)):
        if len({r.text for r in readings}) == 1:
            combined.append(readings[0])
            continue
        plate = [p[i] for p in probs]
        scores = [mean_log_probability(plate, alphabet.encode(r.text)) for r in readings]
        combined.append(readings[int(np.argmax(scores))])
    return combined


def mean_log_probability(member_probs: list[np.ndarray], labels: list[int]) -> float:
    """Mean over members of log P(text | that member's (C, T) probabilities)."""
    return float(np.mean([np.log(max(text_probability(p, labels), 1e-300)) for p in member_probs]))


def char_confidences(probs: np.ndarray, alphabet: Alphabet, text: str) -> list[float]:
    """Per-character confidences of ``text`` on one plate's (C, T) probabilities.

    The best CTC alignment of the text (Viterbi) assigns frames to characters; a character's
    confidence is its highest :func:`identity_odds` over its frames, as in greedy decoding.
    """
    labels = alphabet.encode(text)
    if not labels:
        return []
    probs = np.asarray(probs, dtype=np.float64)
    T = probs.shape[1]
    ext = [0]
    for c in labels:
        ext += [c, 0]
    S = len(ext)
    logp = np.log(np.maximum(probs[ext, :], 1e-30))  # (S, T)
    score = np.full((S, T), -np.inf)
    back = np.zeros((S, T), dtype=np.int64)
    score[0, 0], score[1, 0] = logp[0, 0], logp[1, 0]
    for t in range(1, T):
        for s in range(S):
            options = [(score[s, t - 1], s), (score[s - 1, t - 1], s - 1) if s > 0 else (-np.inf, s)]
            if s > 1 and ext[s] != 0 and ext[s] != ext[s - 2]:
                options.append((score[s - 2, t - 1], s - 2))
            best, src = max(options)
            score[s, t], back[s, t] = best + logp[s, t], src
    if not np.isfinite(max(score[S - 1, T - 1], score[S - 2, T - 1])):
        return [0.0] * len(labels)  # more characters than the output has steps
    s = S - 1 if score[S - 1, T - 1] >= score[S - 2, T - 1] else S - 2
    odds = identity_odds(probs)
    confs = [0.0] * len(labels)
    for t in range(T - 1, -1, -1):
        if ext[s] != 0:
            k = (s - 1) // 2
            confs[k] = max(confs[k], float(odds[ext[s], t]))
        s = back[s, t]
    return confs
