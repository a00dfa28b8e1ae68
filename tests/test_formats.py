"""Plate formats, prefix beam search and format-constrained decoding."""

import itertools

import numpy as np
import pytest

from lpr.alphabet import Alphabet
from lpr.decoding import beam_search, char_confidences, decode, greedy_decode, text_probability
from lpr.formats import FormatError, PlateFormat

CN = Alphabet.resolve("cn")
LATIN = Alphabet.resolve("latin")
SMALL = Alphabet("AB1")  # classes: 0 blank, 1 A, 2 B, 3 1


def probs_of(rows, alphabet=SMALL):
    """(C, T) probabilities from one {symbol-or-'-': p} dict per step; the rest spread evenly."""
    C = alphabet.num_classes
    out = np.zeros((C, len(rows)))
    for t, row in enumerate(rows):
        for sym, p in row.items():
            out[0 if sym == "-" else alphabet.symbols.index(sym) + 1, t] = p
        rest = 1 - out[:, t].sum()
        free = out[:, t] == 0
        out[free, t] = rest / free.sum()
    return out


@pytest.mark.parametrize(
    "text, ok",
    [
        ("皖A12345", True),
        ("皖AD12345", True),  # small new-energy car
        ("皖A12345F", True),  # large new-energy vehicle
        ("皖A1234", False),
        ("皖AJC828S", False),  # 8 characters, but not a new-energy plate
        ("A皖12345", False),
        ("皖1A2345", False),  # second character must be a letter
    ],
)
def test_cn_format(text, ok):
    assert PlateFormat.resolve("cn", CN).matches(text) is ok


def test_user_patterns_with_alternatives_and_sets():
    f = PlateFormat.resolve("@@@-####|[AB]##", LATIN)
    assert f.matches("ABC-1234") and f.matches("B12")
    assert not f.matches("ABC1234") and not f.matches("C12") and not f.matches("ABC-123")


@pytest.mark.parametrize("bad", ["[AB", "", "%%%"])  # '%' means province: latin has none
def test_bad_patterns_are_refused(bad):
    with pytest.raises(FormatError):
        PlateFormat.resolve(bad, LATIN)


def test_beam_search_sums_alignments_where_greedy_cannot():
    # Each step says blank 0.6, A 0.4: greedy reads nothing, yet "A" has probability
    # 0.4*0.4 + 0.4*0.6 + 0.6*0.4 = 0.64 over its three alignments.
    p = probs_of([{"-": 0.6, "A": 0.4, "B": 0.0, "1": 0.0}] * 2)
    assert greedy_decode(p[None], SMALL)[0].text == ""
    (best, prob), (second, prob2) = beam_search(p, SMALL, top_k=2)
    assert best == "A" and prob == pytest.approx(0.64)
    assert second == "" and prob2 == pytest.approx(0.36)


def test_beam_probabilities_are_exact_for_every_reading():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(SMALL.num_classes), size=4).T  # (C, T), a random 4-step output
    brute: dict[str, float] = {}
    for path in itertools.product(range(SMALL.num_classes), repeat=4):
        text = greedy_decode(np.eye(SMALL.num_classes)[list(path)].T[None], SMALL)[0].text
        brute[text] = brute.get(text, 0.0) + float(np.prod([p[c, t] for t, c in enumerate(path)]))
    results = beam_search(p, SMALL, top_k=5, beam_width=200, min_prob=0.0)
    expected = sorted(brute.items(), key=lambda kv: -kv[1])[:5]
    assert [t for t, _ in results] == [t for t, _ in expected]
    assert [q for _, q in results] == pytest.approx([q for _, q in expected])


def test_constrained_decoding_fixes_a_spurious_character_and_says_so():
    steps = [{c: 0.95} for c in "皖A12345"]
    steps.insert(5, {"7": 0.55, "-": 0.45})  # a weak extra character: greedy reads 8
    p = probs_of(steps, CN)
    assert greedy_decode(p[None], CN)[0].text == "皖A123745"
    (r,) = decode(p[None], CN, plate_format=PlateFormat.resolve("cn", CN))
    assert r.text == "皖A12345" and r.format_matched and r.plate_format == "cn"
    assert len(r.char_confidences) == 7 and r.confidence == pytest.approx(np.prod(r.char_confidences))


def test_constrained_decoding_never_invents_a_character():
    p = probs_of([{"A": 0.99}, {"B": 0.99}], SMALL)  # clearly "AB"; the format wants a digit
    (r,) = decode(p[None], SMALL, plate_format=PlateFormat.parse("@#", SMALL))
    assert r.text == "AB" and r.format_matched is False


