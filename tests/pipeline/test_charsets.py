"""Character sets: named sets, explicit lists and ranges, and folding classifier labels."""

import pytest

from recognition.pipeline.charsets import CharsetError, parse_charset


def test_named_sets():
    assert "A" in parse_charset("upper").chars and "a" not in parse_charset("upper").chars
    assert parse_charset("digits").chars == frozenset("0123456789")


def test_explicit_list_with_range_space_dash_and_quote():
    charset = parse_charset("A-Z -'")
    assert charset.chars == frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ -'")


def test_backwards_range_is_an_error():
    with pytest.raises(CharsetError):
        parse_charset("Z-A")


def test_labels_fold_by_case_then_by_lookalike():
    upper = parse_charset("upper")
    assert upper.fold("e") == "E"
    assert upper.fold("0") == "O"
    assert upper.fold("1") == "I"
    digits = parse_charset("digits")
    assert digits.fold("O") == "0"
    assert digits.fold("l") == "1"
    assert digits.fold("K") is None
