"""Tests for undoing PTB tokenization."""

from __future__ import annotations

import pytest

from model.text.ptb import detokenize, unescape_token


@pytest.mark.parametrize(
    ("tokenized", "expected"),
    [
        ("washington -lrb- cnn -rrb- president obama", "washington (cnn) president obama"),
        ("he said `` we 're ready '' .", 'he said "we\'re ready".'),
        ("it does n't matter , she said .", "it doesn't matter, she said."),
        ("the players ' union 's lawyer", "the players' union's lawyer"),
        ("-LSB- a -RSB- and -LCB- b -RCB-", "[a] and {b}"),
        ("it cost $ 5 , or 10 % more !", "it cost $5, or 10% more!"),
        ("we 're gon na win ...", "we're gonna win..."),
        ("a ` quoted ' word", "a 'quoted' word"),
    ],
)
def test_detokenize_undoes_escapes_and_spacing(tokenized: str, expected: str) -> None:
    assert detokenize(tokenized) == expected


def test_detokenize_keeps_case_and_line_breaks() -> None:
    assert detokenize("first line .\nSecond  Line ?") == "first line.\nSecond Line?"


def test_detokenize_leaves_plain_text_alone() -> None:
    text = 'Mr. Smith (the mayor) said: "It\'s fine, really."'
    assert detokenize(text) == text


def test_unescape_token_maps_only_escapes() -> None:
    assert [unescape_token(t) for t in ["-rrb-", "``", "''", "word"]] == [")", '"', '"', "word"]