def test_top_k_candidates_and_their_dict_form():
    p = probs_of([{"A": 0.6, "B": 0.4}, {"-": 0.9}], SMALL)
    (r,) = decode(p[None], SMALL, top_k=2)
    assert [t for t, _ in r.candidates] == ["A", "B"]
    d = r.to_dict()
    assert (
        d["candidates"][0]["text"] == "A" and 0 < d["candidates"][1]["probability"] < d["candidates"][0]["probability"]
    )


def test_aligned_confidences_match_greedy_on_the_greedy_text():
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(SMALL.num_classes) * 0.3, size=12).T
    (g,) = greedy_decode(p[None], SMALL)
    if g.text:
        assert char_confidences(p, SMALL, g.text) == pytest.approx(g.char_confidences)


def test_a_model_remembers_the_format_it_was_trained_with(tmp_path, tiny_dataset):
    from lpr.pipeline import Recognizer
    from lpr.training import TrainConfig, train

    cfg = TrainConfig(
        data=[str(tiny_dataset)], out=str(tmp_path), epochs=1, batch_size=8, threads=2, plate_format="cn7",
        model={"stem": 8, "block1": 16, "block2": 32, "head": 32},
    )  # fmt: skip
    train(cfg, progress=False)
    assert Recognizer.load(tmp_path).plate_format.name == "cn7"
    assert Recognizer.load(tmp_path, plate_format="none").plate_format is None
    with pytest.raises(FormatError):
        train(TrainConfig(data=[str(tiny_dataset)], out=str(tmp_path / "bad"), plate_format="[AB"), progress=False)


def test_latin_country_formats_are_named_and_only_preferred_by_default():
    from lpr.formats import default_format

    latin = Alphabet.resolve("latin")
    assert default_format(latin) == "~known" and default_format(Alphabet.resolve("cn")) == "cn"
    known = PlateFormat.resolve("~known", latin)
    assert known.soft and known.name == "~known" and not PlateFormat.resolve("known", latin).soft
    assert known.matches("01A123BC") and known.matches("ABC-1234") and not known.matches("7ABC123")
    uz = PlateFormat.resolve("uz", latin)
    assert uz.matches("01A123BC") and uz.matches("01123ABC") and not uz.matches("01A123B")
    # only the 14 region codes: 01, 10, 20, 25, 30, ... 90, 95
    assert uz.matches("25A123BC") and uz.matches("95123ABC") and uz.matches("80A123BC")
    assert not uz.matches("00A123BC") and not uz.matches("35A123BC") and not uz.matches("11123ABC")
    tw = PlateFormat.resolve("tw", latin)
    assert tw.matches("ABC-1234") and tw.matches("123-ABC") and not tw.matches("ABC1234")
    assert PlateFormat.resolve("br", latin).matches("ABC1D23")


def test_a_preferred_format_settles_a_look_alike_glyph():
    # Uzbek plate, the series letter read as 0 by a hair: the format prefers the letter O.
    steps = [{c: 0.95} for c in "01"] + [{"0": 0.52, "O": 0.46}] + [{c: 0.95} for c in "123AB"]
    p = probs_of(steps, LATIN)
    assert greedy_decode(p[None], LATIN)[0].text == "010123AB"
    (r,) = decode(p[None], LATIN, plate_format=PlateFormat.resolve("~known", LATIN))
    assert r.text == "01O123AB" and r.format_matched and r.plate_format == "~known"


def test_a_preferred_format_does_not_overrule_a_clear_reading():
    known = PlateFormat.resolve("~known", LATIN)
    # A plate of an unknown layout, read clearly; a faint E would make it a UK plate.
    clear = probs_of([{c: 0.9} for c in "AB12CD"] + [{"3": 0.8, "E": 0.1}], LATIN)
    assert decode(clear[None], LATIN, plate_format=PlateFormat.resolve("uk", LATIN))[0].text == "AB12CDE"
    (r,) = decode(clear[None], LATIN, plate_format=known)
    assert r.text == "AB12CD3" and r.format_matched is False
    # A clear extra character: a preference keeps it (a hard format would drop another).
    steps = [{c: 0.95} for c in "ABC"] + [{"7": 0.95}] + [{c: 0.95} for c in "1234"]
    assert decode(probs_of(steps, LATIN)[None], LATIN, plate_format=known)[0].text == "ABC71234"


