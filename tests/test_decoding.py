import numpy as np

from lpr.alphabet import Alphabet
from lpr.decoding import greedy_decode

ALPHABET = Alphabet("AB1")  # classes: 0 blank, 1 A, 2 B, 3 1


def one_hot(seq, p=0.9, classes=4):
    probs = np.full((1, classes, len(seq)), (1 - p) / (classes - 1), dtype=np.float32)
    for t, c in enumerate(seq):
        probs[0, c, t] = p
    return probs


def test_collapses_repeats_and_drops_blanks():
    (r,) = greedy_decode(one_hot([1, 1, 0, 2, 2, 0, 3]), ALPHABET)
    assert r.text == "AB1"


def test_keeps_a_character_at_the_first_step():
    (r,) = greedy_decode(one_hot([3, 0, 0, 1]), ALPHABET)
    assert r.text == "1A"


def test_blank_separates_a_doubled_character():
    (r,) = greedy_decode(one_hot([1, 0, 1, 1]), ALPHABET)
    assert r.text == "AA"


def test_confidences_weigh_each_character_against_its_rival():
    probs = one_hot([1, 0, 2])
    probs[0, :, 2] = [0.1, 0.1, 0.5, 0.3]  # B, with 1 its rival
    (r,) = greedy_decode(probs, ALPHABET)
    assert r.text == "AB"
    assert np.allclose(r.char_confidences, [0.9 / (0.9 + 0.1 / 3), 0.5 / 0.8])
    assert np.isclose(r.confidence, np.prod(r.char_confidences))


def test_the_blanks_share_does_not_lower_a_characters_confidence():
    probs = one_hot([1, 0, 2])
    probs[0, :, 2] = [0.48, 0.01, 0.5, 0.01]  # B on an alignment boundary: no rival character
    (r,) = greedy_decode(probs, ALPHABET)
    assert r.text == "AB" and r.char_confidences[1] > 0.95


def test_empty_reading_has_zero_confidence():
    (r,) = greedy_decode(one_hot([0, 0, 0]), ALPHABET)
    assert r.text == "" and r.confidence == 0.0 and r.char_confidences == []
