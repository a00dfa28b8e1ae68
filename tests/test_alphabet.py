import pytest

from lpr.alphabet import BUILTIN, CN_PROVINCES, Alphabet, AlphabetError


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_builtin_round_trip(name):
    a = Alphabet.resolve(name)
    assert a.num_classes == len(a.symbols) + 1
    assert a.decode(a.encode(a.symbols)) == a.symbols
    assert 0 not in a.encode(a.symbols)  # class 0 is reserved for the CTC blank


def test_cn_alphabet_is_ccpd_set():
    a = Alphabet.resolve("cn")
    assert len(CN_PROVINCES) == 31
    assert len(a.symbols) == 31 + 24 + 10
    assert "I" not in a.symbols and "O" not in a.symbols
    assert a.decode(a.encode("皖A12345")) == "皖A12345"


def test_custom_from_string_and_file(tmp_path):
    assert Alphabet.resolve("ABC123").decode([1, 4]) == "A1"
    f = tmp_path / "mine.txt"
    f.write_text("# my plates\nABC\n123\n", encoding="utf-8")
    a = Alphabet.resolve(str(f))
    assert a.symbols == "ABC123" and a.name == "mine"


def test_invalid_alphabets_rejected():
    with pytest.raises(AlphabetError, match="duplicate"):
        Alphabet("ABA")
    with pytest.raises(AlphabetError):
        Alphabet("")
    with pytest.raises(AlphabetError):
        Alphabet("A B")


def test_unknown_characters_reported():
    a = Alphabet.resolve("latin")
    assert a.unknown("AB1") == ""
    assert a.unknown("皖AI1皖") == "皖"
    with pytest.raises(KeyError, match="皖"):
        a.encode("皖A")


def test_dict_round_trip():
    a = Alphabet.resolve("cn")
    assert Alphabet.from_dict(a.to_dict()) == a