def test_a_preferred_format_restores_a_faint_character_or_drops_a_doubtful_one():
    known = PlateFormat.resolve("~known", LATIN)
    # The small Uzbek region code: its second digit only faintly seen (greedy drops it).
    faint = probs_of([{"0": 0.95}, {"1": 0.35, "-": 0.6}] + [{c: 0.95} for c in "A123BC"], LATIN)
    assert greedy_decode(faint[None], LATIN)[0].text == "0A123BC"
    (r,) = decode(faint[None], LATIN, plate_format=known)
    assert r.text == "01A123BC" and r.format_matched
    # An extra character the network barely prefers to a blank.
    steps = [{c: 0.95} for c in "ABC"] + [{"7": 0.55, "-": 0.45}] + [{c: 0.95} for c in "1234"]
    assert decode(probs_of(steps, LATIN)[None], LATIN, plate_format=known)[0].text == "ABC1234"


def test_a_preferred_format_never_only_adds_or_drops_a_separator():
    # "123ABC" with a faint dash: Taiwan's ###-@@@, but the US writes the same plate without one.
    p = probs_of([{c: 0.95} for c in "123"] + [{}] + [{c: 0.95} for c in "ABC"], LATIN)
    dash = LATIN.symbols.index("-") + 1
    p[:, 3] = 0.0
    p[0, 3], p[dash, 3] = 0.6, 0.4
    assert beam_search(p, LATIN, top_k=1, plate_format=PlateFormat.resolve("tw", LATIN))[0][0] == "123-ABC"
    (r,) = decode(p[None], LATIN, plate_format=PlateFormat.resolve("~known", LATIN))
    assert r.text == "123ABC" and r.format_matched is False


def clear_reading(text: str) -> np.ndarray:
    """(C, T) probabilities of ``text`` read clearly, dashes included (``probs_of``'s '-' is the blank)."""
    p = probs_of([{} if c == "-" else {c: 0.95} for c in text], LATIN)
    dash = LATIN.symbols.index("-") + 1
    for t, c in enumerate(text):
        if c == "-":
            p[:, t] = 0.05 / (len(p) - 1)
            p[dash, t] = 0.95
    return p


def test_a_preferred_format_keeps_dashes_only_where_a_format_prints_them():
    known = PlateFormat.resolve("~known", LATIN)
    french = clear_reading("AB-123-CD")  # no named format prints it
    (free,) = decode(french[None], LATIN)
    assert free.text == "AB-123-CD"  # the free reading keeps them
    (r,) = decode(french[None], LATIN, plate_format=known)
    assert r.text == "AB123CD" and r.format_matched is False
    # The characters keep the confidences they were read with.
    letters = [q for c, q in zip(free.text, free.char_confidences) if c != "-"]
    assert r.char_confidences == letters and r.confidence == pytest.approx(np.prod(letters))
    taiwan = clear_reading("ABC-1234")  # Taiwan's labels keep the dash
    (r,) = decode(taiwan[None], LATIN, plate_format=known)
    assert r.text == "ABC-1234" and r.format_matched
    # A dashed reading whose bare text a preferred format knows: a Brazilian plate as labelled.
    brazil = clear_reading("AB-C1234")
    (r,) = decode(brazil[None], LATIN, plate_format=known)
    assert r.text == "ABC1234" and r.format_matched


def test_text_probability_sums_every_alignment():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(SMALL.num_classes), size=5).T  # (C, T)
    brute = {}
    for path in itertools.product(range(SMALL.num_classes), repeat=p.shape[1]):
        collapsed = [c for i, c in enumerate(path) if c and (i == 0 or c != path[i - 1])]
        text = SMALL.decode(collapsed)
        brute[text] = brute.get(text, 0.0) + np.prod(p[list(path), range(p.shape[1])])
    for text in ("", "A", "AA", "AB1", "B1B1A"):
        assert text_probability(p, SMALL.encode(text)) == pytest.approx(brute.get(text, 0.0), rel=1e-9, abs=1e-15)


def test_top_k_candidates_are_free_under_a_preferred_format():
    steps = [{c: 0.95} for c in "01"] + [{"0": 0.52, "O": 0.46}] + [{c: 0.95} for c in "123AB"]
    p = probs_of(steps, LATIN)
    (r,) = decode(p[None], LATIN, top_k=2, plate_format=PlateFormat.resolve("~known", LATIN))
    assert [t for t, _ in r.candidates] == ["010123AB", "01O123AB"] and r.text == "01O123AB"
