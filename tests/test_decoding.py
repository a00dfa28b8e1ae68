import numpy as np

from lpr.alphabet import Alphabet
from lpr.decoding import combine_readings, greedy_decode

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


def test_an_ensemble_keeps_agreed_readings_and_settles_disagreements_by_likelihood():
    sure_a = one_hot([1, 0, 3])  # "A1", sure
    # Reads "B1" by a hair: A is nearly as likely at the first step. Rows: blank, A, B, 1.
    unsure_b = np.array([[[0.05, 0.90, 0.05], [0.44, 0.02, 0.05], [0.46, 0.03, 0.05], [0.05, 0.05, 0.85]]], np.float32)
    members = [sure_a, unsure_b]
    readings = [greedy_decode(p, ALPHABET) for p in members]
    assert [r[0].text for r in readings] == ["A1", "B1"]
    (combined,) = combine_readings(readings, members, ALPHABET)
    assert combined is readings[0][0]  # "A1": likely under both, "B1" is not under the sure one
    (combined,) = combine_readings(readings[::-1], members[::-1], ALPHABET)
    assert combined.text == "A1"  # the order of the members does not matter
    agreed = [greedy_decode(sure_a, ALPHABET), greedy_decode(one_hot([1, 3, 0], p=0.6), ALPHABET)]
    (combined,) = combine_readings(agreed, [sure_a, one_hot([1, 3, 0], p=0.6)], ALPHABET)
    assert combined is agreed[0][0]  # agreement: the first member's reading, untouched
